// NUMA topology, placement and bandwidth (numa.h) against hand computations.
#include <catch2/catch.hpp>

#include "models/kernel/numa.h"
#include "models/scenario/scenario.h"

using namespace gmpsim;
using namespace gmpsim::models;
using namespace gmpsim::models::kernel;

namespace {

constexpr std::int64_t kPage = 4096;

Scenario load(const std::string& machine, const std::vector<Override>& sets = {}) {
  return load_scenario("machine: " + machine + "\nruntime: {model: go}\nworkload: {classes: {a: {arrivals: {process: initial, count: 1}, program: [{compute: 1us}]}}}\n",
                       "<text>", sets);
}

}  // namespace

TEST_CASE("numa: presets and nodes give the topology numactl -H would show", "[numa]") {
  const NumaTopology one = numa_topology(load("{cpus: 4}"));
  CHECK(one.nodes() == 1);
  CHECK(one.single());
  const NumaTopology x = numa_topology(load("{cpus: 8, numa: {preset: xeon-2s}}"));
  REQUIRE(x.nodes() == 2);
  CHECK(x.node_cpus[0] == std::vector<std::uint32_t>{0, 1, 2, 3});
  CHECK(x.node_of(5) == 1);
  CHECK(x.lat(0, 1) == Approx(142.7));
  CHECK(x.ratio(0, 1) == Approx(142.7 / 89.2));
  CHECK(x.distance == std::vector<int>{10, 16, 16, 10});  // 10 x latency / local
  const NumaTopology big = numa_topology(load("{cpus: 16, numa: {preset: epyc-2s-nps4}}"));
  REQUIRE(big.nodes() == 8);
  CHECK(big.node_socket[3] == 0);
  CHECK(big.node_socket[4] == 1);
  CHECK(big.lat(0, 3) == Approx(125));
  CHECK(big.lat(0, 4) == Approx(230));
  CHECK(big.fallback[0][1] == 1);  // the nearest other node is on the same socket
  CHECK(big.fallback[0][4] >= 4);
  const NumaTopology e = numa_topology(load("{cpus: 8, numa: {preset: epyc-nps4}}"));
  REQUIRE(e.nodes() == 4);
  CHECK(e.same_socket(0, 3));
  CHECK(e.fallback[2].front() == 2);
  // A key the scenario gives wins over the preset's.
  const NumaTopology y = numa_topology(load("{cpus: 8, numa: {preset: xeon-2s, latency: {remote: 200ns}}}"));
  CHECK(y.lat(1, 0) == Approx(200));
  CHECK(y.lat(0, 0) == Approx(89.2));
  // Listed nodes, three on two sockets would not split: an error naming the key.
  const NumaTopology l = numa_topology(load("{cpus: 4, numa: {nodes: [[0, 2], [1, 3]], sockets: 2}}"));
  CHECK(l.node_of(2) == 0);
  CHECK(l.node_of(1) == 1);
  CHECK(l.lat(0, 1) == Approx(140));
  CHECK_THROWS_WITH(numa_topology(load("{cpus: 6, numa: {nodes: [[0, 1], [2, 3], [4, 5]], sockets: 2}}")),
                    Catch::Contains("machine.numa.sockets"));
  CHECK_THROWS_WITH(numa_topology(load("{cpus: 6, numa: {preset: epyc-nps4}}")), Catch::Contains("machine.numa.preset"));
  CHECK_THROWS_WITH(numa_topology(load("{cpus: 4, numa: {latency: {local: 100ns, remote: 80ns}}}")),
                    Catch::Contains("machine.numa.latency.remote"));
}

TEST_CASE("numa: numactl policies and cpuset.mems are checked and named", "[numa]") {
  const Scenario sc = load("{cpus: 8, numa: {preset: xeon-2s}}", {{"numactl.interleave", "all"}});
  const NumaTopology t = numa_topology(sc);
  const MemPolicySpec p = mem_policy(sc, t);
  CHECK(p.mode == MemPolicy::kInterleave);
  CHECK(p.nodes == std::vector<std::uint16_t>{0, 1});
  CHECK_THROWS_WITH(mem_policy(load("{cpus: 8, numa: {preset: xeon-2s}}", {{"numactl.membind", "2"}}), t), Catch::Contains("numactl.membind") && Catch::Contains("node 2 does not exist"));
  CHECK_THROWS_WITH(mem_policy(load("{cpus: 8, numa: {preset: xeon-2s}}", {{"numactl.membind", "0"}, {"numactl.interleave", "all"}}), t),
                    Catch::Contains("one memory policy"));
  CHECK_THROWS_WITH(mem_policy(load("{cpus: 8, numa: {preset: xeon-2s}}", {{"numactl.membind", "x"}}), t), Catch::Contains("expected node ids"));
  CHECK_THROWS_WITH(mem_policy(load("{cpus: 8, numa: {preset: xeon-2s}}", {{"numactl.membind", "0"}, {"cgroup.cpuset.mems", "1"}}), t),
                    Catch::Contains("cgroup.cpuset.mems"));
  CHECK(cpunodebind_cpus(load("{cpus: 8, numa: {preset: xeon-2s}}", {{"numactl.cpunodebind", "1"}}), t) ==
        std::vector<std::uint32_t>{4, 5, 6, 7});
}

