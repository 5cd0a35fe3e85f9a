// NUMA in the boost-fiber-ws model: where a fiber's stack and the heap's pages are, and what a memory-bound
// compute step costs from the CPU its worker thread runs on (models/kernel/numa.h has the topology, placement
// and costs, shared with the go model; models/fiber/README.md#numa the design note).
//
// Boost.Fiber places nothing itself (boost-1.74.0: fixedsize_stack is std::malloc, pooled_fixedsize_stack a
// boost::pool over malloc, protected_fixedsize_stack an mmap; numa::algo::work_stealing only pins threads and
// orders steal victims), so the placement is the kernel's first touch: a new stack lands on the node of the
// thread that builds the fiber (make_worker_context writes its context record at the stack's top), heap pages
// on the node of the worker whose allocation first touched them.
#include <cmath>

#include "models/fiber/fiberrun.h"

namespace gmpsim::models::fiber {

void FiberRun::numa_init() {
  numa_ = !topo_.single() || core_.wl.memory_bound();
  if (!numa_) return;
  numa_costs_ = kernel::NumaCosts(core_.wl.classes.size(), topo_.nodes());
  numa_streams_.assign(prm_.threads, {});
  arena_bytes_.assign(prm_.threads, 0);
}

std::uint32_t FiberRun::numa_cpu(std::uint32_t tid) const {
  const std::uint32_t c = ks_.last_cpu(tid);
  return c != Threads::kNone ? c : ks_.process_cpus().front();
}

// A new fiber built by a thread on CPU `cpu`. A spawned fiber's cache starts where its creator runs (the
// context record, and what a fork-join parent hands over), as go's newproc has it.
void FiberRun::numa_new_fiber(std::uint32_t g, std::uint32_t cpu, bool spawned) {
  if (!numa_) return;
  numa_track(g, spawned ? cpu : kNone32);
  if (!topo_.single()) stack_node_[g] = numa_stack_alloc(topo_.node_of(cpu));
}

// An initial fiber is built by the worker it is queued on before the start barrier (gmpsim-fiberrun's
// worker_main), on the CPU the kernel gave that thread, which is known once the thread has started: its stack
// is placed then (numa_place_initial), or when it is first needed, whichever comes first.
void FiberRun::numa_new_initial(std::uint32_t g, std::uint32_t t) {
  if (!numa_) return;
  numa_track(g, kNone32);
  if (topo_.single()) return;
  stack_node_[g] = kUnplaced;
  numa_initial_.push_back({g, t});
}

void FiberRun::numa_track(std::uint32_t g, std::uint32_t cpu) {
  if (fiber_cpu_.size() < core_.gt.capacity()) {
    fiber_cpu_.resize(core_.gt.capacity(), kNone32);
    stack_node_.resize(core_.gt.capacity(), 0);
  }
  fiber_cpu_[g] = cpu;
}

// A stack for a fiber built on `node`: a released one when the allocator has one (boost::pool's free list and
// malloc's bins hand out the last freed first; it keeps the node it was first touched on), else new memory the
// builder touches first.
std::uint8_t FiberRun::numa_stack_alloc(std::uint16_t node) {
  if (!free_stacks_.empty() && prm_.stack_allocator != StackAllocator::kProtected) {
    const std::uint8_t n = free_stacks_.back();
    free_stacks_.pop_back();
    return n;
  }
  return static_cast<std::uint8_t>(numa_mem_.place_one(kernel::NumaMemory::kStacks, prm_.stack_resident, node));
}

std::uint8_t FiberRun::numa_stack(std::uint32_t g) {
  if (stack_node_[g] != kUnplaced) return stack_node_[g];
  for (const auto& [f, t] : numa_initial_) {
    if (f == g) {
      stack_node_[g] = numa_stack_alloc(topo_.node_of(numa_cpu(t)));
      break;
    }
  }
  return stack_node_[g];
}

void FiberRun::numa_place_initial() {
  for (const auto& [g, t] : numa_initial_) numa_stack(g);
  numa_initial_.clear();
  numa_initial_.shrink_to_fit();
}

// The fiber's stack goes back: protected_fixedsize_stack munmaps it, as free() does a fixedsize stack that
// malloc served by mmap; the others keep their pages for the next fiber.
void FiberRun::numa_exit_fiber(std::uint32_t g) {
  if (!numa_ || topo_.single()) return;
  if (prm_.stack_allocator == StackAllocator::kProtected || (core_.gt[g].flags & kMmapStack) != 0) {
    numa_mem_.release(kernel::NumaMemory::kStacks, prm_.stack_resident, numa_stack(g));
  } else {
    free_stacks_.push_back(numa_stack(g));
  }
}

// context::resume of fiber g on thread t: its cache stayed on the CPU it last ran on.
void FiberRun::numa_resume(std::uint32_t t, std::uint32_t g) {
  const std::uint32_t here = ks_.cpu_of(t);
  workers_[t].moved = fiber_cpu_[g] != kNone32 && fiber_cpu_[g] != here;
  workers_[t].moved_from = fiber_cpu_[g];
  if (workers_[t].moved && topo_.node_of(fiber_cpu_[g]) != topo_.node_of(here)) ++numa_cross_executes_;
  fiber_cpu_[g] = here;
}

// glibc malloc gives each thread an arena of its own (malloc/arena.c arena_get2: up to 8 x cores arenas on
// 64-bit) and carves it in order, so the allocating worker first touches each new page of its arena. The model
// has no free (alloc steps are only counted), so this is every page allocations ever took.
void FiberRun::numa_alloc(std::int64_t bytes) {
  std::int64_t& a = arena_bytes_[cur_];
  using kernel::kPage;
  const std::int64_t before = (a + kPage - 1) / kPage;
  a += bytes;
  const std::int64_t pages = (a + kPage - 1) / kPage - before;
  if (pages > 0) numa_mem_.place(kernel::NumaMemory::kHeap, pages * kPage, topo_.node_of(numa_cpu(cur_)));
}

// The step's memory time (stall x its local duration, plus refetching its working set when the fiber moved
// CPU) stretches by the data's latency ratio from the worker's node and by the bandwidth queueing there. No
// preemption: the step runs to its end on this worker, and its traffic ends with its burst (on_burst_done).
sim::Time FiberRun::numa_compute(std::uint32_t t, const MemorySpec& spec, sim::Time local) {
  Worker& w = workers_[t];
  const std::uint32_t g = w.fiber;
  const std::uint16_t from = topo_.node_of(ks_.cpu_of(t));
  const int stack = spec.data == MemorySpec::Data::kStack && !topo_.single() ? numa_stack(g) : -1;
  const kernel::NumaStep st = kernel::numa_step(numa_mem_, numa_bw_, numa_streams_[t], from, stack, local, spec.stall,
                                                w.moved ? topo_.refetch(spec.working_set, w.moved_from, ks_.cpu_of(t)) : 0);
  w.moved = false;
  if (st.mem <= 0) return local;
  numa_costs_.add(core_.gt[g].cls, from, st);
  return sim::draw_to_time(st.total());  // a capped compute draw times a remote-memory factor: capped again
}

Json FiberRun::numa_json() const {
  return numa_costs_.json(numa_mem_, numa_bw_, [this](std::size_t c) -> const std::string& { return core_.wl.classes[c].name; },
                          steals_cross_node_, numa_cross_executes_);
}

}  // namespace gmpsim::models::fiber
