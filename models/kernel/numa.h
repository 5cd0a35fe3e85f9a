// NUMA: the machine's nodes, where a process's memory lands on them, and what an access costs from a CPU.
// Shared by the kernel's CPU layer (placement and balancing by node), the go model and the fiber model
// (the cost of memory-bound compute, the heap's and stacks' placement). models/kernel/README.md#numa has the
// design note.
//
// - Topology: nodes partition the CPUs (machine.numa.nodes, or machine.numa.preset's node count over
//   machine.cpus in contiguous blocks); nodes are grouped in sockets. An access from a CPU of node a to
//   memory of node b takes latency(a, b): `local` when a == b, `near` on another node of the same socket
//   (AMD EPYC NPS2/NPS4), `remote` across sockets. Distances (the ACPI SLIT numactl -H prints) are derived
//   from those latencies, 10 x latency / local, and only order fallback nodes.
// - Placement (NumaMemory): the Linux memory policies of mm/mempolicy.c as numactl sets them: local
//   (first touch: the node of the CPU that touches a page first; the default), bind (--membind: the bound
//   node nearest the toucher), interleave (--interleave: round-robin page by page over the nodes),
//   preferred (--preferred). A node whose memory is full spills to the next node by distance, as the
//   zonelist's fallback order does (bind only spills within its nodes, and past them overcommits: counted).
// - Cost: a compute step's `stall` fraction of its local, uncontended duration is memory time; it stretches
//   by the latency ratio to where its data is, and by the memory controller's or the socket link's
//   queueing when their bandwidth is oversubscribed (NumaBandwidth).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/time.h"

namespace gmpsim::models {
struct Scenario;
}

namespace gmpsim::models::kernel {

constexpr std::size_t kMaxNodes = 16;  // MAX_NUMNODES is larger; presets and tests stay far below this
constexpr std::uint16_t kNoNode16 = 0xffff;  // NUMA_NO_NODE (Kernel::kNoNode as a node id)

struct NumaTopology {
  std::vector<std::uint16_t> cpu_node;               // by CPU index (position in machine.cpus)
  std::vector<std::vector<std::uint32_t>> node_cpus; // CPU indices of each node, increasing
  std::vector<std::uint16_t> node_socket;            // socket of each node
  std::vector<double> latency;                       // ns, [from node * nodes + memory node]
  std::vector<int> distance;                         // SLIT, same layout
  std::vector<std::vector<std::uint16_t>> fallback;  // per node: every node by increasing distance (itself first)
  std::vector<std::int64_t> node_memory;             // bytes of RAM per node
  double node_bandwidth = 0;   // bytes/ns one node's memory controllers serve
  double link_bandwidth = 0;   // bytes/ns between two sockets (UPI / xGMI), each way
  double core_bandwidth = 0;   // bytes/ns one core streams from local memory
  double line_remote = 1;      // cache-line transfer to another socket / within the socket (machine.numa.line_ratio)
  double llc_refetch = 1;      // a working set refetched on another CPU of the node / from memory (machine.numa.llc_refetch)
  std::string preset;

