// NUMA in the go model (numa.cpp): placement by first touch, memory-bound steps against the latency ratios
// and bandwidth, goroutines that move between nodes, automatic NUMA balancing, the what-if policies, and the
// one-node case unchanged.
#include <catch2/catch.hpp>
#include <sstream>

#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::run_yaml;

namespace {

const Json& numa(const RunResult& r) { return r.model_counters.at("numa"); }
double cls(const RunResult& r, const char* key) { return numa(r).at("classes").at("req").at(key).get<double>(); }

// Open-loop requests on `cpus` CPUs: `pre` steps, then a memory-bound step reading `data`.
std::string service(const std::string& machine, const std::string& memory, const std::string& rate = "20000/s",
                    const std::string& pre = "", const std::string& heap = "64MiB") {
  std::ostringstream os;
  os << "machine: " << machine << "\n"
     << "runtime: {model: go}\n"
        "workload:\n"
        "  heap: {live: " << heap << "}\n"
        "  classes:\n"
        "    req:\n"
        "      arrivals: {process: poisson, rate: " << rate << "}\n"
        "      program:\n" << pre
     << "        - compute: {time: {dist: exponential, mean: 100us}, memory: " << memory << "}\n"
        "run: {duration: 1s, warmup: 100ms, seed: 3}\n";
  return os.str();
}

}  // namespace

TEST_CASE("go numa: one node gives exactly the results without the NUMA model", "[go][numa][golden]") {
  const std::string base = "machine: {cpus: 4}\nruntime: {model: go}\nworkload:\n  heap: {live: 16MiB}\n  classes:\n    req:\n"
                           "      arrivals: {process: poisson, rate: 8000/s}\n      program:\n"
                           "        - alloc: {size: 1KiB, count: 8}\n        - COMPUTE\n        - net_wait: 1ms\n"
                           "run: {duration: 500ms, seed: 2}\n";
  const auto with = [&](const std::string& compute, const std::string& machine = "machine: {cpus: 4}") {
    std::string s = base;
    s.replace(s.find("COMPUTE"), 7, compute);
    s.replace(s.find("machine: {cpus: 4}"), 18, machine);
    return run_yaml(s);
  };
  const RunResult plain = with("compute: 100us");
  const RunResult one_node = with("compute: 100us", "machine: {cpus: 4, numa: {nodes: [[0, 1, 2, 3]]}}");
  const RunResult no_stall = with("compute: {time: 100us, memory: {stall: 0, data: heap}}");
  CHECK(one_node.fingerprint == plain.fingerprint);
  CHECK(no_stall.fingerprint == plain.fingerprint);
  CHECK(plain.model_counters.count("numa") == 0);
  // A stall on one node costs nothing while the bandwidth holds: the same run, and the counters say so.
  const RunResult stall = with("compute: {time: 100us, memory: {stall: 0.5, data: heap}}");
  CHECK(stall.fingerprint == plain.fingerprint);
  CHECK(numa(stall).at("classes").at("req").at("remote_share") == 0.0);
}

TEST_CASE("go numa: first touch puts stacks and heap on the node of the CPUs that touch them", "[go][numa]") {
  const std::string m = "{cpus: 8, memory: 16GiB, numa: {preset: xeon-2s}}";
  const RunResult node1 = run_yaml(service(m, "{stall: 0.5, data: stack}"), {{"cgroup.cpuset.cpus", "4-7"}});
  CHECK(numa(node1).at("stack_bytes_by_node")[0] == 0);
  CHECK(numa(node1).at("stack_bytes_by_node")[1] > 0);
  CHECK(numa(node1).at("heap_bytes_by_node")[0] == 0);
  CHECK(cls(node1, "remote_share") == 0.0);
  const RunResult node0 = run_yaml(service(m, "{stall: 0.5, data: stack}"), {{"numactl.cpunodebind", "0"}});
  CHECK(numa(node0).at("stack_bytes_by_node")[1] == 0);
  CHECK(numa(node0).at("heap_bytes_by_node")[1] == 0);
  // Both nodes: the live heap was built by main on the first CPU's node; stacks land where the Ms ran.
  const RunResult both = run_yaml(service(m, "{stall: 0.5, data: stack}"), {{"kernel.numa_balancing", "false"}});
  const Json& heap = numa(both).at("heap_bytes_by_node");
  CHECK(heap[0].get<double>() > 10 * heap[1].get<double>());
  CHECK(numa(both).at("stack_bytes_by_node")[1] > 0);
  // numactl --membind=1 from node 0's CPUs: everything on node 1, and every access remote.
  const RunResult bound = run_yaml(service(m, "{stall: 0.5, data: heap}"), {{"numactl.cpunodebind", "0"}, {"numactl.membind", "1"}});
  CHECK(numa(bound).at("heap_bytes_by_node")[0] == 0);
  CHECK(cls(bound, "remote_share") == Approx(1.0));
  CHECK(numa(bound).count("balancing") == 0);  // pages under numactl's policies do not migrate
}

