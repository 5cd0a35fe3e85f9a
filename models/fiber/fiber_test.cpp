// Behaviour of the boost-fiber-ws model that must follow from Boost.Fiber 1.74's mechanisms.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/fiber/fiber.h"
#include "models/output/output.h"
#include "models/sweep/sweep.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::counter_u64;
using testing::run_yaml;

namespace {

// main starts 5000 fibers in a loop without blocking, then ends; each child computes 20 us. (Fresh stacks
// fault nothing here: the test is about where fibers run; the faults have a test of their own.)
const std::string kSpawnStorm =
    testing::spawn_storm("boost-fiber-ws", 5000, "fiber: {stack_fault_pages: 0, stack_fault_pages_create: 0}\n");

std::string error_of(const std::string& yaml) {
  try {
    run_yaml(yaml);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("fiber: one thread with zero costs is fifo's M/M/1 queue", "[fiber]") {
  const double seconds = testing::kSanitized ? 100 : 1000;
  const RunResult fib = run_yaml(testing::mm1_zero_cost("boost-fiber-ws", 800, seconds));
  const RunResult fifo = run_yaml(testing::mm1_zero_cost("fifo", 800, seconds));
  REQUIRE(fib.outcome.status == OutcomeStatus::kCompleted);
  const auto& ci = fib.classes[0].latency.mean_ci;
  const double analytic_ns = 1e6 / (1 - 0.8);  // W = 1 / (mu - lambda) = 5 ms
  INFO("fiber mean " << ci.mean << " +- " << ci.half_width << " ns, fifo mean " << fifo.classes[0].latency.latency.mean());
  CHECK(ci.low() <= analytic_ns);
  CHECK(analytic_ns <= ci.high());
  // The same arrivals and service times served in the same (FCFS) order: the same latencies.
  CHECK(fib.classes[0].latency.latency.mean() == Approx(fifo.classes[0].latency.latency.mean()).epsilon(1e-9));
  CHECK(fib.classes[0].latency.latency.percentile(0.99) == Approx(fifo.classes[0].latency.latency.percentile(0.99)).epsilon(1e-9));
  CHECK(fib.goroutines_completed == fifo.goroutines_completed);
}

TEST_CASE("fiber: a spawn storm from one fiber is spread over the threads by stealing", "[fiber]") {
  const RunResult r = run_yaml(kSpawnStorm);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 5001);
  CHECK(counter_u64(r, "threads") == 4);
  CHECK(counter_u64(r, "steals") > 0);
  CHECK(counter_u64(r, "steal_attempts") >= counter_u64(r, "steals"));
  for (const auto& n : r.model_counters.at("fibers_run_per_thread")) CHECK(n.get<std::uint64_t>() > 100);
  // 100 ms of child compute on 4 CPUs: about 25 ms when all take part, plus main's loop (which keeps its
  // children unstealable behind the pinned dispatcher until it ends).
  CHECK(sim::to_seconds(r.simulated_ns) < 0.05);
  CHECK(counter_u64(r, "idle_spins") > 0);
  CHECK(r.model_counters.at("cpu_spin_ns").get<std::int64_t>() > 0);
}

TEST_CASE("fiber: children of a fiber that never blocks are not stolen while it runs (pinned dispatcher)", "[fiber]") {
  // main spawns 50 children, then computes 2 ms without yielding: the dispatcher sits at the head of its
  // thread's queue, so the idle thread steals nothing until main ends (steal() refuses a pinned context at
  // the head: boost/fiber/detail/context_spinlock_queue.hpp at boost-1.74.0).
  const std::string yaml = R"(
machine: {cpus: 2}
runtime: {model: boost-fiber-ws}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{spawn: {class: child, count: 50}}, {compute: 2ms}]
    child: {program: [{span: {name: started, steps: []}}, {compute: 10us}]}
run: {duration: 1s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 51);
  // Every child finished after main's 2 ms; stealing then spread them over both threads.
  CHECK(r.classes[1].latency.latency.min() >= 2e6);
  CHECK(counter_u64(r, "steals") > 0);
}

TEST_CASE("fiber: suspended idle threads are not woken by work queued on other threads (#327)", "[fiber]") {
  const RunResult spin = run_yaml(kSpawnStorm);
  const RunResult suspend = run_yaml(kSpawnStorm, {{"fiber.idle", "suspend"}});
  REQUIRE(suspend.outcome.status == OutcomeStatus::kCompleted);
  CHECK(suspend.goroutines_completed == 5001);
  // Threads 1-3 went to sleep at t = 0 with nothing to do; the storm on thread 0 never notifies them.
  CHECK(counter_u64(suspend, "steals") == 0);
  CHECK(counter_u64(suspend, "idle_suspends") >= 3);
  CHECK(counter_u64(suspend, "idle_wakeups") == 0);
  const Json& per_thread = suspend.model_counters.at("fibers_run_per_thread");
  CHECK(per_thread[0].get<std::uint64_t>() == 5001);
  for (std::size_t t = 1; t < per_thread.size(); ++t) CHECK(per_thread[t].get<std::uint64_t>() == 0);
  CHECK(suspend.model_counters.at("cpu_spin_ns").get<std::int64_t>() == 0);
  // So the storm takes about four times as long as with spinning threads.
  CHECK(suspend.simulated_ns > 3 * spin.simulated_ns);

  // Work readied for a suspended thread from another thread (schedule_from_remote) does notify it: open-loop
  // arrivals enter round robin through the remote ready lists.
  const std::string open = R"(
machine: {cpus: 4}
runtime: {model: boost-fiber-ws}
fiber: {idle: suspend}
workload:
  classes:
    job: {arrivals: {process: poisson, rate: 2000/s}, program: [{compute: 100us}]}
run: {duration: 1s}
)";
  const RunResult r = run_yaml(open);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter_u64(r, "idle_wakeups") > 100);
  for (const auto& n : r.model_counters.at("fibers_run_per_thread")) CHECK(n.get<std::uint64_t>() > 100);
}

