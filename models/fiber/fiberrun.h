// FiberRun: one run of the `boost-fiber-ws` model. The class is declared here and defined across files
// named after Boost.Fiber's own (boostorg/fiber at tag boost-1.74.0), so a reader can hold each next to
// its counterpart:
//   fiber.cpp          the run: constructor, run(), the event dispatch and loop, counters, invariants;
//                      fiber creation and exit (src/fiber.cpp fiber::start_ with launch::post); work from
//                      outside the pool and the listener thread
//   params.cpp         the parameters; steps Boost.Fiber cannot run
//   scheduler.cpp      the worker thread's step machine; scheduler::dispatch (remote_ready2ready_,
//                      sleep2ready_), suspend, yield, schedule_from_remote, wait_until (src/scheduler.cpp)
//   context.cpp        context::resume, the fiber running its program, context::schedule and waking the
//                      oldest waiter of a wait queue (src/context.cpp)
//   work_stealing.cpp  algo::work_stealing: awakened, pick_next, steal, suspend_until, notify; spinning
//                      idle threads (src/algo/work_stealing.cpp, boost/fiber/detail/context_spinlock_queue.hpp);
//                      numa::algo::work_stealing's pick_next (src/numa/algo/work_stealing.cpp)
//   channel.cpp        buffered_channel, unbuffered_channel (boost/fiber/buffered_channel.hpp,
//                      unbuffered_channel.hpp); on_make and on_sync route to the objects
//   mutex.cpp          fibers::mutex (src/mutex.cpp); the WaitGroup built from a mutex and a
//                      condition_variable (src/condition_variable.cpp)
//   numa.cpp           NUMA: stacks and heap placed by first touch, memory-bound compute steps costed from
//                      the worker's node (models/kernel/numa.h)
// Internal to models/fiber; the public entry point is fiber.h.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include "models/kernel/config.h"
#include "models/kernel/numa.h"
#include "models/kernel/sched.h"
#include "models/model.h"
#include "models/result.h"
#include "models/run/run_core.h"
#include "models/scenario/scenario.h"
#include "models/workload/arrivals.h"
#include "models/workload/goroutines.h"
#include "models/workload/sync.h"
#include "sim/engine.h"
#include "sim/ring.h"

