#include "models/sweep/sweep.h"

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "models/output/output.h"
#include "models/registry.h"
#include "models/input/errors.h"
#include "models/kernel/numa.h"
#include "sim/rng.h"

namespace gmpsim::models {

Scenario ScenarioSource::load(const std::vector<Override>& extra) const {
  std::vector<Override> all = sets;
  all.insert(all.end(), extra.begin(), extra.end());
  return path.empty() ? load_scenario(text, source, all) : load_scenario_file(path, all);
}

std::string canonical_point(const PointParams& params) {
  std::map<std::string, std::string> sorted;  // a key set twice keeps its last value, as --set does
  for (const Override& p : params) sorted[p.key] = yaml_to_json(parse_yaml_value(p.value, p.key)).dump();
  std::string out;
  for (const auto& [k, v] : sorted) out += k + "=" + v + "\n";
  return out;
}

std::uint64_t point_seed(std::uint64_t master, const PointParams& params, std::uint64_t repeat) {
  // 62 bits: run.seed must be at most 9.2e18 (params.cpp), and signed 64-bit readers (pandas) keep it.
  return sim::derive_seed(master, "point\n" + canonical_point(params), repeat) >> 2;
}

GridAxis parse_grid_axis(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw ScenarioError("--grid", "expected key=[v1, v2, ...], got \"" + std::string(text) + "\"");
  }
  GridAxis axis{std::string(text.substr(0, eq)), {}};
  const YAML::Node node = parse_yaml_value(std::string(text.substr(eq + 1)), "--grid " + axis.key);
  if (node.IsSequence()) {
    for (const YAML::Node& v : node) {
      YAML::Emitter e;
      e << YAML::Flow << v;
      axis.values.push_back(e.c_str());
    }
  } else {
    axis.values.push_back(std::string(text.substr(eq + 1)));
  }
  if (axis.values.empty()) throw ScenarioError("--grid " + axis.key, "the list of values is empty");
  return axis;
}

