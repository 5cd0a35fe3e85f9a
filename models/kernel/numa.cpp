#include "models/kernel/numa.h"

#include <algorithm>
#include <cmath>

#include "models/input/errors.h"
#include "models/kernel/config.h"
#include "models/scenario/scenario.h"
#include "sim/check.h"

namespace gmpsim::models::kernel {

namespace {

struct Preset {
  const char* name;
  std::size_t nodes, sockets;
  double local, near, remote;  // ns
  double bandwidth, link;      // bytes/s
};
// Sources in params.cpp (machine.numa.preset) and models/kernel/README.md#numa.
constexpr Preset kPresets[] = {
    {"xeon-2s", 2, 2, 89.2, 89.2, 142.7, 175.7e9, 55.7e9},
    {"epyc-nps2", 2, 1, 110, 120, 120, 90e9, 90e9},
    {"epyc-nps4", 4, 1, 110, 125, 125, 45e9, 45e9},
    {"epyc-2s", 2, 2, 130, 130, 230, 370e9, 128e9},
    {"epyc-2s-nps4", 8, 2, 110, 125, 230, 45e9, 128e9},
};

void finish(NumaTopology& t) {
  const std::size_t n = t.nodes();
  t.distance.assign(n * n, 10);
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) {
      t.distance[a * n + b] = static_cast<int>(std::lround(10.0 * t.lat(a, b) / t.lat(a, a)));
    }
  }
  t.fallback.assign(n, {});
  for (std::size_t a = 0; a < n; ++a) {
    std::vector<std::uint16_t>& f = t.fallback[a];
    for (std::size_t b = 0; b < n; ++b) f.push_back(static_cast<std::uint16_t>(b));
    // build_zonelists: by distance, ties by node id; the node itself first.
    std::stable_sort(f.begin(), f.end(), [&](std::uint16_t x, std::uint16_t y) {
      return t.distance[a * n + x] < t.distance[a * n + y];
    });
  }
}

void fill_latency(NumaTopology& t, double local, double near, double remote) {
  const std::size_t n = t.nodes();
  t.latency.assign(n * n, local);
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) {
      if (a != b) t.latency[a * n + b] = t.same_socket(a, b) ? near : remote;
    }
  }
}

// "0", "0,2", "0-1", "all" as node ids; throws naming `key`.
std::vector<std::uint16_t> parse_nodes(const std::string& text, const std::string& key, std::size_t nodes) {
  std::vector<std::uint16_t> out;
  if (text == "all") {
    for (std::size_t i = 0; i < nodes; ++i) out.push_back(static_cast<std::uint16_t>(i));
    return out;
  }
  const std::string form = "node ids as numactl takes them (\"0\", \"0,1\", \"0-1\" or \"all\")";
  if (text.empty()) throw ScenarioError(key, "expected " + form + ", not \"\"");
  for (std::uint32_t n : parse_id_list(text, key, form, [&](long i) {
         if (static_cast<std::size_t>(i) >= nodes) {
           throw ScenarioError(key, "node " + std::to_string(i) + " does not exist: the machine has " + std::to_string(nodes) +
                                        " node(s) (machine.numa.nodes or machine.numa.preset)");
         }
         return static_cast<std::uint32_t>(i);
       })) {
    out.push_back(static_cast<std::uint16_t>(n));
  }
  return out;
}

}  // namespace

NumaTopology make_topology(std::size_t ncpu, std::size_t nodes, std::size_t sockets, double local, double near,
                           double remote) {
  GMPSIM_CHECK(nodes >= 1 && nodes <= kMaxNodes && ncpu % nodes == 0 && nodes % sockets == 0, "make_topology: bad shape");
  NumaTopology t;
  t.node_cpus.assign(nodes, {});
  t.cpu_node.resize(ncpu);
  for (std::size_t c = 0; c < ncpu; ++c) {
    const std::size_t node = c / (ncpu / nodes);
    t.cpu_node[c] = static_cast<std::uint16_t>(node);
    t.node_cpus[node].push_back(static_cast<std::uint32_t>(c));
  }
  for (std::size_t i = 0; i < nodes; ++i) t.node_socket.push_back(static_cast<std::uint16_t>(i / (nodes / sockets)));
  fill_latency(t, local, near, remote);
  t.node_memory.assign(nodes, std::int64_t{16} << 30);
  t.node_bandwidth = 110;
  t.link_bandwidth = 34;
  t.core_bandwidth = 12;
  t.line_remote = 2;
  t.llc_refetch = 0.25;
  finish(t);
  return t;
}

