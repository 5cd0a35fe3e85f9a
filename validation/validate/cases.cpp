// Manifests of validation cases (validation/scenarios/*-cases.yaml).
#include <filesystem>
#include <set>

#include <yaml-cpp/yaml.h>

#include "models/input/errors.h"
#include "validation/validate/validate.h"

namespace gmpsim::validation {
namespace {

using models::ScenarioError;

std::string str(const YAML::Node& n, const std::string& field, const std::string& where, bool required = true) {
  if (!n[field]) {
    if (required) throw ScenarioError(where + "." + field, "missing");
    return "";
  }
  if (!n[field].IsScalar()) throw ScenarioError(where + "." + field, "must be a string");
  return n[field].as<std::string>();
}

std::vector<std::string> str_list(const YAML::Node& n, const std::string& field, const std::string& where) {
  std::vector<std::string> out;
  if (!n[field]) return out;
  if (!n[field].IsSequence()) throw ScenarioError(where + "." + field, "must be a list of strings");
  for (const YAML::Node& item : n[field]) {
    if (!item.IsScalar()) throw ScenarioError(where + "." + field, "must be a list of strings");
    out.push_back(item.as<std::string>());
  }
  return out;
}

std::int64_t positive_int(const YAML::Node& n, const std::string& field, const std::string& where) {
  try {
    const auto v = n[field].as<std::int64_t>();
    if (v <= 0) throw ScenarioError(where + "." + field, "must be a positive integer");
    return v;
  } catch (const YAML::Exception&) {
    throw ScenarioError(where + "." + field, "must be a positive integer");
  }
}

void check_keys(const YAML::Node& n, const std::set<std::string>& known, const std::string& where) {
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key)) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      throw ScenarioError(where + "." + key, "unknown key; known: " + list);
    }
  }
}

MetricSpec parse_metric(const YAML::Node& m, const std::string& where) {
  if (!m.IsMap()) throw ScenarioError(where, "a metric is a map with a `kind`");
  const std::string kind = str(m, "kind", where);
  MetricSpec spec;
  if (kind == "per_op") {
    check_keys(m, {"kind", "name", "ops", "quick_ops"}, where);
    spec.kind = MetricSpec::Kind::kPerOp;
    spec.ops = positive_int(m, "ops", where);
    if (m["quick_ops"]) spec.quick_ops = positive_int(m, "quick_ops", where);
    spec.name = m["name"] ? str(m, "name", where) : "ns_per_op";
  } else if (kind == "latency") {
    check_keys(m, {"kind", "name", "class", "span", "sim_class"}, where);
    spec.kind = MetricSpec::Kind::kLatency;
    spec.class_name = str(m, "class", where, false);
    spec.sim_class = str(m, "sim_class", where, false);
    spec.span = str(m, "span", where, false);
    if (spec.class_name.empty() == spec.span.empty()) {
      throw ScenarioError(where, "a latency metric names exactly one of `class` and `span`");
    }
    spec.name = m["name"] ? str(m, "name", where) : (spec.span.empty() ? spec.class_name : spec.span) + "_latency";
  } else if (kind == "throughput") {
    check_keys(m, {"kind", "name", "class", "sim_class"}, where);
    spec.kind = MetricSpec::Kind::kThroughput;
    spec.class_name = str(m, "class", where);
    spec.sim_class = str(m, "sim_class", where, false);
    spec.name = m["name"] ? str(m, "name", where) : spec.class_name + "_throughput";
  } else if (kind == "counter") {
    check_keys(m, {"kind", "name", "sim"}, where);
    spec.kind = MetricSpec::Kind::kCounter;
    spec.counter = str(m, "name", where);
    spec.sim_counter = str(m, "sim", where);
    spec.name = spec.counter;
  } else if (kind == "cpu") {
    // CPU time used: the real run's counter `name` (ns of user+system CPU over the run) against the
    // simulator's busy share of the machine (goroutines, runtime, spinning) times its CPUs and window.
    check_keys(m, {"kind", "name"}, where);
    spec.kind = MetricSpec::Kind::kCpu;
    spec.counter = str(m, "name", where);
    spec.name = spec.counter;
  } else if (kind == "outcome") {
    // The share of runs that ended `expect` (a real run's "outcome", absent = completed; the simulator's
    // outcome name), both sides.
    check_keys(m, {"kind", "name", "expect"}, where);
    spec.kind = MetricSpec::Kind::kOutcome;
    spec.expect = str(m, "expect", where);
    spec.name = m["name"] ? str(m, "name", where) : "ended_" + spec.expect;
  } else {
    throw ScenarioError(where + ".kind", "\"" + kind + "\" is not a metric kind; use per_op, latency, throughput, counter, cpu or outcome");
  }
  return spec;
}

}  // namespace

