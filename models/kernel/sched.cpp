// The fair scheduling class, cgroup CPU bandwidth and placement: see sched.h and README.md. Function names
// are kernel/sched/fair.c's (Linux 6.6+ for EEVDF, 5.15 for CFS) where the code does what they do.
#include "models/kernel/sched.h"

#include <algorithm>

#include "models/kernel/numa.h"
#include <limits>

#include "sim/check.h"

namespace gmpsim::models::kernel {

namespace {

// kernel/sched/core.c sched_prio_to_weight: nice -20 .. 19.
constexpr std::uint32_t kPrioToWeight[40] = {88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
                                             9548,  7620,  6100,  4904,  3906,  3121,  2501,  1991,  1586,  1277,
                                             1024,  820,   655,   526,   423,   335,   272,   215,   172,   137,
                                             110,   87,    70,    56,    45,    36,    29,    23,    18,    15};
constexpr std::uint64_t kMinShares = 2;                    // fair.c MIN_SHARES
constexpr sim::Time kNever = std::numeric_limits<sim::Time>::max();

}  // namespace

std::uint32_t nice_to_weight(int nice) {
  GMPSIM_REQUIRE(nice >= -20 && nice <= 19, "nice_to_weight: nice must be in -20..19");
  return kPrioToWeight[nice + 20];
}

Kernel::Kernel(sim::Engine& engine, ThreadOwner& owner, std::size_t ncpu, const SchedParams& params,
               std::uint32_t kind_base, std::vector<GroupSpec> groups)
    : engine_(engine), owner_(owner), p_(params), kind_base_(kind_base) {
  GMPSIM_REQUIRE(ncpu > 0, "Kernel: no CPUs");
  GMPSIM_REQUIRE(params.tick > 0 && params.base_slice > 0, "Kernel: slice and tick must be positive");
  GMPSIM_REQUIRE(params.tick_cost >= 0 && params.tick_cost < params.tick, "Kernel: the tick's cost must be shorter than the tick");
  GMPSIM_REQUIRE(!groups.empty(), "Kernel: at least the simulated process's group");
  cpus_.resize(ncpu);
  idle_mask_.assign((ncpu + 63) / 64, 0);
  for (std::uint32_t c = 0; c < ncpu; ++c) idle_mask_[c >> 6] |= std::uint64_t{1} << (c & 63);
  rqs_.resize(ncpu * (1 + groups.size()));
  gse_.resize(ncpu * groups.size());
  busy_cpu_.assign(ncpu * kMaxKinds, 0);
  group_busy_.assign(groups.size(), 0);
  for (GroupSpec& spec : groups) {
    Group g;
    GMPSIM_REQUIRE(spec.weight >= 1 && spec.weight <= 10000, "Kernel: cpu.weight must be in 1..10000");
    GMPSIM_REQUIRE(!spec.root || spec.quota < 0, "Kernel: the root cgroup has no cpu.max");
    // sched_weight_from_cgroup (kernel/sched/sched.h): weight * 1024 / CGROUP_WEIGHT_DFL, rounded.
    g.shares = std::max<std::uint64_t>(kMinShares, (std::uint64_t{spec.weight} * 1024 + 50) / 100);
    if (spec.cpus.empty()) {
      for (std::uint32_t c = 0; c < ncpu; ++c) spec.cpus.push_back(c);
    }
    std::sort(spec.cpus.begin(), spec.cpus.end());
    spec.cpus.erase(std::unique(spec.cpus.begin(), spec.cpus.end()), spec.cpus.end());
    g.allowed.assign(ncpu, false);
    g.allowed_mask.assign((ncpu + 63) / 64, 0);
    for (std::uint32_t c : spec.cpus) {
      GMPSIM_REQUIRE(c < ncpu, "Kernel: cpuset names a CPU the machine does not have");
      g.allowed[c] = true;
      g.allowed_mask[c >> 6] |= std::uint64_t{1} << (c & 63);
    }
    g.cpus = spec.cpus;
    if (spec.quota >= 0) {
      GMPSIM_REQUIRE(spec.period > 0, "Kernel: cpu.max period must be positive");
      g.runtime = g.runtime_snap = spec.quota;
    }
    g.spec = std::move(spec);
    groups_.push_back(std::move(g));
  }
  for (std::uint32_t c = 0; c < ncpu; ++c) all_cpus_.push_back(c);
  const Group& process = groups_[0];
  process_cpus_ = process.cpus;
  if (!process.spec.affinity.empty()) {
    process_affinity_.assign((ncpu + 63) / 64, 0);
    process_cpus_.clear();
    for (std::uint32_t c : process.spec.affinity) {
      GMPSIM_REQUIRE(c < ncpu, "Kernel: the process's affinity names a CPU the machine does not have");
      if (!process.allowed[c]) continue;
      process_affinity_[c >> 6] |= std::uint64_t{1} << (c & 63);
    }
    for (std::uint32_t c : process.cpus) {
      if (in_mask(process_affinity_.data(), c)) process_cpus_.push_back(c);
    }
    GMPSIM_REQUIRE(!process_cpus_.empty(), "Kernel: the process's affinity leaves it none of its cpuset's CPUs");
  }
}

void Kernel::set_topology(const NumaTopology& topo) {
  numa_ = !topo.single();
  if (!numa_) return;  // one node: every path stays as it was
  const std::size_t ncpu = cpus_.size(), n = topo.nodes();
  GMPSIM_REQUIRE(topo.cpu_node.size() == ncpu, "Kernel::set_topology: the topology has another CPU count");
  cpu_node_ = topo.cpu_node;
  node_cpus_ = topo.node_cpus;
  node_order_ = topo.fallback;
  node_mask_.assign(n, std::vector<std::uint64_t>((ncpu + 63) / 64, 0));
  for (std::uint32_t c = 0; c < ncpu; ++c) node_mask_[cpu_node_[c]][c >> 6] |= std::uint64_t{1} << (c & 63);
  node_balance_failed_.assign(n, 0);
  // kernel/sched/topology.c build_sched_domains: the first domain above the LLC gets imb_numa_nr = its
  // number of LLCs (when more than one); a node is one LLC here and the NUMA level is one domain.
  imb_numa_nr_ = static_cast<std::uint32_t>(n);
}

void Kernel::start_processes(const std::vector<ProcessSpec>& procs, const sim::RngStreams& streams) {
  pack_rng_ = streams.stream("kernel.wake_pack");
  for (const ProcessSpec& spec : procs) {
    GMPSIM_REQUIRE(spec.group < groups_.size(), "Kernel: a process names a group that does not exist");
    const std::uint32_t index = static_cast<std::uint32_t>(procs_.size());
    procs_.push_back(Process{spec, streams.stream("kernel.process." + spec.name)});
    for (std::uint32_t i = 0; i < spec.threads; ++i) {
      bg_.push_back(Thread{});
      Thread& t = bg_.back();
      t.se.weight = nice_to_weight(spec.nice);
      t.group = spec.group;
      t.proc = index;
      t.bg_sleeping = true;  // the first callback runs a burst
      start_now(kBgBit | static_cast<std::uint32_t>(bg_.size() - 1));
    }
  }
}

std::uint32_t Kernel::create_kthread(ThreadOwner& owner) {
  std::uint32_t root = kNone;
  for (std::uint32_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g].spec.root) root = g;
  }
  GMPSIM_REQUIRE(root != kNone, "Kernel::create_kthread: no root cgroup");
  bg_.push_back(Thread{});
  Thread& t = bg_.back();
  t.se.weight = nice_to_weight(0);
  t.group = root;
  t.proc = kKthread;
  t.kowner = &owner;
  return kBgBit | static_cast<std::uint32_t>(bg_.size() - 1);
}

