// Where threads run: wake-up placement (select_task_rq_fair), the newly idle pull and the periodic balance
// (kernel/sched/fair.c sched_balance_newidle, sched_balance_rq). See sched.h and README.md.
#include <algorithm>
#include <cmath>
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

// select_task_rq_fair for a wake-up (kernel/sched/fair.c, Linux 6.18): with a waker running on another CPU
// that the thread may use, wake_affine picks the target between the waker's CPU and the previous one; then
// select_idle_sibling. Left out: wake_wide (a waker with many wakees spreads them: taken as never), SMT
// siblings and the wakee's utilization (asym_fits_cpu), sync wake-ups (futexes do not pass WF_SYNC),
// util_est. A wake without a waking thread (an interrupt) keeps the previous CPU as its target; a timer's
// (kTimerIrq) fires on the previous CPU, whose running thread counts as the waker for kernel.wake_pack.
// With NUMA nodes the idle scan goes node by node (select_idle_node), as before this placement grew
// wake_affine and SIS_UTIL. A thread's affinity (set_affinity) narrows its cpuset.
std::uint32_t Kernel::select_task_rq(std::uint32_t tid, std::uint32_t waker) {
  Thread& t = thr(tid);
  const std::uint64_t* allowed = allowed_mask(t);
  const std::uint32_t prev = t.prev_cpu;
  if (prev != kNone && in_mask(allowed, prev) && available_idle_cpu(prev)) {
    // kernel.wake_pack_remote: a kernel that packs wake-ups onto busy vCPUs queues the wakee on its
    // waker's CPU even though its own previous CPU idles (mainline keeps the idle previous CPU).
    if (p_.wake_pack_remote > 0 && waker != kNone && waker != kTimerIrq) {
      const Thread& w = thr(waker);
      if (w.state == State::kRunning && w.cpu != prev && in_mask(allowed, w.cpu) &&
          (p_.wake_pack_remote >= 1 || pack_rng_.uniform01() < p_.wake_pack_remote)) {
        ++wakeups_packed_;
        return w.cpu;
      }
    }
    return prev;
  }
  if (numa_) {
    const std::uint32_t idle = select_idle_node(t, allowed);
    if (idle != kNone) return idle;
    if (prev != kNone && in_mask(allowed, prev)) return prev;
    return least_loaded(allowed);
  }
  if (prev == kNone || !in_mask(allowed, prev)) {  // never ran, or moved out of its mask: any idle CPU
    const std::uint32_t idle = first_idle_wrap(prev == kNone ? 0 : (prev + 1) % static_cast<std::uint32_t>(cpus_.size()), allowed, nullptr);
    return idle != kNone ? idle : least_loaded(allowed);
  }
  std::uint32_t target = prev;
  // A timer's expiry interrupts the thread running on the previous CPU, which is then the waker's context.
  if (waker == kTimerIrq) waker = cpus_[prev].curr;
  const Thread* w = waker != kNone ? &thr(waker) : nullptr;
  if (w != nullptr && w->state == State::kRunning) {
    if (w->cpu == prev) {
      // kernel.wake_pack: a kernel that packs wake-ups onto busy vCPUs keeps the wakee queued behind its
      // waker with the measured chance (cache hot or not; params.cpp has the measurement).
      const double pack = task_hot(t) ? p_.wake_pack_hot : p_.wake_pack;
      if (pack >= 1 || (pack > 0 && pack_rng_.uniform01() < pack)) {
        ++wakeups_packed_;
        return prev;
      }
    } else if (in_mask(allowed, w->cpu)) {
      target = wake_affine(tid, w->cpu, prev);
    }
  }
  return select_idle_sibling(t, prev, target, allowed);
}

namespace {
// kernel/sched/topology.c sd_init: an LLC (SD_SHARE_LLC) domain's imbalance_pct. Used by wake_affine_weight's
// WA_BIAS and by update_idle_cpu_scan.
constexpr std::uint64_t kLlcImbalancePct = 117;
// sd_init: cache_nice_tries, the failed balances after which a cache-hot thread may move: 1 in an LLC
// domain, 2 in a NUMA one.
constexpr std::uint32_t kCacheNiceTriesLlc = 1;
constexpr std::uint32_t kCacheNiceTriesNuma = 2;
}  // namespace