  std::size_t nodes() const { return node_cpus.size(); }
  bool single() const { return node_cpus.size() <= 1; }
  std::uint16_t node_of(std::uint32_t cpu) const { return cpu < cpu_node.size() ? cpu_node[cpu] : 0; }
  double lat(std::size_t from, std::size_t mem) const { return latency[from * nodes() + mem]; }
  // How much longer an access from node `from` to memory on `mem` takes than a local one.
  double ratio(std::size_t from, std::size_t mem) const { return lat(from, mem) / lat(from, from); }
  bool same_socket(std::size_t a, std::size_t b) const { return node_socket[a] == node_socket[b]; }
  // Bytes of a working set of `ws` that cost a refetch from memory when its owner moves from CPU `last` to
  // `here` (kNone: never ran): none on the same CPU, the node's shared last-level cache serves most of it
  // within a node (llc_refetch), all of it across nodes.
  std::int64_t refetch(std::int64_t ws, std::uint32_t last, std::uint32_t here) const {
    if (ws <= 0 || last == here || last >= cpu_node.size()) return 0;
    if (node_of(last) != node_of(here)) return ws;
    return static_cast<std::int64_t>(static_cast<double>(ws) * llc_refetch);
  }
};

// The topology a scenario describes (machine.numa.*). One node holding every CPU when nothing is given.
NumaTopology numa_topology(const Scenario& sc);
// A topology of `nodes` equal nodes over `ncpu` CPUs with the given latencies (tests).
NumaTopology make_topology(std::size_t ncpu, std::size_t nodes, std::size_t sockets, double local, double near,
                           double remote);

// set_mempolicy(2)'s modes as numactl sets them.
enum class MemPolicy : std::uint8_t { kLocal, kBind, kInterleave, kPreferred };
struct MemPolicySpec {
  MemPolicy mode = MemPolicy::kLocal;
  std::vector<std::uint16_t> nodes;  // bind, interleave: the node set; preferred: one node
  std::vector<bool> allowed;         // cpuset.mems (empty: every node)
};
// The process's policy from numactl.* and cgroup.cpuset.mems; throws a ScenarioError naming the key.
MemPolicySpec mem_policy(const Scenario& sc, const NumaTopology& topo);
// The CPUs numactl --cpunodebind leaves the process (machine CPU indices); empty = no binding.
std::vector<std::uint32_t> cpunodebind_cpus(const Scenario& sc, const NumaTopology& topo);

// Where a process's pages are. Regions are counted separately (the Go heap, goroutine stacks, a fiber
// runtime's stacks) so that a step can ask where the data it reads lives.
class NumaMemory {
 public:
  enum Region : std::uint8_t { kHeap = 0, kStacks = 1, kRegions = 2 };
  NumaMemory() = default;
  NumaMemory(const NumaTopology& topo, MemPolicySpec policy);

  // `bytes` of new pages first touched by a CPU of node `toucher` (rounded to whole pages by the caller):
  // spread over nodes by the policy and the nodes' free memory.
  void place(Region r, std::int64_t bytes, std::uint16_t toucher);
  // The node a single small object (a goroutine stack) lands on.
  std::uint16_t place_one(Region r, std::int64_t bytes, std::uint16_t toucher);
  // Frees `bytes` of region r on node `node`, or spread like the region when node is kAny.
  static constexpr std::uint16_t kAny = 0xffff;
  void release(Region r, std::int64_t bytes, std::uint16_t node = kAny);
  // Moves `bytes` of region r from node `from` to node `to` (NUMA balancing's page migration).
  void migrate(Region r, std::int64_t bytes, std::uint16_t from, std::uint16_t to);

  std::int64_t bytes(Region r, std::uint16_t node) const { return bytes_[r * nodes_ + node]; }
  std::int64_t total(Region r) const;
  std::int64_t used(std::uint16_t node) const;  // every region
  // The share of region r on `node` (0 when the region is empty).
  double share(Region r, std::uint16_t node) const;
  // Expected access-latency ratio of region r's data from a CPU on node `from`: sum over nodes of
  // share x ratio(from, n). 1 when the region is empty or everything is local.
  double ratio(Region r, std::uint16_t from) const;
  // Bytes that landed on a node other than the one the policy asked for (a full node), and bytes a bind
  // policy put past its nodes' memory.
  std::int64_t spilled() const { return spilled_; }
  std::int64_t overcommitted() const { return overcommitted_; }
  const NumaTopology* topology() const { return topo_; }
  MemPolicy policy() const { return policy_.mode; }

 private:
  std::uint16_t target(std::uint16_t toucher);  // the node the policy picks for the next page
  std::uint16_t fit(std::uint16_t want, std::int64_t bytes);  // want, or its nearest allowed node with room