void Kernel::kill_process(std::uint32_t proc) {
  GMPSIM_REQUIRE(proc < procs_.size(), "Kernel::kill_process: no such process");
  procs_[proc].killed = true;
}

std::uint32_t Kernel::create_thread(int nice) {
  threads_.push_back(Thread{});
  threads_.back().se.weight = nice_to_weight(nice);
  threads_.back().affinity = process_affinity_;
  return static_cast<std::uint32_t>(threads_.size() - 1);
}

void Kernel::set_affinity(std::uint32_t tid, const std::vector<std::uint32_t>& cpus) {
  Thread& t = thr(tid);
  const Group& G = groups_[t.group];
  t.affinity.clear();
  if (!cpus.empty()) {
    t.affinity.assign(G.allowed_mask.size(), 0);
    bool any = false;
    for (std::uint32_t c : cpus) {
      GMPSIM_REQUIRE(c < cpus_.size(), "Kernel::set_affinity: no such CPU");
      if (!G.allowed[c]) continue;  // the cpuset bounds the mask (cpuset_cpus_allowed)
      t.affinity[c >> 6] |= std::uint64_t{1} << (c & 63);
      any = true;
    }
    GMPSIM_REQUIRE(any, "Kernel::set_affinity: none of the CPUs is in the thread's cpuset (EINVAL)");
  }
  if (t.state == State::kBlocked || in_mask(allowed_mask(t), t.cpu)) return;
  if (t.state == State::kWaking) {
    t.reaffine = true;
    return;
  }
  if (t.state == State::kRunning) {  // affine_move_task: the stopper does it (migration_stop)
    schedule_daemon(engine_.now(), sim::kBandDefault, kMigrationStop, tid);
    return;
  }
  move_off(tid);
}

// migration_cpu_stop: a running thread outside its mask is preempted (put_prev_task_fair) and moves like a
// queued one; a queued one moves (move_queued_task).
void Kernel::move_off(std::uint32_t tid) {
  Thread& t = thr(tid);
  if (t.state == State::kBlocked || t.state == State::kWaking || in_mask(allowed_mask(t), t.cpu)) return;
  const std::uint32_t from = t.cpu;
  if (t.state == State::kRunning) {
    update_curr(from);
    cancel_burst(t);
    t.state = State::kRunnable;
    t.runnable_since = engine_.now();
    t.last_ran = engine_.now();
    t.prev_cpu = from;
    put_prev_entity(rqs_[group_rq(t.group, from)]);
    ++preemptions_;
    cpus_[from].curr = kNone;
    update_idle(from);
  }
  t.prev_cpu = from;
  const std::uint32_t to = select_task_rq(tid);
  migrate(tid, to);
  if (cpus_[from].curr == kNone) schedule(from, false);
  check_preempt_wakeup(to, tid);
}

void Kernel::set_preferred_node(std::uint32_t tid, std::uint32_t node) {
  GMPSIM_REQUIRE(node == kNoNode || node < nodes(), "Kernel::set_preferred_node: no such node");
  thr(tid).preferred_node = static_cast<std::uint16_t>(node);
}

// ---- one cfs_rq ----

// The queue's load-weighted vruntime sum relative to min_vruntime, and its load (curr included).
void Kernel::weighted_vruntime(const CfsRq& rq, i128& sum, std::uint64_t& load) const {
  sum = 0;
  load = 0;
  auto add = [&](std::uint32_t id) {
    const Entity& e = ent(id);
    sum += static_cast<i128>(e.vruntime - rq.min_vruntime) * e.weight;
    load += e.weight;
  };
  if (rq.curr != kNone) add(rq.curr);
  for (std::uint32_t id : rq.queued) add(id);
}

// avg_vruntime: the load-weighted mean vruntime of the queue (curr included), the zero point of lag,
// floored like the kernel's division.
std::int64_t Kernel::avg_vruntime(const CfsRq& rq) const {
  if (rq.nr == 0) return rq.min_vruntime;
  if (rq.nr == 1) return ent(rq.curr != kNone ? rq.curr : rq.queued.front()).vruntime;
  i128 sum;
  std::uint64_t load;
  weighted_vruntime(rq, sum, load);
  if (sum < 0) sum -= static_cast<i128>(load - 1);
  return rq.min_vruntime + static_cast<std::int64_t>(sum / static_cast<i128>(load));
}

// entity_eligible / vruntime_eligible: lag >= 0, i.e. vruntime <= avg_vruntime, without the division.
bool Kernel::entity_eligible(const CfsRq& rq, const Entity& se) const {
  if (rq.nr == 1) return true;  // the only entity is its own average
  i128 sum;
  std::uint64_t load;
  weighted_vruntime(rq, sum, load);
  return sum >= static_cast<i128>(se.vruntime - rq.min_vruntime) * static_cast<i128>(load);
}

void Kernel::update_min_vruntime(CfsRq& rq) {
  if (rq.queued.empty()) {  // curr alone, or nobody
    if (rq.curr != kNone && ent(rq.curr).vruntime > rq.min_vruntime) rq.min_vruntime = ent(rq.curr).vruntime;
    return;
  }
  bool have = false;
  std::int64_t m = 0;
  if (rq.curr != kNone) {
    m = ent(rq.curr).vruntime;
    have = true;
  }
  for (std::uint32_t id : rq.queued) {
    const std::int64_t v = ent(id).vruntime;
    if (!have || v < m) m = v;
    have = true;
  }
  if (have && m > rq.min_vruntime) rq.min_vruntime = m;
}

// pick_eevdf (Linux 6.6): the eligible entity with the earliest virtual deadline; under RUN_TO_PARITY the
// running entity keeps the CPU while its deadline is the one it was picked with (vlag == deadline).
std::uint32_t Kernel::pick_eevdf(const CfsRq& rq) const {
  std::uint32_t curr = rq.curr;
  if (curr != kNone && !entity_eligible(rq, ent(curr))) curr = kNone;
  if (p_.run_to_parity && curr != kNone && ent(curr).vlag == ent(curr).deadline) return curr;
  std::uint32_t best = kNone;
  for (std::uint32_t id : rq.queued) {
    const Entity& e = ent(id);
    if ((best == kNone || e.deadline < ent(best).deadline) && entity_eligible(rq, e)) best = id;
  }
  if (best == kNone || (curr != kNone && ent(curr).deadline < ent(best).deadline)) best = curr;
  if (best != kNone) return best;
  // Only rounding leaves nobody eligible: take the smallest vruntime.
  return pick_cfs(rq);
}

// CFS pick_next_entity (Linux 5.15) without buddies: the smallest vruntime, curr included.
std::uint32_t Kernel::pick_cfs(const CfsRq& rq) const {
  std::uint32_t best = rq.curr;
  for (std::uint32_t id : rq.queued) {
    if (best == kNone || ent(id).vruntime < ent(best).vruntime) best = id;
  }
  return best;
}

// The smallest vruntime among the waiting entities (not curr), or kNever when none waits.
std::int64_t Kernel::leftmost_vruntime(const CfsRq& rq) const {
  std::int64_t left = kNever;
  for (std::uint32_t id : rq.queued) left = std::min(left, ent(id).vruntime);
  return left;
}

std::uint32_t Kernel::pick_next_entity(const CfsRq& rq) const {
  if (rq.nr == 1) return rq.curr != kNone ? rq.curr : rq.queued.front();
  return p_.policy == Policy::kEevdf ? pick_eevdf(rq) : pick_cfs(rq);
}