TEST_CASE("go numa: a latency-bound loop slows by the published remote/local ratio", "[go][numa]") {
  // One goroutine chasing pointers (all of its time waits for DRAM) through a heap on the other socket
  // (no collector: its cycle over the 256 MiB heap would take CPU from the loop).
  // Intel MLC on a 2-socket Ice Lake SP: 89.2 ns local, 142.7 ns remote (the xeon-2s preset's source).
  const auto loop = [](const char* membind) {
    return run_yaml("machine: {cpus: 4, numa: {preset: xeon-2s}}\nruntime: {model: go, gogc: off}\n"
                    "numactl: {cpunodebind: \"0\", membind: \"" + std::string(membind) + "\"}\n"
                    "workload:\n  heap: {live: 256MiB}\n  classes:\n    req:\n      arrivals: {process: initial, count: 1}\n"
                    "      program: [{repeat: {count: 100, steps: [{compute: {time: 1ms, memory: {stall: 1.0}}}]}}]\n"
                    "run: {duration: 1s, seed: 1}\n");
  };
  const RunResult local = loop("0"), remote = loop("1");
  const double t_local = local.classes[0].latency.latency.mean(), t_remote = remote.classes[0].latency.latency.mean();
  INFO("local " << t_local << " us, remote " << t_remote << " us");
  CHECK(t_local == Approx(100e6).epsilon(0.01));  // ns
  CHECK(t_remote / t_local == Approx(142.7 / 89.2).epsilon(0.01));
}

TEST_CASE("go numa: with the heap spread by first touch, the remote share is 1 - 1/nodes", "[go][numa]") {
  // Uniform placement and CPUs used evenly: an access is remote with probability (n - 1) / n. The heap is
  // not interleaved: requests on every CPU grow it (a cache that only grows), so first touch spreads it.
  for (const auto& [preset, nodes] : {std::pair<const char*, int>{"xeon-2s", 2}, {"epyc-nps4", 4}}) {
    const RunResult r = run_yaml(service(std::string("{cpus: 8, memory: 16GiB, numa: {preset: ") + preset + "}}", "{stall: 0.5, data: heap}", "30000/s",
                                         "        - alloc: {size: 4KiB, count: 4, lives: forever}\n", "0B"),
                                 {{"kernel.numa_balancing", "false"}});
    INFO(preset << ": " << numa(r).dump());
    CHECK(cls(r, "remote_share") == Approx(1.0 - 1.0 / nodes).margin(0.05));
  }
}

TEST_CASE("go numa: a node whose bandwidth is oversubscribed slows its memory-bound steps", "[go][numa]") {
  // 8 CPUs streaming 12 GB/s each for 80 % of their time, against 200 GB/s and 30 GB/s of memory.
  const auto run = [](const char* bw) {
    return run_yaml(service(std::string("{cpus: 8, numa: {bandwidth: ") + bw + "}}", "{stall: 0.8, data: heap}", "60000/s"));
  };
  const RunResult wide = run("200GB"), narrow = run("30GB");
  CHECK(cls(wide, "bandwidth_extra_s") == 0.0);
  CHECK(cls(narrow, "bandwidth_extra_s") > 0.1);
  CHECK(numa(narrow).at("bandwidth_peak_utilization_by_node")[0] > 1.0);
  CHECK(narrow.classes[0].latency.latency.mean() > 1.2 * wide.classes[0].latency.latency.mean());
}