// wake_affine: WA_IDLE (wake_affine_idle) has nothing to decide here, both CPUs being busy (select_task_rq
// took an idle previous CPU, and the waker's thread runs on its own); WA_WEIGHT (wake_affine_weight): the
// waker's CPU when its load plus the wakee's is below the previous CPU's, biased by half the domain's
// imbalance_pct (WA_BIAS). Loads are the run queues' weights now, not PELT's load_avg, so the wakee's
// blocked load is not on the previous CPU to subtract.
std::uint32_t Kernel::wake_affine(std::uint32_t tid, std::uint32_t this_cpu, std::uint32_t prev) {
  const std::uint64_t this_eff = (cpu_load(this_cpu) + thr(tid).se.weight) * 100;
  const std::uint64_t prev_eff = cpu_load(prev) * (100 + (kLlcImbalancePct - 100) / 2);
  if (this_eff < prev_eff) {
    ++wakeups_affine_;
    return this_cpu;
  }
  return prev;
}

// select_idle_sibling over the one LLC holding every CPU. Its first two tests (the target, then the previous
// CPU, if idle) cannot pass here: both are busy (select_task_rq, wake_affine). Then the thread's recently
// used CPU if idle (p->recent_used_cpu, which becomes the previous CPU), then select_idle_cpu: CPUs from
// target + 1 on, wrapping, at most nr_idle_scan of them (SIS_UTIL; every CPU without it); else the target,
// idle CPUs or not.
std::uint32_t Kernel::select_idle_sibling(Thread& t, std::uint32_t prev, std::uint32_t target, const std::uint64_t* allowed) {
  GMPSIM_CHECK(!available_idle_cpu(target) && !available_idle_cpu(prev), "select_idle_sibling: an idle target or previous CPU");
  const std::uint32_t recent = t.recent_used_cpu;
  t.recent_used_cpu = prev;
  if (recent != kNone && recent != prev && recent != target && in_mask(allowed, recent) && available_idle_cpu(recent)) return recent;
  const auto ncpu = static_cast<std::uint32_t>(cpus_.size());
  const std::uint32_t start = (target + 1) % ncpu;
  const std::uint32_t idle = first_idle_wrap(start, allowed, nullptr);
  if (idle == kNone) return target;
  // The scan reaches the first idle CPU after passing the allowed CPUs before it, each costing one of nr.
  if (!p_.sis_util || allowed_between(start, idle, allowed) < nr_idle_scan()) return idle;
  ++wakeups_stacked_;
  return target;
}

// The CPUs of `allowed` in [from, to), wrapping past the last CPU when to <= from.
std::uint32_t Kernel::allowed_between(std::uint32_t from, std::uint32_t to, const std::uint64_t* allowed) const {
  const auto ncpu = static_cast<std::uint32_t>(cpus_.size());
  if (to < from) return allowed_between(from, ncpu, allowed) + allowed_between(0, to, allowed);
  std::uint32_t n = 0;
  for (std::uint32_t w = from >> 6; w <= ((to - 1) >> 6) && from < to; ++w) {
    std::uint64_t m = allowed[w];
    if (w == (from >> 6)) m &= ~std::uint64_t{0} << (from & 63);
    if (w == ((to - 1) >> 6) && (to & 63) != 0) m &= ~(~std::uint64_t{0} << (to & 63));
    n += static_cast<std::uint32_t>(__builtin_popcountll(m));
  }
  return n;
}

// update_idle_cpu_scan (Linux 5.19+, kernel/sched/fair.c): the number of CPUs to scan falls with the square
// of the LLC's average utilization x (0..1024) and reaches none at 100/imbalance_pct (85 %):
// nr = llc_weight x (1024 - x^2 pct^2 / (10000 x 1024)) / 1024. The kernel refreshes it in the LLC domain's
// periodic balance; here at most once a tick, from the CPUs' util_avg then.
std::uint32_t Kernel::nr_idle_scan() {
  const sim::Time now = engine_.now();
  if (nr_idle_scan_at_ >= 0 && now - nr_idle_scan_at_ < p_.tick) return nr_idle_scan_;
  nr_idle_scan_at_ = now;
  double sum = 0;
  for (std::uint32_t c = 0; c < cpus_.size(); ++c) sum += pelt_util(c);
  const auto llc_weight = static_cast<std::uint64_t>(cpus_.size());
  const std::uint64_t x = static_cast<std::uint64_t>(sum) / llc_weight;
  const std::uint64_t tmp = std::min<std::uint64_t>(x * x * kLlcImbalancePct * kLlcImbalancePct / (10000 * 1024), 1024);
  nr_idle_scan_ = static_cast<std::uint32_t>(llc_weight * (1024 - tmp) / 1024);
  return nr_idle_scan_;
}

