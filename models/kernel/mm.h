// Mm: the machine's memory as Linux manages it under the simulated process and the other processes:
// physical pages and the zone watermarks, first-touch faults with transparent huge pages, commit
// accounting (vm.overcommit_memory), the mapping count (vm.max_map_count), reclaim by kswapd and by the
// allocating thread (direct reclaim), swap and vm.swappiness, the OOM killer, and the cgroup v2 memory
// controller of the simulated process (memory.max, memory.high, memory.swap.max). Names follow mm/: the
// functions are those of mm/page_alloc.c, mm/vmscan.c, mm/memcontrol.c, mm/oom_kill.c, mm/util.c and
// mm/huge_memory.c that the code abstracts. models/kernel/README.md ("Memory") is the design note.
//
// Units: pages of 4 KiB (PAGE_SIZE on x86-64), times in ns. One zone (ZONE_NORMAL holds all memory) and one
// NUMA node. An owner is an mm_struct: 0 the simulated process, then one per background process with memory.
// The model of a process calls fault() when it first touches memory, touch() when it reads memory that may
// have been swapped out, release() when it gives pages back (MADV_DONTNEED), and map()/unmap() for
// mappings that count against the commit limit or the map count. Each returns what the calling thread pays:
// kernel CPU on its own CPU and time it sleeps (I/O, throttling).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/kernel/sched.h"
#include "sim/rng.h"

namespace gmpsim::models::kernel {

// /sys/kernel/mm/transparent_hugepage/enabled and defrag (Documentation/admin-guide/mm/transhuge.rst).
enum class ThpEnabled : std::uint8_t { kAlways, kMadvise, kNever };
enum class ThpDefrag : std::uint8_t { kAlways, kDefer, kDeferMadvise, kMadvise, kNever };

constexpr std::int64_t kPage = 4096;
constexpr std::int64_t kHugePages = 512;  // HPAGE_PMD_NR: 4 KiB pages in a 2 MiB huge page

struct MmParams {
  std::int64_t memory = std::int64_t{16} << 30;  // machine.memory
  // vm.* sysctls (Documentation/admin-guide/sysctl/vm.rst)
  int overcommit_memory = 0, overcommit_ratio = 50;
  std::int64_t overcommit_kbytes = 0, admin_reserve_kbytes = 8192, user_reserve_kbytes = 131072;
  bool cap_sys_admin = false;       // the process may use the admin reserve (it runs as root with CAP_SYS_ADMIN)
  int swappiness = 60;
  std::int64_t min_free_kbytes = -1;  // -1: the kernel's own (default_min_free_kbytes())
  int watermark_scale_factor = 10;
  std::int64_t max_map_count = 65530;
  // THP (transhuge.rst) and khugepaged
  ThpEnabled thp = ThpEnabled::kAlways;
  ThpDefrag defrag = ThpDefrag::kMadvise;
  int max_ptes_none = 511;
  std::int64_t khugepaged_pages_to_scan = 4096;
  sim::Time khugepaged_sleep = 10'000'000'000;
  // Swap device
  std::int64_t swap_size = 0;
  sim::Time swap_read = 0, swap_write = 0;  // one swap-in I/O (a major fault's wait); one write-back batch
  // Costs on the CPU of the thread that pays them
  sim::Time fault = 0, fault_huge = 0;       // kernel.page_fault, kernel.page_fault_huge
  sim::Time reclaim_file = 0, reclaim_anon = 0;  // shrink_folio_list per page: a clean file page, an anon page to swap
  sim::Time compact = 0;                     // direct compaction for one huge page (defrag stalls)
  std::int64_t page_cache = 0;               // clean file pages of other files cached at start (bytes)
  // The files the simulated process reads (file_read steps) and its writes (file_write: appended, dirty).
  std::int64_t file_set = 0, file_cached = 0;  // workload.files.size, .cached (bytes)
  sim::Time page_copy = 0;                   // kernel.page_copy: copy of one 4 KiB page to or from the cache
  sim::Time disk_read = 0;                   // machine.disk.read_latency: one read request
  std::int64_t disk_bandwidth = 0;           // machine.disk.bandwidth, bytes per second (reads and writeback)
  // Dirty page limits (vm.rst dirty_*; the *_bytes forms win when set) and the flusher's timing.
  int dirty_ratio = 20, dirty_background_ratio = 10;
  std::int64_t dirty_bytes = 0, dirty_background_bytes = 0;
  sim::Time dirty_expire = 30'000'000'000, dirty_writeback = 5'000'000'000;
  // cgroup v2 memory controller of the simulated process; -1 = "max"
  std::int64_t memory_max = -1, memory_high = -1, swap_max = -1;
  sim::Time tick = 4'000'000;                // 1/HZ: memory.high's penalty is computed in jiffies
};

// calculate_min_free_kbytes() (mm/page_alloc.c): sqrt(lowmem_kbytes * 16) clamped to [128, 262144], raised
// by khugepaged's set_recommended_min_free_kbytes() when THP is enabled (always or madvise), capped there
// at 5 % of memory. `zones`: populated zones (DMA, DMA32, Normal on an x86-64 machine above 4 GiB).
std::int64_t default_min_free_kbytes(std::int64_t memory_bytes, ThpEnabled thp, int zones);

// What the calling thread pays.
struct MmCost {
  sim::Time cpu = 0;      // kernel CPU on its CPU: fault handling, direct reclaim, compaction
  sim::Time blocked = 0;  // time it sleeps: swap I/O, memory.high throttling, reclaim throttling
};

class Mm final : public ThreadOwner {
 public:
  // What ended an owner: a refused mapping (ENOMEM: the caller decides what it means), or the OOM killer.
  enum class Failure : std::uint8_t { kNone, kCommit, kMapCount, kOomKilled };