// place_entity. EEVDF (6.6): at avg_vruntime minus the saved lag, inflated for the load it joins (PLACE_LAG),
// deadline one slice later, half a slice for a new entity (PLACE_DEADLINE_INITIAL). CFS (5.15): at
// min_vruntime, a new entity one vslice later (START_DEBIT), a waking one up to sched_latency/2 earlier
// than min_vruntime but never before its own vruntime (GENTLE_FAIR_SLEEPERS).
void Kernel::place_entity(std::uint32_t rqi, Entity& se, bool initial) {
  CfsRq& rq = rqs_[rqi];
  if (p_.policy == Policy::kEevdf) {
    std::int64_t vslice = calc_delta_fair(p_.base_slice, se.weight);
    std::int64_t lag = 0;
    if (rq.nr > 0 && !initial) {
      lag = se.vlag;
      if (rq.load > 0) lag = static_cast<std::int64_t>(static_cast<i128>(lag) * (rq.load + se.weight) / rq.load);
    }
    se.vruntime = avg_vruntime(rq) - lag;
    if (initial) vslice /= 2;
    se.deadline = se.vruntime + vslice;
    return;
  }
  std::int64_t v = rq.min_vruntime;
  if (initial) {
    const sim::Time period = rq.nr + 1 > static_cast<std::uint32_t>(p_.nr_latency) ? (rq.nr + 1) * p_.base_slice : p_.sched_latency;
    v += calc_delta_fair(static_cast<sim::Time>(static_cast<i128>(period) * se.weight / (rq.load + se.weight)), se.weight);
    se.vruntime = v;
  } else {
    std::int64_t own = se.vruntime;
    if (se.relative) {
      own += rq.min_vruntime;
    } else if (se.last_rq != rqi && se.last_rq != kNone) {
      own += rq.min_vruntime - rqs_[se.last_rq].min_vruntime;
    }
    se.relative = false;
    se.vruntime = std::max(own, v - p_.sched_latency / 2);
  }
}

// update_entity_lag: the service the entity is owed, limited to two slices or a tick of it.
void Kernel::update_entity_lag(const CfsRq& rq, Entity& se) {
  const std::int64_t lag = avg_vruntime(rq) - se.vruntime;
  const std::int64_t limit = calc_delta_fair(std::max(2 * p_.base_slice, p_.tick), se.weight);
  se.vlag = std::clamp(lag, -limit, limit);
}

void Kernel::enqueue_entity(std::uint32_t rqi, std::uint32_t id) {
  CfsRq& rq = rqs_[rqi];
  Entity& se = ent(id);
  GMPSIM_CHECK(!se.on_rq, "enqueue_entity: already queued");
  place_entity(rqi, se, se.initial);
  se.initial = false;
  rq.queued.push_back(id);
  ++rq.nr;
  rq.load += se.weight;
  se.on_rq = true;
  se.rq = rqi;
}

void Kernel::dequeue_entity(std::uint32_t rqi, std::uint32_t id, bool sleep) {
  CfsRq& rq = rqs_[rqi];
  Entity& se = ent(id);
  GMPSIM_CHECK(se.on_rq && se.rq == rqi, "dequeue_entity: not queued here");
  se.last_rq = rqi;
  if (p_.policy == Policy::kEevdf) {
    update_entity_lag(rq, se);
  } else {
    // CFS: a migrating entity's vruntime travels relative to min_vruntime; a sleeper keeps its absolute
    // vruntime (made relative only if it wakes on another CPU: migrate_task_rq_fair).
    se.relative = !sleep;
    if (!sleep) se.vruntime -= rq.min_vruntime;
  }
  if (rq.curr == id) {
    rq.curr = kNone;
  } else {
    auto it = std::find(rq.queued.begin(), rq.queued.end(), id);
    GMPSIM_CHECK(it != rq.queued.end(), "dequeue_entity: lost entity");
    rq.queued.erase(it);
  }
  --rq.nr;
  rq.load -= se.weight;
  se.on_rq = false;
  se.rq = kNone;
  update_min_vruntime(rq);
}

void Kernel::set_next_entity(CfsRq& rq, std::uint32_t id) {
  auto it = std::find(rq.queued.begin(), rq.queued.end(), id);
  GMPSIM_CHECK(it != rq.queued.end() && rq.curr == kNone, "set_next_entity: entity not waiting");
  rq.queued.erase(it);
  rq.curr = id;
  Entity& se = ent(id);
  se.prev_sum_exec = se.sum_exec;
  if (p_.policy == Policy::kEevdf && p_.run_to_parity) se.vlag = se.deadline;  // protect the slice
}

void Kernel::put_prev_entity(CfsRq& rq) {
  if (rq.curr == kNone) return;
  rq.queued.push_back(rq.curr);
  rq.curr = kNone;
}

// sched_slice (5.15, ALT_PERIOD and BASE_SLICE): the period for the CPU's runnable threads, split by weight
// at each level down to the thread, never below min_granularity.
sim::Time Kernel::sched_slice_cfs(std::uint32_t tid) const {
  const Thread& t = thr(tid);
  const std::uint32_t nr = cpus_[t.cpu].h_nr_running;
  i128 slice = nr > static_cast<std::uint32_t>(p_.nr_latency) ? static_cast<i128>(nr) * p_.base_slice : p_.sched_latency;
  const CfsRq& grq = rqs_[group_rq(t.group, t.cpu)];
  if (grq.load > 0) slice = slice * t.se.weight / grq.load;
  const Entity& gse = gse_[group_se(t.group, t.cpu) & ~kGroupBit];
  const CfsRq& root = rqs_[root_rq(t.cpu)];
  if (root.load > 0) slice = slice * gse.weight / root.load;
  return std::max(static_cast<sim::Time>(slice), p_.base_slice);
}

// ---- the CPU ----

// update_curr at both levels: vruntime, and for EEVDF update_deadline; charges the group's CPU bandwidth.
// Returns whether the running thread should give up the CPU (resched_curr).
bool Kernel::update_curr(std::uint32_t cpu) {
  Cpu& c = cpus_[cpu];
  if (c.curr == kNone) return false;
  const sim::Time delta = engine_.now() - c.exec_start;
  if (delta <= 0) return false;
  c.exec_start = engine_.now();
  Thread& t = thr(c.curr);
  bool resched = false;
  CfsRq& grq = rqs_[group_rq(t.group, cpu)];
  CfsRq& root = rqs_[root_rq(cpu)];
  Entity& gse = gse_[group_se(t.group, cpu) & ~kGroupBit];
  auto level = [&](CfsRq& rq, Entity& se) {
    se.vruntime += calc_delta_fair(delta, se.weight);
    se.sum_exec += delta;
    if (rq.queued.empty()) {  // update_min_vruntime with curr alone
      if (rq.curr != kNone && ent(rq.curr).vruntime > rq.min_vruntime) rq.min_vruntime = ent(rq.curr).vruntime;
    } else {
      update_min_vruntime(rq);
    }
    // update_deadline: a used-up slice gets a new deadline, and the CPU is rescheduled if others wait.
    if (p_.policy == Policy::kEevdf && se.vruntime - se.deadline >= 0) {
      se.deadline = se.vruntime + calc_delta_fair(p_.base_slice, se.weight);
      if (rq.nr > 1) resched = true;
    }
  };
  level(grq, t.se);
  level(root, gse);
  if (groups_[t.group].limited() && account_cfs_rq_runtime(group_rq(t.group, cpu), delta)) resched = true;
  return resched;
}