namespace gmpsim::models::fiber {

enum Ev : std::uint32_t {
  kArrival,       // arg = class: an open-loop arrival is due
  kClientSubmit,  // arg = class, arg2 = client
  kSpinTimer,     // arg = thread: the earliest sleeper of a spinning thread is due
  kSample,        // a timeseries row (observation)
  kWarmupEnd,     // statistics start here (observation)
  kThreadBase = 8,
};

// What a thread's CPU time is counted as.
enum Burst : kernel::BurstKind { kWork = 0, kSched = 1, kSpin = 2, kListener = 3 };

constexpr std::uint32_t kDispatcher = 0xfffffffeu;  // the pinned dispatcher context in a ready queue
constexpr std::uint16_t kStarted = 1;               // Goroutine::flags: the fiber has run once
constexpr std::uint16_t kFreshStack = 2;            // Goroutine::flags: its stack is new memory (not reused)
constexpr std::uint16_t kMmapStack = 4;             // Goroutine::flags: fixedsize: glibc malloc served its stack by mmap

// The process's mappings (/proc/self/maps lines) before any worker thread or fiber exists: a C++ program
// linked with libboost_fiber and libboost_context (Debian bookworm, Boost 1.74), counted at the start of
// main(); models/fiber/README.md ("Mappings") says how it was measured.
constexpr std::int64_t kBaseMaps = 51;
// A thread created with pthread_create (std::thread): its stack and its guard page (measured: +2).
constexpr std::int64_t kThreadMaps = 2;

// fiber.stack_allocator: the boost::context stack allocator every fiber is created with.
enum class StackAllocator : std::uint8_t { kFixedsize, kProtected, kPooled };
const char* stack_allocator_name(StackAllocator a);

// fiber.algorithm: algo::work_stealing, or numa::algo::work_stealing (worker threads pinned one per CPU,
// stealing from their own node first).
enum class Algorithm : std::uint8_t { kWorkStealing, kNumaWorkStealing };

struct Params {
  std::uint32_t threads = 0;
  Algorithm algorithm = Algorithm::kWorkStealing;
  std::vector<std::uint32_t> worker_cpus;  // numa_work_stealing: worker t's CPU (numa::pin_thread)
  bool suspend = false;
  sim::Time c_switch = 0, c_spawn = 0, c_exit = 0, c_park = 0, c_ready = 0, c_chan = 0, c_remote = 0, c_steal = 0,
            c_lock = 0, c_storm = 0;
  sim::Time timer_slack = 0;
  sim::Time fresh_stack_faults = 0;  // first-run cost of a new stack: fiber.stack_fault_pages x kernel.page_fault
  sim::Time create_stack_faults = 0;  // its creation's: fiber.stack_fault_pages_create x kernel.page_fault
  sim::Time listener_cost = 0;       // fiber.listener_cost: CPU of the outside thread per arrival handed over
  StackAllocator stack_allocator = StackAllocator::kFixedsize;  // fiber.stack_allocator
  std::int64_t stack_size = 131072;  // fiber.stack_size
  // NUMA: the bytes of a new stack that are resident, its creation's and first run's faulted pages (at least
  // the page of the context record at its top)
  std::int64_t stack_resident = 4096;
  std::int64_t max_map_count = 65530;  // vm.max_map_count
  kernel::KernelConfig kcfg;
  explicit Params(const Scenario& sc);
};

// Steps Boost.Fiber cannot run, rejected before the run with the class and the step named.
void reject_unsupported(const Workload& wl);

// What a worker thread does when its current burst ends.
enum class Next : std::uint8_t {
  kDispatch,  // the dispatcher runs a pass (scheduler::dispatch loop body)
  kRunFiber,  // the thread's fiber continues its program
  kCompute,   // the scheduling cost is paid: start the fiber's compute burst
  kSyscall,   // the scheduling cost is paid: the thread blocks in the fiber's system call
  kIdle,      // the failed pick_next is paid: suspend_until (spin or suspend)
  kWoken,     // a suspended thread runs again (notify or its timer)
  kSpawn,     // the running fiber's fibers::fiber(fn) ran on this thread: the new fiber exists (spawn_done)
};
enum class Idle : std::uint8_t { kNo, kSpinLong, kSuspended };

// A fiber in a scheduler's sleep queue (scheduler::wait_until), ordered by deadline, then by insertion.
struct Sleeper {
  sim::Time at;
  std::uint64_t seq;
  std::uint32_t g;
  bool operator>(const Sleeper& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

// One worker thread: its scheduler and its work_stealing algorithm.
struct Worker {
  sim::Ring<std::uint32_t> rq;      // ready queue: fibers, and the dispatcher while a fiber runs
  sim::Ring<std::uint32_t> remote;  // remote ready list: fibers of this thread readied by other threads
  std::priority_queue<Sleeper, std::vector<Sleeper>, std::greater<>> sleepq;
  std::uint32_t fiber = kNone32;    // the fiber running (or in a system call) on this thread
  Next next = Next::kDispatch;
  Idle idle = Idle::kNo;
  bool notify_flag = false;         // work_stealing::flag_ (suspend mode)
  sim::Time compute = 0;            // the compute or syscall waiting behind a scheduling burst
  const MemorySpec* spec = nullptr; // NUMA: that compute's memory behaviour (null: plain)
  bool moved = false;               // NUMA: the running fiber's cache is on another CPU (its last)
  std::uint32_t moved_from = 0xffffffffu;  // that CPU
  sim::EventId spin_timer;
  std::uint64_t fibers_run = 0;     // dispatches of fibers on this thread
  std::int64_t spawn_left = 0;      // fibers the running fiber's spawn step still creates
  std::uint16_t spawn_cls = 0;
  // numa::algo::work_stealing: the worker threads on this thread's node (itself included: local_cpus_) and on
  // the others (remote_cpus_), by CPU
  std::vector<std::uint32_t> local_victims, remote_victims;
};

class FiberRun final : public kernel::ThreadOwner {
 public:
  using Threads = kernel::Kernel;

  explicit FiberRun(const Scenario& sc);
  RunResult run(const RunOptions& options);

  // ---- kernel thread layer callback: thread tid is on a CPU and has no burst (scheduler.cpp) ----
  void on_burst_done(std::uint32_t tid) override;

  // ---- advance() hooks; the running fiber is workers_[cur_].fiber ----
  bool on_spawn(std::uint16_t cls, std::int64_t count);  // fiber.cpp
  void on_span(std::uint32_t span, sim::Time begin, std::uint8_t /*slot*/) { core_.stats.span_done(span, begin, core_.engine.now()); }
  bool owes_cpu() const { return pending_ > 0; }
  void on_alloc(std::int64_t bytes, const AllocSpec&, sim::Time) {
    core_.allocated_bytes += bytes;
    if (numa_) numa_alloc(bytes);
  }
  bool on_gc() { return false; }  // this runtime has no garbage collector: `gc` does nothing
  void on_touch(std::int64_t) {}  // no memory model under boost-fiber-ws: the read costs nothing extra
  sim::Time on_file(bool, std::int64_t) { return 0; }  // never reached: reject_unsupported refuses file steps
  void on_stack(std::int64_t) {}  // fiber stacks are fixed-size (128 KiB by default): depth costs nothing
  std::uint32_t on_make(ObjKind kind, std::int64_t capacity);       // channel.cpp
  void on_release(ObjKind kind, std::uint32_t id) { core_.sync.release(kind, id); }
  void on_wg_add(std::uint32_t wg, std::int64_t delta);             // mutex.cpp
  SyncStep on_sync(std::uint32_t g, OpCode code, std::uint32_t obj);  // channel.cpp
  SyncStep on_select(std::uint32_t g, std::uint32_t index);         // channel.cpp
  void on_sleep(std::uint32_t g, sim::Time d);                      // scheduler.cpp
  void on_net_wait(std::uint32_t g, sim::Time d) { on_sleep(g, d); }  // rejected before the run
  void on_syscall(SyscallKind kind) { syscall_cgo_ = kind == SyscallKind::kCgo; }
  void on_lock_thread(bool) {}  // fibers are not bound to threads this way

  void dispatch(const sim::Event& ev);

 private:
  // ---- fiber.cpp: RunCore's hooks (models/run/run_core.h) ----
  friend class models::RunCore;
  void start();
  std::size_t runnable() const { return runnable_; }
  std::size_t running() const { return running_; }
  std::size_t work_pending() const;
  std::uint64_t asleep() const { return core_.gt.live(); }
  std::string stopped_detail() const { return oom_ ? "" : runaway_detail(core_.wl, core_.gt, core_.runaway); }
  Outcome adjust_outcome(Outcome o) const;
  void on_warmup_end() {}
  void finish(RunResult& r, sim::Time end) { r.model_counters = counters(end); }
  void check_invariants() const;
  Json counters(sim::Time end) const;
  std::uint32_t create(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32, std::uint32_t parent = kNone32);
  void spawn_begin(std::uint32_t t);  // fiber.cpp
  void spawn_done(std::uint32_t t);
  void exit_fiber(std::uint32_t g);
  // ---- fiber.cpp: the process's mappings (vm.max_map_count) ----
  std::int64_t stack_maps(std::uint64_t live, std::uint64_t pool, std::uint64_t mmap_live, std::uint64_t mmap_freed) const;
  std::int64_t maps() const;
  bool allocate_stack();  // false: mmap failed (ENOMEM), the run ends out_of_memory
  std::uint32_t next_thread();
  void start_arrivals();
  void listener_work();
  void arrive(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32);

  // ---- scheduler.cpp ----
  void dispatch_pass(std::uint32_t t);
  void remote_ready2ready(Worker& w);
  sim::Time sleep2ready(Worker& w);
  void suspend(std::uint32_t t, sim::Time cost);
  void yield(std::uint32_t t, std::uint32_t g);
  // waker: the worker thread readying g (kNone32: the listener or an event), which pays notify's IPI.
  void schedule_from_remote(std::uint32_t v, std::uint32_t g, std::uint32_t waker);

  // ---- context.cpp ----
  void resume(std::uint32_t t, std::uint32_t g, sim::Time cost);
  void run_fiber(std::uint32_t t);
  void start_compute(std::uint32_t t, sim::Time local, const MemorySpec* spec);
  void schedule(std::uint32_t g);
  void wake_first(WaitQueue& q);

  // ---- work_stealing.cpp ----
  void awakened(std::uint32_t t, std::uint32_t g);
  std::uint32_t pick_next(std::uint32_t t, sim::Time& cost);
  std::uint32_t pick_next_numa(std::uint32_t t, sim::Time& cost);
  std::uint32_t steal(std::uint32_t v);
  std::uint32_t try_steal(std::uint32_t t, std::uint32_t v, sim::Time& cost);
  bool has_ready_fibers(std::uint32_t t) const { return !workers_[t].rq.empty(); }
  void suspend_until(std::uint32_t t);
  sim::Time notify(std::uint32_t v, std::uint32_t waker);  // returns what the wake costs the waker
  void retry(std::uint32_t t, Burst kind);
  bool stealable_except(std::uint32_t t) const;
  void rq_changed(std::uint32_t v);
  void poke(std::uint32_t u);
  void spin_timer_due(std::uint32_t t);

  // ---- channel.cpp ----
  std::string chan_name(std::uint32_t ch) const;
  SyncStep chan_send(std::uint32_t g, std::uint32_t ch);
  SyncStep chan_recv(std::uint32_t g, std::uint32_t ch);
  void chan_close(std::uint32_t ch);

  // ---- mutex.cpp ----
  SyncStep mutex_lock(std::uint32_t g, std::uint32_t m);
  void mutex_unlock(std::uint32_t g, std::uint32_t m);
  SyncStep wg_wait(std::uint32_t g, std::uint32_t wg);

  Params prm_;
  RunCore core_;
  Threads ks_;
  sim::Rng steal_rng_;
  std::vector<Worker> workers_;
  std::vector<std::uint32_t> owner_;        // per fiber id: the thread whose scheduler it is attached to
  std::vector<std::uint32_t> holder_;       // per channel: the producer whose value is in an unbuffered slot
  std::vector<std::uint32_t> mutex_owner_;  // per mutex: the owning fiber
  std::vector<SyncObjects::Wake> woken_;
  std::uint32_t cur_ = 0;                   // the thread whose fiber or dispatcher is executing
  sim::Time pending_ = 0;                   // scheduling CPU time the running fiber's steps have incurred
  std::uint32_t rr_ = 0;
  std::uint64_t runnable_ = 0, running_ = 0, sleeping_ = 0, sleep_seq_ = 0;
  std::uint64_t stacks_allocated_ = 0;  // the stack pool's size: the most fibers alive at once so far
  std::uint32_t listener_ = kNone32;     // the outside thread handing arrivals over (fiber.listener_cost > 0)
  std::uint64_t listener_backlog_ = 0;   // hand-overs waiting for its CPU
  std::uint32_t long_spinners_ = 0;
  std::uint64_t steals_cross_node_ = 0;  // steals whose victim thread is (or last ran) on another NUMA node
  std::uint64_t steals_ = 0, steal_attempts_ = 0, remote_wakes_ = 0, idle_spins_ = 0, spin_passes_ = 0, idle_suspends_ = 0,
                idle_wakeups_ = 0, switches_ = 0, parks_ = 0, yields_ = 0, syscalls_ = 0;
  bool syscall_cgo_ = false;
  // Mappings: fixedsize's stacks served by mmap (those allocated before the first stack was freed) alive,
  // and those freed; the count's peak; an allocation refused.
  std::uint64_t mmap_stacks_live_ = 0, mmap_stacks_freed_ = 0;
  // Their places: malloc's mmaps lie side by side in allocation order (top-down), so the survivors are
  // the runs of alive ones: one mapping per run (mm/mmap.c vma_merge joins the rest).
  std::vector<std::uint32_t> mmap_index_;  // per fiber id: its stack's place
  std::vector<char> mmap_alive_;           // per place
  std::uint64_t mmap_runs_ = 0;
  bool stack_freed_ = false;
  std::int64_t maps_peak_ = 0;
  bool oom_ = false;
  std::string oom_detail_;

  // ---- numa.cpp (models/kernel/numa.h). Off (no per-fiber state, no costs) on one node without memory-bound
  // steps, so such runs are what they were before the model had NUMA costs. ----
  void numa_init();
  std::uint32_t numa_cpu(std::uint32_t tid) const;  // the thread's CPU (last one); main's before it first ran
  void numa_new_fiber(std::uint32_t g, std::uint32_t cpu, bool spawned);  // built by a thread on `cpu`
  void numa_new_initial(std::uint32_t g, std::uint32_t t);  // built by worker t before it started
  std::uint8_t numa_stack(std::uint32_t g);  // the node of g's stack (placing an initial fiber's)
  void numa_track(std::uint32_t g, std::uint32_t cpu);  // per-fiber state; its cache on `cpu`
  std::uint8_t numa_stack_alloc(std::uint16_t node);
  void numa_place_initial();
  void numa_exit_fiber(std::uint32_t g);
  void numa_resume(std::uint32_t t, std::uint32_t g);
  void numa_alloc(std::int64_t bytes);  // the running fiber's alloc step
  sim::Time numa_compute(std::uint32_t t, const MemorySpec& spec, sim::Time local);
  Json numa_json() const;
  const kernel::NumaTopology& topo_;  // prm_.kcfg.topology, the one the kernel layer has
  kernel::NumaMemory numa_mem_;
  kernel::NumaBandwidth numa_bw_;
  kernel::NumaCosts numa_costs_;
  bool numa_ = false;
  static constexpr std::uint8_t kUnplaced = 0xff;
  std::vector<std::uint8_t> stack_node_;          // per fiber: the node its stack is on (kUnplaced: not yet)
  std::vector<std::pair<std::uint32_t, std::uint32_t>> numa_initial_;  // initial fibers and their workers, at the start
  std::vector<std::uint32_t> fiber_cpu_;          // per fiber: the CPU its cache is on (kNone32: none)
  std::vector<std::uint8_t> free_stacks_;         // released stacks' nodes; the last one is handed out next
  std::vector<kernel::NumaStream> numa_streams_;  // per worker thread: its memory-bound step's traffic
  std::vector<std::int64_t> arena_bytes_;         // per worker thread: bytes its malloc arena handed out
  std::uint64_t numa_cross_executes_ = 0;         // resumes on another node than the fiber last ran on
};

}  // namespace gmpsim::models::fiber
