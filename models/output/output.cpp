#include "models/output/output.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <ostream>
#include <sstream>

#include "models/input/errors.h"
#include "models/input/units.h"
#include "models/kernel/numa.h"
#include "models/run/trace_events.h"

namespace gmpsim::models {
namespace {

double us(double ns) { return ns / 1000.0; }

// Rounds to 4 significant decimals of a microsecond (0.1 ns): enough for any latency and stable in text.
double round_us(double ns) { return std::round(ns * 10.0) / 10000.0; }

Json latency_json(const LatencyResult& l) {
  const sim::LogHistogram& h = l.latency;
  Json j = Json::object();
  j["count"] = h.count();
  j["mean"] = round_us(h.mean());
  j["p50"] = round_us(static_cast<double>(h.percentile(0.50)));
  j["p90"] = round_us(static_cast<double>(h.percentile(0.90)));
  j["p99"] = round_us(static_cast<double>(h.percentile(0.99)));
  j["p999"] = round_us(static_cast<double>(h.percentile(0.999)));
  j["max"] = round_us(static_cast<double>(h.max()));
  const sim::ConfidenceInterval& ci = l.mean_ci;
  Json cij = Json::object();
  cij["level"] = ci.level;
  cij["mean"] = us(ci.mean);
  cij["half_width"] = std::isfinite(ci.half_width) ? Json(us(ci.half_width)) : Json(nullptr);
  cij["batches"] = ci.batches;
  cij["batch_size"] = ci.batch_size;
  j["mean_ci"] = cij;
  return j;
}

}  // namespace

std::string gmpsim_version() {
  std::string v = GMPSIM_VERSION;
  const std::string rev = GMPSIM_GIT_REV;
  if (!rev.empty()) v += "+" + rev;
  return v;
}

const char* outcome_name(OutcomeStatus s) {
  switch (s) {
    case OutcomeStatus::kCompleted: return "completed";
    case OutcomeStatus::kDeadlock: return "deadlock";
    case OutcomeStatus::kPanic: return "panic";
    case OutcomeStatus::kStarved: return "starved";
    case OutcomeStatus::kThreadExhaustion: return "thread_exhaustion";
    case OutcomeStatus::kOutOfMemory: return "out_of_memory";
    case OutcomeStatus::kTimeLimit: return "time_limit";
    case OutcomeStatus::kOomKilled: return "oom_killed";
    case OutcomeStatus::kTooManyOpenFiles: return "too_many_open_files";
    case OutcomeStatus::kSimMemoryLimit: return "sim_memory_limit";
  }
  return "?";
}

Json summary_json(const RunResult& r) {
  Json j = Json::object();
  j["gmpsim_version"] = gmpsim_version();
  j["model"] = r.model;
  j["version"] = r.version;
  j["seed"] = r.seed;
  j["scenario"] = r.scenario;
  j["scenario_origin"] = r.scenario_origin;
  Json sim = Json::object();
  sim["events"] = r.events;
  sim["wall_s"] = r.wall_s;
  sim["events_per_s"] = r.wall_s > 0 ? static_cast<double>(r.events) / r.wall_s : 0.0;
  sim["simulated_ns"] = r.simulated_ns;
  sim["window_ns"] = r.window_ns;
  std::ostringstream fp;
  fp << std::hex << std::setw(16) << std::setfill('0') << r.fingerprint;
  sim["fingerprint"] = fp.str();
  sim["memory_bytes"] = r.sim_memory_bytes;
  j["sim"] = sim;
  j["goroutines"] = {{"created", r.goroutines_created},
                     {"completed", r.goroutines_completed},
                     {"peak_live", r.goroutines_peak_live},
                     {"mean_live", r.mean_live},
                     {"mean_runnable", r.mean_runnable}};
  j["throughput_per_s"] = r.throughput_per_s;
  Json lat = Json::object(), wait = Json::object(), spans = Json::object(), per_class = Json::object();
  for (const ClassResult& c : r.classes) {
    lat[c.latency.name] = latency_json(c.latency);
    wait[c.wait.name] = latency_json(c.wait);
    per_class[c.latency.name] = {{"created", c.created}, {"completed", c.completed}};
  }
  for (const LatencyResult& s : r.spans) {
    spans[s.name] = latency_json(s);
    spans[s.name]["class"] = s.class_name;
  }
  j["latency_us"] = lat;
  j["wait_us"] = wait;
  j["span_latency_us"] = spans;
  j["classes"] = per_class;
  j["cpu"] = {{"utilization", r.cpu_utilization}, {"busy", r.cpu_busy}, {"busy_total", r.cpu_busy_total()},
              {"goroutines", r.cpu_utilization}, {"runtime", r.cpu_runtime}, {"spinning", r.cpu_spinning},
              {"other_processes", r.cpu_other}};
  j["counters"] = r.model_counters;
  j["outcome"] = {{"status", outcome_name(r.outcome.status)}, {"detail", r.outcome.detail}};
  return j;
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string latency_csv(const RunResult& r) {
  std::ostringstream os;
  os << "kind,name,class,low_ns,high_ns,count\n";
  auto emit = [&](const char* kind, const LatencyResult& l) {
    const std::string name = csv_quote(l.name), cls = csv_quote(l.class_name);
    for (const auto& b : l.latency.buckets()) os << kind << ',' << name << ',' << cls << ',' << b.low << ',' << b.high << ',' << b.count << '\n';
  };
  for (const ClassResult& c : r.classes) emit("latency", c.latency);
  for (const ClassResult& c : r.classes) emit("wait", c.wait);
  for (const LatencyResult& s : r.spans) emit("span", s);
  return os.str();
}

std::string timeseries_csv(const RunResult& r) {
  std::ostringstream os;
  os << std::setprecision(10);
  for (std::size_t c = 0; c < r.timeseries.columns.size(); ++c) os << (c ? "," : "") << r.timeseries.columns[c];
  os << '\n';
  for (std::size_t row = 0; row < r.timeseries.rows(); ++row) {
    for (std::size_t c = 0; c < r.timeseries.columns.size(); ++c) os << (c ? "," : "") << r.timeseries.data[c][row];
    os << '\n';
  }
  return os.str();
}

void write_outputs(const RunResult& r, const std::string& dir) {
  namespace fs = std::filesystem;
  // Build every file in memory first: nothing is written unless all of it could be produced.
  const std::string summary = summary_json(r).dump(2) + "\n";
  const std::string latency = latency_csv(r);
  const std::string series = timeseries_csv(r);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw ScenarioError("--out", "cannot create directory \"" + dir + "\": " + ec.message());
  std::vector<std::unique_ptr<AtomicFile>> files;
  auto add = [&](const char* name, const std::string& content) {
    files.push_back(std::make_unique<AtomicFile>(fs::path(dir) / name, "--out"));
    files.back()->stream() << content;
  };
  add("latency.csv", latency);
  add("timeseries.csv", series);
  if (!r.schedtrace.empty()) {
    std::string trace;
    for (const std::string& line : r.schedtrace) trace += line;
    add("schedtrace.txt", trace);
  }
  if (!r.gctrace.empty()) {
    std::string trace;
    for (const std::string& line : r.gctrace) trace += line;
    add("gctrace.txt", trace);
  }
  add("summary.json", summary);  // last: its presence means complete
  std::vector<AtomicFile*> set;
  for (auto& f : files) set.push_back(f.get());
  commit_all(set);
}

void print_report(const RunResult& r, std::ostream& os) {
  const auto flags = os.flags();
  os << std::fixed;
  os << "gmpsim " << gmpsim_version() << "  model " << r.model << " (" << r.version << ")  seed " << r.seed << "\n";
  os << "simulated " << std::setprecision(3) << sim::to_seconds(r.simulated_ns) << " s (measured window "
     << sim::to_seconds(r.window_ns) << " s) in " << r.wall_s << " s wall, " << r.events << " events ("
     << std::setprecision(2) << (r.wall_s > 0 ? static_cast<double>(r.events) / r.wall_s / 1e6 : 0.0) << " M/s)\n";
  os << "outcome: " << outcome_name(r.outcome.status) << (r.outcome.detail.empty() ? "" : " (" + r.outcome.detail + ")") << "\n";
  os << "goroutines: created " << r.goroutines_created << ", completed in window " << r.goroutines_completed
     << ", peak live " << r.goroutines_peak_live << ", mean live " << std::setprecision(2) << r.mean_live << "\n";
  os << "throughput " << std::setprecision(1) << r.throughput_per_s << "/s, CPU busy " << 100 * r.cpu_busy_total()
     << " % (goroutines " << 100 * r.cpu_utilization << " %, runtime " << 100 * r.cpu_runtime << " %, spinning "
     << 100 * r.cpu_spinning << " %)";
  if (r.cpu_other > 0) os << ", other processes " << 100 * r.cpu_other << " %";
  os << "\n";
  // The kernel's memory, when it did more than hand out pages (models/kernel/mm.h): the reason behind a
  // vm.* setting's effect.
  if (r.model_counters.contains("memory") && r.model_counters["memory"].contains("kernel")) {
    const Json& k = r.model_counters["memory"]["kernel"];
    const auto n = [&](const char* key) { return k.contains(key) ? k[key].get<double>() : 0.0; };
    if (n("major_faults") + n("swap_out_bytes") + n("direct_reclaim_stalls") + n("kswapd_cpu_s") + n("dirty_throttled") +
            n("oom_kills") + n("file_read_misses") > 0) {
      os << "memory: RSS peak " << std::setprecision(1) << n("rss_peak_bytes") / 1048576 << " MiB, major faults "
         << std::setprecision(0) << n("major_faults") << ", swapped out " << std::setprecision(1) << n("swap_out_bytes") / 1048576
         << " MiB, direct reclaim stalls " << std::setprecision(0) << n("direct_reclaim_stalls") << ", kswapd CPU "
         << std::setprecision(3) << n("kswapd_cpu_s") << " s, file reads from disk " << std::setprecision(0)
         << n("file_read_misses") << ", dirty-throttled writes " << n("dirty_throttled") << "\n";
    }
  }
  // NUMA (models/kernel/numa.h): where memory was and what remote access cost.
  if (r.model_counters.contains("numa")) {
    const Json& k = r.model_counters["numa"];
    const kernel::NumaTotals t = kernel::numa_totals(k);
    os << "numa: " << k["nodes"].get<int>() << " node(s), heap by node";
    for (const Json& b : k["heap_bytes_by_node"]) os << " " << std::setprecision(0) << b.get<double>() / 1048576 << " MiB";
    os << "; memory-bound time " << std::setprecision(3) << t.memory_s << " s, " << std::setprecision(1)
       << (t.memory_s > 0 ? 100 * t.remote_s / t.memory_s : 0.0) << " % remote (+" << std::setprecision(3) << t.remote_extra_s
       << " s), bandwidth waits +" << t.bandwidth_extra_s << " s; cross-node steals " << k["cross_node_steals"].get<std::uint64_t>();
    if (k.contains("balancing")) os << "; NUMA balancing migrated " << k["balancing"]["pages_migrated"].get<std::uint64_t>() << " pages";
    os << "\n";
  }
  os << "\n";
  os << std::left << std::setw(22) << "latency (us)" << std::right << std::setw(10) << "count" << std::setw(11) << "mean"
     << std::setw(11) << "p50" << std::setw(11) << "p90" << std::setw(11) << "p99" << std::setw(11) << "p99.9"
     << std::setw(11) << "max" << "\n";
  auto row = [&](const std::string& label, const LatencyResult& l) {
    const sim::LogHistogram& h = l.latency;
    os << std::left << std::setw(22) << label << std::right << std::setw(10) << h.count() << std::setprecision(1)
       << std::setw(11) << us(h.mean()) << std::setw(11) << us(static_cast<double>(h.percentile(0.5))) << std::setw(11)
       << us(static_cast<double>(h.percentile(0.9))) << std::setw(11) << us(static_cast<double>(h.percentile(0.99)))
       << std::setw(11) << us(static_cast<double>(h.percentile(0.999))) << std::setw(11) << us(static_cast<double>(h.max())) << "\n";
  };
  for (const ClassResult& c : r.classes) {
    if (c.latency.latency.count() == 0 && c.created == 0) continue;
    row(c.latency.name, c.latency);
    row("  wait (runnable)", c.wait);
  }
  for (const LatencyResult& s : r.spans) row("span " + s.name, s);
  os.flags(flags);
}

}  // namespace gmpsim::models

namespace gmpsim::models {

const char* trace_kind_name(std::uint32_t kind) {
  switch (kind) {
    case kTraceGoCreate: return "GoCreate";
    case kTraceGoStart: return "GoStart";
    case kTraceGoEnd: return "GoEnd";
    case kTraceGoPark: return "GoPark";
    case kTraceGoUnpark: return "GoUnpark";
    case kTraceAcceptEmfile: return "AcceptEMFILE";
  }
  return "?";
}

CsvTraceWriter::CsvTraceWriter(std::ostream& out, const Scenario& sc) : out_(out), cpu_ids_(sc.machine.cpus) {
  for (const GoroutineClass& c : sc.workload.classes) class_names_.push_back(c.name);
  out_ << "t_ns,event,g,class,cpu\n";
}

void CsvTraceWriter::on_trace(const sim::TraceRecord& r) {
  if (r.kind >= kTraceDetailFirst) return;  // scheduler detail (the Perfetto writer's): other fields
  out_ << r.time << ',' << trace_kind_name(r.kind) << ',' << r.a << ',' << class_names_[r.b] << ',';
  if (r.kind == kTraceGoStart) out_ << cpu_ids_[r.c];
  out_ << '\n';
}

}  // namespace gmpsim::models
