// RunStats: the measurements every model takes, in one place so models report alike: latency and wait
// histograms per class and span with batch-means confidence intervals, time-weighted queue lengths, CPU
// busy time per CPU, and the timeseries. Observations count from the end of the warm-up: a goroutine's
// latency is recorded if it started (arrived) at or after the warm-up, a wait if it became runnable then.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/result.h"
#include "models/workload/goroutines.h"
#include "sim/stats.h"

namespace gmpsim::models {

// What a CPU's busy time was spent on: the goroutines' own work, the runtime (scheduling, syscalls'
// runtime side, timers, the netpoller, a listener thread), or threads spinning for work.
// kOther: background processes on the machine (machine.processes), reported apart from the program's.
enum class CpuUse : std::uint8_t { kGoroutines, kRuntime, kSpinning, kOther };

class RunStats {
 public:
  RunStats(const Scenario& sc, std::size_t ncpu);

  void created(std::uint16_t cls) { ++classes_[cls].created; }
  void exited(std::uint16_t cls, sim::Time start, sim::Time now);
  void waited(std::uint16_t cls, sim::Time ready, sim::Time now);
  void span_done(std::uint32_t span, sim::Time begin, sim::Time now);

  void live_changed(sim::Time now, std::uint64_t live) { live_.set(now, static_cast<double>(live)); }
  void runnable_changed(sim::Time now, std::size_t n) { runnable_.set(now, static_cast<double>(n)); }
  // Models that track CPU time themselves (through the kernel thread layer) give RunStats a source of
  // each CPU's cumulative time by use instead of calling cpu_busy/cpu_idle (which count goroutine work).
  // Such models also get the timeseries columns cpu_runtime, cpu_spinning and cpu_other: the CPU split
  // over each interval, as fractions of all CPUs (goroutine work is the mean of the cpuN_busy columns).
  void set_busy_source(std::function<sim::Time(std::size_t cpu, CpuUse use, sim::Time now)> source);
  void cpu_busy(std::size_t cpu, sim::Time now) { busy_since_[cpu] = now; }
  void cpu_idle(std::size_t cpu, sim::Time now) {
    busy_acc_[cpu] += now - busy_since_[cpu];
    busy_since_[cpu] = -1;
  }

  // Model-specific timeseries columns, appended after the CPUs (one group per call): `fill` gives their
  // values at each sample, `interval` being the time since the previous sample.
  void add_columns(std::vector<std::string> names, std::function<void(sim::Time now, sim::Time interval, double* out)> fill) {
    extra_.push_back({ts_.columns.size(), names.size(), std::move(fill)});
    for (std::string& n : names) ts_.columns.push_back(std::move(n));
    ts_.data.resize(ts_.columns.size());
  }

  void warmup_end(sim::Time now, std::size_t runnable, std::size_t running, std::uint64_t live);
  void sample(sim::Time now, std::size_t runnable, std::size_t running);
  RunResult finish(sim::Time end, const GoroutineTable& gt, std::size_t runnable, std::size_t running);

 private:
  struct PerClass {
    sim::LogHistogram latency, wait;
    sim::BatchMeans latency_bm, wait_bm;
    std::uint64_t created = 0, completed = 0;
  };
  struct PerSpan {
    sim::LogHistogram latency;
    sim::BatchMeans bm;
  };
  sim::Time busy_total(std::size_t cpu, sim::Time now, CpuUse use = CpuUse::kGoroutines) const {
    if (busy_source_) return busy_source_(cpu, use, now);
    if (use != CpuUse::kGoroutines) return 0;
    return busy_acc_[cpu] + (busy_since_[cpu] >= 0 ? now - busy_since_[cpu] : 0);
  }
  sim::Time busy_all_cpus(CpuUse use, sim::Time now) const {
    sim::Time sum = 0;
    for (std::size_t c = 0; c < busy_acc_.size(); ++c) sum += busy_total(c, now, use);
    return sum;
  }
  std::function<sim::Time(std::size_t, CpuUse, sim::Time)> busy_source_;
  sim::Time runtime_at_warmup_ = 0, spinning_at_warmup_ = 0, other_at_warmup_ = 0;  // all CPUs

  const Scenario& sc_;
  sim::Time warmup_;
  std::vector<PerClass> classes_;
  std::vector<PerSpan> spans_;
  sim::TimeWeighted live_, runnable_;
  std::vector<sim::Time> busy_since_, busy_acc_, busy_at_warmup_, busy_at_sample_;
  sim::Time last_sample_ = 0;
  TimeSeries ts_;
  struct ExtraColumns {
    std::size_t at, count;
    std::function<void(sim::Time, sim::Time, double*)> fill;
  };
  std::vector<ExtraColumns> extra_;
  std::vector<double> extra_buf_;
  std::size_t split_at_ = 0;  // cpu_runtime, cpu_spinning, cpu_other (0: none)
  sim::Time split_at_sample_[3] = {0, 0, 0};
};

}  // namespace gmpsim::models