TEST_CASE("fiber: a notify that wakes a suspended worker onto another, idle CPU costs the waker kernel.wake_ipi", "[fiber][kernel]") {
  // Two suspending workers on four CPUs: ping (thread 0) puts a value in a buffered channel for pong
  // (thread 1), which has gone to sleep on its condition variable each time; every send readies pong
  // remotely and notify() wakes thread 1 (ping never blocks, so both runs take the same steps).
  const std::string yaml = R"(
machine: {cpus: 4}
runtime: {model: boost-fiber-ws}
fiber: {threads: 2, idle: suspend}
workload:
  channels: {c: 8}
  classes:
    ping: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 400, steps: [{compute: 50us}, {send: c}]}}]}
    pong: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 400, steps: [{recv: c}, {compute: 5us}]}}]}
run: {duration: 2s}
)";
  const RunResult none = run_yaml(yaml, {{"kernel.wake_ipi", "0ns"}});
  const RunResult ipi = run_yaml(yaml, {{"kernel.wake_ipi", "20us"}});
  REQUIRE(ipi.outcome.status == OutcomeStatus::kCompleted);
  REQUIRE(none.outcome.status == OutcomeStatus::kCompleted);
  const double wakes = ipi.model_counters.at("kernel").at("wake_ipis").get<double>();
  CHECK(wakes == 400);
  CHECK(counter_u64(ipi, "idle_wakeups") == 400);
  // The wakers' scheduling CPU grows by what they paid; the fibers' work is what it was.
  const auto sched_ns = [](const RunResult& r) { return r.model_counters.at("cpu_sched_ns").get<double>(); };
  CHECK(sched_ns(ipi) - sched_ns(none) == Approx(wakes * 20e3).epsilon(0.01));
  CHECK(counter_u64(ipi, "cpu_work_ns") == counter_u64(none, "cpu_work_ns"));
}

