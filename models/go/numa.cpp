// NUMA in the go model: where a goroutine's stack and the heap's pages are, what a memory-bound compute step
// costs from the CPU its M runs on, cross-node steals, and the kernel's automatic NUMA balancing of the
// heap (models/kernel/numa.h has the topology and placement; models/go/README.md#numa the design note).
//
// The Go runtime knows nothing of NUMA (go1.26.8: Ps, Ms, mcaches and the heap are pooled globally), so the
// placement is the kernel's first touch: a new G's stack lands on the node of the M that ran malg, heap pages
// on the node of the M whose allocation first touched them (or as numactl's policy says), and a span freed by
// the collector is handed to whichever P asks next. A step reading the heap reads data spread like the heap.
#include <algorithm>
#include <cmath>

#include "models/go/gorun.h"

namespace gmpsim::models::go {

void GoRun::numa_init() {
  numa_ = !topo_.single() || core_.wl.memory_bound();
  numa_costs_ = kernel::NumaCosts(core_.wl.classes.size(), topo_.nodes());
  if (!topo_.single() && core_.sc.text("runtime.numa.global_runq") == "per_node") gq_.resize(topo_.nodes());
  numa_home_cpus_.assign(topo_.nodes(), {});
  for (std::uint32_t c : ks_.process_cpus()) numa_home_cpus_[topo_.node_of(c)].push_back(c);
  numa_streams_.assign(prm_.max_threads + 1, {});
  numa_access_.assign(topo_.nodes(), 0.0);
  numa_group_faults_.assign(topo_.nodes(), 0.0);
  // Pages migrate only under the default (local) policy: mpol_misplaced acts on MPOL_F_MOF policies, and
  // numactl's bind, interleave and preferred do not set it (mm/mempolicy.c).
  numa_balancing_ = !topo_.single() && core_.sc.flag("kernel.numa_balancing") && numa_mem_.policy() == kernel::MemPolicy::kLocal;
  numa_scan_period_ = core_.sc.duration("kernel.numa_balancing_scan_period_min");
  numa_hint_fault_ = core_.sc.duration("kernel.numa_hint_fault");
  numa_page_copy_ = core_.sc.duration("kernel.page_copy");
}

std::uint16_t GoRun::node_of_p(std::uint32_t p) const {
  if (prm_.p_affinity && !topo_.single()) return home_node(p);
  const std::uint32_t m = ps_[p].m;
  return m != kNoG ? node_of_m(m) : 0;
}

// The what-if of per-node Ps: an M that takes a P binds its thread to the P's node (sched_setaffinity, paid
// as a system call) unless it is bound there already, and the kernel prefers that node when it wakes.
void GoRun::numa_acquirep(std::uint32_t mi, std::uint32_t p) {
  const std::uint16_t node = home_node(p);
  M& m = ms_[mi];
  if (m.aff_node == node || numa_home_cpus_[node].empty()) return;
  m.aff_node = node;
  ks_.set_affinity(mi, numa_home_cpus_[node]);
  ks_.set_preferred_node(mi, node);
  m.overhead += prm_.syscall;
}

const MemorySpec* GoRun::numa_spec(std::uint32_t gp) const {
  const Goroutine& g = core_.gt[gp];
  return core_.wl.classes[g.cls].program.compute_memory(g.pc);
}

void GoRun::numa_new_g(std::uint32_t g, std::uint32_t mi) {
  if (!numa_ || topo_.single()) return;
  if (g_node_.size() <= g) g_node_.resize(std::max<std::size_t>(core_.gt.capacity(), g + 1), 0);
  const std::uint16_t toucher = node_of_m(mi);  // main's node for a G made outside any M
  g_node_[g] = static_cast<std::uint8_t>(numa_mem_.place_one(kernel::NumaMemory::kStacks, prm_.mem_stack, toucher));
}

void GoRun::numa_heap(std::int64_t bytes, std::uint32_t mi) {
  if (!numa_) return;
  if (bytes < 0) {  // the scavenger returned pages: from wherever they are
    numa_mem_.release(kernel::NumaMemory::kHeap, -bytes);
    return;
  }
  // The main thread (the first CPU of the process) touches what exists before any M runs a G.
  numa_mem_.place(kernel::NumaMemory::kHeap, bytes, node_of_m(mi));
}

// The step's memory time (stall x its local duration, plus refetching its working set when the G moved CPU)
// stretches by the data's latency ratio from this node and by the bandwidth queueing there.
sim::Time GoRun::numa_compute(std::uint32_t mi, const MemorySpec& spec, sim::Time local) {
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  const std::uint16_t from = node_of_m(mi);
  const kernel::NumaStream& s = numa_streams_[mi];
  const int stack = spec.data == MemorySpec::Data::kStack ? (gp < g_node_.size() ? g_node_[gp] : 0) : -1;
  const kernel::NumaStep st = kernel::numa_step(numa_mem_, numa_bw_, numa_streams_[mi], from, stack, local, spec.stall,
                                                m.g_moved ? topo_.refetch(spec.working_set, m.moved_from, ks_.cpu_of(mi)) : 0);
  m.g_moved = false;
  if (st.mem <= 0) {
    m.numa_scale = 0;
    return local;
  }
  const std::size_t n = topo_.nodes();
  const double mem = st.mem;
  double extra = 0;
  if (numa_balancing_ && spec.data == MemorySpec::Data::kHeap && numa_marked_ > 0) {
    // do_numa_page: pages the last scan marked fault on first access; a fault migrates the page here when the
    // previous access was from this node too (should_numa_migrate_memory's two-stage filter: the chance is
    // this node's share of the heap's accesses).
    const double heap_pages = static_cast<double>(numa_mem_.total(kernel::NumaMemory::kHeap)) / kPageBytes;
    const double touched = std::min(heap_pages, mem * topo_.core_bandwidth / kPageBytes);
    numa_fault_carry_ += touched * std::min(1.0, numa_marked_ / std::max(1.0, heap_pages));
    const auto faults = static_cast<std::uint64_t>(numa_fault_carry_);
    numa_fault_carry_ -= static_cast<double>(faults);
    if (faults > 0) {
      numa_marked_ = std::max(0.0, numa_marked_ - static_cast<double>(faults));
      double all = 0;
      for (double a : numa_access_) all += a;
      const double a_here = all > 0 ? numa_access_[from] / all : 1.0;
      double migrated = 0;
      for (std::size_t p = 0; p < n; ++p) {
        // task_numa_fault counts a fault on the node the page is on afterwards (do_numa_page).
        numa_group_faults_[p] += static_cast<double>(faults) * s.shares[p] * (p == from ? 1.0 : 1.0 - a_here);
        if (p == from) continue;
        numa_group_faults_[from] += static_cast<double>(faults) * s.shares[p] * a_here;
        const double pages = static_cast<double>(faults) * s.shares[p] * a_here;
        numa_mem_.migrate(kernel::NumaMemory::kHeap, static_cast<std::int64_t>(pages * kPageBytes), static_cast<std::uint16_t>(p), from);
        migrated += pages;
      }
      const auto local_faults = static_cast<std::uint64_t>(std::llround(static_cast<double>(faults) * st.local_share));
      numa_hint_faults_ += faults;
      numa_hint_faults_local_ += local_faults;
      numa_period_faults_ += faults;
      numa_period_local_ += local_faults;
      numa_pages_migrated_ += static_cast<std::uint64_t>(std::llround(migrated));
      extra = static_cast<double>(faults) * static_cast<double>(numa_hint_fault_) +
              migrated * static_cast<double>(numa_page_copy_);
    }
  }
  if (spec.data == MemorySpec::Data::kHeap) numa_access_[from] += mem;
  numa_costs_.add(core_.gt[gp].cls, from, st);
  const double total = st.total(extra);
  m.numa_scale = local > 0 ? total / static_cast<double>(local) : 0;
  return sim::draw_to_time(total);  // a capped compute draw times a remote-memory factor: capped again
}

// task_numa_work (kernel/sched/fair.c): every scan period the kernel marks up to numa_balancing_scan_size of
// the process's memory PROT_NONE; accesses then take hinting faults (numa_compute). The period adapts as
// update_task_scan_period does: slower when most faults were local (NUMA_PERIOD_THRESHOLD, 7 of 10), faster
// otherwise.
void GoRun::numa_scan() {
  ++numa_scans_;
  const double heap_pages = static_cast<double>(numa_mem_.total(kernel::NumaMemory::kHeap)) / kPageBytes;
  const double scan_pages = static_cast<double>(core_.sc.bytes("kernel.numa_balancing_scan_size")) / kPageBytes;
  numa_marked_ = std::min(heap_pages, numa_marked_ + scan_pages);
  if (numa_period_faults_ > 0) {
    const sim::Time lo = core_.sc.duration("kernel.numa_balancing_scan_period_min");
    const sim::Time hi = core_.sc.duration("kernel.numa_balancing_scan_period_max");
    if (numa_period_local_ * 10 >= numa_period_faults_ * 7) {
      numa_scan_period_ = std::min(hi, numa_scan_period_ * 2);
    } else {
      numa_scan_period_ = std::max(lo, numa_scan_period_ / 2);
    }
  }
  numa_period_faults_ = numa_period_local_ = 0;
  std::fill(numa_access_.begin(), numa_access_.end(), 0.0);
  // task_numa_placement: the process's threads share the heap, so they are one numa_group, whose preferred
  // node is the one with most of its (decayed) faults; the kernel then prefers that node's idle CPUs for
  // them (numa_preferred_nid; task_numa_migrate's swaps are left to the CPU layer's balance). The what-if
  // of Ms bound to their P's node keeps its own preference.
  const auto best = std::max_element(numa_group_faults_.begin(), numa_group_faults_.end());
  if (*best > 0 && !prm_.p_affinity) {
    const auto pref = static_cast<std::uint16_t>(best - numa_group_faults_.begin());
    if (pref != numa_preferred_) {
      numa_preferred_ = pref;
      ++numa_preferred_changes_;
      for (std::uint32_t mi = 0; mi < ms_.size(); ++mi) {
        if (!ms_[mi].dead) ks_.set_preferred_node(mi, pref);
      }
    }
  }
  for (double& f : numa_group_faults_) f /= 2;  // each placement halves the old faults
  const sim::Time next = core_.engine.now() + numa_scan_period_;
  if (work_pending() > 0 && next <= core_.sc.run.duration) core_.observe_at(next, kNumaScan);
}

Json GoRun::numa_json() const {
  Json j = numa_costs_.json(numa_mem_, numa_bw_, [this](std::size_t c) -> const std::string& { return core_.wl.classes[c].name; },
                            numa_cross_steals_, numa_cross_executes_);
  if (!gq_.empty()) {
    j["global_runq_takes_own_node"] = numa_gq_local_;
    j["global_runq_takes_other_node"] = numa_gq_remote_;
    j["netpoll_routed_home"] = numa_gq_routed_;
  }
  if (numa_balancing_) {
    Json b;
    b["scans"] = numa_scans_;
    b["hint_faults"] = numa_hint_faults_;
    b["hint_faults_local"] = numa_hint_faults_local_;
    b["pages_migrated"] = numa_pages_migrated_;
    b["scan_period_s"] = static_cast<double>(numa_scan_period_) / 1e9;
    b["preferred_node"] = numa_preferred_ == kernel::kNoNode16 ? Json(nullptr) : Json(numa_preferred_);
    b["preferred_node_changes"] = numa_preferred_changes_;
    j["balancing"] = b;
  }
  return j;
}

}  // namespace gmpsim::models::go
