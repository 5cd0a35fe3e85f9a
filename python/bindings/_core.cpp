// gmpsim._core: the run-level C++ API for Python (the pure-Python package `gmpsim` wraps it).
//
// Only whole-run calls are bound: load a scenario (text or file, with --set overrides), run it, and read
// the one result type. The GIL is released while a scenario loads and while a model runs, so Python
// threads can run several scenarios at once. Bad input raises gmpsim.ScenarioError (a ValueError) whose
// message is exactly the C++ ScenarioError's, the text the CLI prints after "gmpsim: error: ".
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/capacity/capacity.h"
#include "models/output/output.h"
#include "models/output/perfetto.h"
#include "models/registry.h"
#include "models/report/report.h"
#include "models/scenario/catalog.h"
#include "models/result.h"
#include "models/input/errors.h"
#include "models/scenario/params.h"
#include "models/scenario/scenario.h"
#include "models/input/units.h"
#include "models/sweep/sweep.h"

namespace py = pybind11;
namespace gm = gmpsim::models;

namespace {

// A loaded scenario. Its resolved values are yaml-cpp nodes, which are not safe to read from two threads
// at once, so runs of the same Scenario object take turns (distinct Scenario objects run in parallel).
struct PyScenario {
  gm::Scenario sc;
  std::mutex run_mutex;
  explicit PyScenario(gm::Scenario s) : sc(std::move(s)) {}
};

std::vector<gm::Override> to_overrides(const std::vector<std::pair<std::string, std::string>>& sets) {
  std::vector<gm::Override> out;
  out.reserve(sets.size());
  for (const auto& [k, v] : sets) out.push_back({k, v});
  return out;
}

// Where a run loads its scenario from: the Python Scenario's inputs (a path, or text named `source`),
// so every run, on any thread or process, loads its own copy.
gm::ScenarioSource scenario_source(const std::optional<std::string>& text, const std::optional<std::string>& path,
                                   const std::string& source, const std::vector<std::pair<std::string, std::string>>& sets) {
  gm::ScenarioSource src;
  if (path) src.path = *path;
  if (text) src.text = *text;
  src.source = source;
  src.sets = to_overrides(sets);
  return src;
}

// nlohmann JSON -> Python object through Python's json module: exact for every value the outputs hold.
py::object json_to_py(const gm::Json& j) {
  PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<py::object> loads;
  loads.call_once_and_store_result([] { return py::module_::import("json").attr("loads"); });
  return loads.get_stored()(py::str(j.dump()));
}

// C++ text -> str; bytes that are not UTF-8 (a file name, say) become U+FFFD instead of failing.
py::str text(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<py::ssize_t>(s.size()), "replace");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

template <typename T>
py::array_t<T> to_array(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

// One histogram as a dict of bucket arrays: kind, name, class, low_ns, high_ns, count (the rows of
// latency.csv for this class or span, as columns).
py::dict histogram_dict(const char* kind, const gm::LatencyResult& l) {
  const auto buckets = l.latency.buckets();
  py::array_t<std::int64_t> low(static_cast<py::ssize_t>(buckets.size())), high(static_cast<py::ssize_t>(buckets.size()));
  py::array_t<std::uint64_t> count(static_cast<py::ssize_t>(buckets.size()));
  auto* lo = low.mutable_data();
  auto* hi = high.mutable_data();
  auto* n = count.mutable_data();
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    lo[i] = buckets[i].low;
    hi[i] = buckets[i].high;
    n[i] = buckets[i].count;
  }
  py::dict d;
  d["kind"] = kind;
  d["name"] = l.name;
  d["class"] = l.class_name;
  d["low_ns"] = low;
  d["high_ns"] = high;
  d["count"] = count;
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "gmpsim's C++ core: load a scenario, run it, read the result (see the gmpsim package)";

  // ScenarioError: a ValueError carrying the C++ message unchanged and the key it names (`.key`, "" when
  // the message names none).
  PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<py::object> scenario_error;
  scenario_error.call_once_and_store_result([&m] {
    py::object cls = py::exception<gm::ScenarioError>(m, "ScenarioError", PyExc_ValueError);
    cls.attr("__module__") = "gmpsim";  // raised and documented as gmpsim.ScenarioError
    cls.attr("key") = "";
    return cls;
  });
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const gm::ScenarioError& e) {
      const py::object& cls = scenario_error.get_stored();
      py::object exc = cls(text(e.what()));
      exc.attr("key") = text(e.key());
      PyErr_SetObject(cls.ptr(), exc.ptr());
    }
  });

  m.def("version", &gm::gmpsim_version, "gmpsim's version, \"0.1.0+<git rev>\" (as in summary.json)");

  py::class_<PyScenario, std::shared_ptr<PyScenario>>(m, "Scenario",
                                                      "A validated, fully resolved scenario (opaque; see resolved())")
      .def_property_readonly("source", [](const PyScenario& s) { return s.sc.source; })
      .def_property_readonly("model", [](const PyScenario& s) { return s.sc.runtime.model; })
      .def_property_readonly("model_version", [](const PyScenario& s) { return s.sc.runtime.version; })
      .def_property_readonly("seed", [](const PyScenario& s) { return s.sc.run.seed; })
      .def("resolved", [](const PyScenario& s) { return json_to_py(s.sc.resolved_json()); },
           "The fully resolved scenario as nested dicts (loads again as a scenario)")
      .def("origin", [](const PyScenario& s) { return json_to_py(s.sc.origin_json()); },
           "Key -> the layer that supplied it: default, version:<model>/<v>, kernel:<profile>, scenario, set");

  m.def(
      "load_scenario",
      [](const std::string& yaml_text, const std::string& source, const std::vector<std::pair<std::string, std::string>>& sets) {
        auto overrides = to_overrides(sets);
        py::gil_scoped_release release;
        return std::make_shared<PyScenario>(gm::load_scenario(yaml_text, source, overrides));
      },
      py::arg("yaml_text"), py::arg("source") = "<text>", py::arg("sets") = std::vector<std::pair<std::string, std::string>>{},
      "Load a scenario from YAML text; sets are (dotted key, YAML value text) overrides, as --set key=value");
  m.def(
      "load_scenario_file",
      [](const std::string& path, const std::vector<std::pair<std::string, std::string>>& sets) {
        auto overrides = to_overrides(sets);
        py::gil_scoped_release release;
        return std::make_shared<PyScenario>(gm::load_scenario_file(path, overrides));
      },
      py::arg("path"), py::arg("sets") = std::vector<std::pair<std::string, std::string>>{},
      "Load a scenario file; sets are (dotted key, YAML value text) overrides, as --set key=value");

  py::class_<gm::RunResult, std::shared_ptr<gm::RunResult>>(m, "RunResult", "The result of one run")
      .def_readonly("model", &gm::RunResult::model)
      .def_readonly("version", &gm::RunResult::version)
      .def_readonly("seed", &gm::RunResult::seed)
      .def_readonly("fingerprint", &gm::RunResult::fingerprint, "64-bit fingerprint of the event stream")
      .def_readonly("events", &gm::RunResult::events)
      .def_readonly("wall_s", &gm::RunResult::wall_s)
      .def_property_readonly("outcome_status", [](const gm::RunResult& r) { return std::string(gm::outcome_name(r.outcome.status)); })
      .def_property_readonly("outcome_detail", [](const gm::RunResult& r) { return r.outcome.detail; })
      .def("summary", [](const gm::RunResult& r) { return json_to_py(gm::summary_json(r)); },
           "summary.json as a dict")
      .def("latency_csv", [](const gm::RunResult& r) { return gm::latency_csv(r); }, "latency.csv as text")
      .def("timeseries_csv", [](const gm::RunResult& r) { return gm::timeseries_csv(r); }, "timeseries.csv as text")
      .def_readonly("schedtrace", &gm::RunResult::schedtrace,
                    "GODEBUG=schedtrace lines (go model, runtime.schedtrace set), as schedtrace.txt holds them")
      .def("report_html", [](const gm::RunResult& r) { return gm::report_html(gm::report_inputs(r)); },
           "The HTML report of this run (what `gmpsim report` writes for its --out folder)")
      .def(
          "histograms",
          [](const gm::RunResult& r) {
            py::list out;
            for (const gm::ClassResult& c : r.classes) out.append(histogram_dict("latency", c.latency));
            for (const gm::ClassResult& c : r.classes) out.append(histogram_dict("wait", c.wait));
            for (const gm::LatencyResult& s : r.spans) out.append(histogram_dict("span", s));
            return out;
          },
          "Every histogram, in latency.csv's order, as dicts: kind (latency|wait|span), name, class, and NumPy "
          "arrays low_ns, high_ns (inclusive bucket bounds, int64) and count (uint64) of the non-empty buckets")
      .def(
          "timeseries",
          [](const gm::RunResult& r) {
            py::dict out;
            for (std::size_t c = 0; c < r.timeseries.columns.size(); ++c) {
              out[py::str(r.timeseries.columns[c])] = to_array(r.timeseries.data[c]);
            }
            return out;
          },
          "timeseries.csv as columns: name -> float64 NumPy array (first column t_s)");

  m.def(
      "run",
      [](const std::shared_ptr<PyScenario>& s, const std::optional<std::string>& perfetto, const std::string& perfetto_window,
         const std::string& perfetto_classes, std::int64_t perfetto_sample) {
        std::unique_ptr<gm::PerfettoFile> file;
        gm::RunOptions options;
        if (perfetto) {  // the same options, checks and file handling as `gmpsim run --perfetto`
          file = std::make_unique<gm::PerfettoFile>(
              *perfetto, s->sc, gm::perfetto_options(s->sc, perfetto_window, perfetto_classes, perfetto_sample));
          options.observers.push_back(file->observer());
          options.scheduler_trace = true;
        }
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(s->run_mutex);
        auto r = std::make_shared<gm::RunResult>(gm::run_scenario(s->sc, options));
        if (file) file->commit(r->simulated_ns);
        return r;
      },
      py::arg("scenario"), py::arg("perfetto") = std::nullopt, py::arg("perfetto_window") = "", py::arg("perfetto_classes") = "",
      py::arg("perfetto_sample") = 1,
      "Run a loaded scenario on its model (the GIL is released during the run); `perfetto`: write a Perfetto trace there");

  m.def(
      "canonical_point",
      [](const std::vector<std::pair<std::string, std::string>>& params) { return gm::canonical_point(to_overrides(params)); },
      py::arg("params"), "A sweep point as canonical text (keys sorted, values as compact JSON)");
  m.def(
      "point_seed",
      [](std::uint64_t master, const std::vector<std::pair<std::string, std::string>>& params, std::uint64_t repeat) {
        return gm::point_seed(master, to_overrides(params), repeat);
      },
      py::arg("master"), py::arg("params"), py::arg("repeat"),
      "The seed of one run of a sweep point: from the master seed, the point's (key, YAML text) pairs and the repeat");
  m.def(
      "run_point",
      [](const std::optional<std::string>& text, const std::optional<std::string>& path, const std::string& source,
         const std::vector<std::pair<std::string, std::string>>& sets, const std::vector<std::pair<std::string, std::string>>& params,
         std::uint64_t point, std::uint64_t master, std::uint64_t repeat) {
        const gm::ScenarioSource src = scenario_source(text, path, source, sets);
        const auto overrides = to_overrides(params);
        gm::Json row;
        {
          py::gil_scoped_release release;
          row = gm::run_point(src, overrides, point, master, repeat);
        }
        return json_to_py(row);
      },
      py::arg("text"), py::arg("path"), py::arg("source"), py::arg("sets"), py::arg("params"), py::arg("point"),
      py::arg("master"), py::arg("repeat"),
      "One run of a sweep point as a row dict (the CLI's sweep.csv row); a point that does not load is a row "
      "with outcome \"error\"");
  m.def(
      "capacity",
      [](const std::optional<std::string>& text, const std::optional<std::string>& path, const std::string& source,
         const std::vector<std::pair<std::string, std::string>>& sets, const std::string& mode, const std::optional<std::string>& slo,
         const std::string& class_name, const std::optional<std::string>& memory_limit, const std::string& vary, double precision,
         double confidence, int replications, int max_replications, int max_probes, unsigned jobs,
         const std::optional<std::uint64_t>& seed) {
        const gm::ScenarioSource src = scenario_source(text, path, source, sets);
        gm::CapacityOptions o;
        if (mode == "goroutines") {
          o.mode = gm::CapacityMode::kGoroutines;
        } else if (mode != "load") {
          throw gm::ScenarioError("--mode", "\"" + mode + "\" is not a mode; use load or goroutines");
        }
        if (slo) o.slo = gm::parse_slo(*slo);
        o.class_name = class_name;
        if (memory_limit) {
          try {
            o.memory_limit = gm::parse_bytes(*memory_limit);
          } catch (const gm::UnitError& e) {
            throw gm::ScenarioError("--memory-limit", e.what());
          }
          if (o.memory_limit <= 0) throw gm::ScenarioError("--memory-limit", "must be positive");
        }
        o.vary = vary;
        o.precision = precision;
        o.confidence = confidence;
        o.min_replications = replications;
        o.max_replications = max_replications;
        o.max_probes = max_probes;
        o.jobs = jobs;
        o.seed = seed;
        gm::Json report;
        std::string text_report;
        {
          py::gil_scoped_release release;
          report = gm::capacity_search(src, o);
          text_report = gm::capacity_report_text(report);
        }
        return py::make_tuple(json_to_py(report), text_report);
      },
      py::arg("text"), py::arg("path"), py::arg("source"), py::arg("sets"), py::arg("mode") = "load", py::arg("slo") = py::none(),
      py::arg("class_name") = "", py::arg("memory_limit") = py::none(), py::arg("vary") = "", py::arg("precision") = 0.02,
      py::arg("confidence") = 0.95, py::arg("replications") = 3, py::arg("max_replications") = 12, py::arg("max_probes") = 60,
      py::arg("jobs") = 1, py::arg("seed") = py::none(),
      "The capacity planner (`gmpsim capacity`): returns (report dict, the CLI's printed report); the GIL is released");

  m.def(
      "capacity_report_html",
      [](const std::string& report_json) {
        gm::ReportInputs in;
        in.capacity = gm::Json::parse(report_json);
        return gm::report_html(in);
      },
      py::arg("report_json"), "The HTML report of a capacity search, from capacity.json's text");
  m.def("write_report", &gm::write_report, py::arg("dir"),
        "`gmpsim report DIR`: writes DIR/report.html from what run, capacity or sweep --out wrote there; returns its path");

  m.def(
      "models",
      []() {
        py::list out;
        for (const gm::ModelInfo& mi : gm::model_catalog()) {
          py::list versions;
          for (const gm::Profile& v : mi.versions) {
            py::dict values;
            for (const auto& [k, text] : v.values) values[py::str(std::string(k))] = std::string(text);
            py::dict vd;
            vd["name"] = std::string(v.name);
            vd["doc"] = std::string(v.doc);
            vd["values"] = values;
            versions.append(vd);
          }
          py::dict d;
          d["name"] = mi.name;
          d["description"] = mi.description;
          d["source"] = mi.source;
          d["versions"] = versions;
          d["default_version"] = mi.versions.empty() ? std::string() : std::string(mi.versions.back().name);
          out.append(d);
        }
        return out;
      },
      "The models and their version profiles (as `gmpsim models` lists them)");

  m.def(
      "params_text",
      [](const std::string& model) {
        if (!model.empty() && gm::find_model(model) == nullptr) {
          throw gm::ScenarioError("MODEL", "unknown model \"" + model + "\"; `gmpsim models` lists them");
        }
        return gm::params_text(model);
      },
      py::arg("model") = "", "`gmpsim params [MODEL]` as text (every parameter when model is \"\")");
}
