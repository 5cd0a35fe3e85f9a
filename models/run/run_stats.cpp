#include "models/run/run_stats.h"

namespace gmpsim::models {

RunStats::RunStats(const Scenario& sc, std::size_t ncpu)
    : sc_(sc), warmup_(sc.run.warmup), classes_(sc.workload.classes.size()), spans_(sc.workload.spans.size()),
      busy_since_(ncpu, -1), busy_acc_(ncpu, 0), busy_at_warmup_(ncpu, 0), busy_at_sample_(ncpu, 0) {
  ts_.columns = {"t_s", "runnable", "running", "live"};
  for (std::size_t c = 0; c < ncpu; ++c) ts_.columns.push_back("cpu" + std::to_string(sc.machine.cpus[c]) + "_busy");
  ts_.data.resize(ts_.columns.size());
  live_.reset(0, 0);
  runnable_.reset(0, 0);
}

void RunStats::set_busy_source(std::function<sim::Time(std::size_t cpu, CpuUse use, sim::Time now)> source) {
  busy_source_ = std::move(source);
  if (split_at_ > 0) return;
  split_at_ = ts_.columns.size();
  for (const char* n : {"cpu_runtime", "cpu_spinning", "cpu_other"}) ts_.columns.push_back(n);
  ts_.data.resize(ts_.columns.size());
}

void RunStats::exited(std::uint16_t cls, sim::Time start, sim::Time now) {
  if (start < warmup_) return;
  PerClass& pc = classes_[cls];
  ++pc.completed;
  pc.latency.record(now - start);
  pc.latency_bm.add(static_cast<double>(now - start));
}

void RunStats::waited(std::uint16_t cls, sim::Time ready, sim::Time now) {
  if (ready < warmup_) return;
  PerClass& pc = classes_[cls];
  pc.wait.record(now - ready);
  pc.wait_bm.add(static_cast<double>(now - ready));
}

void RunStats::span_done(std::uint32_t span, sim::Time begin, sim::Time now) {
  if (begin < warmup_) return;
  spans_[span].latency.record(now - begin);
  spans_[span].bm.add(static_cast<double>(now - begin));
}

void RunStats::warmup_end(sim::Time now, std::size_t runnable, std::size_t running, std::uint64_t live) {
  (void)running;
  live_.reset(now, static_cast<double>(live));
  runnable_.reset(now, static_cast<double>(runnable));
  for (std::size_t c = 0; c < busy_acc_.size(); ++c) busy_at_warmup_[c] = busy_total(c, now);
  runtime_at_warmup_ = busy_all_cpus(CpuUse::kRuntime, now);
  spinning_at_warmup_ = busy_all_cpus(CpuUse::kSpinning, now);
  other_at_warmup_ = busy_all_cpus(CpuUse::kOther, now);
}

void RunStats::sample(sim::Time now, std::size_t runnable, std::size_t running) {
  const sim::Time interval = now - last_sample_;
  if (interval <= 0) return;
  ts_.data[0].push_back(sim::to_seconds(now));
  ts_.data[1].push_back(static_cast<double>(runnable));
  ts_.data[2].push_back(static_cast<double>(running));
  ts_.data[3].push_back(live_.value());
  for (std::size_t c = 0; c < busy_acc_.size(); ++c) {
    const sim::Time total = busy_total(c, now);
    ts_.data[4 + c].push_back(static_cast<double>(total - busy_at_sample_[c]) / static_cast<double>(interval));
    busy_at_sample_[c] = total;
  }
  if (split_at_ > 0) {
    const double cpu_interval = static_cast<double>(interval) * static_cast<double>(busy_acc_.size());
    const CpuUse uses[3] = {CpuUse::kRuntime, CpuUse::kSpinning, CpuUse::kOther};
    for (std::size_t u = 0; u < 3; ++u) {
      const sim::Time total = busy_all_cpus(uses[u], now);
      ts_.data[split_at_ + u].push_back(cpu_interval > 0 ? static_cast<double>(total - split_at_sample_[u]) / cpu_interval : 0.0);
      split_at_sample_[u] = total;
    }
  }
  for (const ExtraColumns& e : extra_) {
    extra_buf_.resize(e.count);
    e.fill(now, interval, extra_buf_.data());
    for (std::size_t i = 0; i < e.count; ++i) ts_.data[e.at + i].push_back(extra_buf_[i]);
  }
  last_sample_ = now;
}

RunResult RunStats::finish(sim::Time end, const GoroutineTable& gt, std::size_t runnable, std::size_t running) {
  RunResult r;
  r.model = sc_.runtime.model;
  r.version = sc_.runtime.version;
  r.seed = sc_.run.seed;
  r.scenario = sc_.resolved_json();
  r.scenario_origin = sc_.origin_json();
  r.simulated_ns = end;
  r.window_ns = end > warmup_ ? end - warmup_ : 0;
  const double window_s = sim::to_seconds(r.window_ns);
  const double level = sc_.run.confidence;

  r.goroutines_created = gt.created();
  r.goroutines_peak_live = gt.peak_live();
  r.sim_memory_bytes = gt.memory_bytes();
  std::uint64_t completed = 0;
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    PerClass& pc = classes_[c];
    ClassResult cr;
    cr.latency = {sc_.workload.classes[c].name, sc_.workload.classes[c].name, pc.latency, pc.latency_bm.interval(level)};
    cr.wait = {sc_.workload.classes[c].name, sc_.workload.classes[c].name, pc.wait, pc.wait_bm.interval(level)};
    cr.created = pc.created;
    cr.completed = pc.completed;
    completed += pc.completed;
    r.classes.push_back(std::move(cr));
  }
  r.goroutines_completed = completed;
  for (std::size_t s = 0; s < spans_.size(); ++s) {
    const SpanInfo& info = sc_.workload.spans[s];
    r.spans.push_back({info.name, sc_.workload.classes[info.class_index].name, spans_[s].latency, spans_[s].bm.interval(level)});
  }
  r.throughput_per_s = window_s > 0 ? static_cast<double>(completed) / window_s : 0;
  r.mean_live = r.window_ns > 0 ? live_.average(end) : 0;
  r.mean_runnable = r.window_ns > 0 ? runnable_.average(end) : 0;
  double busy_sum = 0;
  for (std::size_t c = 0; c < busy_acc_.size(); ++c) {
    const double busy = r.window_ns > 0 ? static_cast<double>(busy_total(c, end) - busy_at_warmup_[c]) / static_cast<double>(r.window_ns) : 0;
    r.cpu_busy.push_back(busy);
    busy_sum += busy;
  }
  r.cpu_utilization = busy_acc_.empty() ? 0 : busy_sum / static_cast<double>(busy_acc_.size());
  const double cpu_window = static_cast<double>(r.window_ns) * static_cast<double>(busy_acc_.size());
  if (cpu_window > 0) {
    r.cpu_runtime = static_cast<double>(busy_all_cpus(CpuUse::kRuntime, end) - runtime_at_warmup_) / cpu_window;
    r.cpu_spinning = static_cast<double>(busy_all_cpus(CpuUse::kSpinning, end) - spinning_at_warmup_) / cpu_window;
    r.cpu_other = static_cast<double>(busy_all_cpus(CpuUse::kOther, end) - other_at_warmup_) / cpu_window;
  }
  if (end > last_sample_) sample(end, runnable, running);
  r.timeseries = ts_;
  return r;
}

}  // namespace gmpsim::models