TEST_CASE("fiber: buffered channels round the capacity up as Boost requires", "[fiber]") {
  using fiber::boost_channel_capacity;
  using fiber::boost_channel_slots;
  CHECK(boost_channel_capacity(0) == 0);  // unbuffered_channel
  CHECK(boost_channel_capacity(1) == 2);
  CHECK(boost_channel_slots(1) == 1);
  CHECK(boost_channel_capacity(2) == 4);
  CHECK(boost_channel_slots(2) == 3);
  CHECK(boost_channel_slots(3) == 3);
  CHECK(boost_channel_capacity(4) == 8);
  CHECK(boost_channel_slots(7) == 7);
  CHECK(boost_channel_slots(8) == 15);

  // A Go capacity of 2 becomes buffered_channel(4), which holds 3: three pushes do not block, the fourth
  // waits for the consumer (which starts receiving after 1 ms).
  auto producer_span = [](int sends) {
    std::ostringstream os;
    os << "machine: {cpus: 1}\nruntime: {model: boost-fiber-ws}\nworkload:\n  channels: {c: 2}\n  classes:\n"
       << "    producer:\n      arrivals: {process: initial, count: 1}\n"
       << "      program: [{span: {name: sends, steps: [";
    for (int i = 0; i < sends; ++i) os << (i ? ", " : "") << "{send: c}";
    os << "]}}]\n    consumer:\n      arrivals: {process: initial, count: 1}\n"
       << "      program: [{sleep: 1ms}, {repeat: {count: " << sends << ", steps: [{recv: c}]}}]\n"
       << "run: {duration: 1s}\n";
    const RunResult r = run_yaml(os.str());
    REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
    return r.spans.at(0).latency.max();
  };
  CHECK(producer_span(3) < 10'000);
  CHECK(producer_span(4) >= 1'000'000);
}

TEST_CASE("fiber: unbuffered channels are a rendezvous; mutexes and WaitGroups work", "[fiber]") {
  const std::string yaml = R"(
machine: {cpus: 2}
runtime: {model: boost-fiber-ws}
workload:
  channels: {ping: 0, pong: 0}
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program:
        - wg_add: {wg: done, n: 4}
        - spawn: echo
        - spawn: {class: adder, count: 4}
        - repeat: {count: 1000, steps: [{send: ping}, {recv: pong}]}
        - close: ping
        - wg_wait: done
    echo: {program: [{repeat: {count: 1000, steps: [{recv: ping}, {send: pong}]}}]}
    adder:
      program:
        - repeat: {count: 100, steps: [{lock: m}, {compute: 1us}, {unlock: m}, {sleep: 10us}]}
        - wg_done: done
run: {duration: 10s}
)";
  const RunResult r = run_yaml(yaml);
  INFO(r.outcome.detail);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 6);
  CHECK(counter_u64(r, "parks") >= 2000);
}

TEST_CASE("fiber: select and net_wait are rejected before the run, naming the class", "[fiber][errors]") {
  const std::string with_select = R"(
runtime: {model: boost-fiber-ws}
workload:
  channels: {a: 0, b: 0}
  classes:
    waiter:
      arrivals: {process: initial, count: 1}
      program: [{select: [{recv: a, steps: []}, {recv: b, steps: []}]}]
)";
  const std::string msg = error_of(with_select);
  CHECK_THAT(msg, Catch::StartsWith("workload.classes.waiter.program: step `select` is not available in the boost-fiber-ws model"));
  CHECK_THAT(msg, Catch::Contains("no select"));
  const std::string with_net = R"(
runtime: {model: boost-fiber-ws}
workload:
  classes:
    handler:
      arrivals: {process: initial, count: 1}
      program: [{net_wait: 1ms}]
)";
  CHECK_THAT(error_of(with_net), Catch::StartsWith("workload.classes.handler.program: step `net_wait` is not available"));
}

TEST_CASE("fiber: a blocking syscall blocks the worker thread, not only the fiber", "[fiber]") {
  // One thread: the second fiber cannot run while the first is in its 1 ms system call.
  const std::string yaml = R"(
machine: {cpus: 2}
runtime: {model: boost-fiber-ws}
fiber: {threads: 1}
workload:
  classes:
    a: {arrivals: {process: initial, count: 1}, program: [{syscall: 1ms}]}
    b: {arrivals: {process: initial, count: 1}, program: [{compute: 10us}]}
run: {duration: 1s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter_u64(r, "syscalls") == 1);
  CHECK(r.classes[1].latency.latency.max() >= 1e6);
}