NumaTopology numa_topology(const Scenario& sc) {
  NumaTopology t;
  t.preset = sc.text("machine.numa.preset");
  const Preset* preset = nullptr;
  for (const Preset& p : kPresets) {
    if (t.preset == p.name) preset = &p;
  }
  const auto given = [&](const char* key) {
    const ResolvedValue* v = sc.find(key);
    return v != nullptr && v->origin != "default";
  };
  const std::size_t ncpu = sc.machine.cpus.size();
  // Nodes: listed, or the preset's count in contiguous blocks of CPU indices.
  std::vector<std::vector<int>> lists = sc.machine.numa_nodes;
  const bool listed = given("machine.numa.nodes");
  if (!listed && preset != nullptr) {
    if (ncpu % preset->nodes != 0) {
      throw ScenarioError("machine.numa.preset", t.preset + " has " + std::to_string(preset->nodes) + " nodes: machine.cpus (" +
                                                     std::to_string(ncpu) + ") must split into them equally, or list machine.numa.nodes");
    }
    lists.assign(preset->nodes, {});
    for (std::size_t i = 0; i < ncpu; ++i) lists[i / (ncpu / preset->nodes)].push_back(sc.machine.cpus[i]);
  } else if (listed && preset != nullptr && lists.size() != preset->nodes) {
    throw ScenarioError("machine.numa.nodes", "lists " + std::to_string(lists.size()) + " nodes but machine.numa.preset " + t.preset +
                                                  " has " + std::to_string(preset->nodes) + "; drop one of the two or make them agree");
  }
  if (lists.size() > kMaxNodes) {
    throw ScenarioError("machine.numa.nodes", "at most " + std::to_string(kMaxNodes) + " nodes are modelled, not " + std::to_string(lists.size()));
  }
  t.cpu_node.assign(ncpu, 0);
  t.node_cpus.assign(lists.size(), {});
  for (std::size_t n = 0; n < lists.size(); ++n) {
    for (int id : lists[n]) {
      const auto it = std::find(sc.machine.cpus.begin(), sc.machine.cpus.end(), id);
      const auto idx = static_cast<std::uint32_t>(it - sc.machine.cpus.begin());
      t.cpu_node[idx] = static_cast<std::uint16_t>(n);
      t.node_cpus[n].push_back(idx);
    }
    std::sort(t.node_cpus[n].begin(), t.node_cpus[n].end());
  }
  const std::size_t sockets = given("machine.numa.sockets") || preset == nullptr ? static_cast<std::size_t>(sc.integer("machine.numa.sockets"))
                                                                                 : preset->sockets;
  if (lists.size() % sockets != 0) {
    throw ScenarioError("machine.numa.sockets", std::to_string(lists.size()) + " node(s) do not split equally over " + std::to_string(sockets) +
                                                    " sockets");
  }
  for (std::size_t n = 0; n < lists.size(); ++n) t.node_socket.push_back(static_cast<std::uint16_t>(n / (lists.size() / sockets)));
  const auto pick = [&](const char* key, double preset_value) {
    return given(key) || preset == nullptr ? static_cast<double>(sc.duration(key)) : preset_value;
  };
  const double local = pick("machine.numa.latency.local", preset ? preset->local : 0);
  const double near = pick("machine.numa.latency.near", preset ? preset->near : 0);
  const double remote = pick("machine.numa.latency.remote", preset ? preset->remote : 0);
  if (near < local || remote < local) {
    throw ScenarioError(remote < local ? "machine.numa.latency.remote" : "machine.numa.latency.near",
                        "must not be below machine.numa.latency.local: remote memory is never faster than local");
  }
  fill_latency(t, local, near, remote);
  const auto bw = [&](const char* key, double preset_value) {
    return (given(key) || preset == nullptr ? static_cast<double>(sc.bytes(key)) : preset_value) / 1e9;  // bytes/ns
  };
  t.node_bandwidth = bw("machine.numa.bandwidth", preset ? preset->bandwidth : 0);
  t.link_bandwidth = bw("machine.numa.link_bandwidth", preset ? preset->link : 0);
  t.core_bandwidth = static_cast<double>(sc.bytes("machine.numa.core_bandwidth")) / 1e9;
  t.line_remote = sc.number("machine.numa.line_ratio");
  t.llc_refetch = sc.number("machine.numa.llc_refetch");
  t.node_memory.assign(t.nodes(), sc.machine.memory_bytes / static_cast<std::int64_t>(std::max<std::size_t>(1, t.nodes())));
  finish(t);
  return t;
}