TEST_CASE("numa: first touch, interleave, bind and spill place pages as mm/mempolicy.c does", "[numa]") {
  NumaTopology t = make_topology(8, 2, 2, 90, 90, 140);
  t.node_memory = {1000 * kPage, 1000 * kPage};
  SECTION("first touch: on the toucher's node") {
    NumaMemory m(t, {});
    m.place(NumaMemory::kHeap, 10 * kPage, 1);
    CHECK(m.bytes(NumaMemory::kHeap, 1) == 10 * kPage);
    CHECK(m.place_one(NumaMemory::kStacks, 2048, 0) == 0);
    CHECK(m.ratio(NumaMemory::kHeap, 0) == Approx(140.0 / 90));
    CHECK(m.ratio(NumaMemory::kHeap, 1) == Approx(1.0));
  }
  SECTION("interleave spreads pages evenly, whatever the toucher") {
    NumaMemory m(t, {MemPolicy::kInterleave, {0, 1}, {}});
    for (int i = 0; i < 7; ++i) m.place(NumaMemory::kHeap, 51 * kPage, 0);  // odd sizes: the round-robin carries on
    CHECK(m.bytes(NumaMemory::kHeap, 0) + m.bytes(NumaMemory::kHeap, 1) == 357 * kPage);
    CHECK(std::llabs(m.bytes(NumaMemory::kHeap, 0) - m.bytes(NumaMemory::kHeap, 1)) <= kPage);
    CHECK(m.share(NumaMemory::kHeap, 1) == Approx(0.5).margin(0.003));
    CHECK(m.ratio(NumaMemory::kHeap, 0) == Approx((1 + 140.0 / 90) / 2).margin(0.01));
  }
  SECTION("a full node spills to the nearest; bind stays within its nodes and counts the overcommit") {
    NumaMemory m(t, {});
    m.place(NumaMemory::kHeap, 900 * kPage, 0);
    m.place(NumaMemory::kHeap, 200 * kPage, 0);  // does not fit on node 0 any more
    CHECK(m.bytes(NumaMemory::kHeap, 1) == 200 * kPage);
    CHECK(m.spilled() == 200 * kPage);
    NumaMemory b(t, {MemPolicy::kBind, {0}, {}});
    b.place(NumaMemory::kHeap, 900 * kPage, 1);  // bound: node 0 although node 1 touched it
    b.place(NumaMemory::kHeap, 200 * kPage, 1);
    CHECK(b.bytes(NumaMemory::kHeap, 1) == 0);
    CHECK(b.overcommitted() == 200 * kPage);
  }
  SECTION("release takes from every node in proportion; migrate moves") {
    NumaMemory m(t, {});
    m.place(NumaMemory::kHeap, 300 * kPage, 0);
    m.place(NumaMemory::kHeap, 100 * kPage, 1);
    m.release(NumaMemory::kHeap, 200 * kPage);
    CHECK(m.bytes(NumaMemory::kHeap, 0) == 150 * kPage);
    CHECK(m.bytes(NumaMemory::kHeap, 1) == 50 * kPage);
    m.migrate(NumaMemory::kHeap, 50 * kPage, 0, 1);
    CHECK(m.share(NumaMemory::kHeap, 1) == Approx(0.5));
  }
}