std::vector<PointParams> grid_points(const std::vector<GridAxis>& axes) {
  std::vector<PointParams> points{{}};
  for (const GridAxis& a : axes) {
    std::vector<PointParams> next;
    for (const PointParams& p : points) {
      for (const std::string& v : a.values) {
        PointParams q = p;
        q.push_back({a.key, v});
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  return points;
}

Json run_metrics(const RunResult& r) {
  const Json s = summary_json(r);
  Json m = Json::object();
  m["simulated_s"] = sim::to_seconds(r.simulated_ns);
  m["events"] = r.events;
  m["fingerprint"] = s["sim"]["fingerprint"];
  m["throughput_per_s"] = r.throughput_per_s;
  m["cpu_utilization"] = r.cpu_utilization;
  m["created"] = r.goroutines_created;
  m["completed"] = r.goroutines_completed;
  m["peak_live"] = r.goroutines_peak_live;
  m["mean_live"] = r.mean_live;
  m["mean_runnable"] = r.mean_runnable;
  const Json& mem = r.model_counters.contains("memory") ? r.model_counters["memory"] : Json();
  m["memory_peak_bytes"] = mem.is_object() && mem.contains("peak_bytes") ? mem["peak_bytes"] : Json(nullptr);
  m["threads"] = r.model_counters.contains("threads_created") ? r.model_counters["threads_created"] : Json(nullptr);
  m["gomaxprocs"] = r.model_counters.contains("gomaxprocs") ? r.model_counters["gomaxprocs"] : Json(nullptr);
  m["cpu_other"] = r.cpu_other;
  // The simulated process's cgroup cpu.stat (models with the kernel layer).
  const Json& cg = r.model_counters.contains("cgroup") ? r.model_counters["cgroup"] : Json();
  for (const char* f : {"nr_periods", "nr_throttled", "throttled_usec"}) {
    m[std::string("cgroup.") + f] = cg.is_object() && cg.contains(f) ? cg[f] : Json(nullptr);
  }
  // The collector (go model): what a GOGC / GOMEMLIMIT sweep plots.
  const Json& gc = r.model_counters.contains("gc") ? r.model_counters["gc"] : Json();
  for (const char* f : {"cycles", "cpu_fraction", "pause_max_s", "heap_goal_bytes", "heap_peak_bytes"}) {
    m[std::string("gc.") + f] = gc.is_object() && gc.contains(f) ? gc[f] : Json(nullptr);
  }
  // The kernel's memory (go model: models/kernel/mm.h): what a vm.* sweep explains its results with.
  for (const char* f : {"rss_peak_bytes", "minor_faults", "major_faults", "thp_faults", "direct_reclaim_stalls",
                        "kswapd_cpu_s", "swap_out_bytes", "committed_bytes", "memory_high_throttle_s"}) {
    const bool has = mem.is_object() && mem.contains("kernel") && mem["kernel"].contains(f);
    m[std::string("memory.") + f] = has ? mem["kernel"][f] : Json(nullptr);
  }
  // NUMA (go and boost-fiber-ws models: models/kernel/numa.h): what a placement or policy sweep explains its results with.
  const Json& nu = r.model_counters.contains("numa") ? r.model_counters["numa"] : Json();
  const kernel::NumaTotals nt = nu.is_object() ? kernel::numa_totals(nu) : kernel::NumaTotals{};
  m["numa.remote_share"] = nu.is_object() && nt.memory_s > 0 ? Json(nt.remote_s / nt.memory_s) : Json(nullptr);
  m["numa.remote_extra_s"] = nu.is_object() ? Json(nt.remote_extra_s) : Json(nullptr);
  m["numa.bandwidth_extra_s"] = nu.is_object() ? Json(nt.bandwidth_extra_s) : Json(nullptr);
  m["numa.cross_node_steals"] = nu.is_object() ? nu["cross_node_steals"] : Json(nullptr);
  m["numa.pages_migrated"] = nu.is_object() && nu.contains("balancing") ? nu["balancing"]["pages_migrated"] : Json(nullptr);
  for (const auto& [cls, l] : s["latency_us"].items()) {
    for (const char* f : {"count", "mean", "p50", "p90", "p99", "p999", "max"}) m["latency_us." + cls + "." + f] = l[f];
  }
  for (const auto& [cls, l] : s["wait_us"].items()) {
    for (const char* f : {"mean", "p99"}) m["wait_us." + cls + "." + f] = l[f];
  }
  return m;
}

Json run_point(const ScenarioSource& src, const PointParams& params, std::uint64_t point, std::uint64_t master,
               std::uint64_t repeat) {
  Json row = Json::object();
  row["point"] = point;
  row["repeat"] = repeat;
  for (const Override& p : params) row[p.key] = p.value;
  try {
    const std::uint64_t seed = point_seed(master, params, repeat);
    row["seed"] = seed;
    PointParams sets = params;
    sets.push_back({"run.seed", std::to_string(seed)});
    const Scenario sc = src.load(sets);
    const RunResult r = run_scenario(sc);
    row["outcome"] = outcome_name(r.outcome.status);
    row["detail"] = r.outcome.detail;
    const Json metrics = run_metrics(r);
    for (const auto& [k, v] : metrics.items()) row[k] = v;
  } catch (const ScenarioError& e) {
    if (!row.contains("seed")) row["seed"] = nullptr;
    row["outcome"] = "error";
    row["detail"] = e.what();
  } catch (const std::exception& e) {  // a failure of this run alone (an internal error, the host's memory): the others go on
    if (!row.contains("seed")) row["seed"] = nullptr;
    row["outcome"] = "error";
    row["detail"] = std::string("internal error: ") + e.what();
  }
  return row;
}

std::vector<Json> run_sweep(const ScenarioSource& src, const std::vector<PointParams>& points, std::uint64_t master,
                            const SweepOptions& options, const std::function<void(const Json&)>& on_row) {
  if (options.task_count == 0 || options.task_index >= options.task_count) {
    throw ScenarioError("--task-index", "must be below --task-count (" + std::to_string(options.task_count) + ")");
  }
  struct Work {
    std::uint64_t point, repeat;
  };
  std::vector<Work> work;
  std::uint64_t i = 0;
  for (std::uint64_t p = 0; p < points.size(); ++p) {
    for (std::uint64_t r = 0; r < options.repeats; ++r, ++i) {
      if (i % options.task_count == options.task_index) work.push_back({p, r});
    }
  }
  std::vector<Json> rows(work.size());
  // Runs an earlier, interrupted invocation finished (--resume): kept as they are, never run again. Rows
  // with outcome error are run again (the error may have been the host's).
  std::map<std::pair<std::uint64_t, std::uint64_t>, const Json*> finished;
  for (const Json& row : options.finished) {
    if (row.is_object() && row.value("outcome", std::string()) != "error" && row.contains("point") && row.contains("repeat")) {
      finished[{row["point"].get<std::uint64_t>(), row["repeat"].get<std::uint64_t>()}] = &row;
    }
  }
  std::vector<std::size_t> todo;
  for (std::size_t k = 0; k < work.size(); ++k) {
    const auto it = finished.find({work[k].point, work[k].repeat});
    if (it != finished.end()) {
      rows[k] = *it->second;
    } else {
      todo.push_back(k);
    }
  }
  std::atomic<std::size_t> next{0};
  std::mutex done;
  std::exception_ptr failure;
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < todo.size();) {
      const std::size_t k = todo[i];
      try {
        rows[k] = run_point(src, points[work[k].point], work[k].point, master, work[k].repeat);
        std::lock_guard<std::mutex> lock(done);
        if (on_row) on_row(rows[k]);
      } catch (...) {  // on_row failed (the CLI's journal cannot be written): stop; a run's own failure is in its row
        std::lock_guard<std::mutex> lock(done);
        if (!failure) failure = std::current_exception();
        next = todo.size();
      }
    }
  };
  const unsigned threads = std::max(1u, std::min<unsigned>(options.jobs, static_cast<unsigned>(todo.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return rows;  // work is in (point, repeat) order
}

namespace {

std::string csv_field(const Json& v) {
  if (v.is_null()) return "";
  std::string s;
  if (v.is_string()) {
    s = v.get<std::string>();
  } else if (v.is_number_float()) {
    std::ostringstream os;
    os << std::setprecision(17) << v.get<double>();  // round-trips exactly
    s = os.str();
  } else {
    s = v.dump();
  }
  return csv_quote(s);
}

}  // namespace

std::string sweep_csv(const std::vector<Json>& rows) {
  std::vector<std::string> header;
  for (const Json& row : rows) {
    for (const auto& [k, v] : row.items()) {
      if (std::find(header.begin(), header.end(), k) == header.end()) header.push_back(k);
    }
  }
  std::ostringstream os;
  for (std::size_t c = 0; c < header.size(); ++c) os << (c ? "," : "") << csv_field(header[c]);
  os << '\n';
  for (const Json& row : rows) {
    for (std::size_t c = 0; c < header.size(); ++c) {
      os << (c ? "," : "") << (row.contains(header[c]) ? csv_field(row[header[c]]) : "");
    }
    os << '\n';
  }
  return os.str();
}

}  // namespace gmpsim::models