MemPolicySpec mem_policy(const Scenario& sc, const NumaTopology& topo) {
  MemPolicySpec p;
  const std::size_t n = topo.nodes();
  int modes = 0;
  for (const char* k : {"numactl.membind", "numactl.interleave", "numactl.preferred"}) modes += !sc.text(k).empty();
  if (modes > 1) {
    throw ScenarioError("numactl.membind", "numactl takes one memory policy: give only one of membind, interleave and preferred");
  }
  if (const std::string& s = sc.text("numactl.membind"); !s.empty()) {
    p.mode = MemPolicy::kBind;
    p.nodes = parse_nodes(s, "numactl.membind", n);
  } else if (const std::string& s2 = sc.text("numactl.interleave"); !s2.empty()) {
    p.mode = MemPolicy::kInterleave;
    p.nodes = parse_nodes(s2, "numactl.interleave", n);
  } else if (const std::string& s3 = sc.text("numactl.preferred"); !s3.empty()) {
    p.mode = MemPolicy::kPreferred;
    p.nodes = parse_nodes(s3, "numactl.preferred", n);
    if (p.nodes.size() != 1) throw ScenarioError("numactl.preferred", "takes one node, not \"" + s3 + "\"");
  }
  if (const std::string& m = sc.text("cgroup.cpuset.mems"); !m.empty()) {
    p.allowed.assign(n, false);
    for (std::uint16_t node : parse_nodes(m, "cgroup.cpuset.mems", n)) p.allowed[node] = true;
    if (!p.nodes.empty() && std::none_of(p.nodes.begin(), p.nodes.end(), [&](std::uint16_t x) { return p.allowed[x]; })) {
      throw ScenarioError("cgroup.cpuset.mems", "allows none of the numactl policy's nodes: the process could allocate nowhere");
    }
  }
  return p;
}