// update_cfs_group / calc_group_shares: the group entity on this CPU weighs the group's shares times the
// fraction of the group's runnable load that is here (kernel: PELT averages; here the instantaneous
// runnable weight), within [MIN_SHARES, shares]. reweight_entity keeps lag and the deadline's distance
// in proportion.
void Kernel::update_cfs_group(std::uint32_t g, std::uint32_t cpu) {
  if (groups_.size() == 1) return;  // alone at the root, a group entity's weight decides nothing
  const Group& G = groups_[g];
  const CfsRq& grq = rqs_[group_rq(g, cpu)];
  std::uint64_t shares = G.shares;
  if (G.spec.root) {
    shares = std::max<std::uint64_t>(grq.load, kMinShares);
  } else {
    if (G.load > 0) shares = G.shares * grq.load / std::max(G.load, grq.load);
    shares = std::clamp<std::uint64_t>(shares, kMinShares, G.shares);
  }
  Entity& se = gse_[group_se(g, cpu) & ~kGroupBit];
  if (se.weight == shares) return;
  const std::uint32_t old = se.weight, neu = static_cast<std::uint32_t>(shares);
  if (se.on_rq) {
    CfsRq& root = rqs_[root_rq(cpu)];
    if (p_.policy == Policy::kEevdf) {
      const std::int64_t avg = avg_vruntime(root);
      const std::int64_t lag = avg - se.vruntime, rel_deadline = se.deadline - se.vruntime;
      se.vruntime = avg - static_cast<std::int64_t>(static_cast<i128>(lag) * old / neu);
      se.deadline = se.vruntime + static_cast<std::int64_t>(static_cast<i128>(rel_deadline) * old / neu);
    }
    root.load = root.load - old + neu;
  }
  se.weight = neu;
}

void Kernel::enqueue_task(std::uint32_t tid, std::uint32_t cpu) {
  update_curr(cpu);
  Thread& t = thr(tid);
  t.cpu = cpu;
  t.state = State::kRunnable;
  t.runnable_since = engine_.now();
  const std::uint32_t grqi = group_rq(t.group, cpu);
  CfsRq& grq = rqs_[grqi];
  const bool was_empty = grq.nr == 0;
  enqueue_entity(grqi, tid);
  groups_[t.group].load += t.se.weight;
  Group& G = groups_[t.group];
  if (was_empty && G.limited() && !grq.throttled) {
    // check_enqueue_throttle: a queue coming back with no runtime left asks the pool, else throttles.
    if (grq.runtime_remaining <= 0 && !assign_cfs_rq_runtime(grqi)) {
      grq.throttled = true;
      grq.throttled_clock = engine_.now();
      G.throttled_rqs.push_back(grqi);
    }
  }
  if (!grq.throttled) {
    add_nr_running(cpu, 1);
    const std::uint32_t gse = group_se(t.group, cpu);
    if (!ent(gse).on_rq) enqueue_entity(root_rq(cpu), gse);
  }
  update_cfs_group(t.group, cpu);
  if (cpus_[cpu].h_nr_running >= 2) arm_balance();
}

void Kernel::dequeue_task(std::uint32_t tid, bool sleep) {
  Thread& t = thr(tid);
  const std::uint32_t cpu = t.cpu;
  const std::uint32_t grqi = group_rq(t.group, cpu);
  CfsRq& grq = rqs_[grqi];
  dequeue_entity(grqi, tid, sleep);
  groups_[t.group].load -= t.se.weight;
  if (!grq.throttled) add_nr_running(cpu, -1);
  // Delayed sleepers left with nothing runnable: the next pick of this queue would dequeue them at once.
  while (grq.nr > 0 && grq.nr == grq.ndelayed) finish_delayed_dequeue(grq.queued.front(), false);
  group_rq_shrank(t.group, cpu);
}

// The rest of dequeue_entities above a thread's entity: an emptied group queue leaves the root queue and
// gives back its runtime; one that still has entities reweighs the group's entity.
void Kernel::group_rq_shrank(std::uint32_t g, std::uint32_t cpu) {
  const std::uint32_t grqi = group_rq(g, cpu);
  if (rqs_[grqi].nr == 0) {
    const std::uint32_t gse = group_se(g, cpu);
    if (ent(gse).on_rq) dequeue_entity(root_rq(cpu), gse, true);
    if (groups_[g].limited()) return_cfs_rq_runtime(grqi);
  } else {
    update_cfs_group(g, cpu);
  }
}

// DELAY_DEQUEUE (Linux 6.12, "sched/fair: Implement delayed dequeue"; kernel/sched/features.h DELAY_DEQUEUE
// and DELAY_ZERO, both on): a thread that blocks while not eligible (it has had more than its share) leaves
// its entity on the queue, in the queue's average and in the competition, until a pick selects it (its
// negative lag is burnt by then: dequeue_entities(DEQUEUE_DELAYED), which zeroes a positive lag) or it wakes
// (ttwu_runnable -> requeue_delayed_entity). While it stays, the average it holds back gives the threads
// that run and block beside it a positive lag, so that a wake-up of one of them preempts the thread it
// finds running. Abstracted: entities are delayed only while another runnable entity shares their group's
// queue (the kernel's next pick of a queue with none would dequeue them), so a group's entity on the root
// queue is never kept by delayed entities alone.
bool Kernel::delay_dequeue_task(std::uint32_t tid) {
  if (!p_.delay_dequeue || p_.policy != Policy::kEevdf) return false;
  Thread& t = thr(tid);
  const std::uint32_t cpu = t.cpu, grqi = group_rq(t.group, cpu);
  CfsRq& grq = rqs_[grqi];
  if (grq.nr - grq.ndelayed < 2 || entity_eligible(grq, t.se)) return false;
  GMPSIM_CHECK(grq.curr == tid && !grq.throttled, "delay_dequeue_task: the sleeper is not its queue's curr");
  grq.curr = kNone;  // put back among the waiting, where a pick can find it
  grq.queued.push_back(tid);
  ++grq.ndelayed;
  t.se.delayed = true;
  add_nr_running(cpu, -1);
  ++delayed_dequeues_;
  return true;
}

// dequeue_entities(DEQUEUE_SLEEP | DEQUEUE_DELAYED) + finish_delayed_dequeue_entity: off the queue, with its
// lag saved (DELAY_ZERO: never positive). `tail`: also the group's part when its queue empties.
void Kernel::finish_delayed_dequeue(std::uint32_t tid, bool tail) {
  Thread& t = thr(tid);
  const std::uint32_t grqi = t.se.rq, cpu = cpu_of_rq(grqi);
  CfsRq& grq = rqs_[grqi];
  GMPSIM_CHECK(t.se.delayed && t.state == State::kBlocked, "finish_delayed_dequeue: not a delayed sleeper");
  t.se.delayed = false;
  --grq.ndelayed;
  dequeue_entity(grqi, tid, true);
  if (t.se.vlag > 0) t.se.vlag = 0;
  groups_[t.group].load -= t.se.weight;
  if (tail) group_rq_shrank(t.group, cpu);
}

// The thread wakes while its entity is still queued: runnable at once where it is (no placement, no IPI);
// DELAY_ZERO places one that is now owed service at zero lag instead (requeue_delayed_entity).
void Kernel::requeue_delayed(std::uint32_t tid) {
  Thread& t = thr(tid);
  Entity& se = t.se;
  const std::uint32_t grqi = se.rq, cpu = cpu_of_rq(grqi);
  CfsRq& grq = rqs_[grqi];
  update_curr(cpu);
  update_entity_lag(grq, se);
  if (se.vlag > 0) {
    auto it = std::find(grq.queued.begin(), grq.queued.end(), tid);
    GMPSIM_CHECK(it != grq.queued.end(), "requeue_delayed: lost entity");
    grq.queued.erase(it);
    --grq.nr;
    grq.load -= se.weight;
    se.vlag = 0;
    place_entity(grqi, se, false);
    grq.queued.push_back(tid);
    ++grq.nr;
    grq.load += se.weight;
  }
  se.delayed = false;
  --grq.ndelayed;
  t.state = State::kRunnable;
  t.cpu = cpu;
  t.runnable_since = engine_.now();
  if (!grq.throttled) add_nr_running(cpu, 1);
  check_preempt_wakeup(cpu, tid);
}

