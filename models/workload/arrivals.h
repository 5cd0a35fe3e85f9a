// Open-loop arrival times for one goroutine class: Poisson, constant-rate, or bursty on/off (Poisson
// while on, nothing while off). Arrivals are scheduled at their nominal times; a model that delivers
// them late still measures latency from these times, as load generators that avoid coordinated omission do.
#pragma once
#include <cmath>

#include "models/workload/program.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace gmpsim::models {

class OpenLoopArrivals {
 public:
  OpenLoopArrivals(const Arrivals& a, sim::Rng rng) : a_(&a), rng_(rng) {
    if (a.process == Arrivals::Process::kOnOff) on_until_ = duration(a.on);  // starts in an on period
  }

  // Time of the arrival after `prev` (use 0 for the first).
  sim::Time next(sim::Time prev) {
    using P = Arrivals::Process;
    const double mean_gap_ns = 1e9 / a_->rate_per_s;
    if (a_->process == P::kConstant) return prev + std::max<sim::Time>(1, std::llround(mean_gap_ns));
    sim::Time t = prev + exp_gap(mean_gap_ns);
    if (a_->process == P::kPoisson) return t;
    // On/off: a gap that crosses the end of the on period restarts, memorylessly, after the off period.
    while (t >= on_until_) {
      const sim::Time on_start = on_until_ + duration(a_->off);
      on_until_ = on_start + duration(a_->on);
      t = on_start + exp_gap(mean_gap_ns);
    }
    return t;
  }

 private:
  sim::Time exp_gap(double mean_ns) { return static_cast<sim::Time>(std::llround(-mean_ns * std::log(rng_.uniform_pos()))); }
  sim::Time duration(const sim::Dist& d) {
    const double v = d.sample(rng_);
    return v > 0 ? static_cast<sim::Time>(std::llround(v)) : 0;
  }

  const Arrivals* a_;
  sim::Rng rng_;
  sim::Time on_until_ = 0;
};

}  // namespace gmpsim::models