TEST_CASE("go numa: goroutines moving across nodes refetch their working set and pay cross-socket lines", "[go][numa]") {
  const std::string m = "{cpus: 8, numa: {preset: xeon-2s}}";
  const std::string mem = "{stall: 0.3, data: stack, working_set: 256KiB}";
  const std::string pre = "        - compute: 20us\n        - net_wait: 200us\n";
  const RunResult one = run_yaml(service(m, mem, "20000/s", pre), {{"cgroup.cpuset.cpus", "0-3"}});
  const RunResult two = run_yaml(service(m, mem, "20000/s", pre));
  CHECK(numa(one).at("cross_node_executes") == 0);
  CHECK(numa(one).at("cross_node_steals") == 0);
  CHECK(numa(two).at("cross_node_executes") > 100);
  CHECK(cls(two, "working_set_refetch_s") > 0);
  CHECK(cls(two, "remote_share") > 0.1);  // the stack stayed where the goroutine was made
  // The same run with cache lines twice as dear across sockets costs more runtime CPU.
  const RunResult dear = run_yaml(service(m, mem, "20000/s", pre), {{"machine.numa.line_ratio", "4"}});
  CHECK(dear.cpu_runtime > two.cpu_runtime);
}

TEST_CASE("go numa: automatic NUMA balancing migrates the heap toward the nodes that use it", "[go][numa]") {
  const std::string m = "{cpus: 8, memory: 16GiB, numa: {preset: xeon-2s}}";
  const std::vector<Override> fast = {{"kernel.numa_balancing_scan_delay", "50ms"}, {"kernel.numa_balancing_scan_period_min", "50ms"},
                                      {"kernel.numa_balancing_scan_size", "16MiB"}};
  std::vector<Override> on = fast, off = fast;
  off.push_back({"kernel.numa_balancing", "false"});
  const RunResult moved = run_yaml(service(m, "{stall: 0.5, data: heap}"), on);
  const RunResult stayed = run_yaml(service(m, "{stall: 0.5, data: heap}"), off);
  const Json& b = numa(moved).at("balancing");
  INFO(numa(moved).dump());
  CHECK(b.at("scans") > 10);
  CHECK(b.at("hint_faults") > 0);
  CHECK(b.at("pages_migrated") > 0);
  CHECK(b.at("preferred_node").is_number());  // the numa_group's node, which wake-ups then prefer
  const auto share1 = [](const RunResult& r) {
    const Json& h = numa(r).at("heap_bytes_by_node");
    return h[1].get<double>() / (h[0].get<double>() + h[1].get<double>());
  };
  CHECK(share1(stayed) < 0.05);  // main built the heap on node 0
  CHECK(share1(moved) > 0.2);
  CHECK(share1(moved) < 0.6);
}

TEST_CASE("go numa: the what-if policies keep goroutines on their node", "[go][numa]") {
  // Goroutines whose data is their stack, made on every node: Go's stealing runs them anywhere; the
  // NUMA-aware what-ifs (Ps split over nodes, Ms bound there, stealing within the node first, a global
  // queue per node) keep more of them home.
  const std::string m = "{cpus: 8, numa: {preset: xeon-2s}}";
  const std::string mem = "{stall: 0.5, data: stack}";
  const std::string pre = "        - compute: 30us\n        - gosched: true\n";
  const RunResult go = run_yaml(service(m, mem, "40000/s", pre));
  const RunResult aware = run_yaml(service(m, mem, "40000/s", pre),
                                   {{"runtime.numa.p_affinity", "true"}, {"runtime.numa.steal", "node_first"}, {"runtime.numa.global_runq", "per_node"}});
  INFO("go " << numa(go).dump() << "\naware " << numa(aware).dump());
  CHECK(numa(aware).at("cross_node_steals") < numa(go).at("cross_node_steals"));
  CHECK(numa(aware).at("global_runq_takes_own_node") > numa(aware).at("global_runq_takes_other_node"));
  CHECK(cls(aware, "remote_share") < cls(go, "remote_share"));
}

TEST_CASE("go numa: bad memory specs and policies are named", "[go][numa]") {
  const std::string m = "{cpus: 8, numa: {preset: xeon-2s}}";
  CHECK_THROWS_WITH(run_yaml(service(m, "{stall: 1.5}")), Catch::Contains("memory.stall") && Catch::Contains("between 0 and 1"));
  CHECK_THROWS_WITH(run_yaml(service(m, "{stall: 0.2, data: disk}")), Catch::Contains("memory.data"));
  CHECK_THROWS_WITH(run_yaml(service(m, "{stall: 0.2, speed: 3}")), Catch::Contains("speed"));
  CHECK_THROWS_WITH(run_yaml(service(m, "{stall: 0.2}"), {{"numactl.interleave", "0,5"}}), Catch::Contains("numactl.interleave"));
}
