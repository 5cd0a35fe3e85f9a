// Open-loop arrival times for one goroutine class: Poisson, constant-rate, bursty on/off (Poisson
// while on, nothing while off), or a recorded trace replayed as it is. Arrivals are scheduled at their nominal times; a model that delivers
// them late still measures latency from these times, as load generators that avoid coordinated omission do.
#pragma once
#include <cmath>
#include <limits>

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
    if (a_->process == P::kTrace) {
      // The recorded times in order; past the last one, never (callers compare with the run's end).
      return trace_next_ < a_->trace->size() ? (*a_->trace)[trace_next_++] : std::numeric_limits<sim::Time>::max();
    }
    const double mean_gap_ns = 1e9 / a_->rate_per_s;
    if (a_->process == P::kConstant) return prev + std::max<sim::Time>(1, sim::draw_to_time(mean_gap_ns));
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
  sim::Time exp_gap(double mean_ns) { return sim::draw_to_time(-mean_ns * std::log(rng_.uniform_pos())); }
  sim::Time duration(const sim::Dist& d) { return sim::draw_to_time(d.sample(rng_)); }

  const Arrivals* a_;
  sim::Rng rng_;
  sim::Time on_until_ = 0;
  std::size_t trace_next_ = 0;
};

}  // namespace gmpsim::models

#include "sim/engine.h"

namespace gmpsim::models {

// Delivers a workload's open- and closed-loop arrivals as engine events of the owner's kinds: `arrival`
// (arg = class) and `submit` (arg = class, arg2 = client). Every model uses it, so they all see the same
// arrival times for the same seed. Arrivals falling after the run's end are not scheduled (and `cut()`
// then says the run lasts its full duration).
class ArrivalDriver {
 public:
  ArrivalDriver(const Workload& wl, const sim::RngStreams& streams, sim::Engine& engine, sim::Time end,
                std::uint32_t arrival_kind, std::uint32_t submit_kind)
      : wl_(wl), engine_(engine), end_(end), arrival_kind_(arrival_kind), submit_kind_(submit_kind) {
    for (const GoroutineClass& c : wl.classes) {
      open_.emplace_back(c.arrivals, streams.stream("arrivals." + c.name));
      think_rng_.push_back(streams.stream("think." + c.name));
    }
  }

  // Schedules the first open-loop arrival of each class and the first submission of each closed-loop
  // client (after a think period, so clients do not all submit at t = 0). Initial populations are the
  // model's to place.
  void start() {
    using P = Arrivals::Process;
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const Arrivals& a = wl_.classes[c].arrivals;
      const auto cls = static_cast<std::uint16_t>(c);
      if (a.open_loop()) next_arrival(cls, 0);
      if (a.process == P::kClosed) {
        for (std::int64_t i = 0; i < a.clients; ++i) next_submit(cls, static_cast<std::uint32_t>(i), 0);
      }
    }
  }

  // After the arrival at `prev`, schedules the class's next one.
  void next_arrival(std::uint16_t cls, sim::Time prev) {
    const sim::Time t = open_[cls].next(prev);
    if (t <= end_) engine_.schedule_at(t, sim::kBandDefault, arrival_kind_, cls);
    else cut_ = true;
  }
  // A closed-loop client got its reply at `now`: it thinks, then submits again.
  void next_submit(std::uint16_t cls, std::uint32_t client, sim::Time now) {
    const sim::Time t = now + sim::draw_to_time(wl_.classes[cls].arrivals.think.sample(think_rng_[cls]));
    if (t <= end_) engine_.schedule_at(t, sim::kBandDefault, submit_kind_, cls, client);
    else cut_ = true;
  }
  // For models whose own goroutine generates the arrivals (Go's generator mode): the class's next
  // arrival time after `prev`, or -1 past the run's end (no event is scheduled).
  sim::Time next_time(std::uint16_t cls, sim::Time prev) {
    const sim::Time t = open_[cls].next(prev);
    if (t <= end_) return t;
    cut_ = true;
    return -1;
  }
  bool cut() const { return cut_; }

 private:
  const Workload& wl_;
  sim::Engine& engine_;
  sim::Time end_;
  std::uint32_t arrival_kind_, submit_kind_;
  std::vector<OpenLoopArrivals> open_;
  std::vector<sim::Rng> think_rng_;
  bool cut_ = false;
};

}  // namespace gmpsim::models