std::vector<Case> load_cases(const std::string& path) {
  namespace fs = std::filesystem;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ScenarioError("--cases", "cannot read \"" + path + "\"; run from the repository root or pass --cases FILE");
  } catch (const YAML::Exception& e) {
    throw ScenarioError(path, std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["cases"] || !root["cases"].IsSequence()) {
    throw ScenarioError(path, "a manifest is a map with a list `cases`");
  }
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  std::vector<Case> cases;
  std::set<std::string> names;
  for (std::size_t i = 0; i < root["cases"].size(); ++i) {
    const YAML::Node n = root["cases"][i];
    std::string where = path + ": cases[" + std::to_string(i) + "]";
    if (!n.IsMap()) throw ScenarioError(where, "a case is a map");
    Case c;
    c.name = str(n, "name", where);
    where = path + ": case " + c.name;
    check_keys(n, {"name", "runtime", "family", "set", "scenario", "set_values", "quick_set", "probe", "quick_args",
                   "metrics", "note", "needs", "supplied", "import"},
               where);
    if (!names.insert(c.name).second) throw ScenarioError(where, "a second case with this name");
    c.runtime = str(n, "runtime", where);
    if (c.runtime != "boost-fiber" && c.runtime != "go") {
      throw ScenarioError(where + ".runtime", "\"" + c.runtime + "\": use boost-fiber or go");
    }
    c.family = str(n, "family", where);
    c.set = str(n, "set", where);
    if (c.set != "calibration" && c.set != "held-out" && c.set != "supplied") {
      throw ScenarioError(where + ".set", "\"" + c.set + "\": use calibration, held-out or supplied");
    }
    if ((c.set == "supplied") != static_cast<bool>(n["supplied"])) {
      throw ScenarioError(where + ".supplied", "a case of set supplied needs supplied: {file, select, makespan, version, host}, "
                                               "and only such a case has one");
    }
    if (n["import"]) {
      // The scenario comes from a trace of the probe (gmpsim import-trace), made when the case runs.
      const YAML::Node im = n["import"];
      if (c.runtime != "go" || c.set == "supplied" || !im.IsMap()) {
        throw ScenarioError(where + ".import", "only a go case that runs its probe here imports its scenario: import: {args: [...], quick_args: [...]}");
      }
      if (n["scenario"]) throw ScenarioError(where + ".scenario", "an import case has no scenario file: its scenario is imported from the probe's trace");
      check_keys(im, {"args", "quick_args"}, where + ".import");
      c.import = true;
      c.import_args = str_list(im, "args", where + ".import");
      c.import_quick_args = str_list(im, "quick_args", where + ".import");
    } else {
      c.scenario = (dir / str(n, "scenario", where)).lexically_normal().string();
      if (!fs::exists(c.scenario)) throw ScenarioError(where + ".scenario", "no file " + c.scenario);
    }
    c.needs = str_list(n, "needs", where);
    for (const std::string& need : c.needs) {
      if (need != "root") throw ScenarioError(where + ".needs", "\"" + need + "\": the known need is root");
    }
    c.sets = str_list(n, "set_values", where);
    c.quick_sets = str_list(n, "quick_set", where);
    if (c.set == "supplied") {
      const YAML::Node s = n["supplied"];
      const std::string sw = where + ".supplied";
      if (!s.IsMap()) throw ScenarioError(sw, "a map {file, select, makespan, scale, version, host}");
      check_keys(s, {"file", "select", "makespan", "scale", "version", "host"}, sw);
      c.supplied.file = (dir / str(s, "file", sw)).lexically_normal().string();
      if (!fs::exists(c.supplied.file)) throw ScenarioError(sw + ".file", "no file " + c.supplied.file);
      c.supplied.makespan_field = str(s, "makespan", sw);
      c.supplied.version = str(s, "version", sw);
      c.supplied.host = str(s, "host", sw);
      if (s["scale"]) {
        try {
          c.supplied.scale = s["scale"].as<double>();
        } catch (const YAML::Exception&) {
          throw ScenarioError(sw + ".scale", "must be a positive number");
        }
        if (!(c.supplied.scale > 0)) throw ScenarioError(sw + ".scale", "must be a positive number");
      }
      if (s["select"]) {
        if (!s["select"].IsMap()) throw ScenarioError(sw + ".select", "a map of field: value");
        for (const auto& kv : s["select"]) {
          const std::string k = kv.first.as<std::string>(), v = kv.second.as<std::string>();
          c.supplied.select[k] = v;  // compared as text: the lines' numbers and strings alike
        }
      }
    } else if (c.runtime == "go") {
      if (!n["probe"] || !n["probe"].IsMap()) throw ScenarioError(where + ".probe", "a go case needs probe: {dir: D, args: [...]}");
      check_keys(n["probe"], {"dir", "args"}, where + ".probe");
      c.probe_dir = (dir.parent_path() / "go" / str(n["probe"], "dir", where + ".probe")).lexically_normal().string();
      if (!fs::is_directory(c.probe_dir)) throw ScenarioError(where + ".probe.dir", "no directory " + c.probe_dir);
      c.probe_args = str_list(n["probe"], "args", where + ".probe");
      c.quick_args = str_list(n, "quick_args", where);
    } else if (n["probe"] || n["quick_args"]) {
      throw ScenarioError(where + ".probe", "only go cases run probes; a boost-fiber case runs its scenario");
    }
    if (!n["metrics"] || !n["metrics"].IsSequence() || n["metrics"].size() == 0) {
      throw ScenarioError(where + ".metrics", "missing: list at least one metric");
    }
    for (std::size_t m = 0; m < n["metrics"].size(); ++m) {
      c.metrics.push_back(parse_metric(n["metrics"][m], where + ".metrics[" + std::to_string(m) + "]"));
    }
    c.manifest = path;
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace gmpsim::validation