namespace {
// PELT's decay per 1024 us period, y with y^32 = 1/2 (kernel/sched/pelt.c, LOAD_AVG_PERIOD 32), as
// runnable_avg_yN_inv tabulates it; the period is 2^20 ns (the kernel counts time in 1024 ns units).
struct PeltTable {
  double y[32];
  PeltTable() {
    for (int i = 0; i < 32; ++i) y[i] = std::exp2(-i / 32.0);
  }
};
const PeltTable kPelt;
}  // namespace

// y^(d / 2^20 ns): whole periods from the table (decay_load), the last fraction of a period linearly.
double Kernel::pelt_decay(sim::Time d) {
  const std::uint64_t n = static_cast<std::uint64_t>(d) >> 20;
  if (n >= 32 * 40) return 0;  // below 2^-40: nothing left
  const double frac = static_cast<double>(static_cast<std::uint64_t>(d) & 0xfffff) / 1048576.0;
  return std::ldexp(kPelt.y[n & 31], -static_cast<int>(n >> 5)) * (1 - frac * (1 - kPelt.y[1]));
}

double Kernel::pelt_util(std::uint32_t cpu) const {
  const Cpu& c = cpus_[cpu];
  const double f = pelt_decay(engine_.now() - c.util_at);
  return c.util_running ? 1024 - (1024 - c.util) * f : c.util * f;
}

// The first idle CPU of `allowed` (and of `node`, when given) at or after `start`, wrapping: a scan of the
// idle mask. kNone when there is none.
std::uint32_t Kernel::first_idle_wrap(std::uint32_t start, const std::uint64_t* allowed, const std::uint64_t* node) const {
  const std::size_t words = idle_mask_.size();
  const std::size_t w0 = start >> 6;
  for (std::size_t i = 0; i <= words; ++i) {
    const std::size_t w = (w0 + i) % words;
    std::uint64_t m = idle_mask_[w] & allowed[w];
    if (node != nullptr) m &= node[w];
    if (i == 0) m &= ~std::uint64_t{0} << (start & 63);             // the first word from `start` on
    if (i == words) m &= ~(~std::uint64_t{0} << (start & 63));      // and again, below `start`, last
    if (m != 0) return static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(m)));
  }
  return kNone;
}

// NUMA: select_idle_sibling within the LLC, which is a node here: the idle CPUs of the thread's preferred node
// (numa_preferred_nid) or else of its previous CPU's node first, scanning from the previous CPU; then the
// other nodes, nearest first. The kernel's select_idle_sibling stops at the LLC and leaves the other nodes'
// idle CPUs to the idle balancer, which pulls within a tick (nohz_balancer_kick); the model takes such an
// idle CPU at once, as its one-node placement does with any idle CPU. A thread never ran goes to the first
// idle CPU from CPU 0, as with one node.
std::uint32_t Kernel::select_idle_node(const Thread& t, const std::uint64_t* allowed) const {
  const std::uint32_t prev = t.prev_cpu;
  std::uint32_t first = t.preferred_node;
  if (first == kNoNode) {
    if (prev == kNone) return first_idle_wrap(0, allowed, nullptr);
    first = cpu_node_[prev];
  }
  for (std::uint16_t node : node_order_[first]) {
    const std::uint32_t start = prev != kNone && cpu_node_[prev] == node ? (prev + 1) % static_cast<std::uint32_t>(cpus_.size())
                                                                         : node_cpus_[node].front();
    const std::uint32_t c = first_idle_wrap(start, allowed, node_mask_[node].data());
    if (c != kNone) return c;
  }
  return kNone;
}

// The allowed CPU with the fewest runnable threads and wake-ups on their way; the lowest index on ties.
std::uint32_t Kernel::least_loaded(const std::uint64_t* allowed) const {
  std::uint32_t best = kNone;
  for (std::size_t w = 0; w < idle_mask_.size(); ++w) {
    for (std::uint64_t m = allowed[w]; m != 0; m &= m - 1) {
      const auto c = static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(m)));
      if (best == kNone || cpus_[c].h_nr_running + cpus_[c].ttwu_pending < cpus_[best].h_nr_running + cpus_[best].ttwu_pending) best = c;
    }
  }
  return best;
}