TEST_CASE("fiber: same seed, same run", "[fiber][determinism]") {
  const RunResult a = run_yaml(kSpawnStorm), b = run_yaml(kSpawnStorm);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.events == b.events);
  CHECK(latency_csv(a) == latency_csv(b));
  const RunResult c = run_yaml(kSpawnStorm, {{"run.seed", "2"}});
  CHECK(c.fingerprint != a.fingerprint);  // the steal victims differ
}

TEST_CASE("fiber: a calibrated profile's boost-fiber-ws costs apply", "[fiber][calibrate]") {
  const auto path = std::filesystem::temp_directory_path() / "gmpsim_fiber_profile_test.yaml";
  std::ofstream(path) << "kernel: {futex_wake: 3us}\n"
                         "runtime:\n"
                         "  boost-fiber-ws: {fiber.cost.switch: 70ns, fiber.cost.spawn: 1us, fiber.cost.exit: 40ns, "
                         "fiber.cost.park: 0ns, fiber.cost.ready: 20ns, fiber.cost.chan_op: 25ns, fiber.cost.remote_wake: 2us, "
                         "fiber.cost.steal: 90ns, fiber.cost.storm_working_set: 5ns}\n";
  const Scenario sc = load_scenario(kSpawnStorm, "<text>", {{"kernel.profile", path.string()}});
  CHECK(sc.origin_json()["fiber.cost.spawn"] == "kernel:" + path.string());
  CHECK(sc.origin_json()["fiber.cost.lock"] == "default");
  CHECK(sc.runtime.version == "1.74");
  const RunResult r = run_scenario(sc);
  CHECK(r.outcome.status == OutcomeStatus::kCompleted);
  std::filesystem::remove(path);
}