// check_preempt_wakeup_fair: compare the woken thread with the running one at the level where their
// entities share a queue. EEVDF preempts when the pick would be the woken entity; CFS when the running
// entity's vruntime leads the woken one's by more than wakeup_granularity (in the woken one's virtual time).
void Kernel::check_preempt_wakeup(std::uint32_t cpu, std::uint32_t tid) {
  Cpu& c = cpus_[cpu];
  if (c.curr == kNone) {
    if (rqs_[root_rq(cpu)].nr > 0) schedule(cpu, false);
    return;
  }
  if (c.curr == tid) return;
  if (update_curr(cpu)) {
    schedule(cpu, true);
    return;
  }
  const Thread& cur = thr(c.curr);
  const Thread& wt = thr(tid);
  if (rqs_[group_rq(wt.group, cpu)].throttled) {
    arm_tick_check(cpu);
    return;
  }
  const bool same = cur.group == wt.group;
  const CfsRq& rq = same ? rqs_[group_rq(wt.group, cpu)] : rqs_[root_rq(cpu)];
  const std::uint32_t se_curr = same ? c.curr : group_se(cur.group, cpu);
  const std::uint32_t se_new = same ? tid : group_se(wt.group, cpu);
  bool preempt;
  if (p_.policy == Policy::kEevdf) {
    preempt = pick_eevdf(rq) == se_new;
  } else {
    const std::int64_t vdiff = ent(se_curr).vruntime - ent(se_new).vruntime;
    preempt = vdiff > calc_delta_fair(p_.wakeup_granularity, ent(se_new).weight);
  }
  if (preempt) {
    ++wakeup_preemptions_;
    schedule(cpu, true);
  } else {
    arm_tick_check(cpu);
  }
}

// __schedule + pick_next_task_fair: put the running thread back (throttling its group if its runtime is
// spent), pick at the root and in the picked group, switch. An idle CPU first tries to pull work.
void Kernel::schedule(std::uint32_t cpu, bool preempt) {
  Cpu& c = cpus_[cpu];
  update_curr(cpu);
  std::uint32_t prev = c.curr;
  if (prev != kNone) {
    const Thread& pt = thr(prev);
    const std::uint32_t grqi = group_rq(pt.group, cpu);
    if (groups_[pt.group].limited() && !rqs_[grqi].throttled && rqs_[grqi].runtime_remaining <= 0 && !assign_cfs_rq_runtime(grqi)) {
      throttle_cfs_rq(grqi);
    }
  }
  for (;;) {
    CfsRq& root = rqs_[root_rq(cpu)];
    std::uint32_t next = kNone;
    if (root.nr > 0) {
      const std::uint32_t gse = pick_next_entity(root);
      const std::uint32_t g = static_cast<std::uint32_t>((gse & ~kGroupBit) / cpus_.size());
      next = pick_next_entity(rqs_[group_rq(g, cpu)]);
      GMPSIM_CHECK(next != kNone, "schedule: a queued group entity with no thread");
      if (ent(next).delayed) {  // pick_next_entity: a delayed sleeper is dequeued, and the pick runs again
        finish_delayed_dequeue(next);
        continue;
      }
    }
    if (next != kNone && next == prev) {
      arm_tick_check(cpu);
      return;
    }
    if (prev != kNone) {  // put_prev_task_fair
      Thread& pt = thr(prev);
      cancel_burst(pt);
      pt.state = State::kRunnable;
      pt.runnable_since = engine_.now();
      pt.last_ran = engine_.now();
      pt.prev_cpu = cpu;
      put_prev_entity(rqs_[group_rq(pt.group, cpu)]);
      if (preempt) ++preemptions_;
      c.curr = kNone;
      update_idle(cpu);
      prev = kNone;
    }
    if (next == kNone) {
      put_prev_entity(root);
      c.idle_since = engine_.now();
      if (c.check.valid()) cancel_daemon(c.check);
      if (sched_balance_newidle(cpu)) continue;
      // Nothing it could pull (cache-hot threads): the busy CPU's next tick kicks an idle balance.
      if (overloaded_ > 0) arm_balance();
      return;
    }
    const Thread& nt = thr(next);
    const std::uint32_t ngse = group_se(nt.group, cpu);
    if (root.curr != ngse) {
      put_prev_entity(root);
      set_next_entity(root, ngse);
    }
    CfsRq& ngrq = rqs_[group_rq(nt.group, cpu)];
    if (ngrq.curr != next) {
      put_prev_entity(ngrq);
      set_next_entity(ngrq, next);
    }
    ++switches_;
    switch_to(cpu, next);
    return;
  }
}

void Kernel::switch_to(std::uint32_t cpu, std::uint32_t tid) {
  Thread& t = thr(tid);
  Cpu& c = cpus_[cpu];
  t.state = State::kRunning;
  t.cpu = cpu;
  c.curr = tid;
  if (!(tid & kBgBit)) run_delay_.record(engine_.now() - t.runnable_since);  // schedstat's run_delay
  update_idle(cpu);
  c.exec_start = engine_.now();
  // __schedule's own time and the switched-in thread's way back to user space: the kernel's accounting starts
  // the next task's exec_start in set_next_entity, before context_switch (kernel/sched/core.c, fair.c), so
  // it is the thread's CPU time, and its group's quota, paid before its burst's work.
  // A thread that blocks again before any burst owes it to its next one.
  t.switch_left += p_.context_switch;
  arm_tick_check(cpu);
  if (t.remaining > 0) {
    start_burst(tid);
  } else if (t.proc != kNone) {
    background_next(tid);
  } else {
    owner_.on_burst_done(tid);
  }
}

sim::Time Kernel::next_tick_at(sim::Time t) const { return (t + p_.tick - 1) / p_.tick * p_.tick; }

// The tick, computed instead of simulated: the first tick at which task_tick_fair would act (a slice used
// up while others wait, the group's runtime spent). Nothing else changes the running entity's state between
// events on this CPU, so one event at that tick stands for all the ticks before it.
void Kernel::arm_tick_check(std::uint32_t cpu) {
  Cpu& c = cpus_[cpu];
  sim::Time at = kNever;
  if (c.curr != kNone) {
    const Thread& t = thr(c.curr);
    // One runnable thread without a quota: no tick would act (the case of a CPU per thread).
    if (!c.check.valid() && rqs_[root_rq(cpu)].nr < 2 && rqs_[group_rq(t.group, cpu)].nr < 2 && !groups_[t.group].limited()) return;
    const CfsRq& grq = rqs_[group_rq(t.group, cpu)];
    const CfsRq& root = rqs_[root_rq(cpu)];
    const Entity& gse = gse_[group_se(t.group, cpu) & ~kGroupBit];
    sim::Time slice_due = kNever;
    for (auto [rq, se] : {std::pair<const CfsRq*, const Entity*>{&grq, &t.se}, {&root, &gse}}) {
      if (rq->nr < 2) continue;
      sim::Time dt;
      if (p_.policy == Policy::kEevdf) {
        dt = static_cast<sim::Time>((static_cast<i128>(se->deadline - se->vruntime) * se->weight + 1023) / 1024);
      } else {
        // check_preempt_tick: the slice used, or (past min_granularity) a lead over the leftmost of more
        // than a slice.
        const sim::Time ideal = sched_slice_cfs(c.curr);
        const sim::Time ran = se->sum_exec - se->prev_sum_exec;
        dt = ideal - ran + 1;
        const std::int64_t left = leftmost_vruntime(*rq);
        if (left != kNever) {
          const sim::Time lead = static_cast<sim::Time>((static_cast<i128>(ideal - (se->vruntime - left)) * se->weight) / 1024) + 1;
          dt = std::min(dt, std::max(p_.base_slice - ran, lead));
        }
      }
      slice_due = std::min(slice_due, std::max<sim::Time>(dt, 1));
    }
    if (slice_due != kNever) at = p_.hrtick ? engine_.now() + slice_due : next_tick_at(engine_.now() + slice_due);
    if (groups_[t.group].limited()) {
      at = std::min(at, next_tick_at(engine_.now() + std::max<sim::Time>(grq.runtime_remaining, 1)));
    }
  }
  if (c.check.valid()) {
    if (at != kNever && c.check_at == at) return;
    cancel_daemon(c.check);
  }
  if (at == kNever) return;
  c.check_at = at;
  c.check = schedule_daemon(at, sim::kBandLate, kTickCheck, cpu);
}