std::vector<std::uint32_t> cpunodebind_cpus(const Scenario& sc, const NumaTopology& topo) {
  const std::string& s = sc.text("numactl.cpunodebind");
  if (s.empty()) return {};
  std::vector<std::uint32_t> cpus;
  for (std::uint16_t node : parse_nodes(s, "numactl.cpunodebind", topo.nodes())) {
    cpus.insert(cpus.end(), topo.node_cpus[node].begin(), topo.node_cpus[node].end());
  }
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

// ---- placement ----

NumaMemory::NumaMemory(const NumaTopology& topo, MemPolicySpec policy)
    : topo_(&topo), policy_(std::move(policy)), nodes_(topo.nodes()), bytes_(kRegions * topo.nodes(), 0) {
  for (std::size_t i = 0; i < nodes_; ++i) {
    const bool allowed = policy_.allowed.empty() || policy_.allowed[i];
    const bool in_set = (policy_.mode != MemPolicy::kBind && policy_.mode != MemPolicy::kInterleave) ||
                        std::find(policy_.nodes.begin(), policy_.nodes.end(), i) != policy_.nodes.end();
    if (allowed && in_set) set_.push_back(static_cast<std::uint16_t>(i));
  }
  if (set_.empty()) set_.push_back(0);
}

std::uint16_t NumaMemory::target(std::uint16_t toucher) {
  switch (policy_.mode) {
    case MemPolicy::kInterleave: return set_[interleave_next_++ % set_.size()];
    case MemPolicy::kPreferred: return policy_.nodes[0];
    case MemPolicy::kBind:  // the bound node nearest the toucher (mempolicy_slab_node / policy_nodemask)
      for (std::uint16_t n : topo_->fallback[toucher]) {
        if (std::find(set_.begin(), set_.end(), n) != set_.end()) return n;
      }
      return set_[0];
    case MemPolicy::kLocal: break;
  }
  return toucher;
}

std::uint16_t NumaMemory::fit(std::uint16_t want, std::int64_t bytes) {
  const auto allowed = [&](std::uint16_t n) {
    if (!policy_.allowed.empty() && !policy_.allowed[n]) return false;
    return policy_.mode != MemPolicy::kBind || std::find(set_.begin(), set_.end(), n) != set_.end();
  };
  if (allowed(want) && used(want) + bytes <= topo_->node_memory[want]) return want;
  for (std::uint16_t n : topo_->fallback[want]) {  // the zonelist from the wanted node
    if (n != want && allowed(n) && used(n) + bytes <= topo_->node_memory[n]) {
      spilled_ += bytes;
      return n;
    }
  }
  overcommitted_ += bytes;  // every allowed node is full: the caller's memory model decides what that means
  return allowed(want) ? want : set_[0];
}

void NumaMemory::place(Region r, std::int64_t bytes, std::uint16_t toucher) {
  if (bytes <= 0) return;
  if (nodes_ == 1) {
    bytes_[r] += bytes;
    return;
  }
  if (policy_.mode == MemPolicy::kInterleave) {  // page by page over the set: whole rounds, then the rest in order
    const std::int64_t pages = (bytes + kPage - 1) / kPage, k = static_cast<std::int64_t>(set_.size());
    for (std::int64_t i = 0; i < k; ++i) {
      const std::int64_t share = (pages / k + (i < pages % k ? 1 : 0)) * kPage;
      if (share == 0) continue;
      const std::uint16_t want = set_[(interleave_next_ + static_cast<std::size_t>(i)) % set_.size()];
      bytes_[r * nodes_ + fit(want, share)] += share;
    }
    interleave_next_ = (interleave_next_ + static_cast<std::size_t>(pages % k)) % set_.size();
    return;
  }
  bytes_[r * nodes_ + fit(target(toucher), bytes)] += bytes;
}

std::uint16_t NumaMemory::place_one(Region r, std::int64_t bytes, std::uint16_t toucher) {
  if (nodes_ == 1) {
    bytes_[r] += bytes;
    return 0;
  }
  const std::uint16_t n = fit(target(toucher), bytes);
  bytes_[r * nodes_ + n] += bytes;
  return n;
}

void NumaMemory::release(Region r, std::int64_t bytes, std::uint16_t node) {
  if (bytes <= 0) return;
  if (node != kAny) {
    bytes_[r * nodes_ + node] -= std::min(bytes, bytes_[r * nodes_ + node]);
    return;
  }
  const std::int64_t all = total(r);
  if (all <= 0) return;
  const std::int64_t take = std::min(bytes, all);
  std::int64_t left = take;
  for (std::size_t n = 0; n < nodes_; ++n) {  // proportionally; the rounding remainder from the fullest node
    const std::int64_t part = static_cast<std::int64_t>(static_cast<double>(bytes_[r * nodes_ + n]) / static_cast<double>(all) * static_cast<double>(take));
    bytes_[r * nodes_ + n] -= part;
    left -= part;
  }
  for (std::size_t n = 0; n < nodes_ && left > 0; ++n) {
    const std::int64_t part = std::min(left, bytes_[r * nodes_ + n]);
    bytes_[r * nodes_ + n] -= part;
    left -= part;
  }
}

void NumaMemory::migrate(Region r, std::int64_t bytes, std::uint16_t from, std::uint16_t to) {
  const std::int64_t moved = std::min(bytes, bytes_[r * nodes_ + from]);
  bytes_[r * nodes_ + from] -= moved;
  bytes_[r * nodes_ + to] += moved;
}

std::int64_t NumaMemory::total(Region r) const {
  std::int64_t s = 0;
  for (std::size_t n = 0; n < nodes_; ++n) s += bytes_[r * nodes_ + n];
  return s;
}

std::int64_t NumaMemory::used(std::uint16_t node) const {
  std::int64_t s = 0;
  for (std::size_t r = 0; r < kRegions; ++r) s += bytes_[r * nodes_ + node];
  return s;
}

double NumaMemory::share(Region r, std::uint16_t node) const {
  const std::int64_t all = total(r);
  return all <= 0 ? (nodes_ == 1 ? 1.0 : 0.0) : static_cast<double>(bytes_[r * nodes_ + node]) / static_cast<double>(all);
}

double NumaMemory::ratio(Region r, std::uint16_t from) const {
  if (nodes_ == 1) return 1.0;
  const std::int64_t all = total(r);
  if (all <= 0) return 1.0;
  double x = 0;
  for (std::size_t n = 0; n < nodes_; ++n) {
    x += static_cast<double>(bytes_[r * nodes_ + n]) / static_cast<double>(all) * topo_->ratio(from, n);
  }
  return x;
}

// ---- bandwidth ----

NumaBandwidth::NumaBandwidth(const NumaTopology& topo)
    : topo_(&topo), node_(topo.nodes(), 0.0), node_peak_(topo.nodes(), 0.0) {
  sockets_ = topo.node_socket.empty() ? 1 : static_cast<std::size_t>(topo.node_socket.back()) + 1;
  link_.assign(sockets_ * sockets_, 0.0);
}

double NumaBandwidth::add(std::uint16_t from, const double* shares, double rate) {
  double stretch = 1.0;
  const std::size_t n = node_.size();
  for (std::size_t m = 0; m < n; ++m) {
    if (shares[m] <= 0) continue;
    const double r = rate * shares[m];
    node_[m] += r;
    const double u = node_[m] / topo_->node_bandwidth;
    node_peak_[m] = std::max(node_peak_[m], u);
    // The stretch weighs each node's queueing by the share of the step's traffic that goes there.
    double q = std::max(1.0, u);
    const std::size_t a = topo_->node_socket[from], b = topo_->node_socket[m];
    if (a != b) {
      double& l = link_[b * sockets_ + a];
      l += r;
      q = std::max(q, l / topo_->link_bandwidth);
    }
    stretch += shares[m] * (q - 1.0);
  }
  return stretch;
}

void NumaBandwidth::remove(std::uint16_t from, const double* shares, double rate) {
  const std::size_t n = node_.size();
  for (std::size_t m = 0; m < n; ++m) {
    if (shares[m] <= 0) continue;
    const double r = rate * shares[m];
    node_[m] = std::max(0.0, node_[m] - r);
    const std::size_t a = topo_->node_socket[from], b = topo_->node_socket[m];
    if (a != b) {
      double& l = link_[b * sockets_ + a];
      l = std::max(0.0, l - r);
    }
  }
}

// ---- memory-bound steps ----

NumaStep numa_step(const NumaMemory& mem, NumaBandwidth& bw, NumaStream& s, std::uint16_t from, int stack_node,
                   sim::Time local, double stall, std::int64_t refetch) {
  const NumaTopology& topo = *mem.topology();
  bw.end(s);
  const std::size_t n = topo.nodes();
  if (stack_node >= 0 && !topo.single()) {
    for (std::size_t i = 0; i < n; ++i) s.shares[i] = 0;
    s.shares[stack_node] = 1;
  } else if (mem.total(NumaMemory::kHeap) > 0) {
    for (std::size_t i = 0; i < n; ++i) s.shares[i] = mem.share(NumaMemory::kHeap, static_cast<std::uint16_t>(i));
  } else {  // no heap yet: what it reads is what it just made, here
    for (std::size_t i = 0; i < n; ++i) s.shares[i] = i == from ? 1.0 : 0.0;
  }
  NumaStep st;
  st.cpu = static_cast<double>(local) * (1.0 - stall);
  st.mem = static_cast<double>(local) * stall;
  if (refetch > 0) {  // the cache it had on its last CPU is cold here
    st.ws = static_cast<double>(refetch) / topo.core_bandwidth;
    st.mem += st.ws;
  }
  if (st.mem <= 0) return st;
  st.ratio = 0;
  for (std::size_t i = 0; i < n; ++i) st.ratio += s.shares[i] * topo.ratio(from, i);
  st.local_share = s.shares[from];
  // While it runs, the step streams at the core's rate for its memory share of the time.
  s.from = from;
  s.rate = topo.core_bandwidth * st.mem / (st.cpu + st.mem * st.ratio);
  st.queue = bw.add(from, s.shares, s.rate);
  return st;
}

void NumaCosts::add(std::size_t cls, std::uint16_t from, const NumaStep& s) {
  node_mem_[from] += s.mem;
  node_remote_[from] += s.mem * (1.0 - s.local_share);
  Class& c = classes_[cls];
  c.mem_ns += s.mem;
  c.remote_share_ns += s.mem * (1.0 - s.local_share);
  c.remote_extra_ns += s.mem * (s.ratio - 1.0);
  c.queue_extra_ns += s.mem * s.ratio * (s.queue - 1.0);
  c.ws_ns += s.ws;
  ++c.steps;
}

nlohmann::ordered_json NumaCosts::json(const NumaMemory& mem, const NumaBandwidth& bw, const std::function<const std::string&(std::size_t)>& name,
                                       std::uint64_t cross_steals, std::uint64_t cross_executes) const {
  const NumaTopology& topo = *mem.topology();
  nlohmann::ordered_json j = topology_json(topo);
  nlohmann::ordered_json heap = nlohmann::ordered_json::array(), stacks = nlohmann::ordered_json::array(),
                         share = nlohmann::ordered_json::array(), peak = nlohmann::ordered_json::array();
  for (std::size_t n = 0; n < topo.nodes(); ++n) {
    const auto node = static_cast<std::uint16_t>(n);
    heap.push_back(mem.bytes(NumaMemory::kHeap, node));
    stacks.push_back(mem.bytes(NumaMemory::kStacks, node));
    share.push_back(node_mem_[n] > 0 ? node_remote_[n] / node_mem_[n] : 0.0);
    peak.push_back(bw.peak_utilization(node));
  }
  j["heap_bytes_by_node"] = heap;
  j["remote_share_by_cpu_node"] = share;
  j["stack_bytes_by_node"] = stacks;
  j["spilled_bytes"] = mem.spilled();
  j["overcommitted_bytes"] = mem.overcommitted();
  j["cross_node_steals"] = cross_steals;
  j["cross_node_executes"] = cross_executes;
  j["bandwidth_peak_utilization_by_node"] = peak;
  nlohmann::ordered_json classes = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    const Class& k = classes_[c];
    if (k.mem_ns <= 0) continue;
    nlohmann::ordered_json row;
    row["memory_s"] = k.mem_ns / 1e9;
    row["remote_share"] = k.remote_share_ns / k.mem_ns;
    row["remote_extra_s"] = k.remote_extra_ns / 1e9;
    row["bandwidth_extra_s"] = k.queue_extra_ns / 1e9;
    row["working_set_refetch_s"] = k.ws_ns / 1e9;
    row["steps"] = k.steps;
    row["remote_extra_per_step_ns"] = k.remote_extra_ns / static_cast<double>(std::max<std::uint64_t>(1, k.steps));
    classes[name(c)] = row;
  }
  j["classes"] = classes;
  return j;
}

nlohmann::ordered_json topology_json(const NumaTopology& topo) {
  nlohmann::ordered_json j;
  j["nodes"] = topo.nodes();
  if (!topo.preset.empty() && topo.preset != "none") j["preset"] = topo.preset;
  nlohmann::ordered_json cpus = nlohmann::ordered_json::array(), dist = nlohmann::ordered_json::array();
  for (std::size_t n = 0; n < topo.nodes(); ++n) {
    cpus.push_back(topo.node_cpus[n]);
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (std::size_t m = 0; m < topo.nodes(); ++m) row.push_back(topo.distance[n * topo.nodes() + m]);
    dist.push_back(row);
  }
  j["cpus"] = cpus;
  j["distances"] = dist;
  return j;
}

NumaTotals numa_totals(const nlohmann::ordered_json& numa) {
  NumaTotals t;
  for (const auto& [name, c] : numa.at("classes").items()) {
    t.memory_s += c["memory_s"].get<double>();
    t.remote_s += c["memory_s"].get<double>() * c["remote_share"].get<double>();
    t.remote_extra_s += c["remote_extra_s"].get<double>();
    t.bandwidth_extra_s += c["bandwidth_extra_s"].get<double>();
  }
  return t;
}

}  // namespace gmpsim::models::kernel
