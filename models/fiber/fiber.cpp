// boost-fiber-ws: Boost.Fiber 1.74's work_stealing algorithm and scheduler (boostorg/fiber tag boost-1.74.0).
// models/fiber/README.md says what is modelled and what is simplified; fiberrun.h which file holds what.
//
// Structure (as fifo's, plus the kernel thread layer as in the go model):
//  - N worker threads run on kernel::ThreadScheduler: they share the machine's CPUs, are time-sliced by
//    the kernel, and a suspended thread pays the futex wake latency (and idle exit) when notified.
//  - Each thread has a FIFO ready queue holding fibers and, while one of its fibers runs, its pinned
//    dispatcher (the token kDispatcher): scheduler::dispatch resumes a fiber with ctx->resume(dispatcher),
//    which pushes the dispatcher to the tail of the queue, "so that ready-queue never becomes empty".
//  - A fiber that blocks, yields or ends switches to the head of its thread's queue (pick_next): another
//    fiber directly, or the dispatcher, which then moves the remote-ready list and expired sleepers to the
//    queue and picks the next fiber: its own queue's head, else steal() from random other threads.
//  - steal() takes the victim's queue head, one fiber, unless the head is the pinned dispatcher.
//  - Idle threads spin (suspend=false, Boost's default) or wait on a condition variable that only
//    notify() from schedule_from_remote (fibers owned by that thread) or its own timer ends
//    (boostorg/fiber#327).
//
// This file: the run (events, loop, results), fiber creation and exit (src/fiber.cpp), and how work from
// outside the pool enters.
#include "models/fiber/fiber.h"

#include <algorithm>
#include <memory>

#include "models/fiber/fiberrun.h"
#include "models/run/run_loop.h"
#include "models/run/trace_events.h"