  Mm(const MmParams& p, sim::Rng rng);

  // kswapd runs as a kernel thread on `ks`, in the root cgroup (call once, before the run).
  void attach(Kernel& ks);

  // A background process's memory: `bytes` of anonymous memory, committed and resident from the start.
  std::uint32_t add_owner(const std::string& name, std::int64_t bytes, std::uint32_t process = 0xffffffffu);

  // mmap/mprotect of a private writable mapping of `bytes` made of `vmas` areas: __vm_enough_memory
  // (mm/util.c) and the map count (mm/mmap.c). False: refused with ENOMEM (failure() says why).
  bool map(std::uint32_t owner, std::int64_t bytes, std::int64_t vmas);
  void unmap(std::uint32_t owner, std::int64_t bytes, std::int64_t vmas);

  // First touch of `pages` new anonymous pages (handle_mm_fault -> do_anonymous_page, or
  // do_huge_pmd_anonymous_page when `thp` says the range may use huge pages and `madvised` whether it is
  // MADV_HUGEPAGE). Charges the memcg and takes free pages, reclaiming or OOM-killing as the kernel does.
  MmCost fault(std::uint32_t owner, std::int64_t pages, bool thp, bool madvised);
  // The owner reads `pages` random pages of its resident-or-swapped anonymous memory: those swapped out
  // fault back in (do_swap_page: a major fault, one read each), taking free pages again.
  MmCost touch(std::uint32_t owner, std::int64_t pages);
  // read(2) of `pages` pages of the process's files at a random offset: pages in the page cache are
  // copied; the missing ones are read from the disk in one request (filemap_read -> page_cache_sync_ra) and
  // stay cached, charged to the reader's memcg. `blocked` is the disk wait.
  MmCost file_read(std::uint32_t owner, std::int64_t pages);
  // write(2) of `pages` pages appended to a file: dirty page cache, then balance_dirty_pages
  // (mm/page-writeback.c) pauses the writer when dirty memory is past the freerun point.
  MmCost file_write(std::uint32_t owner, std::int64_t pages);
  // MADV_DONTNEED of `pages` (the Go scavenger): RSS and the memcg charge fall; the commit does not.
  // Inside huge pages the holes are left for khugepaged to fill again (max_ptes_none).
  // `nohugepage`: the range is also marked MADV_NOHUGEPAGE (go1.19's scavenger): khugepaged leaves it alone.
  void release(std::uint32_t owner, std::int64_t pages, bool nohugepage = false);

  Failure failure(std::uint32_t owner) const { return owners_[owner].failed; }
  const std::string& failure_detail(std::uint32_t owner) const { return owners_[owner].detail; }
  // Owners the OOM killer ended since the last call (background processes: their threads stop).
  std::vector<std::uint32_t> take_killed();
  std::uint32_t process_of(std::uint32_t owner) const { return owners_[owner].process; }

  std::int64_t rss_pages(std::uint32_t owner) const { return owners_[owner].anon; }
  std::int64_t swapped_pages(std::uint32_t owner) const { return owners_[owner].swapped; }
  std::int64_t free_pages() const { return free_; }
  std::int64_t commit_limit_pages() const;
  std::int64_t committed_pages() const { return committed_; }
  struct Watermarks {
    std::int64_t min, low, high;
  };
  const Watermarks& watermarks() const { return wmark_; }
  std::int64_t min_free_kbytes() const { return min_free_kbytes_; }

  // counters.memory's kernel part (vmstat names) and the cgroup's memory.events.
  nlohmann::ordered_json report() const;

  // kswapd's thread: a reclaim batch done, or woken.
  void on_burst_done(std::uint32_t tid) override;

 private:
  struct Owner {
    std::string name;
    std::uint32_t process = 0xffffffffu;  // the Kernel's background process index, if any
    std::int64_t anon = 0;       // resident anonymous pages (4 KiB pages, huge pages counted as 512)
    std::int64_t swapped = 0;    // pages in swap
    std::int64_t thp_spare = 0;  // pages of faulted huge pages not yet touched (they count in anon)
    std::int64_t huge = 0;       // huge pages mapped (AnonHugePages / 2 MiB)
    std::int64_t holes = 0;      // pages released inside huge pages (khugepaged may fill them again)
    std::int64_t committed = 0, maps = 0;
    bool memcg = false;          // charged to the limited cgroup (the simulated process with limits)
    Failure failed = Failure::kNone;
    std::string detail;
  };
  enum class Scan : std::uint8_t { kFile, kAnon, kFract };

