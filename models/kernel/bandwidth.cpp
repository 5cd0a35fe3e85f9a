// cgroup CPU bandwidth (Documentation/scheduler/sched-bwc.rst; kernel/sched/fair.c's cfs_bandwidth code):
// the quota pool, runtime slices, throttling and the period and slack timers. See sched.h and README.md.
#include <algorithm>

#include "models/kernel/sched.h"

namespace gmpsim::models::kernel {

namespace {

constexpr sim::Time kMinCfsRqRuntime = 1'000'000;          // fair.c min_cfs_rq_runtime (1 ms)
constexpr sim::Time kCfsBandwidthSlackPeriod = 5'000'000;  // fair.c cfs_bandwidth_slack_period (5 ms)
constexpr sim::Time kMinBandwidthExpiration = 2'000'000;   // fair.c min_bandwidth_expiration (2 ms)

}  // namespace

// ---- CPU bandwidth (Documentation/scheduler/sched-bwc.rst) ----

// account_cfs_rq_runtime: spend local runtime; when it is gone, ask the pool for a slice. Returns whether
// the running thread must stop (it will be throttled when it is put back).
bool Kernel::account_cfs_rq_runtime(std::uint32_t rqi, sim::Time delta) {
  const std::uint32_t g = group_of_rq(rqi);
  if (!groups_[g].limited()) return false;
  CfsRq& rq = rqs_[rqi];
  rq.runtime_remaining -= delta;
  if (rq.runtime_remaining > 0) return false;
  if (assign_cfs_rq_runtime(rqi)) return false;
  return cpus_[cpu_of_rq(rqi)].curr != kNone;
}

// assign_cfs_rq_runtime: top the local runtime up to one bandwidth slice from the global pool.
bool Kernel::assign_cfs_rq_runtime(std::uint32_t rqi) {
  const std::uint32_t g = group_of_rq(rqi);
  Group& G = groups_[g];
  CfsRq& rq = rqs_[rqi];
  const sim::Time min_amount = p_.bandwidth_slice - rq.runtime_remaining;
  start_cfs_bandwidth(g);
  if (G.runtime > 0) {
    const sim::Time amount = std::min(G.runtime, min_amount);
    G.runtime -= amount;
    G.idle = false;
    rq.runtime_remaining += amount;
  }
  return rq.runtime_remaining > 0;
}

// throttle_cfs_rq: the group's queue on this CPU leaves the root queue until the period timer refills it.
void Kernel::throttle_cfs_rq(std::uint32_t rqi) {
  CfsRq& rq = rqs_[rqi];
  if (rq.throttled) return;
  const std::uint32_t g = group_of_rq(rqi), cpu = cpu_of_rq(rqi);
  rq.throttled = true;
  rq.throttled_clock = engine_.now();
  groups_[g].throttled_rqs.push_back(rqi);
  add_nr_running(cpu, -static_cast<std::int64_t>(rq.nr - rq.ndelayed));
  const std::uint32_t gse = group_se(g, cpu);
  if (ent(gse).on_rq) dequeue_entity(root_rq(cpu), gse, true);
}

// unthrottle_cfs_rq: back on the root queue; an idle CPU picks it up.
void Kernel::unthrottle_cfs_rq(std::uint32_t rqi) {
  CfsRq& rq = rqs_[rqi];
  const std::uint32_t g = group_of_rq(rqi), cpu = cpu_of_rq(rqi);
  rq.throttled = false;
  groups_[g].throttled_time += engine_.now() - rq.throttled_clock;
  if (rq.nr == 0) return;
  update_curr(cpu);
  add_nr_running(cpu, rq.nr - rq.ndelayed);
  enqueue_entity(root_rq(cpu), group_se(g, cpu));
  update_cfs_group(g, cpu);
}

// return_cfs_rq_runtime: a queue that goes idle gives back all but min_cfs_rq_runtime; the slack timer hands
// it to throttled queues unless the period timer is about to.
void Kernel::return_cfs_rq_runtime(std::uint32_t rqi) {
  CfsRq& rq = rqs_[rqi];
  const sim::Time slack = rq.runtime_remaining - kMinCfsRqRuntime;
  if (slack <= 0) return;
  const std::uint32_t g = group_of_rq(rqi);
  Group& G = groups_[g];
  G.runtime += slack;
  rq.runtime_remaining -= slack;
  if (G.runtime > p_.bandwidth_slice && !G.throttled_rqs.empty() && !G.slack_armed &&
      G.next_period - engine_.now() >= kCfsBandwidthSlackPeriod + kMinBandwidthExpiration) {
    G.slack_armed = true;
    schedule_daemon(engine_.now() + kCfsBandwidthSlackPeriod, sim::kBandDefault, kSlackTimer, g);
  }
}

// start_cfs_bandwidth: the period timer runs while the group uses CPU, at multiples of the period.
void Kernel::start_cfs_bandwidth(std::uint32_t g) {
  Group& G = groups_[g];
  if (G.period_active) return;
  G.period_active = true;
  G.next_period = (engine_.now() / G.spec.period + 1) * G.spec.period;
  schedule_daemon(G.next_period, sim::kBandFirst, kPeriodTimer, g);
}

// do_sched_cfs_period_timer with __refill_cfs_bandwidth_runtime (burst accounting from 5.14).
void Kernel::do_sched_cfs_period_timer(std::uint32_t g) {
  Group& G = groups_[g];
  const bool throttled = !G.throttled_rqs.empty();
  ++G.nr_periods;
  G.runtime += G.spec.quota;
  const sim::Time over = G.runtime_snap - G.runtime;
  if (over > 0) {
    G.burst_time += over;
    ++G.nr_bursts;
  }
  G.runtime = std::min(G.runtime, G.spec.quota + G.spec.burst);
  G.runtime_snap = G.runtime;
  if (g == 0) {
    PeriodRow row;
    row.end = engine_.now();
    row.usage = group_busy_[0] - G.usage_at_period;
    row.throttled = throttled;
    row.throttled_time = G.throttled_time;
    for (std::uint32_t rqi : G.throttled_rqs) row.throttled_time += engine_.now() - rqs_[rqi].throttled_clock;
    periods_.push_back(row);
    G.usage_at_period = group_busy_[0];
  }
  if (G.idle && !throttled) {
    G.period_active = false;
    return;
  }
  if (throttled) {
    ++G.nr_throttled;
    distribute_cfs_runtime(g);
    G.idle = false;
  } else {
    G.idle = true;
  }
  G.next_period = engine_.now() + G.spec.period;
  schedule_daemon(G.next_period, sim::kBandFirst, kPeriodTimer, g);
}

// distribute_cfs_runtime: each throttled queue, in throttle order, gets what brings it to +1 ns.
void Kernel::distribute_cfs_runtime(std::uint32_t g) {
  Group& G = groups_[g];
  std::vector<std::uint32_t> still, kick;
  for (std::uint32_t rqi : G.throttled_rqs) {
    CfsRq& rq = rqs_[rqi];
    if (G.runtime > 0) {
      const sim::Time amount = std::min(G.runtime, -rq.runtime_remaining + 1);
      G.runtime -= amount;
      rq.runtime_remaining += amount;
    }
    if (rq.runtime_remaining > 0) {
      unthrottle_cfs_rq(rqi);
      kick.push_back(cpu_of_rq(rqi));
    } else {
      still.push_back(rqi);
    }
  }
  G.throttled_rqs = std::move(still);
  for (std::uint32_t cpu : kick) {
    if (cpus_[cpu].curr == kNone) {
      if (rqs_[root_rq(cpu)].nr > 0) schedule(cpu, false);
    } else {
      arm_tick_check(cpu);
    }
  }
}

}  // namespace gmpsim::models::kernel
