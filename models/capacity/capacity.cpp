#include "models/capacity/capacity.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <iomanip>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "models/output/output.h"
#include "models/registry.h"
#include "models/input/errors.h"
#include "models/input/units.h"
#include "models/kernel/numa.h"
#include "sim/stats.h"

namespace gmpsim::models {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// A CPU utilization at or above this, on a probe that misses its SLO, names the CPU as the resource that
// ran out (the queue grew because the CPUs were saturated) rather than the latency tail alone.
constexpr double kSaturatedCpu = 0.95;
// Completions this many standard deviations (of the Poisson arrival count) short of what a stable system
// completes fail a probe for throughput.
constexpr double kServedSigmas = 4;
// The collector's share of the program's busy CPU past which a failed SLO is put down to it.
constexpr double kGcDominant = 0.5;
// A failing probe is limited by memory bandwidth when waiting for oversubscribed memory (NUMA bandwidth
// queueing, models/kernel/numa.h) takes at least this share of the program's busy CPU: the lever is data
// placement or fewer memory-bound threads per node, not more CPUs.
constexpr double kBandwidthDominant = 0.2;

}  // namespace

Slo parse_slo(std::string_view text) {
  const std::string t = trim(text);
  const auto lt = t.find('<');
  const std::string hint = "; write STAT<DURATION, e.g. p99<50ms or mean<2ms (STAT: mean, p50, p90, p99, p999)";
  if (lt == std::string::npos) throw ScenarioError("--slo", "\"" + t + "\" has no '<'" + hint);
  Slo s;
  s.text = t;
  s.stat = trim(t.substr(0, lt));
  std::string bound = trim(t.substr(lt + 1));
  if (!bound.empty() && bound[0] == '=') bound = trim(bound.substr(1));  // "<=" reads as "<"
  if (s.stat == "mean") {
    s.quantile = -1;
  } else if (s.stat.size() >= 2 && s.stat[0] == 'p' &&
             s.stat.find_first_not_of("0123456789.", 1) == std::string::npos) {
    const std::string digits = s.stat.substr(1);
    double q = 0;
    if (digits.find('.') != std::string::npos) {
      q = std::strtod(digits.c_str(), nullptr) / 100.0;  // p99.9
    } else if (digits.size() <= 2) {
      q = std::strtod(digits.c_str(), nullptr) / 100.0;  // p50, p99
    } else {
      q = std::strtod(("0." + digits).c_str(), nullptr);  // p999 = 0.999, p9999
    }
    if (!(q > 0 && q < 1)) throw ScenarioError("--slo", "\"" + s.stat + "\" is not a percentile in (0, 100)" + hint);
    s.quantile = q;
  } else {
    throw ScenarioError("--slo", "unknown statistic \"" + s.stat + "\"" + hint);
  }
  try {
    s.bound_ns = parse_duration(bound);
  } catch (const UnitError& e) {
    throw ScenarioError("--slo", "bound \"" + bound + "\": " + e.what() + hint);
  }
  if (s.bound_ns <= 0) throw ScenarioError("--slo", "the bound must be positive" + hint);
  return s;
}

