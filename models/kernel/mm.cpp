// The memory model: see mm.h, and models/kernel/README.md ("Memory") for what is abstracted. The page
// cache (file reads and writes, dirty pages) is in mm_pagecache.cpp.
#include "models/kernel/mm.h"

#include <algorithm>
#include <cmath>

#include "sim/check.h"

namespace gmpsim::models::kernel {

namespace {
constexpr std::int64_t kSwapClusterMax = 32;         // SWAP_CLUSTER_MAX (include/linux/swap.h)
constexpr std::int64_t kKswapdBatch = 8 * kSwapClusterMax;  // pages kswapd frees per burst (an abstraction of balance_pgdat's passes)
constexpr std::int64_t kDefPriority = 12;            // DEF_PRIORITY (mm/vmscan.c)
// Reclaim of a large shortfall goes in steps of 4 MiB, each choosing its lists anew (the kernel's steps are
// SWAP_CLUSTER_MAX pages; 1024 keeps a 1 GiB shortfall at 256 steps with the same balance within 4 MiB).
constexpr std::int64_t kReclaimStep = 1024;
constexpr int kMaxReclaimRetries = 16;               // MAX_RECLAIM_RETRIES (mm/internal.h)
constexpr std::int64_t kMemcgChargeBatch = 64;       // MEMCG_CHARGE_BATCH (include/linux/memcontrol.h, 6.1+)
constexpr int kDelayPrecisionShift = 20;             // MEMCG_DELAY_PRECISION_SHIFT (mm/memcontrol.c)
constexpr int kDelayScalingShift = 14;               // MEMCG_DELAY_SCALING_SHIFT
constexpr std::int64_t kPageblockPages = 512;        // pageblock_nr_pages (order 9 on x86-64)
constexpr std::int64_t kMigratePcptypes = 3;         // MIGRATE_PCPTYPES
constexpr std::uint32_t kNoProcess = 0xffffffffu;

std::int64_t isqrt(std::int64_t v) {
  auto r = static_cast<std::int64_t>(std::sqrt(static_cast<double>(v)));
  while (r * r > v) --r;
  while ((r + 1) * (r + 1) <= v) ++r;
  return r;
}
}  // namespace

std::int64_t default_min_free_kbytes(std::int64_t memory_bytes, ThpEnabled thp, int zones) {
  const std::int64_t lowmem_kbytes = memory_bytes / 1024;
  std::int64_t kb = std::clamp<std::int64_t>(isqrt(lowmem_kbytes * 16), 128, 262144);
  if (thp != ThpEnabled::kNever) {  // khugepaged starts: set_recommended_min_free_kbytes (mm/khugepaged.c)
    std::int64_t rec = kPageblockPages * zones * 2 + kPageblockPages * zones * kMigratePcptypes * kMigratePcptypes;
    rec = std::min(rec, memory_bytes / kPage / 20);  // never more than 5 % of lowmem
    kb = std::max(kb, rec * (kPage / 1024));
  }
  return kb;
}

// Successes of k independent draws of probability q: page by page up to 256 draws, by the normal
// approximation (Box-Muller from two uniforms of the model's own stream) above.
std::int64_t Mm::binomial(std::int64_t k, double q) {
  std::int64_t n = 0;
  if (k <= 256) {
    for (std::int64_t i = 0; i < k; ++i) n += rng_.uniform01() < q ? 1 : 0;
    return n;
  }
  const double u1 = std::max(rng_.uniform01(), 1e-300), u2 = rng_.uniform01();
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  const double mean = q * static_cast<double>(k), sd = std::sqrt(mean * (1.0 - q));
  return std::clamp<std::int64_t>(std::llround(mean + z * sd), 0, k);
}

Mm::Mm(const MmParams& p, sim::Rng rng) : p_(p), rng_(rng) {
  total_ = p_.memory / kPage;
  const int zones = p_.memory > (std::int64_t{4} << 30) ? 3 : 2;  // DMA, DMA32 (+ Normal above 4 GiB)
  min_free_kbytes_ = p_.min_free_kbytes >= 0 ? p_.min_free_kbytes : default_min_free_kbytes(p_.memory, p_.thp, zones);
  // __setup_per_zone_wmarks (mm/page_alloc.c), one zone holding all memory.
  wmark_.min = min_free_kbytes_ * 1024 / kPage;
  const std::int64_t gap = std::max(wmark_.min / 4, total_ * p_.watermark_scale_factor / 10000);
  wmark_.low = wmark_.min + gap;
  wmark_.high = wmark_.low + gap;
  file_ = std::min(p_.page_cache / kPage, total_);
  ws_total_ = (p_.file_set + kPage - 1) / kPage;
  ws_cached_ = std::min({p_.file_cached / kPage, ws_total_, total_ - file_});
  file_ += ws_cached_;
  free_ = total_ - file_;
  swap_total_ = p_.swap_size / kPage;
  Owner self;
  self.name = "process";
  self.memcg = p_.memory_max >= 0 || p_.memory_high >= 0 || p_.swap_max >= 0;
  owners_.push_back(self);
}

void Mm::attach(Kernel& ks) {
  ks_ = &ks;
  kswapd_ = ks.create_kthread(*this);
}

std::uint32_t Mm::add_owner(const std::string& name, std::int64_t bytes, std::uint32_t process) {
  Owner o;
  o.name = name;
  o.process = process;
  owners_.push_back(o);
  const auto id = static_cast<std::uint32_t>(owners_.size() - 1);
  const std::int64_t pages = (bytes + kPage - 1) / kPage;
  owners_[id].committed = pages;
  committed_ += pages;
  // Resident from the start: what does not fit pushes the page cache out first, then goes to swap.
  const std::int64_t room = std::max<std::int64_t>(0, free_ + file_ - wmark_.high);
  const std::int64_t resident = std::min(pages, room);
  const std::int64_t from_file = std::max<std::int64_t>(0, resident - (free_ - wmark_.high));
  drop_file(std::min(file_ - dirty_, from_file), false);
  free_ = total_ - file_ - [&] {
    std::int64_t a = 0;
    for (const Owner& x : owners_) a += x.anon;
    return a;
  }() - resident;
  owners_[id].anon = resident;
  const std::int64_t swapped = std::min(pages - resident, swap_total_ - swap_used_);
  owners_[id].swapped = swapped;
  swap_used_ += swapped;
  return id;
}

// ---- commit accounting and the map count ----

std::int64_t Mm::commit_limit_pages() const {  // vm_commit_limit (mm/util.c)
  const std::int64_t allowed = p_.overcommit_kbytes != 0 ? p_.overcommit_kbytes * 1024 / kPage : total_ * p_.overcommit_ratio / 100;
  return allowed + swap_total_;
}

bool Mm::map(std::uint32_t owner, std::int64_t bytes, std::int64_t vmas) {
  Owner& o = owners_[owner];
  if (o.maps + vmas > p_.max_map_count) {  // mmap(2): ENOMEM past vm.max_map_count
    o.failed = Failure::kMapCount;
    o.detail = "mmap: ENOMEM: " + std::to_string(o.maps + vmas) + " mappings would exceed vm.max_map_count = " +
               std::to_string(p_.max_map_count);
    return false;
  }
  const std::int64_t pages = (bytes + kPage - 1) / kPage;
  // __vm_enough_memory (mm/util.c): the pages are accounted first, then checked.
  if (p_.overcommit_memory == 0 && pages > total_ + swap_total_) {
    o.failed = Failure::kCommit;
    o.detail = "mmap: ENOMEM: one mapping of " + std::to_string(bytes) + " bytes is more than RAM + swap (vm.overcommit_memory = 0's heuristic)";
    return false;
  }
  if (p_.overcommit_memory == 2) {
    std::int64_t allowed = commit_limit_pages();
    if (!p_.cap_sys_admin) allowed -= p_.admin_reserve_kbytes * 1024 / kPage;
    // mm->total_vm / 32: the process's mapped size, approximated by what it has committed.
    allowed -= std::min((o.committed + pages) / 32, p_.user_reserve_kbytes * 1024 / kPage);
    if (committed_ + pages >= allowed) {
      o.failed = Failure::kCommit;
      o.detail = "mmap: ENOMEM: Committed_AS would be " + std::to_string((committed_ + pages) * 4) + " kB, over CommitLimit " +
                 std::to_string(commit_limit_pages() * 4) + " kB less the reserves (vm.overcommit_memory = 2, vm.overcommit_" +
                 (p_.overcommit_kbytes != 0 ? "kbytes" : "ratio = " + std::to_string(p_.overcommit_ratio)) + ")";
      return false;
    }
  }
  o.committed += pages;
  committed_ += pages;
  o.maps += vmas;
  return true;
}

void Mm::unmap(std::uint32_t owner, std::int64_t bytes, std::int64_t vmas) {
  Owner& o = owners_[owner];
  const std::int64_t pages = std::min(o.committed, (bytes + kPage - 1) / kPage);
  o.committed -= pages;
  committed_ -= pages;
  o.maps = std::max<std::int64_t>(0, o.maps - vmas);
}

// ---- faults ----

MmCost Mm::fault(std::uint32_t owner, std::int64_t pages, bool thp, bool madvised) {
  MmCost c;
  Owner& o = owners_[owner];
  if (o.failed != Failure::kNone || pages <= 0) return c;
  khugepaged(owner);
  // Pages inside huge pages faulted earlier are present already: no fault.
  const std::int64_t spare = std::min(pages, o.thp_spare);
  o.thp_spare -= spare;
  pages -= spare;
  if (pages == 0) return c;
  // do_huge_pmd_anonymous_page: THP `always`, or `madvise` for an MADV_HUGEPAGE range.
  bool huge = thp && (p_.thp == ThpEnabled::kAlways || (p_.thp == ThpEnabled::kMadvise && madvised));
  const std::int64_t nhuge = (pages + kHugePages - 1) / kHugePages;
  if (huge && free_ - nhuge * kHugePages < wmark_.low) {
    // No free 2 MiB block without work (memory is short, so assume fragmented): `defrag` says whether the
    // fault stalls in direct compaction and reclaim (GFP_TRANSHUGE) or falls back to small pages at once
    // (GFP_TRANSHUGE_LIGHT), leaving the work to kcompactd and khugepaged.
    const bool stall = p_.defrag == ThpDefrag::kAlways ||
                       ((p_.defrag == ThpDefrag::kMadvise || p_.defrag == ThpDefrag::kDeferMadvise) && madvised);
    if (stall) {
      c.cpu += nhuge * p_.compact;
      compact_stall_ += static_cast<std::uint64_t>(nhuge);
    } else {
      huge = false;
      thp_fault_fallback_ += static_cast<std::uint64_t>(nhuge);
    }
  }
  if (huge) {
    if (!charge_free(owner, nhuge * kHugePages, c, Charge::kAnon)) return c;
    o.thp_spare += nhuge * kHugePages - pages;
    o.huge += nhuge;
    thp_fault_alloc_ += static_cast<std::uint64_t>(nhuge);
    pgfault_ += static_cast<std::uint64_t>(nhuge);
    c.cpu += nhuge * p_.fault_huge;
  } else {
    if (!charge_free(owner, pages, c, Charge::kAnon)) return c;
    pgfault_ += static_cast<std::uint64_t>(pages);
    c.cpu += pages * p_.fault;
  }
  return c;
}

MmCost Mm::touch(std::uint32_t owner, std::int64_t pages) {
  MmCost c;
  Owner& o = owners_[owner];
  if (o.failed != Failure::kNone || o.swapped == 0 || pages <= 0) return c;
  khugepaged(owner);
  // Random pages of what the owner has: each is swapped out with probability the swapped share.
  const std::int64_t in_use = o.anon - o.thp_spare + o.swapped;
  const double share = static_cast<double>(o.swapped) / static_cast<double>(std::max<std::int64_t>(1, in_use));
  std::int64_t n = binomial(std::min(pages, in_use), share);
  n = std::min(n, o.swapped);
  if (n == 0) return c;
  // do_swap_page: a synchronous read per page (random access defeats swap readahead), then the page is
  // resident again and its swap slot freed (the swap cache is not modelled).
  o.swapped -= n;
  swap_used_ -= n;
  pgmajfault_ += static_cast<std::uint64_t>(n);
  pswpin_ += static_cast<std::uint64_t>(n);
  c.blocked += n * p_.swap_read;
  io_wait_ += n * p_.swap_read;
  c.cpu += n * p_.fault;
  charge_free(owner, n, c, Charge::kAnon);
  return c;
}

void Mm::release(std::uint32_t owner, std::int64_t pages, bool nohugepage) {
  Owner& o = owners_[owner];
  if (o.failed != Failure::kNone) return;
  khugepaged(owner);
  pages = std::min(pages, o.anon - o.thp_spare);
  if (pages <= 0) return;
  o.anon -= pages;
  free_ += pages;
  if (o.huge > 0) {
    // The released pages are spread over the huge pages (the scavenger frees what the heap no longer
    // uses, wherever it is): each affected huge page is split, and its holes wait for khugepaged, unless
    // the range is MADV_NOHUGEPAGE (hugepage_vma_check refuses it).
    if (!nohugepage) o.holes = std::min(o.holes + pages, o.huge * kHugePages);
  }
}

// khugepaged (mm/khugepaged.c), lazily: every scan_sleep_millisecs it scans pages_to_scan pages of
// address space; a 2 MiB range with at most max_ptes_none holes is collapsed into a huge page again, its
// holes filled with new pages. Holes are taken as spread evenly over the owner's huge ranges.
void Mm::khugepaged(std::uint32_t owner) {
  if (ks_ == nullptr || p_.thp == ThpEnabled::kNever) return;
  const sim::Time now = ks_->now();
  if (p_.khugepaged_sleep <= 0 || now - last_khugepaged_ < p_.khugepaged_sleep) return;
  const std::int64_t scans = (now - last_khugepaged_) / p_.khugepaged_sleep;
  last_khugepaged_ += scans * p_.khugepaged_sleep;
  Owner& o = owners_[owner];
  if (o.holes == 0 || o.huge == 0 || o.failed != Failure::kNone) return;
  const std::int64_t per_range = o.holes / o.huge;
  if (per_range > p_.max_ptes_none) return;  // hpage_collapse_scan_pmd: too many empty PTEs
  const std::int64_t ranges = std::min(o.huge, scans * p_.khugepaged_pages_to_scan / kHugePages);
  std::int64_t fill = std::min(o.holes, ranges * std::max<std::int64_t>(1, per_range));
  if (o.memcg && p_.memory_max >= 0) fill = std::min(fill, std::max<std::int64_t>(0, p_.memory_max / kPage - memcg_usage()));
  fill = std::min(fill, std::max<std::int64_t>(0, free_ - wmark_.high));  // collapse allocates without reclaiming here
  if (fill <= 0) return;
  o.holes -= fill;
  o.anon += fill;
  o.thp_spare += fill;  // resident but unused by the process: RSS it did not ask for
  free_ -= fill;
  thp_collapse_ += static_cast<std::uint64_t>((fill + std::max<std::int64_t>(1, per_range) - 1) / std::max<std::int64_t>(1, per_range));
  rss_peak_ = std::max(rss_peak_, o.anon);
}

// ---- allocation: the memcg charge, the watermarks, reclaim ----

std::int64_t Mm::memcg_usage() const {
  std::int64_t u = owners_[0].memcg ? owned_file() : 0;  // a cgroup is charged its page cache too (cgroup-v2.rst)
  for (const Owner& o : owners_) u += o.memcg ? o.anon : 0;
  return u;
}

// The allocation of `pages` for `owner`: the memcg charge, then the page allocator's watermark checks. False
// when the owner was OOM-killed on the way. A large request is taken whole first and made good after, so
// that reclaim sees what page-by-page allocation would have: the request's own earlier pages reclaimable,
// and the free level it reached (get_scan_count's file_is_tiny depends on it).
bool Mm::charge_free(std::uint32_t owner, std::int64_t pages, MmCost& cost, Charge kind) {
  Owner& o = owners_[owner];
  switch (kind) {
    case Charge::kAnon: o.anon += pages; break;
    case Charge::kFile: ws_cached_ += pages; file_ += pages; break;
    case Charge::kDirty: dirty_ += pages; file_ += pages; break;
  }
  free_ -= pages;
  if (o.memcg && !try_charge_memcg(owner, cost)) return false;
  // __alloc_pages: the fast path takes pages while free stays above the low watermark; below it kswapd is
  // woken (wake_all_kswapds) and the slow path allows down to min; below min the thread reclaims itself
  // (__alloc_pages_direct_reclaim), and when reclaim makes no progress, the OOM killer runs.
  if (free_ < wmark_.low) wakeup_kswapd();
  while (free_ < wmark_.min) {
    ++allocstall_;
    const std::int64_t want = std::clamp(wmark_.min - free_, kSwapClusterMax, kReclaimStep);
    const sim::Time before = cost.cpu;
    const std::int64_t got = shrink(want, false, false, cost);
    direct_reclaim_cpu_ += cost.cpu - before;
    if (got > 0) continue;
    // should_reclaim_retry: no progress (nothing reclaimable) -> __alloc_pages_may_oom.
    const std::uint32_t victim = out_of_memory(false, "free memory below the min watermark and nothing left to reclaim");
    if (victim == kNoProcess) break;  // nothing to kill: the allocation dips into the reserve
    if (victim == owner) return false;
  }
  rss_peak_ = std::max(rss_peak_, owners_[0].anon);
  if (o.memcg && p_.memory_high >= 0) mem_cgroup_handle_over_high(pages, cost);
  return true;
}

// try_charge_memcg (mm/memcontrol.c): over memory.max the group reclaims its own pages; when that fails
// MAX_RECLAIM_RETRIES times, the memcg OOM killer kills the group's process.
bool Mm::try_charge_memcg(std::uint32_t owner, MmCost& cost) {
  if (p_.memory_max < 0) return true;
  const std::int64_t max = p_.memory_max / kPage;
  int retries = kMaxReclaimRetries;
  while (memcg_usage() > max) {
    ++ev_max_;
    const std::int64_t want = std::clamp(memcg_usage() - max, kSwapClusterMax, kReclaimStep);
    if (shrink(want, true, false, cost) > 0) continue;
    if (--retries > 0) continue;
    ++ev_oom_;
    out_of_memory(true, "cgroup memory.max = " + std::to_string(p_.memory_max) + " bytes reached and nothing left to reclaim in the group" +
                            (p_.swappiness == 0 && can_swap(true) ? " (vm.swappiness = 0 keeps a cgroup's reclaim off swap)" : ""));
    return owners_[owner].failed == Failure::kNone;
  }
  return true;
}

// mem_cgroup_handle_over_high (mm/memcontrol.c), run on the way back to user space after a charge that
// left the group over memory.high: reclaim the excess, and if the group is still over, sleep a penalty
// that grows with the square of the overage (calculate_high_delay), scaled by this charge's size against
// MEMCG_CHARGE_BATCH, at most 2 s, and not at all under 10 ms.
void Mm::mem_cgroup_handle_over_high(std::int64_t pages, MmCost& cost) {
  const std::int64_t high = std::max<std::int64_t>(1, p_.memory_high / kPage);
  std::int64_t usage = memcg_usage();
  if (usage <= high) return;
  ++ev_high_;
  shrink(std::min(usage - high, std::max(pages, kSwapClusterMax)), true, false, cost);
  usage = memcg_usage();
  if (usage <= high) return;
  // The overage is capped where the delay saturates at 2 s anyway, so the arithmetic stays in 64 bits.
  const std::int64_t hz = std::max<std::int64_t>(1, 1'000'000'000 / p_.tick);
  const std::int64_t overage = std::min(((usage - high) << kDelayPrecisionShift) / high, std::int64_t{1} << 21);
  std::int64_t jiffies = ((overage * overage * hz) >> kDelayPrecisionShift) >> kDelayScalingShift;
  jiffies = std::min(jiffies * std::min<std::int64_t>(pages, std::int64_t{1} << 30) / kMemcgChargeBatch, 2 * hz);  // MEMCG_MAX_HIGH_DELAY_JIFFIES
  if (jiffies <= hz / 100) return;
  const sim::Time sleep = jiffies * p_.tick;
  cost.blocked += sleep;
  high_throttle_ += sleep;
}

bool Mm::can_swap(bool memcg) const {
  if (swap_used_ >= swap_total_) return false;
  return !memcg || p_.swap_max < 0 || owners_[0].swapped < p_.swap_max / kPage;
}

// get_scan_count (mm/vmscan.c): which LRUs reclaim scans, at the first priority.
Mm::Scan Mm::get_scan_count(bool memcg) const {
  if (!can_swap(memcg)) return Scan::kFile;           // no swap space: anon cannot go anywhere
  if (memcg && p_.swappiness == 0) return Scan::kFile; // cgroup reclaim honours swappiness 0 strictly
  // file_is_tiny: global reclaim with page cache + free under the high watermark swaps whatever swappiness says.
  if (!memcg && file_ + free_ <= wmark_.high) return Scan::kAnon;
  // cache_trim_mode: enough inactive page cache (half the file LRU, taken as inactive) and no refaults
  // (not modelled): file only.
  const std::int64_t file = memcg ? ws_cached_ + log_clean_ : file_ - dirty_;
  if ((file / 2) >> kDefPriority) return Scan::kFile;
  return Scan::kFract;
}

// Anonymous pages reclaim may take: the live owners' (the cgroup's only, for memcg reclaim), less the
// untouched parts of their huge pages.
std::int64_t Mm::reclaimable_anon(bool memcg) const {
  std::int64_t anon = 0;
  for (const Owner& o : owners_) anon += (!memcg || o.memcg) && o.failed == Failure::kNone ? o.anon - o.thp_spare : 0;
  return anon;
}

std::int64_t Mm::shrink(std::int64_t want, bool memcg, bool kswapd, MmCost& cost) {
  std::int64_t got = 0;
  // Dirty pages cannot be reclaimed before the flusher writes them (reclaim's own writeback is not modelled).
  const std::int64_t file = memcg ? ws_cached_ + log_clean_ : file_ - dirty_;
  const std::int64_t anon = reclaimable_anon(memcg);
  std::int64_t want_file = 0, want_anon = 0;
  switch (get_scan_count(memcg)) {
    case Scan::kFile: want_file = want; break;
    case Scan::kAnon: want_anon = want; break;
    case Scan::kFract: {
      // SCAN_FRACT: pressure on each list in proportion to its size times its priority, anon's being
      // swappiness and file's 200 - swappiness (the refault-cost feedback is not modelled: equal costs).
      const double ap = static_cast<double>(p_.swappiness) * static_cast<double>(anon);
      const double fp = static_cast<double>(200 - p_.swappiness) * static_cast<double>(file);
      want_anon = ap + fp > 0 ? static_cast<std::int64_t>(std::ceil(static_cast<double>(want) * ap / (ap + fp))) : 0;
      want_file = want - want_anon;
      break;
    }
  }
  const auto take_file = [&](std::int64_t n) {
    if (n <= 0) return;
    drop_file(n, memcg);
    got += n;
    pgsteal_file_ += static_cast<std::uint64_t>(n);
    cost.cpu += n * p_.reclaim_file;
  };
  take_file(std::min(want_file, file));
  if (want_anon > 0) got += reclaim_anon(want_anon, memcg, cost);
  // Priority drops to 0 without enough progress: both lists equally (SCAN_EQUAL), unless swappiness 0
  // forbids anon; and file pages when only anon was asked for.
  if (got < want && want_anon == 0 && p_.swappiness != 0 && can_swap(memcg)) got += reclaim_anon(want - got, memcg, cost);
  if (got < want && want_file == 0) take_file(std::min(want - got, file));
  (kswapd ? pgsteal_kswapd_ : pgsteal_direct_) += static_cast<std::uint64_t>(got);
  return got;
}

// Anonymous pages to swap: taken from the owners in proportion to their resident pages (one global LRU,
// no notion of which pages are hot). The reclaimer waits for one write-back of the batch.
std::int64_t Mm::reclaim_anon(std::int64_t want, bool memcg, MmCost& cost) {
  std::int64_t room = swap_total_ - swap_used_;
  if (memcg && p_.swap_max >= 0) room = std::min(room, p_.swap_max / kPage - owners_[0].swapped);
  const std::int64_t anon = reclaimable_anon(memcg);
  const std::int64_t n = std::min({want, room, anon});
  if (n <= 0) return 0;
  std::int64_t left = n;
  for (std::size_t i = 0; i < owners_.size() && left > 0; ++i) {
    Owner& o = owners_[i];
    if ((memcg && !o.memcg) || o.failed != Failure::kNone) continue;
    const std::int64_t mine = o.anon - o.thp_spare;
    std::int64_t take = static_cast<std::int64_t>(std::ceil(static_cast<double>(n) * static_cast<double>(mine) / static_cast<double>(anon)));
    take = std::min({take, left, mine});
    o.anon -= take;
    o.swapped += take;
    o.huge = std::min(o.huge, o.anon / kHugePages);  // THP is split to be swapped
    left -= take;
  }
  const std::int64_t done = n - left;
  swap_used_ += done;
  swap_peak_ = std::max(swap_peak_, swap_used_);
  free_ += done;
  pswpout_ += static_cast<std::uint64_t>(done);
  pgsteal_anon_ += static_cast<std::uint64_t>(done);
  cost.cpu += done * p_.reclaim_anon;
  cost.blocked += p_.swap_write;
  io_wait_ += p_.swap_write;
  return done;
}

// out_of_memory (mm/oom_kill.c): select_bad_process kills the owner with the highest badness (resident +
// swapped pages; oom_score_adj 0 for all). For a memcg, only its process. Returns the victim.
std::uint32_t Mm::out_of_memory(bool memcg, const std::string& why) {
  std::uint32_t victim = kNoProcess;
  std::int64_t worst = 0;
  for (std::uint32_t i = 0; i < owners_.size(); ++i) {
    const Owner& o = owners_[i];
    if (o.failed != Failure::kNone || (memcg && !o.memcg)) continue;
    if (o.anon + o.swapped > worst) {
      worst = o.anon + o.swapped;
      victim = i;
    }
  }
  if (victim == kNoProcess) return victim;
  Owner& o = owners_[victim];
  o.failed = Failure::kOomKilled;
  // A request taken whole can hold more than the limit at this instant; page by page it would have been
  // killed at the limit, which is what the kernel's message shows.
  const std::int64_t rss = std::min(o.anon, memcg && p_.memory_max >= 0 ? p_.memory_max / kPage : total_);
  o.detail = std::string(memcg ? "Memory cgroup out of memory" : "Out of memory") + ": Killed process " + o.name +
             " (anon-rss " + std::to_string(rss * 4) + " kB, swap " + std::to_string(o.swapped * 4) + " kB): " + why;
  ++oom_kill_;
  if (memcg) ++ev_oom_kill_;
  free_ += o.anon;
  swap_used_ -= o.swapped;
  committed_ -= o.committed;
  o.anon = o.swapped = o.committed = o.thp_spare = o.huge = o.holes = 0;
  killed_.push_back(victim);
  return victim;
}

std::vector<std::uint32_t> Mm::take_killed() {
  std::vector<std::uint32_t> k;
  k.swap(killed_);
  return k;
}

// ---- kswapd ----

void Mm::wakeup_kswapd() {
  if (ks_ == nullptr || kswapd_running_) return;
  kswapd_running_ = true;
  ++kswapd_wakeups_;
  ks_->wake(kswapd_);
}

// kswapd's loop (balance_pgdat), a batch per CPU burst: reclaim until free memory is above the high
// watermark, then sleep until woken again; give up when nothing is reclaimable.
void Mm::on_burst_done(std::uint32_t tid) {
  if (kswapd_io_ > 0) {  // the batch's write-back
    const sim::Time io = kswapd_io_;
    kswapd_io_ = 0;
    ks_->sleep(tid, io);
    return;
  }
  if (free_ >= wmark_.high) {
    kswapd_running_ = false;
    ks_->block(tid);
    return;
  }
  MmCost c;
  const std::int64_t got = shrink(std::min(kKswapdBatch, wmark_.high - free_), false, true, c);
  if (got == 0) {
    kswapd_running_ = false;
    ks_->block(tid);
    return;
  }
  kswapd_cpu_ += c.cpu;
  kswapd_io_ = c.blocked;
  ks_->run_for(tid, std::max<sim::Time>(1, c.cpu), kOther);
}

// ---- report ----

nlohmann::ordered_json Mm::report() const {
  const Owner& self = owners_[0];
  nlohmann::ordered_json j;
  j["rss_bytes"] = self.anon * kPage;
  j["rss_peak_bytes"] = rss_peak_ * kPage;
  j["anon_huge_bytes"] = self.huge * kHugePages * kPage;
  j["thp_unused_bytes"] = self.thp_spare * kPage;
  j["swap_bytes"] = self.swapped * kPage;
  j["committed_bytes"] = self.committed * kPage;
  j["maps"] = self.maps;
  j["minor_faults"] = pgfault_;
  j["major_faults"] = pgmajfault_;
  j["thp_faults"] = thp_fault_alloc_;
  j["thp_fallbacks"] = thp_fault_fallback_;
  j["thp_collapses"] = thp_collapse_;
  j["direct_reclaim_stalls"] = allocstall_;
  j["direct_reclaim_cpu_s"] = sim::to_seconds(direct_reclaim_cpu_);
  j["compact_stalls"] = compact_stall_;
  j["kswapd_wakeups"] = kswapd_wakeups_;
  j["kswapd_cpu_s"] = sim::to_seconds(kswapd_cpu_);
  j["pgsteal_kswapd"] = pgsteal_kswapd_;
  j["pgsteal_direct"] = pgsteal_direct_;
  j["pgsteal_file"] = pgsteal_file_;
  j["pgsteal_anon"] = pgsteal_anon_;
  j["swap_out_bytes"] = static_cast<std::int64_t>(pswpout_) * kPage;
  j["swap_in_bytes"] = static_cast<std::int64_t>(pswpin_) * kPage;
  j["swap_peak_bytes"] = swap_peak_ * kPage;
  j["io_wait_s"] = sim::to_seconds(io_wait_);
  j["oom_kills"] = oom_kill_;
  j["file_reads"] = file_reads_;
  j["file_read_misses"] = file_read_misses_;
  j["file_read_bytes_from_disk"] = static_cast<std::int64_t>(pgpgin_) * kPage;
  j["file_read_wait_s"] = sim::to_seconds(read_wait_);
  j["file_written_bytes"] = static_cast<std::int64_t>(pgwrite_) * kPage;
  j["writeback_bytes"] = static_cast<std::int64_t>(pgwriteback_) * kPage;
  j["dirty_peak_bytes"] = dirty_peak_ * kPage;
  j["dirty_throttled"] = dirty_throttled_;
  j["dirty_pause_s"] = sim::to_seconds(dirty_pause_);
  j["file_cached_bytes"] = owned_file() * kPage;
  nlohmann::ordered_json m;
  m["MemTotal_kB"] = total_ * 4;
  m["MemFree_kB"] = free_ * 4;
  m["Cached_kB"] = file_ * 4;
  m["Dirty_kB"] = dirty_ * 4;
  const DirtyLimits lim = dirty_limits();
  m["dirty_background_thresh_pages"] = lim.background;
  m["dirty_thresh_pages"] = lim.thresh;
  m["SwapTotal_kB"] = swap_total_ * 4;
  m["SwapFree_kB"] = (swap_total_ - swap_used_) * 4;
  m["CommitLimit_kB"] = commit_limit_pages() * 4;
  m["Committed_AS_kB"] = committed_ * 4;
  m["min_free_kbytes"] = min_free_kbytes_;
  m["watermark_pages"] = {{"min", wmark_.min}, {"low", wmark_.low}, {"high", wmark_.high}};
  j["meminfo"] = std::move(m);
  if (self.memcg) {
    j["memory.events"] = {{"high", ev_high_}, {"max", ev_max_}, {"oom", ev_oom_}, {"oom_kill", ev_oom_kill_}};
    j["memory_high_throttle_s"] = sim::to_seconds(high_throttle_);
  }
  nlohmann::ordered_json others = nlohmann::ordered_json::object();
  for (std::size_t i = 1; i < owners_.size(); ++i) {
    const Owner& o = owners_[i];
    others[o.name] = {{"rss_bytes", o.anon * kPage}, {"swap_bytes", o.swapped * kPage}, {"oom_killed", o.failed == Failure::kOomKilled}};
  }
  if (!others.empty()) j["processes"] = std::move(others);
  return j;
}

}  // namespace gmpsim::models::kernel
