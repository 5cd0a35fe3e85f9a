// Where threads run: wake-up placement (select_task_rq_fair), the newly idle pull and the periodic balance
// (kernel/sched/fair.c sched_balance_newidle, sched_balance_rq). See sched.h and README.md.
#include <algorithm>
#include <cstdint>

#include "models/kernel/sched.h"

namespace gmpsim::models::kernel {

void Kernel::add_nr_running(std::uint32_t cpu, std::int64_t n) {
  std::uint32_t& h = cpus_[cpu].h_nr_running;
  const bool was = h >= 2;
  h = static_cast<std::uint32_t>(static_cast<std::int64_t>(h) + n);
  const bool is = h >= 2;
  if (was != is) {
    overloaded_ += is ? 1 : -1;
    if (p_.nohz == NoHz::kFull && p_.tick_cost > 0) retick(cpu);  // NO_HZ_FULL: the tick stops or restarts
  }
  update_idle(cpu);
}

// select_task_rq_fair, simplified to select_idle_sibling over one cache domain holding every CPU: the
// previous CPU if idle, else the first idle CPU of the cpuset scanning from it (select_idle_cpu's
// for_each_cpu_wrap), else the previous CPU, else the least loaded one. Left out: wake_affine (pulling the
// wakee to the waker's CPU), SMT siblings, the wakee's utilization.
std::uint32_t Kernel::select_task_rq(std::uint32_t tid) const {
  const Thread& t = thr(tid);
  const Group& G = groups_[t.group];
  const std::uint32_t n = static_cast<std::uint32_t>(cpus_.size());
  const std::uint32_t prev = t.prev_cpu;
  if (prev != kNone && G.allowed[prev] && available_idle_cpu(prev)) return prev;
  // The first idle CPU of the cpuset at or after `start`, wrapping: a scan of the idle mask.
  const std::uint32_t start = prev == kNone ? 0 : (prev + 1) % n;
  const std::size_t words = idle_mask_.size();
  const std::size_t w0 = start >> 6;
  for (std::size_t i = 0; i <= words; ++i) {
    const std::size_t w = (w0 + i) % words;
    std::uint64_t m = idle_mask_[w] & G.allowed_mask[w];
    if (i == 0) m &= ~std::uint64_t{0} << (start & 63);             // the first word from `start` on
    if (i == words) m &= ~(~std::uint64_t{0} << (start & 63));      // and again, below `start`, last
    if (m != 0) return static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(m)));
  }
  if (prev != kNone && G.allowed[prev]) return prev;
  std::uint32_t best = G.cpus.front();
  for (std::uint32_t c : G.cpus) {
    if (cpus_[c].h_nr_running + cpus_[c].ttwu_pending < cpus_[best].h_nr_running + cpus_[best].ttwu_pending) best = c;
  }
  return best;
}

// A waiting thread on `from` that may run on `to`: the one that has waited longest (detach_tasks takes
// from the cold end of the CPU's task list). Throttled groups' threads cannot move. kNone if none.
std::uint32_t Kernel::longest_waiting(std::uint32_t from, std::uint32_t to) const {
  std::uint32_t pick = kNone;
  for (std::uint32_t g = 0; g < groups_.size(); ++g) {
    if (!groups_[g].allowed[to]) continue;
    const CfsRq& grq = rqs_[group_rq(g, from)];
    if (grq.throttled) continue;
    for (std::uint32_t id : grq.queued) {
      if (pick == kNone || thr(id).last_ran < thr(pick).last_ran) pick = id;
    }
  }
  return pick;
}

bool Kernel::sched_balance_newidle(std::uint32_t cpu) {
  if (overloaded_ == 0) return false;
  std::uint32_t busiest = kNone;
  for (std::uint32_t c = 0; c < cpus_.size(); ++c) {
    if (c == cpu || cpus_[c].h_nr_running < 2) continue;
    if (busiest == kNone || cpus_[c].h_nr_running > cpus_[busiest].h_nr_running) busiest = c;
  }
  if (busiest == kNone) return false;
  const std::uint32_t pick = longest_waiting(busiest, cpu);
  if (pick == kNone) return false;
  migrate(pick, cpu);
  return true;
}