namespace {

// The varied parameter's value: a number and the unit written after it ("3200/s" -> 3200, "/s").
struct Quantity {
  double number = 0;
  std::string unit;
  bool integer = false;
  std::string text(double x) const {
    if (integer) return std::to_string(static_cast<std::int64_t>(std::llround(x))) + unit;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", x);
    return buf + unit;
  }
  double snap(double x) const {  // the value a probe actually runs with (its text, read back)
    return integer ? std::round(x) : std::strtod(text(x).c_str(), nullptr);
  }
};

const Json* walk(const Json& root, const std::string& key) {
  const Json* cur = &root;
  std::size_t pos = 0;
  while (pos <= key.size()) {
    const auto dot = key.find('.', pos);
    const std::string seg = key.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (cur->is_object() && cur->contains(seg)) {
      cur = &(*cur)[seg];
    } else if (cur->is_array() && !seg.empty() && seg.size() <= 9 && seg.find_first_not_of("0123456789") == std::string::npos &&
               std::stoul(seg) < cur->size()) {
      cur = &(*cur)[std::stoul(seg)];
    } else {
      return nullptr;
    }
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return cur;
}

Quantity read_quantity(const Scenario& sc, const std::string& key) {
  const Json resolved = sc.resolved_json();
  const Json* v = walk(resolved, key);
  if (v == nullptr) {
    throw ScenarioError("--vary", "no key \"" + key + "\" in the scenario; `gmpsim check SCENARIO` prints every key");
  }
  Quantity q;
  if (v->is_number_integer()) {
    q.number = v->get<double>();
    q.integer = true;
  } else if (v->is_number()) {
    q.number = v->get<double>();
  } else if (v->is_string()) {
    const std::string s = v->get<std::string>();
    char* end = nullptr;
    q.number = std::strtod(s.c_str(), &end);
    if (end == s.c_str()) throw ScenarioError("--vary", key + " is \"" + s + "\", not a number or a quantity such as 3200/s");
    q.unit = trim(end);
  } else {
    throw ScenarioError("--vary", key + " is " + v->dump() + ", not a number or a quantity such as 3200/s");
  }
  if (!(q.number > 0)) throw ScenarioError("--vary", key + " is " + v->dump() + "; the search starts from a positive value");
  return q;
}

bool open_loop(Arrivals::Process p) {
  return p == Arrivals::Process::kPoisson || p == Arrivals::Process::kConstant || p == Arrivals::Process::kOnOff ||
         p == Arrivals::Process::kClosed;
}

std::string class_list(const Workload& wl) {
  std::string s;
  for (const GoroutineClass& c : wl.classes) s += (s.empty() ? "" : ", ") + c.name;
  return s;
}

std::string resource_of(OutcomeStatus s) {
  switch (s) {
    case OutcomeStatus::kOutOfMemory:
    case OutcomeStatus::kOomKilled: return "memory";
    case OutcomeStatus::kTooManyOpenFiles: return "file descriptors";
    case OutcomeStatus::kThreadExhaustion: return "threads";
    case OutcomeStatus::kSimMemoryLimit: return "simulator memory (run.max_memory)";
    default: return outcome_name(s);
  }
}

// One replication's figures.
struct Rep {
  OutcomeStatus status = OutcomeStatus::kCompleted;
  std::string detail;
  bool has_metric = false;
  double metric_ns = 0;
  double cpu = 0, mean_live = 0, throughput = 0;
  // The class's completions in the measured window, the window, and their mean latency (for the served-load check).
  double completed = 0, window_s = 0, mean_latency_s = 0;
  std::uint64_t peak_live = 0;
  std::optional<std::int64_t> memory, threads;
  Json components = Json::object();  // memory components in bytes, by name
  // The collector (go model): its share of the program's busy CPU, and the last heap goal.
  double cpu_total = 0, gc_share = 0;
  std::optional<std::int64_t> heap_goal;
  double bw_share = 0;  // NUMA: bandwidth waits' share of the program's busy CPU
};

struct Probe {
  double x = 0;
  std::string text;
  std::vector<Rep> reps;
  bool pass = false, uncertain = false;
  std::string reason, detail;
  double mean = std::numeric_limits<double>::quiet_NaN(), half = std::numeric_limits<double>::quiet_NaN();
};

class Search {
 public:
  Search(const ScenarioSource& src, const CapacityOptions& o) : src_(src), o_(o) { setup(); }

  Json run() {
    double lo = 0, hi = 0;
    bool have_lo = false, have_hi = false;
    const double x0 = q_.snap(q_.number);
    Probe& first = probe(x0);
    if (first.pass) {
      lo = x0, have_lo = true;
      for (double x = q_.snap(std::min(x0 * 2, upper_)); probes_.size() < static_cast<std::size_t>(o_.max_probes) && !at_upper_;
           x = q_.snap(std::min(x * 2, upper_))) {
        at_upper_ = x >= upper_;
        if (probe(x).pass) {
          lo = x;
        } else {
          hi = x, have_hi = true;
          break;
        }
      }
    } else {
      hi = x0, have_hi = true;
      const double floor = q_.integer ? 1 : x0 * std::ldexp(1.0, -30);
      for (double x = q_.snap(x0 / 2); x >= floor && x < hi && probes_.size() < static_cast<std::size_t>(o_.max_probes);
           x = q_.snap(x / 2)) {
        const Probe& p = probe(x);
        if (p.pass) {
          lo = x, have_lo = true;
          break;
        }
        hi = x;
        // A load so low that nothing of the class finished in the window: lower ones cannot be measured either.
        if (o_.slo && std::none_of(p.reps.begin(), p.reps.end(), [](const Rep& r) { return r.has_metric; })) break;
      }
    }
    auto narrow_enough = [&] {
      if (q_.integer && hi - lo <= 1) return true;
      return hi - lo <= o_.precision * lo;
    };
    while (have_lo && have_hi && !narrow_enough() && probes_.size() < static_cast<std::size_t>(o_.max_probes)) {
      const double mid = q_.snap(q_.integer ? std::floor((lo + hi) / 2) : (lo + hi) / 2);
      if (mid <= lo || mid >= hi) break;
      (probe(mid).pass ? lo : hi) = mid;
    }
    return report(have_lo, lo, have_hi, hi, have_lo && have_hi && narrow_enough());
  }

 private:
  void setup() {
    const Scenario base = src_.load();
    model_ = base.runtime.model;
    version_ = base.runtime.version;
    source_ = base.source;
    master_ = o_.seed.value_or(base.run.seed);
    memory_limit_ = o_.memory_limit > 0 ? o_.memory_limit : base.machine.memory_bytes;
    if (!(o_.precision > 0 && o_.precision < 1)) throw ScenarioError("--precision", "must be in (0, 1), e.g. 0.02");
    if (!(o_.confidence > 0 && o_.confidence < 1)) throw ScenarioError("--confidence", "must be in (0, 1), e.g. 0.95");
    if (o_.min_replications < 2 && o_.slo) throw ScenarioError("--replications", "at least 2 for a confidence interval");
    if (o_.max_replications < o_.min_replications) throw ScenarioError("--max-replications", "must be at least --replications");
    if (o_.max_probes < 2) throw ScenarioError("--max-probes", "must be at least 2");
    if (o_.mode == CapacityMode::kLoad && !o_.slo) throw ScenarioError("--slo", "required to search for a load, e.g. --slo 'p99<50ms'");
    const Workload& wl = base.workload;
    if (!o_.class_name.empty() && wl.find_class(o_.class_name) < 0) {
      throw ScenarioError("--class", "no class \"" + o_.class_name + "\" in the scenario (classes: " + class_list(wl) + ")");
    }
    vary_ = o_.vary;
    if (vary_.empty()) vary_ = default_vary(wl);
    q_ = read_quantity(base, vary_);
    cls_ = o_.class_name;
    const std::string prefix = "workload.classes.";
    if (cls_.empty() && vary_.rfind(prefix, 0) == 0) {
      const std::string rest = vary_.substr(prefix.size());
      const std::string name = rest.substr(0, rest.find('.'));
      if (wl.find_class(name) >= 0 && (o_.mode == CapacityMode::kLoad ? open_loop(wl.classes[wl.find_class(name)].arrivals.process) : true)) cls_ = name;
    }
    if (cls_.empty()) {
      for (const GoroutineClass& c : wl.classes) {
        if (open_loop(c.arrivals.process)) {
          cls_ = c.name;
          break;
        }
      }
    }
    if (cls_.empty()) cls_ = wl.classes.front().name;
    if (const int ci = wl.find_class(cls_); ci >= 0 && vary_ == "workload.classes." + cls_ + ".arrivals.rate") {
      const Arrivals::Process pr = wl.classes[static_cast<std::size_t>(ci)].arrivals.process;
      offered_is_rate_ = pr == Arrivals::Process::kPoisson || pr == Arrivals::Process::kConstant;  // onoff's rate is its peak
    }
    // Doubling stops at the largest value the key allows (an SLO that holds at every load the model can
    // take would otherwise double until the host runs out of memory).
    if (const ParamSpec* spec = find_param(key_pattern(vary_)); spec != nullptr && spec->max < 1e299) upper_ = spec->max;
  }

  std::string default_vary(const Workload& wl) const {
    const GoroutineClass* pick = nullptr;
    for (const GoroutineClass& c : wl.classes) {
      const bool fits = o_.mode == CapacityMode::kLoad ? open_loop(c.arrivals.process) : c.arrivals.process == Arrivals::Process::kInitial;
      if ((o_.class_name.empty() && fits) || c.name == o_.class_name) {
        pick = &c;
        break;
      }
    }
    const std::string how = o_.mode == CapacityMode::kLoad ? "an open-loop arrival process (poisson, constant, onoff, closed)"
                                                           : "arrivals.process: initial (a population)";
    if (pick == nullptr) throw ScenarioError("--vary", "no class has " + how + "; name the parameter to vary with --vary KEY");
    const std::string key = "workload.classes." + pick->name + ".arrivals.";
    switch (pick->arrivals.process) {
      case Arrivals::Process::kPoisson:
      case Arrivals::Process::kConstant:
      case Arrivals::Process::kOnOff: return key + "rate";
      case Arrivals::Process::kClosed: return key + "clients";
      case Arrivals::Process::kInitial: return key + "count";
      case Arrivals::Process::kTrace:
        throw ScenarioError("--class", "class \"" + pick->name + "\" replays a recorded trace, which has no rate to vary; name the parameter to vary with --vary KEY");
      default: break;
    }
    throw ScenarioError("--class", "class \"" + pick->name + "\" has no arrivals of its own (only spawned); name the parameter to vary with --vary KEY");
  }

  Rep run_rep(const std::string& text, int r) const {
    const std::uint64_t seed = point_seed(master_, {}, static_cast<std::uint64_t>(r));
    const Scenario sc = src_.load({{vary_, text}, {"run.seed", std::to_string(seed)}});
    const RunResult res = run_scenario(sc);
    Rep rep;
    rep.status = res.outcome.status;
    rep.detail = res.outcome.detail;
    rep.cpu = res.cpu_utilization;
    rep.cpu_total = res.cpu_busy_total();
    rep.mean_live = res.mean_live;
    rep.peak_live = res.goroutines_peak_live;
    rep.throughput = res.throughput_per_s;
    for (const ClassResult& c : res.classes) {
      if (c.latency.name == cls_) {
        rep.completed = static_cast<double>(c.completed);
        rep.window_s = sim::to_seconds(res.window_ns);
        rep.mean_latency_s = c.latency.latency.count() > 0 ? c.latency.latency.mean() * 1e-9 : 0;
      }
      if (c.latency.name != cls_ || c.latency.latency.count() == 0) continue;
      const sim::LogHistogram& h = c.latency.latency;
      rep.has_metric = true;
      rep.metric_ns = o_.slo && o_.slo->quantile > 0 ? static_cast<double>(h.percentile(o_.slo->quantile)) : h.mean();
    }
    const Json& c = res.model_counters;
    if (c.contains("gc")) {
      const Json& gc = c["gc"];
      double gc_s = 0;
      for (const auto& [k, v] : gc["cpu_s"].items()) gc_s += v.get<double>();
      const double machine_s = static_cast<double>(res.cpu_busy.size()) * sim::to_seconds(res.simulated_ns);
      if (machine_s > 0 && rep.cpu_total > 0) rep.gc_share = gc_s / machine_s / rep.cpu_total;
      if (gc["heap_goal_bytes"].is_number()) rep.heap_goal = gc["heap_goal_bytes"].get<std::int64_t>();
    }
    if (c.contains("threads_created")) rep.threads = c["threads_created"].get<std::int64_t>();
    if (c.contains("numa")) {
      const double wait_s = kernel::numa_totals(c["numa"]).bandwidth_extra_s;
      const double machine_s = static_cast<double>(res.cpu_busy.size()) * sim::to_seconds(res.simulated_ns);
      if (machine_s > 0 && rep.cpu_total > 0) rep.bw_share = wait_s / machine_s / rep.cpu_total;
    }
    if (c.contains("memory") && c["memory"].contains("peak_bytes")) {
      std::int64_t mem = c["memory"]["peak_bytes"].get<std::int64_t>();
      bool heap_counted = false;
      for (const auto& [k, v] : c["memory"].items()) {
        const std::string suffix = "_bytes";
        if (!v.is_number() || k == "peak_bytes" || k.size() <= suffix.size() || k.compare(k.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        rep.components[k.substr(0, k.size() - suffix.size())] = v;
        if (k.find("heap") != std::string::npos) heap_counted = true;
      }
      // A model without a collector (fifo, boost-fiber-ws: C++ frees explicitly) reports only the bytes its
      // alloc steps took: count them all as live. The go model's peak already holds its heap.
      if (o_.mode == CapacityMode::kGoroutines && !heap_counted && c.contains("allocated_bytes")) {
        const std::int64_t heap = c["allocated_bytes"].get<std::int64_t>();
        rep.components["heap"] = heap;
        mem += heap;
      }
      rep.memory = mem;
    }
    return rep;
  }

  // Runs replications [from, to) of a probe on up to `jobs` threads; their order is fixed by index.
  void add_reps(Probe& p, int to) {
    const int from = static_cast<int>(p.reps.size());
    p.reps.resize(static_cast<std::size_t>(to));
    std::atomic<int> next{from};
    std::exception_ptr failure;
    std::mutex m;
    auto worker = [&] {
      for (int r; (r = next.fetch_add(1)) < to;) {
        try {
          p.reps[static_cast<std::size_t>(r)] = run_rep(p.text, r);
        } catch (...) {
          std::lock_guard<std::mutex> lock(m);
          if (!failure) failure = std::current_exception();
        }
      }
    };
    const unsigned threads = std::max(1u, std::min<unsigned>(o_.jobs, static_cast<unsigned>(to - from)));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
  }

  Probe& probe(double x) {
    probes_.push_back({});
    Probe& p = probes_.back();
    p.x = x;
    p.text = q_.text(x);
    int want = o_.slo ? o_.min_replications : 1;  // without an SLO only outcome and memory decide
    while (true) {
      add_reps(p, want);
      if (decide(p, want >= o_.max_replications || !o_.slo)) break;
      want = std::min(o_.max_replications, want * 2);
    }
    if (o_.mode == CapacityMode::kGoroutines && !p.reps.front().memory) {
      throw ScenarioError("--mode", "goroutines mode needs a model that reports its runtime memory "
                                    "(counters.memory.peak_bytes), e.g. runtime.model: go; model " + model_ + " does not");
    }
    return p;
  }

  // Sets the verdict; false when the replications so far cannot decide at the confidence level.
  bool decide(Probe& p, bool last) const {
    for (const Rep& r : p.reps) {
      if (r.status != OutcomeStatus::kCompleted) {
        p.pass = false;
        p.reason = resource_of(r.status);
        p.detail = std::string(outcome_name(r.status)) + ": " + r.detail;
        return true;
      }
    }
    std::optional<std::int64_t> mem;
    for (const Rep& r : p.reps) {
      if (r.memory) mem = std::max(mem.value_or(0), *r.memory);
    }
    if (mem && *mem > memory_limit_) {
      p.pass = false;
      p.reason = "memory";
      p.detail = "runtime memory " + format_bytes(*mem) + " over the limit " + format_bytes(memory_limit_);
      std::optional<std::int64_t> goal;
      for (const Rep& r : p.reps) {
        if (r.heap_goal) goal = std::max(goal.value_or(0), *r.heap_goal);
      }
      if (goal && *goal > memory_limit_) p.detail += "; heap goal " + format_bytes(*goal) + " exceeds the limit";
      return true;
    }
    // An open-loop rate the machine cannot serve: the backlog grows without bound while the requests that
    // do finish may still look fast, so the SLO alone would pass it. A stable system completes the
    // arrivals of the window but those of its last mean latency, x (W - L); a Poisson count's noise is
    // sqrt(x W), and kServedSigmas of it are allowed.
    if (offered_is_rate_) {
      double completed = 0, expected = 0, variance = 0;
      for (const Rep& r : p.reps) {
        completed += r.completed;
        expected += p.x * std::max(0.0, r.window_s - r.mean_latency_s);
        variance += p.x * r.window_s;
      }
      if (completed < expected - kServedSigmas * std::sqrt(variance)) {
        double window = 0;
        for (const Rep& r : p.reps) window += r.window_s;
        p.pass = false;
        p.reason = "throughput";
        std::ostringstream os;
        os << "served " << std::setprecision(5) << completed / window << "/s of the " << p.text
           << " offered: the backlog grows, so the latency of the requests that finished understates it";
        p.detail = os.str();
        return true;
      }
    }
    if (!o_.slo) {
      p.pass = true;
      return true;
    }
    sim::RunningStats st;
    for (const Rep& r : p.reps) {
      if (!r.has_metric) {
        p.pass = false;
        p.reason = "latency";
        p.detail = "no goroutine of class " + cls_ + " completed in the measured window";
        return true;
      }
      st.add(r.metric_ns);
    }
    const double n = static_cast<double>(st.count());
    p.mean = st.mean();
    p.half = sim::student_t_quantile(0.5 + o_.confidence / 2, n - 1) * st.stddev() / std::sqrt(n);
    const double bound = static_cast<double>(o_.slo->bound_ns);
    const bool surely_below = p.mean + p.half < bound, surely_above = p.mean - p.half >= bound;
    if (!surely_below && !surely_above && !last) return false;
    p.uncertain = !surely_below && !surely_above;
    p.pass = surely_below || (p.uncertain && p.mean < bound);
    if (!p.pass) {
      double cpu = 0, total = 0, gc = 0, bw = 0;
      for (const Rep& r : p.reps) cpu += r.cpu / n, total += r.cpu_total / n, gc += r.gc_share / n, bw += r.bw_share / n;
      p.reason = cpu >= kSaturatedCpu ? "cpu" : "latency";
      // The collector uses more of the CPU than the program itself: GOGC, GOMEMLIMIT, the live heap or the
      // allocation rate is the lever, not more CPUs alone.
      if (gc >= kGcDominant) p.reason = "gc-cpu";
      else if (bw >= kBandwidthDominant) p.reason = "memory-bandwidth";
      std::ostringstream os;
      os << o_.slo->stat << " " << std::setprecision(4) << p.mean / 1e6;
      if (std::isfinite(p.half)) os << " ± " << std::setprecision(2) << p.half / 1e6;
      os << " ms over " << format_duration(o_.slo->bound_ns);
      if (p.reason == "cpu") os << " with the CPUs saturated (utilization " << std::setprecision(3) << cpu * 100 << " %)";
      if (p.reason == "memory-bandwidth") {
        os << " with " << std::setprecision(3) << bw * 100 << " % of the program's CPU time waiting for oversubscribed "
           << "memory bandwidth (counters.numa)";
      }
      if (p.reason == "gc-cpu") {
        os << " with the GC taking " << std::setprecision(3) << gc * 100 << " % of the program's CPU (utilization "
           << std::setprecision(3) << total * 100 << " %)";
      }
      p.detail = os.str();
    }
    return true;
  }

  Json probe_json(const Probe& p, std::size_t index) const {
    Json j = Json::object();
    j["probe"] = index + 1;
    j["value"] = p.x;
    j["value_text"] = p.text;
    j["replications"] = p.reps.size();
    j["verdict"] = p.pass ? "pass" : "fail";
    j["uncertain"] = p.uncertain;
    j["reason"] = p.reason;
    j["detail"] = p.detail;
    const double n = static_cast<double>(p.reps.size());
    double cpu = 0, live = 0, thr = 0, total = 0, gc = 0;
    std::uint64_t peak = 0;
    std::optional<std::int64_t> mem, threads;
    for (const Rep& r : p.reps) {
      cpu += r.cpu / n, live += r.mean_live / n, thr += r.throughput / n, total += r.cpu_total / n, gc += r.gc_share / n;
      peak = std::max(peak, r.peak_live);
      if (r.memory) mem = std::max(mem.value_or(0), *r.memory);
      if (r.threads) threads = std::max(threads.value_or(0), *r.threads);
    }
    auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
    j["stat_us"] = num(p.mean / 1000);
    j["stat_ci_half_us"] = num(p.half / 1000);
    j["cpu_utilization"] = cpu;
    j["cpu_busy_total"] = total;  // goroutines, the runtime (the collector's workers included) and spinning
    j["gc_cpu_share"] = gc;       // the collector's part of that
    j["throughput_per_s"] = thr;
    j["mean_live"] = live;
    j["peak_live"] = peak;
    j["threads"] = threads ? Json(*threads) : Json(nullptr);
    j["memory_bytes"] = mem ? Json(*mem) : Json(nullptr);
    return j;
  }

  // Bytes per live goroutine of each memory component: the slope between the answer's probe and the
  // passing probe with the smallest population (so fixed costs such as threads fall out), or the plain
  // ratio when there is only one.
  Json breakdown(const Probe& at) const {
    const Rep& a = at.reps.front();
    if (!a.memory) return nullptr;
    const Rep* ref = nullptr;
    for (const Probe& p : probes_) {
      if (p.pass && !p.reps.empty() && p.reps.front().memory && p.reps.front().peak_live < a.peak_live &&
          (ref == nullptr || p.reps.front().peak_live < ref->peak_live)) {
        ref = &p.reps.front();
      }
    }
    Json per = Json::object();
    double total = 0;
    const double dlive = ref ? static_cast<double>(a.peak_live - ref->peak_live) : static_cast<double>(a.peak_live);
    for (const auto& [k, v] : a.components.items()) {
      double dv = v.get<double>();
      if (ref && ref->components.contains(k)) dv -= ref->components[k].get<double>();
      const double b = dlive > 0 ? dv / dlive : 0;
      per[k] = b;
      total += b;
    }
    Json j = Json::object();
    j["live_goroutines"] = a.peak_live;
    j["components_bytes"] = a.components;
    j["memory_bytes"] = *a.memory;
    j["per_goroutine_bytes"] = per;
    j["per_goroutine_total_bytes"] = total;
    j["fixed_bytes"] = static_cast<double>(*a.memory) - total * static_cast<double>(a.peak_live);
    j["method"] = ref ? "slope between " + std::to_string(ref->peak_live) + " and " + std::to_string(a.peak_live) + " live goroutines"
                      : "ratio at " + std::to_string(a.peak_live) + " live goroutines";
    return j;
  }

  Json report(bool have_lo, double lo, bool have_hi, double hi, bool precise) const {
    Json j = Json::object();
    j["scenario"] = source_;
    j["model"] = model_;
    j["version"] = version_;
    j["seed"] = master_;
    j["mode"] = o_.mode == CapacityMode::kLoad ? "load" : "goroutines";
    j["vary"] = vary_;
    j["vary_unit"] = q_.unit;
    j["class"] = cls_;
    j["slo"] = o_.slo ? Json(o_.slo->text) : Json(nullptr);
    j["slo_stat"] = o_.slo ? Json(o_.slo->stat) : Json(nullptr);
    j["slo_bound_us"] = o_.slo ? Json(static_cast<double>(o_.slo->bound_ns) / 1000) : Json(nullptr);
    j["memory_limit_bytes"] = memory_limit_;
    j["precision"] = o_.precision;
    j["confidence"] = o_.confidence;
    j["replications"] = {{"min", o_.slo ? o_.min_replications : 1}, {"max", o_.slo ? o_.max_replications : 1}};
    j["found"] = have_lo;
    j["max_value"] = have_lo ? Json(lo) : Json(nullptr);
    j["max_value_text"] = have_lo ? Json(q_.text(lo)) : Json(nullptr);
    j["bracket"] = {{"low", have_lo ? Json(lo) : Json(nullptr)},
                    {"high", have_hi ? Json(hi) : Json(nullptr)},
                    {"relative_width", have_lo && have_hi ? Json((hi - lo) / lo) : Json(nullptr)}};
    j["precision_met"] = precise;
    const Probe* at = nullptr;
    const Probe* limit = nullptr;
    std::size_t at_index = 0;
    for (std::size_t i = 0; i < probes_.size(); ++i) {
      if (have_lo && probes_[i].x == lo) at = &probes_[i], at_index = i;
      if (have_hi && probes_[i].x == hi) limit = &probes_[i];
    }
    bool uncertain = false;
    for (const Probe& p : probes_) uncertain = uncertain || p.uncertain;
    j["uncertain_probes"] = uncertain;
    j["at_max"] = at ? probe_json(*at, at_index) : Json(nullptr);
    j["limited_by"] = limit ? Json(limit->reason) : Json("none");
    j["limit_detail"] = limit ? Json(limit->detail)
                        : at_upper_ ? Json("no probe failed up to " + q_.text(probes_.back().x) + ", the largest value " + vary_ + " allows")
                                    : Json("no probe failed up to " + q_.text(probes_.back().x) + " (--max-probes)");
    if (!have_lo) {
      // Nothing passed: name the lowest load that could be measured, and what it missed by.
      const Probe* lowest = nullptr;
      for (const Probe& p : probes_) {
        const bool measured = std::all_of(p.reps.begin(), p.reps.end(), [](const Rep& r) { return r.has_metric; });
        if ((measured || !o_.slo) && (lowest == nullptr || p.x < lowest->x)) lowest = &p;
      }
      if (lowest != nullptr) {
        j["limited_by"] = lowest->reason;
        j["limit_detail"] = "even the lowest load probed, " + lowest->text + ", misses the objectives: " + lowest->detail;
        j["limit_at"] = lowest->text;
      }
    }
    j["limit_at"] = limit ? Json(limit->text) : Json(nullptr);
    bool reported = false, collected = false;
    for (const Probe& p : probes_) {
      reported = reported || (!p.reps.empty() && p.reps.front().memory);
      collected = collected || (!p.reps.empty() && p.reps.front().heap_goal);
    }
    j["memory_note"] =
        !reported ? "model " + model_ + " reports no runtime memory, so the memory limit was not checked"
        : collected ? "memory = the model's runtime memory at its peak (counters.memory: g structs, stacks, sudogs, threads, and the "
                      "heap's resident pages: live objects, garbage not yet collected, memory not yet scavenged)"
        : o_.mode == CapacityMode::kGoroutines
            ? "memory = the model's runtime memory (counters.memory: g structs, stacks, sudogs, threads) plus the declared heap "
              "(alloc steps, all live: this runtime has no collector)"
            : "memory = the model's runtime memory (counters.memory: g structs, stacks, sudogs, threads); alloc steps are not "
              "counted (this runtime has no collector)";
    j["memory_breakdown"] = at ? breakdown(*at) : Json(nullptr);
    Json trace = Json::array();
    for (std::size_t i = 0; i < probes_.size(); ++i) trace.push_back(probe_json(probes_[i], i));
    j["trace"] = trace;
    return j;
  }

  const ScenarioSource& src_;
  const CapacityOptions& o_;
  std::string model_, version_, source_, vary_, cls_;
  std::uint64_t master_ = 0;
  std::int64_t memory_limit_ = 0;
  bool offered_is_rate_ = false;
  double upper_ = std::numeric_limits<double>::infinity();
  bool at_upper_ = false;
  Quantity q_;
  std::deque<Probe> probes_;  // stable addresses: probe() returns a reference
};

}  // namespace

Json capacity_search(const ScenarioSource& src, const CapacityOptions& options) { return Search(src, options).run(); }

namespace {

std::string fmt(double v, int digits = 4) {
  std::ostringstream os;
  os << std::setprecision(digits) << v;
  return os.str();
}

std::string bytes_text(const Json& v) {
  if (v.is_null()) return "-";
  const double b = v.get<double>();
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double x = b;
  while (std::fabs(x) >= 1024 && u < 4) x /= 1024, ++u;
  return fmt(x, 4) + " " + units[u];
}

std::string stat_text(const Json& p) {
  if (p["stat_us"].is_null()) return "-";
  std::string s = fmt(p["stat_us"].get<double>() / 1000, 4);
  if (!p["stat_ci_half_us"].is_null()) s += " ± " + fmt(p["stat_ci_half_us"].get<double>() / 1000, 2);
  return s;
}

}  // namespace

std::string capacity_report_text(const Json& r) {
  std::ostringstream os;
  const bool load = r["mode"] == "load";
  os << "gmpsim capacity  " << r["scenario"].get<std::string>() << "  model " << r["model"].get<std::string>() << " ("
     << r["version"].get<std::string>() << ")  seed " << r["seed"].get<std::uint64_t>() << "\n";
  os << (load ? "largest " : "largest population: ") << r["vary"].get<std::string>();
  os << " meeting";
  if (!r["slo"].is_null()) os << " " << r["slo"].get<std::string>() << " (class " << r["class"].get<std::string>() << ") and";
  os << " memory <= " << bytes_text(r["memory_limit_bytes"]) << "\n";
  if (!r["found"].get<bool>()) {
    os << "no value meets the objectives: " << r["limit_detail"].get<std::string>() << "\n";
  } else {
    const Json& b = r["bracket"];
    os << "\nmax " << (load ? "load" : "goroutines") << ": " << r["max_value_text"].get<std::string>();
    if (!b["high"].is_null()) {
      os << "   (fails at " << r["limit_at"].get<std::string>() << ": known within " << fmt(b["relative_width"].get<double>() * 100, 3)
         << " %, target " << fmt(r["precision"].get<double>() * 100, 3) << " %" << (r["precision_met"].get<bool>() ? "" : ", NOT met") << ")";
    }
    os << "\n";
    const Json& a = r["at_max"];
    if (!r["slo"].is_null()) {
      os << "  " << r["slo_stat"].get<std::string>() << " latency  " << stat_text(a) << " ms  (" << fmt(r["confidence"].get<double>() * 100, 3)
         << " % CI over " << a["replications"].get<int>() << " replications)\n";
    }
    os << "  CPU utilization  " << fmt(a["cpu_utilization"].get<double>() * 100, 3) << " %   throughput " << fmt(a["throughput_per_s"].get<double>(), 6)
       << "/s\n";
    if (a.contains("gc_cpu_share") && a["gc_cpu_share"].get<double>() > 0) {
      os << "  CPU busy total   " << fmt(a["cpu_busy_total"].get<double>() * 100, 3) << " %   (the GC "
         << fmt(a["gc_cpu_share"].get<double>() * 100, 3) << " % of it)\n";
    }
    os << "  live goroutines  mean " << fmt(a["mean_live"].get<double>(), 6) << ", peak " << a["peak_live"].get<std::uint64_t>() << "\n";
    os << "  threads          " << (a["threads"].is_null() ? "- (the model has none)" : std::to_string(a["threads"].get<std::int64_t>())) << "\n";
    os << "  memory           " << bytes_text(a["memory_bytes"]) << "\n";
  }
  os << "limited by: " << r["limited_by"].get<std::string>() << " (" << r["limit_detail"].get<std::string>() << ")\n";
  if (r["uncertain_probes"].get<bool>()) {
    os << "note: probes marked ~ stayed within the confidence interval of the bound after the most replications; their verdict is the point estimate's\n";
  }
  const Json& mb = r["memory_breakdown"];
  if (!mb.is_null()) {
    os << "\nbytes per goroutine (" << mb["method"].get<std::string>() << "):\n";
    for (const auto& [k, v] : mb["per_goroutine_bytes"].items()) os << "  " << std::left << std::setw(16) << k << std::right << fmt(v.get<double>(), 6) << "\n";
    os << "  " << std::left << std::setw(16) << "total" << std::right << fmt(mb["per_goroutine_total_bytes"].get<double>(), 6)
       << "   (plus " << bytes_text(mb["fixed_bytes"]) << " fixed)\n";
  }
  os << "memory: " << r["memory_note"].get<std::string>() << "\n";
  os << "\nsearch (" << r["trace"].size() << " probes, bracket then bisection):\n";
  os << "  #   " << std::left << std::setw(16) << "value" << std::right << std::setw(5) << "reps" << std::setw(22)
     << (r["slo"].is_null() ? std::string("-") : r["slo_stat"].get<std::string>() + " (ms)") << std::setw(8) << "cpu %" << std::setw(13)
     << "memory" << "  verdict\n";
  for (const Json& p : r["trace"]) {
    os << "  " << std::left << std::setw(4) << p["probe"].get<int>() << std::setw(16) << p["value_text"].get<std::string>() << std::right
       << std::setw(5) << p["replications"].get<int>() << std::setw(22) << stat_text(p) << std::setw(8)
       << fmt(p["cpu_utilization"].get<double>() * 100, 3) << std::setw(13) << bytes_text(p["memory_bytes"]) << "  "
       << (p["uncertain"].get<bool>() ? "~" : "") << p["verdict"].get<std::string>();
    if (p["verdict"] == "fail") os << " (" << p["reason"].get<std::string>() << ")";
    os << "\n";
  }
  return os.str();
}

std::string capacity_trace_csv(const Json& r) {
  std::vector<Json> rows(r["trace"].begin(), r["trace"].end());
  return sweep_csv(rows);
}

}  // namespace gmpsim::models