// A waiting thread on `from` that may run on `to`: the one that has waited longest (detach_tasks takes
// from the cold end of the CPU's task list). Throttled groups' threads cannot move, nor threads whose
// affinity leaves out `to`, nor cache-hot ones unless `hot_ok` (can_migrate_task: task_hot, forgiven once
// the domain's balance failed more than cache_nice_tries times). kNone if none.
std::uint32_t Kernel::longest_waiting(std::uint32_t from, std::uint32_t to, bool hot_ok) const {
  std::uint32_t pick = kNone;
  for (std::uint32_t g = 0; g < groups_.size(); ++g) {
    if (!groups_[g].allowed[to]) continue;
    const CfsRq& grq = rqs_[group_rq(g, from)];
    if (grq.throttled) continue;
    for (std::uint32_t id : grq.queued) {
      const Thread& t = thr(id);
      if (t.se.delayed) continue;  // a sleeper's entity, not a runnable thread
      if (!t.affinity.empty() && !in_mask(t.affinity.data(), to)) continue;
      if (!hot_ok && task_hot(t)) continue;
      if (pick == kNone || t.last_ran < thr(pick).last_ran) pick = id;
    }
  }
  return pick;
}

bool Kernel::sched_balance_newidle(std::uint32_t cpu) {
  if (overloaded_ == 0) return false;
  if (numa_) return newidle_numa(cpu);
  std::uint32_t busiest = kNone;
  for (std::uint32_t c = 0; c < cpus_.size(); ++c) {
    if (c == cpu || cpus_[c].h_nr_running < 2) continue;
    if (busiest == kNone || cpus_[c].h_nr_running > cpus_[busiest].h_nr_running) busiest = c;
  }
  if (busiest == kNone) return false;
  // A newly idle balance never raises nr_balance_failed (sched_balance_rq: only periodic ones do), so a
  // cache-hot thread waits for the busy CPU's tick or the next periodic balance.
  const std::uint32_t pick = longest_waiting(busiest, cpu, nr_balance_failed_ > kCacheNiceTriesLlc);
  if (pick == kNone) return false;
  migrate(pick, cpu);
  return true;
}

// sched_balance_newidle over the domains bottom-up: the node's busiest CPU first; the other nodes, nearest
// first, only when the NUMA domain's imbalance allows a move (numa_imbalance: an overloaded node fills this
// idle CPU; a node with spare CPUs keeps its small imbalance, adjust_numa_imbalance).
bool Kernel::newidle_numa(std::uint32_t cpu) {
  const std::uint32_t home = cpu_node_[cpu];
  for (std::uint16_t node : node_order_[home]) {
    if (node == home) {
      std::uint32_t busiest = kNone;
      for (std::uint32_t c : node_cpus_[node]) {
        if (c == cpu || cpus_[c].h_nr_running < 2) continue;
        if (busiest == kNone || cpus_[c].h_nr_running > cpus_[busiest].h_nr_running) busiest = c;
      }
      const std::uint32_t pick = busiest == kNone ? kNone : longest_waiting(busiest, cpu, node_balance_failed_[node] > kCacheNiceTriesLlc);
      if (pick != kNone) {
        migrate(pick, cpu);
        return true;
      }
      continue;
    }
    const NodeStats b = node_stats(node);
    if (b.busiest == kNone) continue;
    if (numa_imbalance(node, b, home, node_stats(home)) == 0) continue;
    const std::uint32_t pick = longest_waiting(b.busiest, cpu, numa_balance_failed_ > kCacheNiceTriesNuma);
    if (pick == kNone) continue;
    migrate(pick, cpu);
    return true;
  }
  return false;
}

void Kernel::migrate(std::uint32_t tid, std::uint32_t to) {
  const std::uint32_t from = thr(tid).cpu;
  update_curr(from);
  dequeue_task(tid, false);
  arm_tick_check(from);
  ++migrations_;
  if (numa_ && cpu_node_[from] != cpu_node_[to]) ++migrations_cross_node_;
  enqueue_task(tid, to);
}