void Kernel::tick_check(std::uint32_t cpu) {
  Cpu& c = cpus_[cpu];
  c.check = {};
  if (c.curr == kNone) return;
  bool resched = update_curr(cpu);
  update_cfs_group(thr(c.curr).group, cpu);  // entity_tick reweights the running group's entity
  if (p_.policy == Policy::kCfs && !resched) {
    const Thread& t = thr(c.curr);
    const CfsRq& grq = rqs_[group_rq(t.group, cpu)];
    const CfsRq& root = rqs_[root_rq(cpu)];
    const Entity& gse = gse_[group_se(t.group, cpu) & ~kGroupBit];
    const sim::Time ideal = sched_slice_cfs(c.curr);
    for (auto [rq, se] : {std::pair<const CfsRq*, const Entity*>{&grq, &t.se}, {&root, &gse}}) {
      if (rq->nr < 2) continue;
      const sim::Time ran = se->sum_exec - se->prev_sum_exec;
      if (ran > ideal) resched = true;
      if (ran < p_.base_slice) continue;
      const std::int64_t left = leftmost_vruntime(*rq);
      if (left != kNever && se->vruntime - left > ideal) resched = true;
    }
  }
  if (resched) {
    schedule(cpu, true);
  } else {
    arm_tick_check(cpu);
  }
}

// ---- bursts ----

void Kernel::cancel_burst(Thread& t) {
  if (t.burst.valid()) {
    charge(t);
    if (t.proc != kNone) {
      cancel_daemon(t.burst);
    } else {
      engine_.cancel(t.burst);
      t.burst = {};
    }
  }
}

// G(x) = x - tick_time_until(x) is the progress a ticking CPU makes by x: flat during each handler,
// k (tick - tick_cost) + u at k tick + tick_cost + u. The burst ends at the first x with G(x) = G(from) + work.
sim::Time Kernel::ticked_end(sim::Time from, sim::Time work) const {
  if (work <= 0) return from;
  const sim::Time per = p_.tick - p_.tick_cost;  // progress per tick period
  const sim::Time y = from - tick_time_until(from) + work;
  const sim::Time k = y / per, u = y - k * per;
  return u == 0 ? k * p_.tick : k * p_.tick + p_.tick_cost + u;
}

// start_burst with kernel.tick_cost > 0: the burst ends later by the handlers' time when it pays the tick.
void Kernel::start_ticked_burst(std::uint32_t tid) {
  Thread& t = thr(tid);
  const sim::Time now = engine_.now();
  t.burst_since = now;
  t.burst_ticked = tick_charged(t);
  const sim::Time len = t.switch_left + t.remaining;
  const sim::Time end = t.burst_ticked ? ticked_end(now, len) : now + len;
  t.burst = tid & kBgBit ? schedule_daemon(end, sim::kBandDefault, kBurstDone, tid)
                         : engine_.schedule_at(end, sim::kBandDefault, kind_base_ + kBurstDone, tid);
}

// NO_HZ_FULL: the CPU's tick stops or restarts (its runnable count crossed 1 <-> 2); the running burst is
// accounted up to now under the old state and goes on under the new.
void Kernel::retick(std::uint32_t cpu) {
  const std::uint32_t tid = cpus_[cpu].curr;
  if (tid == kNone) return;
  Thread& t = thr(tid);
  if (!t.burst.valid() || t.burst_ticked == tick_charged(t)) return;
  charge(t);
  if (tid & kBgBit) {
    cancel_daemon(t.burst);
  } else {
    engine_.cancel(t.burst);
    t.burst = {};
  }
  start_burst(tid);
}

sim::EventId Kernel::schedule_daemon(sim::Time at, sim::Band band, std::uint32_t kind, std::uint32_t arg) {
  ++daemon_pending_;
  return engine_.schedule_at(at, band, kind_base_ + kind, arg);
}

void Kernel::cancel_daemon(sim::EventId& id) {
  if (engine_.cancel(id)) --daemon_pending_;
  id = {};
}


void Kernel::background_next(std::uint32_t tid) {
  Thread& t = thr(tid);
  if (t.proc == kKthread) {
    t.kowner->on_burst_done(tid);
    return;
  }
  Process& pr = procs_[t.proc];
  if (pr.killed) {  // SIGKILL from the OOM killer: the thread exits
    block(tid);
    return;
  }
  if (!t.bg_sleeping) {
    const auto s = static_cast<sim::Time>(std::clamp(pr.spec.sleep.sample(pr.rng), 0.0, static_cast<double>(sim::kMaxDraw)));
    if (s > 0) {
      t.bg_sleeping = true;
      sleep(tid, s);
      return;
    }
  }
  t.bg_sleeping = false;
  run_for(tid, std::max<sim::Time>(1, static_cast<sim::Time>(std::clamp(pr.spec.burst.sample(pr.rng), 0.0, static_cast<double>(sim::kMaxDraw)))), kOther);
}

// ---- the public calls ----

sim::Time Kernel::wake(std::uint32_t tid, sim::Time extra, std::uint32_t waker) {
  Thread& t = thr(tid);
  if (t.state != State::kBlocked) return 0;
  if (t.se.delayed) {
    if (in_mask(allowed_mask(t), cpu_of_rq(t.se.rq))) {
      requeue_delayed(tid);
      return 0;
    }
    finish_delayed_dequeue(tid);  // its affinity moved off that CPU meanwhile: an ordinary wake-up
  }
  t.state = State::kWaking;
  const std::uint32_t cpu = select_task_rq(tid, waker);
  if (numa_ && t.prev_cpu != kNone && cpu_node_[cpu] != cpu_node_[t.prev_cpu]) ++wakeups_cross_node_;
  Cpu& c = cpus_[cpu];
  // Halt polling restarts after each tick's handler on a CPU that takes ticks while idle (kernel.nohz off).
  sim::Time quiet_since = c.idle_since;
  if (p_.nohz == NoHz::kOff) quiet_since = std::max(quiet_since, engine_.now() / p_.tick * p_.tick + p_.tick_cost);
  const bool idle = available_idle_cpu(cpu);
  const bool halted = idle && engine_.now() - quiet_since >= p_.idle_poll;
  ++c.ttwu_pending;
  update_idle(cpu);
  t.cpu = cpu;
  // kernel.futex_wake is measured to the woken thread running, its switch-in included: that part is CPU
  // time, paid after the enqueue (switch_to), so the delay before it is the rest.
  const sim::Time at = engine_.now() + std::max<sim::Time>(0, p_.wake_latency - p_.context_switch) +
                       (halted ? p_.idle_exit : 0) + extra;
  if (tid & kBgBit) {
    schedule_daemon(at, sim::kBandDefault, kWakeDone, tid);
  } else {
    engine_.schedule_at(at, sim::kBandDefault, kind_base_ + kWakeDone, tid);
  }
  if (!idle || waker == kNone || waker == kTimerIrq || thr(waker).cpu == cpu) return 0;
  ++wake_ipis_;
  return p_.wake_ipi;
}