  enum class Charge : std::uint8_t { kAnon, kFile, kDirty };  // what the new pages become
  bool charge_free(std::uint32_t owner, std::int64_t pages, MmCost& cost, Charge kind);
  bool try_charge_memcg(std::uint32_t owner, MmCost& cost);
  void mem_cgroup_handle_over_high(std::int64_t pages, MmCost& cost);
  // shrink_node: reclaim up to `want` pages, from the memcg's pages only when `memcg`; returns pages freed.
  std::int64_t shrink(std::int64_t want, bool memcg, bool kswapd, MmCost& cost);
  Scan get_scan_count(bool memcg) const;
  std::int64_t reclaim_anon(std::int64_t want, bool memcg, MmCost& cost);
  std::int64_t reclaimable_anon(bool memcg) const;
  bool can_swap(bool memcg) const;
  std::uint32_t out_of_memory(bool memcg, const std::string& why);
  void wakeup_kswapd();
  void khugepaged(std::uint32_t owner);
  std::int64_t memcg_usage() const;
  std::int64_t binomial(std::int64_t k, double q);  // successes of k draws of probability q
  // Page cache pages the process owns (its files' cached pages, its written pages): charged to its memcg.
  std::int64_t owned_file() const { return ws_cached_ + log_clean_ + dirty_; }
  // Takes `f` clean file pages out of the cache: from the process's own first when `memcg`, else in
  // proportion to its share of the clean cache.
  void drop_file(std::int64_t f, bool memcg);
  struct DirtyLimits {
    std::int64_t background, thresh;
  };
  DirtyLimits dirty_limits() const;  // domain_dirty_limits (mm/page-writeback.c)
  void writeback(sim::Time now);      // the flusher's progress since the last call, at the disk's bandwidth
  void dirty_now(std::uint32_t owner, std::int64_t pages, sim::Time now, MmCost& c);

  MmParams p_;
  sim::Rng rng_;
  std::vector<Owner> owners_;
  Watermarks wmark_{};
  std::int64_t min_free_kbytes_ = 0;
  std::int64_t total_ = 0, free_ = 0, file_ = 0;  // pages; file_ is all page cache, dirty included
  std::int64_t ws_total_ = 0, ws_cached_ = 0;     // the process's file set, and how much of it is cached (clean)
  std::int64_t log_clean_ = 0, dirty_ = 0;        // its written pages: written back (clean), not yet (dirty)
  struct DirtyBatch {
    sim::Time at;
    std::int64_t pages;
  };
  std::vector<DirtyBatch> dirty_fifo_;            // oldest first from dirty_head_: dirty_expire_centisecs
  std::size_t dirty_head_ = 0;
  std::vector<DirtyBatch> pending_fifo_;          // writes paused in balance_dirty_pages: dirtied at `at`
  std::size_t pending_head_ = 0;
  std::int64_t pending_ = 0;
  sim::Time wb_last_ = 0;
  std::int64_t swap_total_ = 0, swap_used_ = 0, committed_ = 0;
  std::vector<std::uint32_t> killed_;
  sim::Time last_khugepaged_ = 0;
  // kswapd
  Kernel* ks_ = nullptr;
  std::uint32_t kswapd_ = Kernel::kNone;
  bool kswapd_running_ = false;
  std::int64_t kswapd_batch_ = 0;      // pages the batch in progress frees when it ends
  sim::Time kswapd_io_ = 0;            // its write-back wait after the batch
  // vmstat-style counters
  std::uint64_t pgfault_ = 0, pgmajfault_ = 0, thp_fault_alloc_ = 0, thp_fault_fallback_ = 0, thp_collapse_ = 0;
  std::uint64_t pgsteal_kswapd_ = 0, pgsteal_direct_ = 0, pgsteal_file_ = 0, pgsteal_anon_ = 0, pswpin_ = 0, pswpout_ = 0;
  std::uint64_t allocstall_ = 0, kswapd_wakeups_ = 0, oom_kill_ = 0, compact_stall_ = 0;
  sim::Time kswapd_cpu_ = 0, direct_reclaim_cpu_ = 0, io_wait_ = 0;
  std::int64_t rss_peak_ = 0, swap_peak_ = 0;
  // memory.events of the simulated process's cgroup
  std::uint64_t ev_high_ = 0, ev_max_ = 0, ev_oom_ = 0, ev_oom_kill_ = 0;
  sim::Time high_throttle_ = 0;
  // page cache I/O
  std::uint64_t file_reads_ = 0, file_read_misses_ = 0, pgpgin_ = 0, pgwrite_ = 0, pgwriteback_ = 0, dirty_throttled_ = 0;
  sim::Time dirty_pause_ = 0, read_wait_ = 0;
  std::int64_t dirty_peak_ = 0;
};

}  // namespace gmpsim::models::kernel