// A CPU with a waiting thread asks for a balance: at its next tick when some CPU idles (the NO_HZ idle
// balancer kick, nohz_balancer_kick), else at the busy balance interval. The kick is an IPI to the first
// idle CPU (find_new_ilb), which balances in its softirq once it is out of idle (kick_ilb ->
// nohz_csd_func -> nohz_idle_balance): after the tick's own work on the busy CPU, a slice preemption
// included, and later by kernel.idle_exit when that CPU has halted. So a thread the tick has just
// switched out is cache hot when the balance looks (can_migrate_task: task_hot) and waits another tick;
// on the project's VM `perf sched timehist` shows exactly that (validation/go/README.md, overprocs).
void Kernel::arm_balance() {
  if (cpus_.size() < 2) return;
  std::uint32_t ilb = kNone;
  for (std::size_t w = 0; w < idle_mask_.size() && ilb == kNone; ++w) {
    if (idle_mask_[w] != 0) ilb = static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(idle_mask_[w])));
  }
  sim::Time at;
  if (ilb != kNone) {
    at = next_tick_at(engine_.now() + 1);
    const bool halted = at - cpus_[ilb].idle_since >= p_.idle_poll;  // still idle then: else the kick finds it busy anyway
    at += halted ? p_.idle_exit : 0;
  } else {
    at = (engine_.now() / p_.balance_interval + 1) * p_.balance_interval;
  }
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
// update_sd_lb_stats, the cache-hot test, SMT and cluster levels. With NUMA nodes each node is a domain and
// the NUMA level one domain above them (balance_numa).
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
  if (!numa_) {
    balance_cpus(all_cpus_, nr_balance_failed_);
  } else {
    // The node domains first, then the NUMA domain above them (sched_balance_domains walks them bottom-up).
    for (std::size_t n = 0; n < node_cpus_.size(); ++n) balance_cpus(node_cpus_[n], node_balance_failed_[n]);
    balance_numa();
  }
  if (overloaded_ > 0) arm_balance();
}

// One domain over `cpus`: the most loaded CPU with a waiting thread gives to the least loaded one.
void Kernel::balance_cpus(const std::vector<std::uint32_t>& cpus, std::uint32_t& nr_balance_failed) {
  for (std::size_t moves = 0; moves < threads_.size() + bg_.size(); ++moves) {
    std::uint32_t busiest = kNone, local = 0;
    std::uint64_t lb = 0, ll = UINT64_MAX;
    for (std::uint32_t c : cpus) {
      const std::uint64_t load = cpu_load(c);
      if (cpus_[c].h_nr_running >= 2 && (busiest == kNone || load > lb)) busiest = c, lb = load;
      const std::uint64_t l = load + cpus_[c].ttwu_pending * 1024u;
      if (l < ll) local = c, ll = l;
    }
    if (busiest == kNone || busiest == local) break;
    if (lb <= ll) break;
    if (!detach_one(busiest, local, (lb - ll) / 2, nr_balance_failed, kCacheNiceTriesLlc)) break;
  }
}

// detach_tasks + attach_tasks for one thread: the longest-waiting thread of `from` that may run on `to` and is
// not cache hot (unless the domain failed more than cache_nice_tries times) moves when its load, shifted
// right by the domain's failed attempts, fits in `imbalance`; else the attempt fails and counts.
bool Kernel::detach_one(std::uint32_t from, std::uint32_t to, std::uint64_t imbalance, std::uint32_t& nr_balance_failed,
                        std::uint32_t cache_nice_tries) {
  const std::uint32_t pick = longest_waiting(from, to, nr_balance_failed > cache_nice_tries);
  if (pick == kNone) {
    if (longest_waiting(from, to, true) != kNone) ++nr_balance_failed;  // only cache-hot threads could move
    return false;
  }
  if ((h_load(pick) >> std::min<std::uint32_t>(nr_balance_failed, 31)) > imbalance) {
    ++nr_balance_failed;
    return false;
  }
  nr_balance_failed = 0;
  migrate(pick, to);
  check_preempt_wakeup(to, pick);
  return true;
}

// ---- the NUMA domain ----
// find_busiest_group and calculate_imbalance at the NUMA level with the nodes as its groups, simplified:
// a node's load is its CPUs' instantaneous load and its type comes from run counts, not from PELT
// utilization (overloaded: more runnable threads than CPUs; has_spare: an idle CPU); only waiting threads
// move (no active balance of a running one).