TEST_CASE("numa: a node's memory time queues once its bandwidth is oversubscribed", "[numa]") {
  NumaTopology t = make_topology(8, 2, 2, 100, 100, 200);
  t.node_bandwidth = 20;  // bytes/ns
  t.link_bandwidth = 10;
  NumaBandwidth bw(t);
  const double local[2] = {1, 0}, remote[2] = {0, 1};
  CHECK(bw.add(0, local, 12) == Approx(1.0));         // 12 of 20
  CHECK(bw.add(0, local, 12) == Approx(24.0 / 20));   // 24 of 20: memory time x 1.2
  CHECK(bw.add(1, remote, 4) == Approx(1.0));  // node 1 reading its own memory: not on node 0
  bw.remove(1, remote, 4);
  CHECK(bw.add(1, local, 8) == Approx(std::max(32.0 / 20, 8.0 / 10)));  // node 1 reading node 0 across the link
  bw.remove(1, local, 8);
  bw.remove(0, local, 12);
  CHECK(bw.node_demand(0) == Approx(12));
  CHECK(bw.peak_utilization(0) == Approx(32.0 / 20));
  // The duration: the CPU part, plus the memory part stretched by the latency ratio and the queue.
  const auto step = [](double cpu, double mem, double ratio, double queue) {
    NumaStep s;
    s.cpu = cpu, s.mem = mem, s.ratio = ratio, s.queue = queue;
    return s;
  };
  CHECK(step(600, 400, (1 + 2.0) / 2, 1.0).total() == 600 + 600);  // half the data remote, twice as far
  CHECK(step(600, 400, 1.0, 1.5).total() == 600 + 600);             // local, the bandwidth queue x 1.5
  CHECK(step(1000, 0, 2.0, 3.0).total() == 1000);                   // no memory time
}

TEST_CASE("numa: numa_step costs a step from where its data is and streams while it runs", "[numa]") {
  NumaTopology t = make_topology(4, 2, 2, 100, 100, 200);
  t.node_bandwidth = 20;  // bytes/ns
  t.link_bandwidth = 10;
  t.core_bandwidth = 8;
  NumaMemory mem(t, MemPolicySpec{});
  mem.place(NumaMemory::kHeap, 3 * 4096, 0);
  mem.place(NumaMemory::kHeap, 4096, 1);  // the heap: 3/4 on node 0
  NumaBandwidth bw(t);
  NumaStream s;
  // Its stack on node 1, run from node 0: 400 of 1000 ns memory time, twice as long remote.
  NumaStep st = numa_step(mem, bw, s, 0, 1, 1000, 0.4, 0);
  CHECK(st.cpu == Approx(600));
  CHECK(st.mem == Approx(400));
  CHECK(st.ratio == Approx(2.0));
  CHECK(st.local_share == 0.0);
  CHECK(st.queue == Approx(1.0));
  CHECK(st.total() == Approx(600 + 800));
  CHECK(s.rate == Approx(8.0 * 400 / (600 + 800)));  // the core's bandwidth over the memory share of its time
  CHECK(bw.node_demand(1) == Approx(s.rate));
  bw.end(s);
  CHECK(s.rate == 0.0);
  CHECK(bw.node_demand(1) == Approx(0.0).margin(1e-12));
  // The heap from node 1, after moving CPU: 8000 bytes refetched at 8 bytes/ns first, as memory time.
  st = numa_step(mem, bw, s, 1, -1, 1000, 0.4, 8000);
  CHECK(st.ws == Approx(1000));
  CHECK(st.mem == Approx(1400));
  CHECK(st.local_share == Approx(0.25));
  CHECK(st.ratio == Approx(0.75 * 2 + 0.25));
  // No memory time: no stream, the local duration; a stream still open is ended first.
  st = numa_step(mem, bw, s, 0, 1, 1000, 0.0, 0);
  CHECK(st.mem == 0.0);
  CHECK(s.rate == 0.0);
  CHECK(bw.node_demand(0) == Approx(0.0).margin(1e-12));
  // The counters: per class and by the CPU's node.
  NumaCosts costs(2, 2);
  costs.add(1, 0, numa_step(mem, bw, s, 0, 1, 1000, 0.4, 0));
  bw.end(s);
  const std::vector<std::string> names = {"a", "b"};
  const nlohmann::ordered_json j = costs.json(mem, bw, [&](std::size_t c) -> const std::string& { return names[c]; }, 3, 4);
  CHECK(j.at("cross_node_steals") == 3);
  CHECK(!j.at("classes").contains("a"));
  CHECK(j.at("classes").at("b").at("remote_share") == 1.0);
  CHECK(j.at("classes").at("b").at("remote_extra_s").get<double>() == Approx(400e-9));
  CHECK(j.at("remote_share_by_cpu_node")[0] == 1.0);
  CHECK(j.at("heap_bytes_by_node")[0] == 3 * 4096);
}