void Kernel::start_now(std::uint32_t tid) {
  Thread& t = thr(tid);
  GMPSIM_CHECK(t.state == State::kBlocked, "Kernel::start_now: thread already started");
  t.state = State::kWaking;
  const std::uint32_t cpu = select_task_rq(tid);
  enqueue_task(tid, cpu);
  check_preempt_wakeup(cpu, tid);
}

// The timer is armed before the thread blocks: the switch inside block() may run a thread that wakes this
// one at once (interrupt_sleep), which must find the timer to cancel it, or it would wake the thread again
// later, in whatever sleep it is in then.
void Kernel::sleep(std::uint32_t tid, sim::Time d, bool timer) {
  thr(tid).timer_sleep = timer;
  thr(tid).sleep_timer = tid & kBgBit ? schedule_daemon(engine_.now() + d, sim::kBandDefault, kSleepDone, tid)
                                      : engine_.schedule_in(d, sim::kBandDefault, kind_base_ + kSleepDone, tid);
  block(tid);
}

sim::Time Kernel::interrupt_sleep(std::uint32_t tid, std::uint32_t waker) {
  Thread& t = thr(tid);
  if (!t.sleep_timer.valid()) return 0;
  engine_.cancel(t.sleep_timer);
  t.sleep_timer = {};
  return wake(tid, 0, waker);
}

void Kernel::block(std::uint32_t tid) {
  Thread& t = thr(tid);
  GMPSIM_CHECK(t.state == State::kRunning, "Kernel::block: thread is not running");
  const std::uint32_t cpu = t.cpu;
  update_curr(cpu);
  cancel_burst(t);
  t.remaining = 0;
  t.prefix = 0;
  const bool alone = dequeue_alone(tid);
  if (!alone && !delay_dequeue_task(tid)) dequeue_task(tid, true);
  t.state = State::kBlocked;
  t.prev_cpu = cpu;
  t.cpu = kNone;
  t.last_ran = engine_.now();
  Cpu& c = cpus_[cpu];
  c.curr = kNone;
  update_idle(cpu);
  if (alone && overloaded_ == 0) {
    // schedule() with nothing to run and nothing to pull (sched_balance_newidle needs an overloaded CPU).
    c.idle_since = engine_.now();
    if (c.check.valid()) cancel_daemon(c.check);
    return;
  }
  schedule(cpu, false);
}

// ---- the fast path: a CPU with one runnable thread ----
// A thread waking onto an idle CPU, and a thread blocking that leaves its CPU idle, when its group has no
// quota: the same state changes as enqueue_task + check_preempt_wakeup + schedule (and dequeue_task), with
// the queues' general bookkeeping (searches, averages over the queue, lag of an entity alone, which is 0)
// skipped. The state after either path is the same, bit for bit.

// The thread, just off its wake-up, on an idle CPU whose queues are empty: queued and running at once.
bool Kernel::enqueue_on_idle(std::uint32_t tid, std::uint32_t cpu) {
  Cpu& c = cpus_[cpu];
  Thread& t = thr(tid);
  const std::uint32_t g = t.group;
  const std::uint32_t rooti = root_rq(cpu), grqi = group_rq(g, cpu);
  CfsRq& root = rqs_[rooti];
  CfsRq& grq = rqs_[grqi];
  Group& G = groups_[g];
  if (c.curr != kNone || root.nr != 0 || grq.nr != 0 || G.limited()) return false;
  t.cpu = cpu;
  t.state = State::kRunnable;
  t.runnable_since = engine_.now();
  Entity& se = t.se;
  const std::uint32_t gsei = group_se(g, cpu);
  Entity& gse = ent(gsei);
  GMPSIM_CHECK(!se.on_rq && !gse.on_rq && grq.curr == kNone && root.curr == kNone, "enqueue_on_idle: queues not empty");
  // enqueue_entity at both levels, each entity straight into curr (set_next_entity)
  place_on_empty(grqi, se);
  grq.curr = tid;
  grq.nr = 1;
  grq.load += se.weight;
  se.on_rq = true;
  se.rq = grqi;
  G.load += se.weight;
  add_nr_running(cpu, 1);
  place_on_empty(rooti, gse);
  root.curr = gsei;
  root.nr = 1;
  root.load += gse.weight;
  gse.on_rq = true;
  gse.rq = rooti;
  update_cfs_group(g, cpu);
  for (Entity* e : {&gse, &se}) {
    e->prev_sum_exec = e->sum_exec;
    if (p_.policy == Policy::kEevdf && p_.run_to_parity) e->vlag = e->deadline;  // protect the slice
  }
  ++switches_;
  switch_to(cpu, tid);
  return true;
}

// place_entity on an empty queue: EEVDF places at the queue's min_vruntime (its avg_vruntime) with no lag.
void Kernel::place_on_empty(std::uint32_t rqi, Entity& se) {
  if (p_.policy == Policy::kEevdf) {
    std::int64_t vslice = calc_delta_fair(p_.base_slice, se.weight);
    se.vruntime = rqs_[rqi].min_vruntime;
    if (se.initial) vslice /= 2;
    se.deadline = se.vruntime + vslice;
  } else {
    place_entity(rqi, se, se.initial);
  }
  se.initial = false;
}

// dequeue_entity of the only entity of a queue: its lag is 0 (it is the queue's average).
void Kernel::dequeue_only_entity(std::uint32_t rqi, Entity& se) {
  CfsRq& rq = rqs_[rqi];
  se.last_rq = rqi;
  if (p_.policy == Policy::kEevdf) {
    se.vlag = 0;
  } else {
    se.relative = false;  // a sleeper keeps its absolute vruntime
  }
  rq.curr = kNone;
  rq.nr = 0;
  rq.load -= se.weight;
  se.on_rq = false;
  se.rq = kNone;
}

// The running thread blocks and it is the only runnable one of its CPU: dequeue_task(tid, sleep = true).
bool Kernel::dequeue_alone(std::uint32_t tid) {
  Thread& t = thr(tid);
  const std::uint32_t cpu = t.cpu;
  const std::uint32_t grqi = group_rq(t.group, cpu), rooti = root_rq(cpu);
  CfsRq& grq = rqs_[grqi];
  const CfsRq& root = rqs_[rooti];
  if (grq.nr != 1 || root.nr != 1 || grq.throttled || groups_[t.group].limited()) return false;
  const std::uint32_t gsei = group_se(t.group, cpu);
  GMPSIM_CHECK(grq.curr == tid && root.curr == gsei && grq.queued.empty() && root.queued.empty(),
               "dequeue_alone: not the CPU's only entity");
  dequeue_only_entity(grqi, t.se);
  groups_[t.group].load -= t.se.weight;
  add_nr_running(cpu, -1);
  dequeue_only_entity(rooti, ent(gsei));
  return true;
}

sim::Time Kernel::interrupt(std::uint32_t tid, sim::Time* prefix_left) {
  Thread& t = thr(tid);
  if (t.state == State::kRunning) charge(t);
  cancel_burst(t);
  const sim::Time left = t.remaining;
  if (prefix_left != nullptr) *prefix_left = t.prefix;
  t.remaining = 0;
  t.prefix = 0;
  return left;
}