  const NumaTopology* topo_ = nullptr;
  MemPolicySpec policy_;
  std::size_t nodes_ = 1;
  std::vector<std::int64_t> bytes_;  // [region * nodes + node]
  std::vector<std::uint16_t> set_;   // allowed nodes for the policy
  std::size_t interleave_next_ = 0;
  std::int64_t spilled_ = 0, overcommitted_ = 0;
};

// A thread's memory traffic while its memory-bound step runs: added to a NumaBandwidth when the step starts
// (numa_step), taken off when its burst ends (NumaBandwidth::end).
struct NumaStream {
  double rate = 0;  // bytes/ns; 0: none
  std::uint16_t from = 0;
  double shares[kMaxNodes] = {};  // where the data is, by node
};

// Memory bandwidth in use on each node's controllers and on each socket pair's link, from the memory-bound
// work running now. A step that starts asks for the stretch its memory time gets: demand over capacity
// when above 1 (a processor-sharing approximation, fixed for the step's duration: a step is not re-timed
// when others start or end while it runs).
class NumaBandwidth {
 public:
  NumaBandwidth() = default;
  explicit NumaBandwidth(const NumaTopology& topo);
  // A stream of `rate` bytes/ns from a CPU of node `from` to memory spread like `shares` (by node): adds
  // it and returns the stretch of its memory time (>= 1).
  double add(std::uint16_t from, const double* shares, double rate);
  void remove(std::uint16_t from, const double* shares, double rate);
  void end(NumaStream& s) {  // the stream's step ended
    if (s.rate <= 0) return;
    remove(s.from, s.shares, s.rate);
    s.rate = 0;
  }
  double node_demand(std::uint16_t node) const { return node_[node]; }
  double peak_utilization(std::uint16_t node) const { return node_peak_[node]; }

 private:
  const NumaTopology* topo_ = nullptr;
  std::vector<double> node_, link_, node_peak_;  // link_: [memory's socket * sockets + reader's socket], each way
  std::size_t sockets_ = 1;
};

// One memory-bound step as numa_step costs it (ns).
struct NumaStep {
  double cpu = 0, mem = 0, ws = 0;  // CPU time, memory time (stall x local, plus the refetch), the refetch part
  double ratio = 1, local_share = 1, queue = 1;  // the data's latency ratio, its share on `from`, the bandwidth stretch
  double total(double extra = 0) const { return cpu + mem * ratio * queue + extra; }
};

// A compute step of `local` ns (its data local, memory uncontended), `stall` of it memory time, on a CPU of
// node `from`: its data is the stack on `stack_node`, or the heap (spread as `mem` has it) when stack_node < 0;
// `refetch` bytes of working set come first at the core's bandwidth (the thread's cache was on another CPU).
// Fills s.shares, and unless the step has no memory time (mem == 0: it takes `local`) adds its stream to
// `bw`: the core's bandwidth over the memory share of its time. A stream `s` still had is taken off first.
NumaStep numa_step(const NumaMemory& mem, NumaBandwidth& bw, NumaStream& s, std::uint16_t from, int stack_node,
                   sim::Time local, double stall, std::int64_t refetch);

// What memory-bound steps cost a run, by class and by the node of the CPU that ran them.
class NumaCosts {
 public:
  NumaCosts() = default;
  NumaCosts(std::size_t classes, std::size_t nodes) : classes_(classes), node_mem_(nodes, 0.0), node_remote_(nodes, 0.0) {}
  void add(std::size_t cls, std::uint16_t from, const NumaStep& s);
  // The counters every model with NUMA costs reports (`numa`; the report's numa: line and the sweep's numa.*
  // columns read them): the topology, heap and stack bytes by node, spilled and overcommitted bytes, the remote
  // share by the CPU's node, peak bandwidth utilisation by node, steals and executions (resumes) of a goroutine
  // or fiber on another node than it last ran on, and per class (named by name(c)) with memory time its memory
  // time, remote share, the extra time remote accesses and bandwidth waits cost, refetches and steps.
  nlohmann::ordered_json json(const NumaMemory& mem, const NumaBandwidth& bw, const std::function<const std::string&(std::size_t)>& name,
                              std::uint64_t cross_steals, std::uint64_t cross_executes) const;

 private:
  struct Class {
    double mem_ns = 0, remote_share_ns = 0, remote_extra_ns = 0, queue_extra_ns = 0, ws_ns = 0;
    std::uint64_t steps = 0;
  };
  std::vector<Class> classes_;
  std::vector<double> node_mem_, node_remote_;  // memory time by the CPU's node, and its remote part
};

// A run's `numa` counters summed over its classes, in seconds: memory time, its remote part, and the extra time
// remote accesses and bandwidth waits cost (the report's numa: line, the sweep's numa.* columns, the capacity
// planner's memory-bandwidth limit).
struct NumaTotals {
  double memory_s = 0, remote_s = 0, remote_extra_s = 0, bandwidth_extra_s = 0;
};
NumaTotals numa_totals(const nlohmann::ordered_json& numa);

// The topology and placement as counters (`numa` in a run's summary).
nlohmann::ordered_json topology_json(const NumaTopology& topo);

}  // namespace gmpsim::models::kernel