namespace gmpsim::models::fiber {

FiberRun::FiberRun(const Scenario& sc)
    : prm_(sc), core_(sc, {kArrival, kClientSubmit, kSample, kWarmupEnd}),
      ks_(core_.engine, *this, sc.machine.cpus.size(), prm_.kcfg.params, kThreadBase, prm_.kcfg.groups), steal_rng_(core_.streams.stream("fiber.steal")),
      topo_(prm_.kcfg.topology), numa_mem_(topo_, kernel::mem_policy(sc, topo_)), numa_bw_(topo_) {
  reject_unsupported(core_.wl);
  for (std::size_t i = 0; i < core_.wl.channels.size(); ++i) core_.sync.chans[static_cast<std::uint32_t>(i)].capacity = boost_channel_slots(core_.wl.channels[i].capacity);
  holder_.assign(core_.sync.chans.capacity(), kNone32);
  mutex_owner_.assign(core_.sync.mutexes.capacity(), kNone32);
  workers_.resize(prm_.threads);
  for (std::uint32_t t = 0; t < prm_.threads; ++t) ks_.create_thread();
  ks_.set_topology(prm_.kcfg.topology);
  if (prm_.algorithm == Algorithm::kNumaWorkStealing) {
    // numa::pin_thread(cpu_id), and the victims of pick_next: local_cpus_ (the node's, itself included) and
    // remote_cpus_ (every other node's), here the worker threads pinned to them.
    for (std::uint32_t t = 0; t < prm_.threads; ++t) {
      ks_.set_affinity(t, {prm_.worker_cpus[t]});
      for (std::uint32_t v = 0; v < prm_.threads; ++v) {
        const bool local = ks_.node_of(prm_.worker_cpus[v]) == ks_.node_of(prm_.worker_cpus[t]);
        (local ? workers_[t].local_victims : workers_[t].remote_victims).push_back(v);
      }
    }
  }
  if (prm_.listener_cost > 0) listener_ = ks_.create_thread();  // the thread outside the pool, after the workers
  numa_init();
  // The listener thread (the generator outside the pool) counts as runtime CPU time.
  core_.stats.set_busy_source([this](std::size_t cpu, CpuUse use, sim::Time now) {
    const auto c = static_cast<std::uint32_t>(cpu);
    switch (use) {
      case CpuUse::kGoroutines: return ks_.busy_on(c, kWork, now);
      case CpuUse::kRuntime: return ks_.busy_on(c, kSched, now) + ks_.busy_on(c, kListener, now);
      case CpuUse::kSpinning: return ks_.busy_on(c, kSpin, now);
      case CpuUse::kOther: return ks_.busy_on(c, kernel::kOther, now);
    }
    return sim::Time{0};
  });
}

RunResult FiberRun::run(const RunOptions& options) { return core_.execute(*this, options); }

void FiberRun::start() {
  // The worker threads (the main thread is worker 0, as in Boost's examples and gmpsim-fiberrun) and the
  // listener are created with pthread_create before any fiber: std::thread throws std::system_error when
  // the stack's mmap fails.
  maps_peak_ = maps();
  if (maps_peak_ > prm_.max_map_count) {
    oom_ = true;
    oom_detail_ = "std::system_error: pthread_create failed: Resource temporarily unavailable (the thread stack's mmap: " +
                  std::to_string(maps_peak_) + " mappings would exceed vm.max_map_count = " + std::to_string(prm_.max_map_count) + ")";
    core_.stopped_at_start = true;
    return;
  }
  start_arrivals();
  // Every worker thread is running at t = 0 (work_stealing's constructor waits at a barrier for all).
  for (std::uint32_t t = 0; t < prm_.threads; ++t) ks_.start_now(t);
  if (numa_) numa_place_initial();
  ks_.start_processes(prm_.kcfg.processes, core_.streams);
}

void FiberRun::dispatch(const sim::Event& ev) {
  if (ev.kind < kThreadBase || !ks_.is_daemon_event(ev)) core_.last_activity = ev.time;
  if (ev.kind >= kThreadBase) {
    ks_.handle(ev);
    return;
  }
  switch (ev.kind) {
    case kArrival: {
      const auto cls = static_cast<std::uint16_t>(ev.arg);
      arrive(cls, ev.time);
      core_.arrivals.next_arrival(cls, ev.time);
      break;
    }
    case kClientSubmit: arrive(static_cast<std::uint16_t>(ev.arg), ev.time, ev.arg2); break;
    case kSpinTimer: spin_timer_due(ev.arg); break;
  }
}

void FiberRun::check_invariants() const {
  GMPSIM_CHECK(core_.gt.live() == runnable_ + running_ + core_.sync.parked + sleeping_,
               "boost-fiber-ws: a live fiber is neither ready, running, waiting nor sleeping");
}

// Pending events that are work: not observations, and not the endless bursts of spinning idle threads.
std::size_t FiberRun::work_pending() const {
  std::size_t spinning = 0;
  for (std::uint32_t t = 0; t < workers_.size(); ++t) {
    if (workers_[t].idle == Idle::kSpinLong && ks_.state(t) == Threads::State::kRunning) ++spinning;
  }
  return core_.program_events() - ks_.daemon_pending() - spinning;
}

Json FiberRun::counters(sim::Time end) const {
  Json c = Json::object();
  c["threads"] = prm_.threads;
  c["idle_mode"] = prm_.suspend ? "suspend" : "spin";
  if (prm_.algorithm == Algorithm::kNumaWorkStealing) c["algorithm"] = "numa_work_stealing";
  c["steals"] = steals_;
  if (ks_.nodes() > 1) c["steals_cross_node"] = steals_cross_node_;
  c["steal_attempts"] = steal_attempts_;
  c["remote_wakes"] = remote_wakes_;
  c["idle_spins"] = idle_spins_;
  c["idle_spin_passes"] = spin_passes_;
  c["idle_suspends"] = idle_suspends_;
  c["idle_wakeups"] = idle_wakeups_;
  c["switches"] = switches_;
  c["stacks_allocated"] = stacks_allocated_;
  c["stack_allocator"] = stack_allocator_name(prm_.stack_allocator);
  c["maps"] = maps();
  c["maps_peak"] = maps_peak_;
  // protected maps (pages + 1) x page_size; the others take the size as it is
  const std::int64_t per_stack = prm_.stack_allocator == StackAllocator::kProtected ? ((prm_.stack_size + 4095) / 4096 + 1) * 4096 : prm_.stack_size;
  c["stack_bytes_peak"] = static_cast<std::int64_t>(stacks_allocated_) * per_stack;
  if (listener_ != kNone32) c["cpu_listener_ns"] = ks_.busy(kListener);
  c["parks"] = parks_;
  c["yields"] = yields_;
  c["syscalls"] = syscalls_;
  c["kernel_preemptions"] = ks_.preemptions();
  kernel::add_kernel_counters(ks_, core_.engine.now(), c);
  Json per_thread = Json::array();
  for (const Worker& w : workers_) per_thread.push_back(w.fibers_run);
  c["fibers_run_per_thread"] = per_thread;
  sim::Time work = 0, sched = 0, spin = 0;
  for (std::uint32_t cpu = 0; cpu < ks_.cpus(); ++cpu) {
    const sim::Time at = std::max(end, core_.engine.now());
    work += ks_.busy_on(cpu, kWork, at);
    sched += ks_.busy_on(cpu, kSched, at);
    spin += ks_.busy_on(cpu, kSpin, at);
  }
  c["cpu_work_ns"] = work;
  c["cpu_sched_ns"] = sched;
  c["cpu_spin_ns"] = spin;
  c["allocated_bytes"] = core_.allocated_bytes;
  if (numa_) c["numa"] = numa_json();
  return c;
}

// ---- fibers (src/fiber.cpp) ----

std::uint32_t FiberRun::create(std::uint16_t cls, sim::Time start, std::uint32_t client, std::uint32_t parent) {
  core_.stats.created(cls);
  const std::uint32_t g = core_.gt.create(cls, start, client);
  // pooled_fixedsize_stack hands out released stacks first and allocates only beyond the most fibers
  // ever alive at once: only those stacks are new memory, whose first use faults their pages in; so does
  // fixedsize_stack, whose std::malloc reuses freed stacks. protected_fixedsize_stack maps every stack
  // afresh (mmap, and munmap when the fiber ends): each one faults.
  if (core_.gt.live() > stacks_allocated_) {
    stacks_allocated_ = core_.gt.live();
    core_.gt[g].flags |= kFreshStack;
  }
  if (prm_.stack_allocator == StackAllocator::kProtected) core_.gt[g].flags |= kFreshStack;
  // fixedsize: glibc malloc serves 128 KiB and more by mmap until the first free of such a chunk raises its
  // threshold (M_MMAP_THRESHOLD is dynamic): the stacks allocated before the first fiber ended are mappings.
  if (prm_.stack_allocator == StackAllocator::kFixedsize && !stack_freed_) {
    core_.gt[g].flags |= kMmapStack;
    ++mmap_stacks_live_;
    if (mmap_index_.size() < core_.gt.capacity()) mmap_index_.resize(core_.gt.capacity(), 0);
    mmap_index_[g] = static_cast<std::uint32_t>(mmap_alive_.size());
    if (mmap_alive_.empty() || !mmap_alive_.back()) ++mmap_runs_;  // none freed yet: it merges with the last
    mmap_alive_.push_back(1);
  }
  maps_peak_ = std::max(maps_peak_, maps());
  init_locals(core_.wl, core_.gt, g, parent, [this](ObjKind k, std::uint32_t id) { core_.sync.retain(k, id); });
  if (owner_.size() < core_.gt.capacity()) owner_.resize(core_.gt.capacity(), 0);
  core_.gt[g].ready_at = core_.engine.now();
  core_.engine.tracer().emit({core_.engine.now(), kTraceGoCreate, g, cls, 0});
  core_.stats.live_changed(core_.engine.now(), core_.gt.live());
  return g;
}

// fibers::fiber(fn), launch::post: the creating thread allocates the stack and builds the context on it
// (make_worker_context: the context record placed at the stack's top, create_fiber's first jump into it),
// then fiber::start_ attaches it to this thread's scheduler and pushes it to its queue. A spawn step's
// fibers are created one after another on the thread (spawn_begin/spawn_done); each exists once built.
bool FiberRun::on_spawn(std::uint16_t cls, std::int64_t count) {
  if (count <= 0) return false;
  workers_[cur_].spawn_cls = cls;
  workers_[cur_].spawn_left = count;
  return true;
}

// A new stack (beyond the most fibers alive so far: the pool reuses released ones) is first touched by
// its creation; what the creating fiber owed before (pending_) is paid first.
void FiberRun::spawn_begin(std::uint32_t t) {
  Worker& w = workers_[t];
  const bool fresh = core_.gt.live() >= stacks_allocated_ || prm_.stack_allocator == StackAllocator::kProtected;
  const sim::Time cost = pending_ + prm_.c_spawn + (fresh ? prm_.create_stack_faults : 0);
  pending_ = 0;
  w.next = Next::kSpawn;
  ks_.run_for(t, cost, kSched);
}

void FiberRun::spawn_done(std::uint32_t t) {
  Worker& w = workers_[t];
  cur_ = t;
  if (!allocate_stack()) {  // the spawning fiber's fibers::fiber(fn) throws std::bad_alloc
    core_.engine.stop();
    return;
  }
  const std::uint32_t g = create(w.spawn_cls, core_.engine.now(), kNone32, w.fiber);
  numa_new_fiber(g, numa_cpu(t), true);
  owner_[g] = t;
  w.rq.push_back(g);
  ++runnable_;
  core_.stats.runnable_changed(core_.engine.now(), runnable_);
  rq_changed(t);
  if (--w.spawn_left > 0) {
    spawn_begin(t);
  } else {
    run_fiber(t);
  }
}

void FiberRun::exit_fiber(std::uint32_t g) {
  const std::uint16_t cls = core_.gt[g].cls;
  const std::uint32_t client = goroutine_exited(core_.wl, core_.gt, core_.sync, core_.stats, core_.engine, g, 0);
  // The stack goes back: munmap (protected), free (fixedsize), the pool's free list (pooled).
  if (core_.gt[g].flags & kMmapStack) {
    --mmap_stacks_live_;
    ++mmap_stacks_freed_;
    const std::uint32_t i = mmap_index_[g];
    const bool left = i > 0 && mmap_alive_[i - 1], right = i + 1 < mmap_alive_.size() && mmap_alive_[i + 1];
    mmap_alive_[i] = 0;
    if (left && right) ++mmap_runs_;  // a hole splits its run
    if (!left && !right) --mmap_runs_;
  }
  stack_freed_ = true;
  numa_exit_fiber(g);
  core_.gt.destroy(g);
  maps_peak_ = std::max(maps_peak_, maps());  // a free inside merged mmaps splits them
  core_.stats.live_changed(core_.engine.now(), core_.gt.live());
  if (client != kNone32) core_.arrivals.next_submit(cls, client, core_.engine.now());
}

// ---- the process's mappings (vm.max_map_count) ----

// Mappings the fibers' stacks take with `live` fibers alive, a pool of `pool` stacks (the most alive so
// far), `mmap_live` of fixedsize's mmap-served stacks alive and `mmap_freed` of them freed.
//  - protected_fixedsize_stack: mmap of the stack and a guard page, then mprotect(PROT_NONE) of the guard:
//    two VMAs per stack (the guard's protection differs, so neither merges with its neighbours; measured:
//    +19 999 for 10 000 live stacks); munmap at the fiber's end.
//  - pooled_fixedsize_stack: boost::pool's blocks of 32, 64, 128, ... chunks (next_size doubles), each one
//    malloc of >= 4 MiB, so an mmap: one mapping per block at most (adjacent blocks merge: measured +2 for
//    10 000 stacks); never given back.
//  - fixedsize_stack: std::malloc(128 KiB), an mmap each until the first stack is freed (free raises glibc's
//    dynamic mmap threshold above the stack's size; later stacks come from the heap). Adjacent mmaps merge
//    while all are alive (measured +1 for 10 000); freed ones leave holes that split them: one mapping per
//    run of survivors (measured +4 998 with every other one freed).
std::int64_t FiberRun::stack_maps(std::uint64_t live, std::uint64_t pool, std::uint64_t mmap_live, std::uint64_t mmap_freed) const {
  switch (prm_.stack_allocator) {
    case StackAllocator::kProtected: return 2 * static_cast<std::int64_t>(live);
    case StackAllocator::kPooled: {
      std::int64_t blocks = 0;
      for (std::uint64_t cap = 0, next = 32; cap < pool; cap += next, next *= 2) ++blocks;
      return blocks;
    }
    case StackAllocator::kFixedsize:
      (void)mmap_freed;
      // the runs now, and one more for a new stack while none was freed (it joins the last run)
      return static_cast<std::int64_t>(mmap_runs_) + (mmap_live > mmap_stacks_live_ && mmap_alive_.empty() ? 1 : 0);
  }
  return 0;
}

std::int64_t FiberRun::maps() const {
  const std::int64_t threads = static_cast<std::int64_t>(prm_.threads) - 1 + (listener_ != kNone32 ? 1 : 0);
  return kBaseMaps + kThreadMaps * threads + stack_maps(core_.gt.live(), stacks_allocated_, mmap_stacks_live_, mmap_stacks_freed_);
}

// The stack allocator's allocate() for one more fiber: false when the mmap it makes would take the
// process past vm.max_map_count (mm/mmap.c do_mmap: ENOMEM), which Boost turns into std::bad_alloc.
bool FiberRun::allocate_stack() {
  const std::uint64_t live = core_.gt.live() + 1;
  const bool mmap = prm_.stack_allocator == StackAllocator::kFixedsize && !stack_freed_;
  const std::int64_t now = maps();
  const std::int64_t after = now - stack_maps(core_.gt.live(), stacks_allocated_, mmap_stacks_live_, mmap_stacks_freed_) +
                             stack_maps(live, std::max<std::uint64_t>(stacks_allocated_, live), mmap_stacks_live_ + (mmap ? 1 : 0),
                                        mmap_stacks_freed_);
  if (after <= prm_.max_map_count || after <= now) return true;
  const char* per = prm_.stack_allocator == StackAllocator::kProtected ? "2 per stack"
                    : prm_.stack_allocator == StackAllocator::kPooled  ? "one per pool block"
                                                                       : "one per mmap-served stack";
  oom_ = true;
  oom_detail_ = "std::bad_alloc: mmap of a fiber stack failed: " + std::to_string(after) + " mappings would exceed vm.max_map_count = " +
                std::to_string(prm_.max_map_count) + " (fiber.stack_allocator " + stack_allocator_name(prm_.stack_allocator) + ": " + per +
                "), with " + std::to_string(core_.gt.live()) + " fibers alive";
  return false;
}

Outcome FiberRun::adjust_outcome(Outcome o) const {
  if (oom_) o = {OutcomeStatus::kOutOfMemory, oom_detail_ + ", at t=" + std::to_string(sim::to_seconds(core_.engine.now())) + " s"};
  return o;
}

// ---- work from outside the pool ----

// Work from outside the pool enters at a thread chosen round robin, through its remote ready list (as a
// fiber readied by another thread); an initial population is created by the threads' main fibers
// before they start dispatching, round robin too.
std::uint32_t FiberRun::next_thread() {
  const std::uint32_t t = rr_;
  rr_ = (rr_ + 1) % prm_.threads;
  return t;
}

// The outside thread's CPU for one hand-over: it shares the machine's CPUs with the workers. The
// hand-over itself is not delayed by it (arrival times are hand-over times: a replayed trace has them).
void FiberRun::listener_work() {
  if (ks_.state(listener_) != Threads::State::kBlocked) {
    ++listener_backlog_;
    return;
  }
  ks_.run_for(listener_, prm_.listener_cost, kListener);
  ks_.wake(listener_);
}

void FiberRun::start_arrivals() {
  for (std::size_t c = 0; c < core_.wl.classes.size(); ++c) {
    const Arrivals& a = core_.wl.classes[c].arrivals;
    if (a.process != Arrivals::Process::kInitial) continue;
    for (std::int64_t i = 0; i < a.count; ++i) {
      if (!allocate_stack()) {
        core_.stopped_at_start = true;
        return;
      }
      const std::uint32_t g = create(static_cast<std::uint16_t>(c), 0);
      const std::uint32_t t = next_thread();
      numa_new_initial(g, t);
      owner_[g] = t;
      workers_[t].rq.push_back(g);
      ++runnable_;
    }
  }
  core_.stats.runnable_changed(0, runnable_);
  core_.arrivals.start();
}

void FiberRun::arrive(std::uint16_t cls, sim::Time start, std::uint32_t client) {
  if (listener_ != kNone32) listener_work();
  if (!allocate_stack()) {  // the thread handing it over fails to create the fiber: std::bad_alloc
    core_.engine.stop();
    return;
  }
  const std::uint32_t g = create(cls, start, client);
  numa_new_fiber(g, listener_ != kNone32 ? numa_cpu(listener_) : ks_.process_cpus().front(), false);
  const std::uint32_t t = next_thread();
  owner_[g] = t;
  ++runnable_;
  core_.stats.runnable_changed(core_.engine.now(), runnable_);
  schedule_from_remote(t, g, kNone32);
}

RunResult FiberModel::run(const Scenario& scenario, const RunOptions& options) {
  auto r = std::make_unique<FiberRun>(scenario);
  return r->run(options);
}

}  // namespace gmpsim::models::fiber