namespace {
// kernel/sched/topology.c sd_init: the default imbalance_pct, which the NUMA levels keep (125 before Linux
// 5.10). fair.c find_busiest_group: two overloaded groups are balanced while the busiest's average load is
// within this percentage of the local one's.
constexpr std::uint64_t kImbalancePct = 117;
// fair.c NUMA_IMBALANCE_MIN: adjust_numa_imbalance leaves an imbalance of this many tasks when the
// destination runs few (allow_numa_imbalance: at most imb_numa_nr).
constexpr std::uint64_t kNumaImbalanceMin = 2;
constexpr std::uint64_t kLoadUnit = 1024;  // a nice-0 task's load (NICE_0_LOAD, scaled down)
constexpr std::uint64_t kAnyTask = UINT64_MAX;
}  // namespace

Kernel::NodeStats Kernel::node_stats(std::uint32_t node) const {
  NodeStats s;
  std::uint64_t busiest_load = 0;
  for (std::uint32_t c : node_cpus_[node]) {
    const Cpu& cc = cpus_[c];
    const std::uint64_t load = cpu_load(c);
    s.load += load;
    s.nr += cc.h_nr_running;
    if (cc.curr == kNone && cc.h_nr_running == 0) ++s.idle;
    if (cc.h_nr_running >= 2 && (s.busiest == kNone || load > busiest_load)) s.busiest = c, busiest_load = load;
  }
  return s;
}

// How much the NUMA domain lets node `dst` (local, l) pull from node `src` (busiest, b): 0 when they count
// as balanced, else the load that may move (calculate_imbalance's migrate_load), or kAnyTask when a task
// moves whatever its load (migrate_util, migrate_task: counted in tasks, one at a time here).
std::uint64_t Kernel::numa_imbalance(std::uint32_t src, const NodeStats& b, std::uint32_t dst, const NodeStats& l) const {
  const std::uint64_t bcpus = node_cpus_[src].size(), lcpus = node_cpus_[dst].size();
  if (b.nr > bcpus) {  // busiest overloaded
    if (l.idle > 0) return kAnyTask;  // fill the local node's spare capacity (migrate_util)
    const std::uint64_t bavg = b.load / bcpus, lavg = l.load / lcpus;
    if (lavg >= bavg) return 0;
    if (l.nr > lcpus && 100 * bavg <= kImbalancePct * lavg) return 0;  // both overloaded: within imbalance_pct
    const std::uint64_t avg = (b.load + l.load) / (bcpus + lcpus);
    if (bavg <= avg || avg <= lavg) return 0;
    return std::min((bavg - avg) * bcpus, (avg - lavg) * lcpus);  // migrate_load
  }
  if (l.idle == 0 || b.nr <= l.nr) return 0;
  // Spare capacity on both sides: even the run counts (the node domain's SD_PREFER_SIBLING), allowing a small
  // imbalance while the destination runs few (adjust_numa_imbalance with dst_running = local + 1).
  const std::uint64_t tasks = (b.nr - l.nr) / 2;
  if (tasks == 0 || (l.nr + 1 <= imb_numa_nr_ && tasks <= kNumaImbalanceMin)) return 0;
  return kAnyTask;
}

// The NUMA domain's periodic balance: the node with the highest average load and a waiting thread gives to
// the node with the lowest, while numa_imbalance allows (detach_one, as in balance_cpus).
void Kernel::balance_numa() {
  const std::size_t n = node_cpus_.size();
  for (std::size_t moves = 0; moves < threads_.size() + bg_.size(); ++moves) {
    std::uint32_t src = kNone, dst = kNone;
    NodeStats b, l;
    for (std::uint32_t node = 0; node < n; ++node) {
      const NodeStats s = node_stats(node);
      const std::size_t ncpu = node_cpus_[node].size();
      if (s.busiest != kNone && (src == kNone || s.avg_load(ncpu) > b.avg_load(node_cpus_[src].size()))) src = node, b = s;
      if (dst == kNone || s.avg_load(ncpu) < l.avg_load(node_cpus_[dst].size())) dst = node, l = s;
    }
    if (src == kNone || src == dst) break;
    const std::uint64_t imbalance = numa_imbalance(src, b, dst, l);
    if (imbalance == 0) break;
    // The destination CPU: the node's least loaded (an idle one when it has any).
    std::uint32_t to = kNone;
    std::uint64_t to_load = UINT64_MAX;
    for (std::uint32_t c : node_cpus_[dst]) {
      const std::uint64_t load = cpu_load(c) + cpus_[c].ttwu_pending * kLoadUnit;
      if (load < to_load) to = c, to_load = load;
    }
    if (!detach_one(b.busiest, to, imbalance, numa_balance_failed_, kCacheNiceTriesNuma)) break;
  }
}

}  // namespace gmpsim::models::kernel