void Kernel::migrate(std::uint32_t tid, std::uint32_t to) {
  const std::uint32_t from = thr(tid).cpu;
  update_curr(from);
  dequeue_task(tid, false);
  arm_tick_check(from);
  ++migrations_;
  enqueue_task(tid, to);
}

// A CPU with a waiting thread asks for a balance: at its next tick when some CPU idles (the NO_HZ idle
// balancer kick, nohz_balancer_kick), else at the busy balance interval.
void Kernel::arm_balance() {
  if (cpus_.size() < 2) return;
  bool idle = false;
  for (std::uint64_t w : idle_mask_) idle = idle || w != 0;
  const sim::Time at = idle ? next_tick_at(engine_.now() + 1) : (engine_.now() / p_.balance_interval + 1) * p_.balance_interval;
  if (balance_.valid()) {
    if (balance_at_ <= at) return;
    cancel_daemon(balance_);
  }
  balance_at_ = at;
  balance_ = schedule_daemon(at, sim::kBandLate, kBalance, 0);
}

// The periodic balance of busy CPUs (sched_balance_rq at the tick, every balance_interval): the CPU with
// the most load (its root cfs_rq's weight) gives waiting threads to the least loaded one while the move
// fits in half the difference (calculate_imbalance's migrate_load), a thread's hierarchical load shifted
// right by the number of failed attempts (detach_tasks: load >> nr_balance_failed), so that three equal
// threads on two CPUs rotate as the kernel's do. Left out: utilization and the group types of
// update_sd_lb_stats, the cache-hot test, more than one domain level.
std::uint64_t Kernel::cpu_load(std::uint32_t cpu) const {
  std::uint64_t load = 0;
  for (std::uint32_t g = 0; g < groups_.size(); ++g) {
    const CfsRq& grq = rqs_[group_rq(g, cpu)];
    if (grq.nr == 0 || grq.throttled) continue;
    load += groups_[g].spec.root ? grq.load : gse_[group_se(g, cpu) & ~kGroupBit].weight;
  }
  return load;
}

std::uint64_t Kernel::h_load(std::uint32_t tid) const {
  const Thread& t = thr(tid);
  if (groups_[t.group].spec.root) return t.se.weight;
  const CfsRq& grq = rqs_[group_rq(t.group, t.cpu)];
  const Entity& gse = gse_[group_se(t.group, t.cpu) & ~kGroupBit];
  return grq.load == 0 ? t.se.weight : std::uint64_t{gse.weight} * t.se.weight / grq.load;
}

void Kernel::rebalance_domains() {
  balance_ = {};
  for (std::size_t moves = 0; moves < threads_.size() + bg_.size(); ++moves) {
    std::uint32_t busiest = kNone, local = 0;
    std::uint64_t lb = 0, ll = UINT64_MAX;
    for (std::uint32_t c = 0; c < cpus_.size(); ++c) {
      const std::uint64_t load = cpu_load(c);
      if (cpus_[c].h_nr_running >= 2 && (busiest == kNone || load > lb)) busiest = c, lb = load;
      const std::uint64_t l = load + cpus_[c].ttwu_pending * 1024u;
      if (l < ll) local = c, ll = l;
    }
    if (busiest == kNone || busiest == local) break;
    if (lb <= ll) break;
    const std::uint64_t imbalance = (lb - ll) / 2;
    const std::uint32_t pick = longest_waiting(busiest, local);
    if (pick == kNone) break;
    if ((h_load(pick) >> std::min<std::uint32_t>(nr_balance_failed_, 31)) > imbalance) {
      ++nr_balance_failed_;
      break;
    }
    nr_balance_failed_ = 0;
    migrate(pick, local);
    check_preempt_wakeup(local, pick);
  }
  if (overloaded_ > 0) arm_balance();
}

}  // namespace gmpsim::models::kernel
