// The boost-fiber-ws model's parameters, read once from the resolved scenario's typed values (see
// models/scenario/params.cpp for each key's meaning and source), and the steps Boost.Fiber cannot run.
#include <algorithm>
#include <cmath>
#include <string>

#include "models/fiber/fiberrun.h"

namespace gmpsim::models::fiber {

Params::Params(const Scenario& sc) {
  auto dur = [&](const char* key) { return sc.duration(key); };
  threads = static_cast<std::uint32_t>(sc.integer("fiber.threads"));
  kcfg = kernel::kernel_config(sc);
  algorithm = sc.text("fiber.algorithm") == "numa_work_stealing" ? Algorithm::kNumaWorkStealing : Algorithm::kWorkStealing;
  if (algorithm == Algorithm::kNumaWorkStealing) {
    // numa::algo::work_stealing(cpu_id, node_id, topo) pins its thread to cpu_id (numa::pin_thread): one worker
    // per CPU the process may use (its cpuset, within numactl --cpunodebind), in CPU order.
    const kernel::GroupSpec& g = kcfg.groups[0];
    worker_cpus = !g.affinity.empty() ? g.affinity : g.cpus;
    if (worker_cpus.empty()) {
      for (std::uint32_t c = 0; c < sc.machine.cpus.size(); ++c) worker_cpus.push_back(c);
    }
    if (threads == 0) threads = static_cast<std::uint32_t>(worker_cpus.size());
    if (threads > worker_cpus.size()) {
      throw ScenarioError("fiber.threads", "numa_work_stealing pins one worker thread to each CPU (numa::pin_thread, "
                                           "schedulers indexed by CPU id): " + std::to_string(threads) +
                                               " threads but the process may run on " + std::to_string(worker_cpus.size()) +
                                               " CPUs (machine.cpus, cgroup.cpuset.cpus, numactl.cpunodebind)");
    }
    worker_cpus.resize(threads);
  }
  if (threads == 0) threads = static_cast<std::uint32_t>(sc.machine.cpus.size());
  suspend = sc.text("fiber.idle") == "suspend";
  c_switch = dur("fiber.cost.switch");
  c_spawn = dur("fiber.cost.spawn");
  c_exit = dur("fiber.cost.exit");
  c_park = dur("fiber.cost.park");
  c_ready = dur("fiber.cost.ready");
  c_chan = dur("fiber.cost.chan_op");
  c_remote = dur("fiber.cost.remote_wake");
  c_steal = dur("fiber.cost.steal");
  c_lock = dur("fiber.cost.lock");
  c_storm = dur("fiber.cost.storm_working_set");
  // Pages of a new stack (a fractional mean) times the fault of one.
  auto faults = [&](const char* pages) {
    return static_cast<sim::Time>(std::llround(sc.number(pages) * static_cast<double>(dur("kernel.page_fault"))));
  };
  fresh_stack_faults = faults("fiber.stack_fault_pages");
  create_stack_faults = faults("fiber.stack_fault_pages_create");
  listener_cost = dur("fiber.listener_cost");
  const std::string alloc = sc.text("fiber.stack_allocator");
  stack_allocator = alloc == "protected" ? StackAllocator::kProtected
                    : alloc == "pooled"  ? StackAllocator::kPooled
                                         : StackAllocator::kFixedsize;
  stack_size = sc.bytes("fiber.stack_size");
  const double touched = std::ceil(sc.number("fiber.stack_fault_pages") + sc.number("fiber.stack_fault_pages_create"));
  stack_resident = std::min(stack_size, std::max<std::int64_t>(1, static_cast<std::int64_t>(touched)) * 4096);
  max_map_count = sc.integer("vm.max_map_count");
  timer_slack = sc.kernel.timer_slack;
}

const char* stack_allocator_name(StackAllocator a) {
  switch (a) {
    case StackAllocator::kFixedsize: return "fixedsize";
    case StackAllocator::kProtected: return "protected";
    case StackAllocator::kPooled: return "pooled";
  }
  return "?";
}

void reject_unsupported(const Workload& wl) {
  for (const GoroutineClass& c : wl.classes) {
    for (const Op& op : c.program.ops) {
      const std::string key = "workload.classes." + c.name + ".program";
      if (op.code == OpCode::kSelect) {
        throw ScenarioError(key, "step `select` is not available in the boost-fiber-ws model: Boost.Fiber 1.74 has no "
                                 "select over several channels (its channels offer push and pop on one channel only: "
                                 "boost/fiber/buffered_channel.hpp, unbuffered_channel.hpp); rewrite it with "
                                 "send/recv, or run the scenario on the go model");
      }
      if (op.code == OpCode::kFileRead || op.code == OpCode::kFileWrite) {
        throw ScenarioError(key, "steps `file_read` and `file_write` need the page cache of the memory model, which only the "
                                 "go model has; write the I/O as `syscall` with its duration here, or run the scenario on "
                                 "the go model");
      }
      if (op.code == OpCode::kNetWait) {
        throw ScenarioError(key, "step `net_wait` is not available in the boost-fiber-ws model: Boost.Fiber has no "
                                 "network poller; write the I/O as `syscall` (blocks the worker thread and every fiber "
                                 "queued behind it) or as `sleep` (this_fiber::sleep_for)");
      }
    }
  }
}

}  // namespace gmpsim::models::fiber