TEST_CASE("fiber: only stacks beyond the most fibers alive so far are new memory; the creator faults its part", "[fiber]") {
  // A storm of 1000 children alive at once needs 1001 stacks: each child's creation faults 3 pages of 10 us
  // on main's thread, its first run 1 more (main's own stack, made before time zero, only the run's page).
  // The same 1000 children spawned one at a time, each joined (WaitGroup) before the next, reuse one pooled
  // stack: 2 stacks ever (main and the child).
  const std::string base = R"(
machine: {cpus: CPUS}
runtime: {model: boost-fiber-ws}
fiber: {threads: CPUS, stack_fault_pages: 1, stack_fault_pages_create: 3, cost: {switch: 0ns, spawn: 0ns, exit: 0ns, park: 0ns, ready: 0ns, chan_op: 0ns, lock: 0ns, storm_working_set: 0ns, steal: 0ns, remote_wake: 0ns}}
kernel: {page_fault: 10us, futex_wake: 0ns, idle_exit: 0ns, context_switch: 0ns}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: STEPS
    child:
      program: [{compute: 1us}, {wg_done: w}]
run: {duration: 10s}
)";
  auto with = [&](const std::string& steps, int cpus = 1) {
    std::string y = base;
    y.replace(y.find("STEPS"), 5, steps);
    for (std::size_t at; (at = y.find("CPUS")) != std::string::npos;) y.replace(at, 4, std::to_string(cpus));
    return run_yaml(y);
  };
  const std::string storm_steps = "[{wg_add: {wg: w, n: 1000}}, {spawn: {class: child, count: 1000}}, {wg_wait: w}]";
  const RunResult storm = with(storm_steps);
  const RunResult serial = with("[{repeat: {count: 1000, steps: [{wg_add: {wg: w, n: 1}}, {spawn: child}, {wg_wait: w}]}}]");
  REQUIRE(storm.outcome.status == OutcomeStatus::kCompleted);
  REQUIRE(serial.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter_u64(storm, "stacks_allocated") == 1001);
  CHECK(counter_u64(serial, "stacks_allocated") == 2);
  // 1 ms of compute either way; the faults: 1000 x 30 us + 1001 x 10 us against 1 x 30 us + 2 x 10 us.
  CHECK(storm.simulated_ns == 1000 * 30'000 + 1001 * 10'000 + 1000 * 1'000);
  CHECK(serial.simulated_ns == 30'000 + 2 * 10'000 + 1000 * 1'000);
  // On two threads the children run beside the creation loop, but creating stays serial on main's thread:
  // the storm takes at least its 30 ms of creation, and each child starts only after it was created.
  const RunResult two = with(storm_steps, 2);
  REQUIRE(two.outcome.status == OutcomeStatus::kCompleted);
  CHECK(two.simulated_ns >= 1000 * 30'000);
  CHECK(two.simulated_ns < storm.simulated_ns);
}

namespace {

// Four mains, one a thread (initial fibers go round robin): threads 0 and 2 spawn 3000 children each,
// threads 1 and 3 only 20, so those two run dry and steal. `machine` is the machine line, `worker` the
// children's program.
std::string uneven_storms(const std::string& machine, const std::string& worker = "[{compute: {dist: exponential, mean: 20us}}]") {
  std::ostringstream os;
  os << machine << "runtime: {model: boost-fiber-ws}\n"
     << "fiber: {threads: 4, stack_fault_pages: 0, stack_fault_pages_create: 0}\n"
        "workload:\n"
        "  classes:\n";
  const char* names[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; ++i) {
    os << "    " << names[i] << ":\n"
       << "      arrivals: {process: initial, count: 1}\n"
       << "      program: [{repeat: {count: " << (i % 2 == 0 ? 3000 : 20) << ", steps: [{spawn: worker}, {compute: 50ns}]}}]\n";
  }
  os << "    worker:\n"
        "      program: " << worker << "\n"
        "run: {duration: 10s}\n";
  return os.str();
}

}  // namespace

TEST_CASE("fiber: numa_work_stealing steals within the node first", "[fiber][numa]") {
  const std::string yaml = uneven_storms("machine: {cpus: 4, numa: {nodes: [[0, 1], [2, 3]]}}\n");
  const RunResult ws = run_yaml(yaml);
  const RunResult numa = run_yaml(yaml, {{"fiber.algorithm", "numa_work_stealing"}});
  REQUIRE(ws.outcome.status == OutcomeStatus::kCompleted);
  REQUIRE(numa.outcome.status == OutcomeStatus::kCompleted);
  CHECK(numa.goroutines_completed == ws.goroutines_completed);
  const std::uint64_t ws_cross = counter_u64(ws, "steals_cross_node"), numa_cross = counter_u64(numa, "steals_cross_node");
  INFO("work_stealing: " << ws_cross << " of " << counter_u64(ws, "steals") << " steals across nodes; numa_work_stealing: "
                         << numa_cross << " of " << counter_u64(numa, "steals"));
  CHECK(counter_u64(numa, "steals") > 100);
  CHECK(ws_cross > counter_u64(ws, "steals") / 3);  // two of a thread's three victims are remote
  CHECK(numa_cross * 10 < ws_cross);
  CHECK(testing::counter(numa, "algorithm") == "numa_work_stealing");
  // Each worker stays on its own CPU.
  CHECK(counter_u64(numa, "kernel", "migrations") == 0);
  CHECK(counter_u64(numa, "kernel", "wakeups_cross_node") == 0);
}

TEST_CASE("fiber: with one node numa_work_stealing runs as work_stealing", "[fiber][numa]") {
  // One worker a CPU and nothing else running: the pinning changes no placement, and the local draws are
  // work_stealing's draws.
  const std::string yaml = uneven_storms("machine: {cpus: 4}\n");
  const RunResult ws = run_yaml(yaml);
  const RunResult numa = run_yaml(yaml, {{"fiber.algorithm", "numa_work_stealing"}});
  CHECK(numa.fingerprint == ws.fingerprint);
  CHECK(latency_csv(numa) == latency_csv(ws));
  CHECK(counter_u64(numa, "steals") == counter_u64(ws, "steals"));
  CHECK(counter_u64(numa, "steal_attempts") == counter_u64(ws, "steal_attempts"));
  CHECK(!ws.model_counters.contains("steals_cross_node"));
  CHECK(!ws.model_counters.contains("algorithm"));
}

TEST_CASE("fiber: numa_work_stealing pins one worker a CPU: more threads than CPUs name fiber.threads", "[fiber][numa]") {
  try {
    run_yaml(uneven_storms("machine: {cpus: 2}\n"), {{"fiber.algorithm", "numa_work_stealing"}});
    FAIL("no error");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("fiber.threads"));
  }
  // fiber.threads 0: one worker a CPU of the process (numactl --cpunodebind 1: two).
  const RunResult r = run_yaml(uneven_storms("machine: {cpus: 4, numa: {nodes: [[0, 1], [2, 3]]}}\n"),
                               {{"fiber.algorithm", "numa_work_stealing"}, {"fiber.threads", "0"}, {"numactl.cpunodebind", "1"}});
  CHECK(counter_u64(r, "threads") == 2);
  CHECK(testing::counter(r, "kernel", "node_cpu_usec")[0] == 0);  // node 0 runs nothing of the process
}

// ---- NUMA costs of memory-bound steps (numa.cpp) ----

namespace {

const Json& numa(const RunResult& r) { return r.model_counters.at("numa"); }
double worker_numa(const RunResult& r, const char* key) { return numa(r).at("classes").at("worker").at(key).get<double>(); }
const std::string kTwoNodes = "machine: {cpus: 4, numa: {nodes: [[0, 1], [2, 3]]}}\n";
// A child reads its own stack (half of its time waiting for DRAM when local) around a yield, so a fiber stolen
// after it first ran resumes elsewhere and refetches its 64 KiB.
const std::string kStackWorker =
    "[{alloc: {size: 1KiB}}, {compute: {time: {dist: exponential, mean: 10us}, memory: {stall: 0.5, data: stack, working_set: 64KiB}}}, "
    "{gosched: true}, {compute: {time: {dist: exponential, mean: 10us}, memory: {stall: 0.5, data: stack, working_set: 64KiB}}}]";

}  // namespace

TEST_CASE("fiber numa: numa_work_stealing keeps memory-bound fibers near their stacks", "[fiber][numa]") {
  const std::string yaml = uneven_storms(kTwoNodes, kStackWorker);
  const RunResult ws = run_yaml(yaml);
  const RunResult nws = run_yaml(yaml, {{"fiber.algorithm", "numa_work_stealing"}});
  REQUIRE(ws.outcome.status == OutcomeStatus::kCompleted);
  REQUIRE(nws.outcome.status == OutcomeStatus::kCompleted);
  INFO("work_stealing: remote share " << worker_numa(ws, "remote_share") << ", refetch " << worker_numa(ws, "working_set_refetch_s")
                                      << " s, " << counter_u64(ws, "steals") << " steals; numa_work_stealing: remote share "
                                      << worker_numa(nws, "remote_share") << ", refetch " << worker_numa(nws, "working_set_refetch_s")
                                      << " s, " << counter_u64(nws, "steals") << " steals");
  // Children are built on threads 0 and 2 (nodes 0 and 1): a child stolen across nodes reads its stack remotely,
  // and refetches its working set from there.
  CHECK(worker_numa(ws, "remote_share") > 0.1);
  CHECK(worker_numa(nws, "remote_share") < worker_numa(ws, "remote_share") / 4);
  CHECK(worker_numa(nws, "remote_extra_s") < worker_numa(ws, "remote_extra_s") / 4);
  CHECK(numa(nws).at("cross_node_executes").get<double>() < numa(ws).at("cross_node_executes").get<double>() / 4);
  // Every stolen fiber moved CPU under both, but within a node the shared LLC serves most of its working set
  // (machine.numa.llc_refetch), so stealing within the node first costs less refetching.
  CHECK(worker_numa(ws, "working_set_refetch_s") > 0);
  CHECK(worker_numa(nws, "working_set_refetch_s") < 0.7 * worker_numa(ws, "working_set_refetch_s"));
  CHECK(worker_numa(ws, "steps") == Approx(12080).margin(5));  // 6040 children, two steps each (a 0 ns draw has no memory time)
  CHECK(worker_numa(nws, "steps") == Approx(12080).margin(5));
  CHECK(numa(ws).at("cross_node_steals") == ws.model_counters.at("steals_cross_node"));
  // The report's numa: line and the sweep's columns read the same counters as the go model's.
  std::ostringstream report;
  print_report(ws, report);
  CHECK_THAT(report.str(), Catch::Contains("numa: 2 node(s)"));
  const Json m = run_metrics(ws);
  CHECK(m.at("numa.remote_share").get<double>() == Approx(worker_numa(ws, "remote_share")));
  CHECK(m.at("numa.cross_node_steals") == numa(ws).at("cross_node_steals"));
  // A remote step is slower: the same work takes longer in all.
  CHECK(worker_numa(ws, "remote_extra_s") > 0);
}

TEST_CASE("fiber numa: one node without memory stalls gives exactly the results without the NUMA costs", "[fiber][numa][golden]") {
  const RunResult plain = run_yaml(uneven_storms("machine: {cpus: 4}\n"));
  const RunResult no_stall = run_yaml(uneven_storms("machine: {cpus: 4}\n", "[{compute: {time: {dist: exponential, mean: 20us}, memory: {stall: 0, data: stack}}}]"));
  CHECK(no_stall.fingerprint == plain.fingerprint);
  CHECK(latency_csv(no_stall) == latency_csv(plain));
  CHECK(plain.model_counters.count("numa") == 0);
  CHECK(numa(no_stall).at("classes").empty());  // no memory time
  // A stall on one node costs nothing while the bandwidth holds: the same run, and the counters say so.
  const RunResult stall = run_yaml(uneven_storms("machine: {cpus: 4}\n", "[{compute: {time: {dist: exponential, mean: 20us}, memory: {stall: 0.5, data: heap}}}]"));
  CHECK(stall.fingerprint == plain.fingerprint);
  CHECK(worker_numa(stall, "remote_share") == 0.0);
  CHECK(worker_numa(stall, "memory_s") > 0);
  // Two nodes without memory-bound steps: placement is tracked, no step costs more.
  const RunResult two_plain = run_yaml(uneven_storms(kTwoNodes));
  const RunResult two_no_stall = run_yaml(uneven_storms(kTwoNodes, "[{compute: {time: {dist: exponential, mean: 20us}, memory: {stall: 0, data: stack}}}]"));
  CHECK(two_no_stall.fingerprint == two_plain.fingerprint);
  // The check can fail: a stall on two nodes changes the run.
  const RunResult two_stall = run_yaml(uneven_storms(kTwoNodes, "[{compute: {time: {dist: exponential, mean: 20us}, memory: {stall: 0.5, data: stack}}}]"));
  CHECK(two_stall.fingerprint != two_plain.fingerprint);
}

TEST_CASE("fiber numa: stacks and heap land on the node of the worker that touches them first", "[fiber][numa]") {
  // The process on node 1's CPUs only: every stack and heap page is there, every access local.
  const RunResult node1 = run_yaml(uneven_storms(kTwoNodes, kStackWorker), {{"cgroup.cpuset.cpus", "2,3"}});
  REQUIRE(node1.outcome.status == OutcomeStatus::kCompleted);
  CHECK(numa(node1).at("stack_bytes_by_node")[0] == 0);
  CHECK(numa(node1).at("stack_bytes_by_node")[1] > 0);
  CHECK(numa(node1).at("heap_bytes_by_node")[0] == 0);
  CHECK(numa(node1).at("heap_bytes_by_node")[1] > 0);
  CHECK(worker_numa(node1, "remote_share") == 0.0);
  // Pinned workers on both nodes: the children of threads 0 and 2 have their stacks on nodes 0 and 1.
  const RunResult both = run_yaml(uneven_storms(kTwoNodes, kStackWorker), {{"fiber.algorithm", "numa_work_stealing"}});
  const Json& stacks = numa(both).at("stack_bytes_by_node");
  CHECK(stacks[0].get<double>() > 0);
  CHECK(stacks[1].get<double>() > 0);
  CHECK(numa(both).at("heap_bytes_by_node")[0].get<double>() > 0);
  CHECK(numa(both).at("heap_bytes_by_node")[1].get<double>() > 0);
  // numactl --membind=0 from node 1's CPUs: everything on node 0, every access remote.
  const RunResult bound = run_yaml(uneven_storms(kTwoNodes, kStackWorker), {{"cgroup.cpuset.cpus", "2,3"}, {"numactl.membind", "0"}});
  CHECK(numa(bound).at("stack_bytes_by_node")[1] == 0);
  CHECK(numa(bound).at("heap_bytes_by_node")[1] == 0);
  CHECK(worker_numa(bound, "remote_share") == Approx(1.0));
  CHECK(sim::to_seconds(bound.simulated_ns) > sim::to_seconds(node1.simulated_ns));
}