void Kernel::handle_other(const sim::Event& ev) {
  if (is_daemon_event(ev)) --daemon_pending_;
  switch (ev.kind - kind_base_) {
    case kBurstDone: {
      Thread& t = thr(ev.arg);
      t.burst = {};
      charge(t);
      GMPSIM_CHECK(t.remaining == 0, "Kernel: burst done with work left");
      if (t.proc != kNone) {
        background_next(ev.arg);
      } else {
        owner_.on_burst_done(ev.arg);
      }
      break;
    }
    case kWakeDone: {
      Thread& t = thr(ev.arg);
      std::uint32_t cpu = t.cpu;
      --cpus_[cpu].ttwu_pending;
      update_idle(cpu);
      if (t.reaffine) [[unlikely]] {  // set_affinity while the wake-up was on its way: placed again
        t.reaffine = false;
        cpu = select_task_rq(ev.arg);
      }
      if (enqueue_on_idle(ev.arg, cpu)) break;
      enqueue_task(ev.arg, cpu);
      check_preempt_wakeup(cpu, ev.arg);
      break;
    }
    case kTickCheck: tick_check(ev.arg); break;
    case kSleepDone:
      thr(ev.arg).sleep_timer = {};
      wake(ev.arg, 0, thr(ev.arg).timer_sleep ? kTimerIrq : kNone);
      break;
    case kPeriodTimer: do_sched_cfs_period_timer(ev.arg); break;
    case kSlackTimer: {
      Group& G = groups_[ev.arg];
      G.slack_armed = false;
      if (G.runtime > p_.bandwidth_slice) distribute_cfs_runtime(ev.arg);
      break;
    }
    case kBalance: rebalance_domains(); break;
    case kMigrationStop: move_off(ev.arg); break;
  }
}

sim::Time Kernel::busy_on(std::uint32_t c, BurstKind kind, sim::Time now) const {
  sim::Time b = busy_cpu_[c * kMaxKinds + kind];
  const std::uint32_t tid = cpus_[c].curr;
  if (tid == kNone || !thr(tid).burst.valid()) return b;
  const Thread& t = thr(tid);
  const sim::Time ran = now - t.burst_since, first = std::min(ran, t.prefix);
  if (t.prefix_kind == kind) b += first;
  if (t.kind == kind) b += ran - first;
  return b;
}

nlohmann::ordered_json Kernel::report(sim::Time now) const {
  nlohmann::ordered_json j;
  j["policy"] = p_.policy == Policy::kEevdf ? "eevdf" : "cfs";
  j["context_switches"] = switches_;
  if (p_.context_switch > 0) j["context_switch_cpu_s"] = sim::to_seconds(switch_time_);
  j["wake_ipis"] = wake_ipis_;
  j["wakeups_affine"] = wakeups_affine_;
  j["wakeups_stacked"] = wakeups_stacked_;
  j["wakeups_packed"] = wakeups_packed_;
  j["delayed_dequeues"] = delayed_dequeues_;
  j["preemptions"] = preemptions_;
  j["wakeup_preemptions"] = wakeup_preemptions_;
  j["migrations"] = migrations_;
  // The program's threads' waits on a run queue, from runnable (woken, or preempted) to running: what
  // schedstat's run_delay sums and `perf sched timehist` prints as "sch delay", per switch-in.
  j["run_delay_us"] = {{"count", run_delay_.count()},
                       {"p50", static_cast<double>(run_delay_.percentile(0.5)) / 1e3},
                       {"p90", static_cast<double>(run_delay_.percentile(0.9)) / 1e3},
                       {"p99", static_cast<double>(run_delay_.percentile(0.99)) / 1e3},
                       {"max", static_cast<double>(run_delay_.max()) / 1e3},
                       {"mean", run_delay_.mean() / 1e3}};
  if (numa_) {  // only with NUMA nodes, so one-node reports stay as they were
    j["migrations_cross_node"] = migrations_cross_node_;
    j["wakeups_cross_node"] = wakeups_cross_node_;
    nlohmann::ordered_json per_node = nlohmann::ordered_json::array();
    for (const std::vector<std::uint32_t>& cpus : node_cpus_) {
      sim::Time busy = 0;
      for (std::uint32_t c : cpus) {
        for (std::size_t k = 0; k < kMaxKinds; ++k) busy += busy_on(c, static_cast<BurstKind>(k), now);
      }
      per_node.push_back(busy / 1000);
    }
    j["node_cpu_usec"] = per_node;
  }
  if (p_.tick_cost > 0) {
    // The ticks' handler time: on running threads; with kernel.nohz off, every CPU takes every tick.
    const sim::Time ticks = p_.nohz == NoHz::kOff ? static_cast<sim::Time>(cpus_.size()) * tick_time_until(now) : tick_time_;
    j["tick_usec"] = ticks / 1000;
  }
  // cpu.stat usage_usec: bursts as they are charged, and the ones running now (a thread that never leaves
  // its CPU is never charged otherwise).
  std::vector<sim::Time> running(groups_.size(), 0);
  for (const Cpu& c : cpus_) {
    if (c.curr == kNone) continue;
    const Thread& t = thr(c.curr);
    if (t.burst.valid() && now > t.burst_since) running[t.group] += now - t.burst_since;
  }
  nlohmann::ordered_json groups = nlohmann::ordered_json::object();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const Group& G = groups_[g];
    sim::Time throttled = G.throttled_time;
    for (std::uint32_t rqi : G.throttled_rqs) throttled += now - rqs_[rqi].throttled_clock;
    nlohmann::ordered_json s;
    s["usage_usec"] = (group_busy_[g] + running[g]) / 1000;
    s["nr_periods"] = G.nr_periods;
    s["nr_throttled"] = G.nr_throttled;
    s["throttled_usec"] = throttled / 1000;
    s["nr_bursts"] = G.nr_bursts;
    s["burst_usec"] = G.burst_time / 1000;
    groups[G.spec.name.empty() ? "process" : G.spec.name] = s;
  }
  j["cgroups"] = groups;
  return j;
}

void Kernel::check_invariants() const {
  std::vector<std::uint32_t> h(cpus_.size(), 0);
  for (std::size_t i = 0; i < threads_.size() + bg_.size(); ++i) {
    const std::uint32_t tid = i < threads_.size() ? static_cast<std::uint32_t>(i) : kBgBit | static_cast<std::uint32_t>(i - threads_.size());
    const Thread& t = thr(tid);
    if (t.state == State::kRunnable || t.state == State::kRunning) {
      GMPSIM_CHECK(t.se.on_rq && t.se.rq == group_rq(t.group, t.cpu), "Kernel: a runnable thread is not queued on its CPU");
      if (!rqs_[t.se.rq].throttled) ++h[t.cpu];
    } else {
      GMPSIM_CHECK(!t.se.on_rq || (t.se.delayed && t.state == State::kBlocked), "Kernel: a blocked thread is queued");
    }
    if (t.state == State::kRunning) GMPSIM_CHECK(cpus_[t.cpu].curr == tid, "Kernel: a running thread is not its CPU's curr");
  }
  for (std::size_t c = 0; c < cpus_.size(); ++c) {
    GMPSIM_CHECK(h[c] == cpus_[c].h_nr_running, "Kernel: h_nr_running out of step");
    if (cpus_[c].curr == kNone) GMPSIM_CHECK(h[c] == 0, "Kernel: an idle CPU with runnable threads");
    const Cpu& cc = cpus_[c];
    GMPSIM_CHECK(available_idle_cpu(static_cast<std::uint32_t>(c)) == (cc.curr == kNone && cc.h_nr_running == 0 && cc.ttwu_pending == 0),
                 "Kernel: the idle CPU mask is out of step");
  }
  for (const CfsRq& rq : rqs_) {
    std::uint64_t load = 0;
    std::uint32_t nr = 0;
    if (rq.curr != kNone) load += ent(rq.curr).weight, ++nr;
    std::uint32_t delayed = 0;
    for (std::uint32_t id : rq.queued) load += ent(id).weight, ++nr, delayed += ent(id).delayed;
    GMPSIM_CHECK(nr == rq.nr && load == rq.load, "Kernel: a cfs_rq's load or count is out of step");
    GMPSIM_CHECK(delayed == rq.ndelayed && (delayed == 0 || rq.nr > delayed), "Kernel: delayed entities out of step");
  }
}

}  // namespace gmpsim::models::kernel
