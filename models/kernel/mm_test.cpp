// The memory model (mm.h): its formulas against hand computations from the kernel sources, and what the
// vm.* settings and the cgroup memory controller do to a Go service in runs of the go model.
#include <catch2/catch.hpp>
#include <sstream>

#include "models/kernel/mm.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using namespace gmpsim::models::kernel;
using testing::run_yaml;

namespace {

constexpr std::int64_t kMiB = std::int64_t{1} << 20;
constexpr std::int64_t kGiB = std::int64_t{1} << 30;

Mm make(MmParams p) { return Mm(p, sim::Rng(1)); }

const Json& mem(const RunResult& r) { return r.model_counters.at("memory").at("kernel"); }
double mnum(const RunResult& r, const char* key) { return mem(r).at(key).get<double>(); }

// A Go service with a long-lived heap of `live`, requests that allocate 64 KiB of 1 KiB objects and
// compute 200 us, at 500/s on 2 CPUs; `extra` adds top-level YAML (vm:, cgroup:, machine memory).
std::string service(const std::string& live, const std::string& extra, const std::string& duration = "2s") {
  std::ostringstream os;
  os << "machine: {cpus: 2, memory: 1GiB}\n"
     << "runtime: {model: go}\n"
     << extra << "\n"
     << "workload:\n"
        "  heap: {live: " << live << "}\n"
        "  classes:\n"
        "    req:\n"
        "      arrivals: {process: poisson, rate: 500/s}\n"
        "      program: [{alloc: {size: 1KiB, count: 64}}, {touch: 256KiB}, {compute: 200us}]\n"
        "run: {duration: " << duration << ", seed: 5}\n";
  return os.str();
}

}  // namespace

TEST_CASE("mm: min_free_kbytes and the watermarks as mm/page_alloc.c and mm/khugepaged.c compute them", "[mm]") {
  // 24 GiB: sqrt(25165824 kB * 16) = 20066 kB. With THP, khugepaged's recommendation for 3 zones:
  // (2 + 3 * 3) pageblocks of 512 pages per zone = 16896 pages = 67584 kB, under 5 % of memory.
  CHECK(default_min_free_kbytes(24 * kGiB, ThpEnabled::kNever, 3) == 20066);
  CHECK(default_min_free_kbytes(24 * kGiB, ThpEnabled::kMadvise, 3) == 67584);
  CHECK(default_min_free_kbytes(24 * kGiB, ThpEnabled::kAlways, 3) == 67584);
  // 1 GiB: sqrt(1048576 * 16) = 4096 kB; the clamp at 128 kB and 262144 kB (64 MB of RAM, 4 TiB).
  CHECK(default_min_free_kbytes(kGiB, ThpEnabled::kNever, 2) == 4096);
  CHECK(default_min_free_kbytes(64 * kMiB, ThpEnabled::kNever, 2) == 1024);
  CHECK(default_min_free_kbytes(std::int64_t{4096} * kGiB, ThpEnabled::kNever, 3) == 262144);
  // The 5 % cap of the recommendation: 128 MiB of RAM is 32768 pages, 5 % = 1638 pages = 6552 kB.
  CHECK(default_min_free_kbytes(128 * kMiB, ThpEnabled::kAlways, 2) == 6552);

  MmParams p;
  p.memory = 24 * kGiB;
  p.thp = ThpEnabled::kMadvise;
  const Mm m = make(p);
  CHECK(m.min_free_kbytes() == 67584);
  // min = 67584 kB / 4 = 16896 pages; gap = max(min / 4 = 4224, 6291456 pages * 10 / 10000 = 6291).
  CHECK(m.watermarks().min == 16896);
  CHECK(m.watermarks().low == 16896 + 6291);
  CHECK(m.watermarks().high == 16896 + 2 * 6291);

  p.min_free_kbytes = 1048576;  // a tuning guide's 1 GiB: min/4 = 65536 pages is now the larger gap
  p.watermark_scale_factor = 10;
  const Mm big = make(p);
  CHECK(big.watermarks().min == 262144);
  CHECK(big.watermarks().low == 262144 + 65536);
  CHECK(big.watermarks().high == 262144 + 2 * 65536);
  p.watermark_scale_factor = 1000;  // 10 % of memory between the marks
  const Mm wide = make(p);
  CHECK(wide.watermarks().low - wide.watermarks().min == 629145);
}

TEST_CASE("mm: CommitLimit arithmetic and refusal in overcommit mode 2", "[mm]") {
  MmParams p;
  p.memory = 16 * kGiB;
  p.swap_size = 2 * kGiB;
  p.overcommit_memory = 2;
  Mm m = make(p);
  // vm_commit_limit: 16 GiB * 50 / 100 + 2 GiB of swap = 10 GiB = 2621440 pages.
  CHECK(m.commit_limit_pages() == 2621440);
  // __vm_enough_memory: less the admin reserve (8192 kB = 2048 pages) and the user reserve (min(total_vm /
  // 32, 131072 kB = 32768 pages)): the largest first mapping is 2621440 - 2048 - 32768 - 1 pages.
  CHECK(m.map(0, 2586623 * kPage, 1));
  CHECK(m.committed_pages() == 2586623);
  CHECK_FALSE(m.map(0, kPage, 1));
  CHECK(m.failure(0) == Mm::Failure::kCommit);
  CHECK(m.failure_detail(0).find("CommitLimit") != std::string::npos);

  Mm fresh = make(p);
  CHECK_FALSE(fresh.map(0, 2586624 * kPage, 1));

  p.overcommit_kbytes = 4 * 1024 * 1024;  // overcommit_kbytes replaces the ratio: 4 GiB + 2 GiB of swap
  CHECK(make(p).commit_limit_pages() == (6 * kGiB) / kPage);
  p.overcommit_kbytes = 0;
  p.cap_sys_admin = true;  // root keeps the admin reserve
  Mm root = make(p);
  CHECK(root.map(0, (2621440 - 32768 - 1) * kPage, 1));

  // Mode 1 never refuses; mode 0 refuses only one mapping larger than RAM + swap.
  p.overcommit_memory = 1;
  Mm always = make(p);
  CHECK(always.map(0, 1024 * kGiB, 1));
  p.overcommit_memory = 0;
  Mm guess = make(p);
  CHECK(guess.map(0, 17 * kGiB, 1));
  CHECK(guess.map(0, 17 * kGiB, 1));  // the heuristic looks at one request, not the total
  CHECK_FALSE(guess.map(0, 19 * kGiB, 1));
}

TEST_CASE("mm: THP reduces the fault count of a large heap and raises the RSS of a sparse one", "[mm]") {
  MmParams p;
  p.memory = 4 * kGiB;
  p.fault = 1000;
  p.fault_huge = 60000;
  for (const ThpEnabled e : {ThpEnabled::kNever, ThpEnabled::kMadvise, ThpEnabled::kAlways}) {
    p.thp = e;
    Mm m = make(p);
    const MmCost c = m.fault(0, (512 * kMiB) / kPage, true, false);  // a 512 MiB heap, not madvised
    const auto faults = m.report().at("minor_faults").get<std::int64_t>();
    if (e == ThpEnabled::kAlways) {
      CHECK(faults == 256);  // one fault per 2 MiB
      CHECK(c.cpu == 256 * 60000);
    } else {
      CHECK(faults == 131072);  // madvise: the heap is not MADV_HUGEPAGE (go1.21.1+)
      CHECK(c.cpu == 131072 * 1000);
    }
  }
  // Sparse: one page in use out of each 2 MiB. THP makes the RSS the whole huge page.
  p.thp = ThpEnabled::kAlways;
  Mm sparse = make(p);
  for (int i = 0; i < 64; ++i) sparse.fault(0, 1, true, false);  // the spare pages of one huge page serve the next
  CHECK(sparse.rss_pages(0) == 512);
  p.thp = ThpEnabled::kNever;
  Mm small = make(p);
  for (int i = 0; i < 64; ++i) small.fault(0, 1, true, false);
  CHECK(small.rss_pages(0) == 64);
}

TEST_CASE("mm: swappiness 0 still swaps under global pressure; without swap, swappiness changes nothing", "[mm]") {
  // 1 GiB of RAM, 512 MiB of swap, no page cache: faulting 1100 MiB must push some of it out, whatever
  // swappiness says (get_scan_count: file + free below the high watermark forces anon reclaim).
  for (const int swappiness : {0, 60, 200}) {
    MmParams p;
    p.memory = kGiB;
    p.thp = ThpEnabled::kNever;
    p.swap_size = 512 * kMiB;
    p.swappiness = swappiness;
    Mm m = make(p);
    m.fault(0, (1100 * kMiB) / kPage, false, false);
    CHECK(m.failure(0) == Mm::Failure::kNone);
    CHECK(m.swapped_pages(0) > 0);
    CHECK(m.free_pages() >= m.watermarks().min);
  }
  // With page cache, reclaim takes it first (cache_trim_mode) whatever swappiness says; once it is short,
  // swappiness decides the split: 0 takes the last of the file, 200 only anon.
  std::int64_t swapped[2] = {0, 0};
  int i = 0;
  for (const int swappiness : {0, 200}) {
    MmParams p;
    p.memory = kGiB;
    p.thp = ThpEnabled::kNever;
    p.swap_size = 512 * kMiB;
    p.page_cache = 600 * kMiB;
    p.swappiness = swappiness;
    Mm m = make(p);
    m.fault(0, (1000 * kMiB) / kPage, false, false);
    swapped[i++] = m.swapped_pages(0);
  }
  CHECK(swapped[0] == 0);
  CHECK(swapped[1] > 0);
  // No swap device: whatever swappiness, only the page cache is reclaimed, then the OOM killer.
  std::string reports[3];
  i = 0;
  for (const int swappiness : {0, 60, 200}) {
    MmParams p;
    p.memory = kGiB;
    p.thp = ThpEnabled::kNever;
    p.page_cache = 300 * kMiB;
    p.swappiness = swappiness;
    Mm m = make(p);
    m.fault(0, (1100 * kMiB) / kPage, false, false);
    CHECK(m.failure(0) == Mm::Failure::kOomKilled);
    reports[i++] = m.report().dump();
  }
  CHECK(reports[0] == reports[1]);
  CHECK(reports[1] == reports[2]);
}

TEST_CASE("mm: a cgroup at memory.max reclaims its own pages, with swappiness 0 never to swap", "[mm]") {
  MmParams p;
  p.memory = 4 * kGiB;
  p.thp = ThpEnabled::kNever;
  p.swap_size = kGiB;
  p.memory_max = 256 * kMiB;
  Mm m = make(p);
  m.fault(0, (300 * kMiB) / kPage, false, false);
  CHECK(m.failure(0) == Mm::Failure::kNone);
  CHECK(m.rss_pages(0) <= (256 * kMiB) / kPage);
  CHECK(m.swapped_pages(0) >= (44 * kMiB) / kPage);
  CHECK(m.report().at("memory.events").at("max").get<int>() > 0);

  p.swappiness = 0;  // mem_cgroup_swappiness 0: the group never swaps; memory.max is then a hard wall
  Mm strict = make(p);
  strict.fault(0, (300 * kMiB) / kPage, false, false);
  CHECK(strict.failure(0) == Mm::Failure::kOomKilled);
  CHECK(strict.failure_detail(0).find("Memory cgroup out of memory") != std::string::npos);

  p.swappiness = 60;
  p.swap_max = 16 * kMiB;  // memory.swap.max: at most 16 MiB of the group in swap
  Mm capped = make(p);
  capped.fault(0, (300 * kMiB) / kPage, false, false);
  CHECK(capped.failure(0) == Mm::Failure::kOomKilled);
}

TEST_CASE("mm: memory.high throttles the allocating thread as calculate_high_delay says", "[mm]") {
  MmParams p;
  p.memory = 4 * kGiB;
  p.thp = ThpEnabled::kNever;
  p.memory_high = 100 * kMiB;
  p.tick = 4'000'000;  // HZ 250
  Mm m = make(p);
  // 100 MiB at once, then 1 page over with nothing reclaimable (no swap): overage = (1 << 20) / 25600 =
  // 40; 40 * 40 * 250 >> 34 = 0 jiffies: no sleep. A large step over: 125 MiB total, overage = 262144;
  // 262144^2 * 250 >> 34 = 1000 jiffies, * 6400 pages / 64 -> capped at 2 * HZ = 500 jiffies = 2 s.
  MmCost first = m.fault(0, (100 * kMiB) / kPage, false, false);
  CHECK(first.blocked == 0);
  MmCost one = m.fault(0, 1, false, false);
  CHECK(one.blocked == 0);
  MmCost big = m.fault(0, (25 * kMiB) / kPage - 1, false, false);
  CHECK(big.blocked == 2'000'000'000);
  CHECK(m.report().at("memory.events").at("high").get<int>() >= 2);
  CHECK(m.failure(0) == Mm::Failure::kNone);  // memory.high never kills
}

TEST_CASE("mm: the OOM killer picks the largest process", "[mm]") {
  MmParams p;
  p.memory = kGiB;
  p.thp = ThpEnabled::kNever;
  Mm m = make(p);
  const std::uint32_t hog = m.add_owner("hog", 800 * kMiB);
  m.fault(0, (300 * kMiB) / kPage, false, false);
  CHECK(m.failure(hog) == Mm::Failure::kOomKilled);
  CHECK(m.failure(0) == Mm::Failure::kNone);
  CHECK(m.take_killed() == std::vector<std::uint32_t>{hog});
}

TEST_CASE("mm: vm.max_map_count is reached by cgo threads, not by goroutines", "[mm][go]") {
  // 20 000 goroutines parked at once: Go stacks come from the heap's spans, no mapping each.
  const std::string many =
      "machine: {cpus: 2}\nruntime: {model: go}\nvm: {max_map_count: 100}\n"
      "workload:\n  channels: {park: 0}\n  classes:\n"
      "    parked: {arrivals: {process: initial, count: 20000}, program: [{recv: park}]}\n"
      "    main: {arrivals: {process: initial, count: 1}, program: [{sleep: 10ms}, {close: park}]}\n"
      "run: {duration: 1s}\n";
  const RunResult g = run_yaml(many);
  CHECK(g.outcome.status == OutcomeStatus::kCompleted);
  CHECK(mnum(g, "maps") < 100);
  // Blocking syscalls make the runtime start threads (handoffp); with cgo each is a pthread with a stack
  // mapping and a guard page. 64 concurrent 50 ms syscalls need ~66 threads: 132 mappings over 100.
  const std::string syscalls =
      "machine: {cpus: 2}\nruntime: {model: go, cgo: true}\nvm: {max_map_count: 100}\n"
      "workload:\n  classes:\n"
      "    io: {arrivals: {process: initial, count: 64}, program: [{syscall: 50ms}]}\n"
      "run: {duration: 1s}\n";
  const RunResult t = run_yaml(syscalls);
  CHECK(t.outcome.status == OutcomeStatus::kOutOfMemory);
  CHECK(t.outcome.detail.find("pthread_create failed") != std::string::npos);
  CHECK(t.outcome.detail.find("vm.max_map_count") != std::string::npos);
  // The default 65530 is far away.
  const RunResult ok = run_yaml(syscalls, {{"vm.max_map_count", "65530"}});
  CHECK(ok.outcome.status == OutcomeStatus::kCompleted);
  const RunResult nocgo = run_yaml(syscalls, {{"runtime.cgo", "false"}});
  CHECK(nocgo.outcome.status == OutcomeStatus::kCompleted);
}

TEST_CASE("mm: memory.max below the working set ends in an OOM kill; with swap the service runs on, slower", "[mm][go]") {
  const RunResult fits = run_yaml(service("64MiB", "cgroup: {memory: {max: 512MiB}}"));
  CHECK(fits.outcome.status == OutcomeStatus::kCompleted);
  CHECK(mnum(fits, "major_faults") == 0);

  const RunResult killed = run_yaml(service("256MiB", "cgroup: {memory: {max: 200MiB}}"));
  CHECK(killed.outcome.status == OutcomeStatus::kOomKilled);
  CHECK(killed.outcome.detail.find("Memory cgroup out of memory") != std::string::npos);

  const RunResult swapping = run_yaml(service("256MiB", "cgroup: {memory: {max: 200MiB}}\nvm: {swap: {size: 1GiB}}"));
  CHECK(swapping.outcome.status == OutcomeStatus::kCompleted);
  CHECK(mnum(swapping, "major_faults") > 0);
  CHECK(mnum(swapping, "swap_out_bytes") > 50.0 * kMiB);
  const RunResult roomy = run_yaml(service("256MiB", "cgroup: {memory: {max: 1GiB}}\nvm: {swap: {size: 1GiB}}"));
  CHECK(roomy.outcome.status == OutcomeStatus::kCompleted);
  CHECK(mnum(roomy, "major_faults") == 0);
  CHECK(swapping.classes.at(0).latency.latency.percentile(0.99) > roomy.classes.at(0).latency.latency.percentile(0.99));
}

TEST_CASE("mm: overcommit 2 refuses the heap's growth with Go's fatal error", "[mm][go]") {
  // CommitLimit = 1 GiB * 10 % = 102 MiB: the 256 MiB heap cannot be mapped; at 50 %, 512 MiB, it can.
  const RunResult r = run_yaml(service("256MiB", "vm: {overcommit_memory: 2, overcommit_ratio: 10}"));
  CHECK(r.outcome.status == OutcomeStatus::kOutOfMemory);
  CHECK(r.outcome.detail.find("fatal error: runtime: out of memory") != std::string::npos);
  const RunResult fine = run_yaml(service("256MiB", "vm: {overcommit_memory: 2, overcommit_ratio: 50}"));
  CHECK(fine.outcome.status == OutcomeStatus::kCompleted);
  CHECK(mnum(fine, "committed_bytes") >= 256.0 * kMiB);
}

TEST_CASE("mm: the same vm.* scenario and seed give identical results", "[mm][go]") {
  const std::string s = service("256MiB", "cgroup: {memory: {max: 200MiB, high: 180MiB}}\nvm: {swap: {size: 1GiB}, swappiness: 100}");
  const RunResult a = run_yaml(s);
  const RunResult b = run_yaml(s);
  CHECK(mem(a).dump() == mem(b).dump());
  CHECK(a.fingerprint == b.fingerprint);
}

TEST_CASE("mm: GOMEMLIMIT under memory.max keeps the heap inside the group; GOGC alone does not", "[mm][go]") {
  // 200 MiB live, GOGC 100: the heap goal is ~400 MiB, past a 300 MiB memory.max without swap: killed.
  // With GOMEMLIMIT 260 MiB the collector runs to stay under it (mgcpacer.go memoryLimitHeapGoal) and the
  // group never reaches its limit.
  const std::string base = service("200MiB", "cgroup: {memory: {max: 300MiB}}", "3s");
  const RunResult gogc = run_yaml(base);
  CHECK(gogc.outcome.status == OutcomeStatus::kOomKilled);
  const RunResult limited = run_yaml(base, {{"runtime.gomemlimit", "260MiB"}});
  CHECK(limited.outcome.status == OutcomeStatus::kCompleted);
  CHECK(mnum(limited, "rss_peak_bytes") <= 300.0 * kMiB);
  CHECK(limited.model_counters.at("gc").at("cycles").get<double>() >= 2);
}

TEST_CASE("mm: dirty limits as domain_dirty_limits computes them; reads fill the page cache", "[mm]") {
  MmParams p;
  p.memory = 4 * kGiB;
  p.thp = ThpEnabled::kNever;
  p.disk_read = 100'000;
  p.disk_bandwidth = 400 * kMiB;
  p.file_set = 64 * kMiB;
  Mm m = make(p);
  // dirtyable = free + file - high watermark; 20 % and 10 % of it.
  const auto mi = [&](const Mm& x) { return x.report().at("meminfo"); };
  const std::int64_t dirtyable = (4 * kGiB) / kPage - m.watermarks().high;
  CHECK(mi(m).at("dirty_thresh_pages").get<std::int64_t>() == dirtyable * 20 / 100);
  CHECK(mi(m).at("dirty_background_thresh_pages").get<std::int64_t>() == dirtyable * 10 / 100);
  p.dirty_bytes = 64 * kMiB;
  p.dirty_background_bytes = 128 * kMiB;  // at or above the limit: half of it
  const Mm b = make(p);
  CHECK(mi(b).at("dirty_thresh_pages").get<std::int64_t>() == 16384);
  CHECK(mi(b).at("dirty_background_thresh_pages").get<std::int64_t>() == 8192);

  // A cold read waits for the disk: latency plus the transfer of the missing pages; then they are cached.
  const MmCost cold = m.file_read(0, 16);
  CHECK(cold.blocked == 100'000 + 16 * kPage * 1'000'000'000 / (400 * kMiB));
  std::int64_t misses = 0;
  for (int i = 0; i < 20000; ++i) misses += m.file_read(0, 16).blocked > 0 ? 1 : 0;
  CHECK(m.report().at("file_cached_bytes").get<std::int64_t>() == 64 * kMiB);  // 20000 x 64 KiB covers it
  p.file_cached = 64 * kMiB;
  Mm warm = make(p);
  CHECK(warm.file_read(0, 16).blocked == 0);
  CHECK(warm.file_read(0, 16).cpu == 16 * p.page_copy);
}

TEST_CASE("mm: a cgroup's page cache is charged to it and reclaimed before its heap", "[mm]") {
  MmParams p;
  p.memory = 4 * kGiB;
  p.thp = ThpEnabled::kNever;
  p.swap_size = kGiB;
  p.memory_max = 256 * kMiB;
  p.file_set = kGiB;
  p.disk_bandwidth = 400 * kMiB;
  Mm m = make(p);
  m.fault(0, (200 * kMiB) / kPage, false, false);
  for (int i = 0; i < 4000; ++i) m.file_read(0, 64);  // ~1 GiB of reads: far more than the room left
  CHECK(m.failure(0) == Mm::Failure::kNone);
  const Json r = m.report();
  // The group stays at its limit, its cache holding what the heap leaves; cache_trim_mode takes file pages
  // while there are enough of them, so the heap is barely swapped.
  CHECK(r.at("file_cached_bytes").get<std::int64_t>() <= 57 * kMiB);
  CHECK(r.at("file_cached_bytes").get<std::int64_t>() > 30 * kMiB);
  CHECK(r.at("swap_bytes").get<std::int64_t>() < 8 * kMiB);
  CHECK(r.at("memory.events").at("max").get<int>() > 0);
}

TEST_CASE("mm: a writer past the dirty limits is paced by balance_dirty_pages; the flusher writes back", "[mm][go]") {
  // A logger writing 1 MiB per request at 200/s (200 MiB/s) to a disk that writes back 100 MiB/s, with a
  // 64 MiB dirty limit: the dirty pages climb past the freerun point and writers pause. With a roomy limit
  // (the default 20 % of 4 GiB) a 2 s run never reaches it.
  const std::string yaml =
      "machine: {cpus: 2, memory: 4GiB, disk: {bandwidth: 100MiB}}\nruntime: {model: go}\n"
      "workload:\n  classes:\n    req:\n      arrivals: {process: poisson, rate: 200/s}\n"
      "      program: [{compute: 100us}, {file_write: 1MiB}]\n"
      "run: {duration: 2s, seed: 3}\n";
  const RunResult roomy = run_yaml(yaml);
  REQUIRE(roomy.outcome.status == OutcomeStatus::kCompleted);
  CHECK(mnum(roomy, "dirty_throttled") == 0);
  CHECK(mnum(roomy, "dirty_peak_bytes") > 300.0 * kMiB);
  const RunResult tight = run_yaml(yaml, {{"vm.dirty_bytes", "64MiB"}, {"vm.dirty_background_bytes", "16MiB"}});
  REQUIRE(tight.outcome.status == OutcomeStatus::kCompleted);
  CHECK(mnum(tight, "dirty_throttled") > 10);
  CHECK(mnum(tight, "dirty_peak_bytes") <= 72.0 * kMiB);
  CHECK(mnum(tight, "writeback_bytes") > 100.0 * kMiB);
  CHECK(tight.classes.at(0).latency.latency.percentile(0.99) > 5 * roomy.classes.at(0).latency.latency.percentile(0.99));
  // file steps need the go model's page cache
  CHECK_THROWS_WITH(run_yaml(yaml, {{"runtime.model", "fifo"}}), Catch::Contains("file_write"));
  CHECK_THROWS_WITH(run_yaml("machine: {cpus: 1}\nruntime: {model: go}\nworkload: {classes: {a: {arrivals: {process: initial, count: 1}, "
                             "program: [{file_read: 4KiB}]}}}\n"),
                    Catch::Contains("workload.files.size"));
}

TEST_CASE("mm: go1.19 faults huge pages where it reuses scavenged memory under THP madvise; go1.26 does not", "[mm][go]") {
  // 200 MiB that dies after 300 ms, two forced cycles, 6 s for the scavenger to return it (MADV_DONTNEED at
  // ~38 MB/s, and go1.19 MADV_NOHUGEPAGE), then 200 MiB again: go1.19's sysUsedOS marks the reused range
  // MADV_HUGEPAGE.
  const std::string yaml =
      "machine: {cpus: 2, memory: 4GiB}\nruntime: {model: go}\nvm: {thp: {enabled: madvise}}\n"
      "workload:\n  classes:\n    main:\n      arrivals: {process: initial, count: 1}\n"
      "      program: [{alloc: {size: 1MiB, count: 200, lives: 300ms}}, {sleep: 500ms}, {gc: true}, {gc: true}, {sleep: 6s},\n"
      "                {alloc: {size: 1MiB, count: 200, lives: forever}}, {sleep: 100ms}]\n"
      "run: {duration: 9s}\n";
  const RunResult go126 = run_yaml(yaml, {{"runtime.version", "go1.26"}});
  const RunResult go119 = run_yaml(yaml, {{"runtime.version", "go1.19"}});
  REQUIRE(go126.outcome.status == OutcomeStatus::kCompleted);
  REQUIRE(go119.outcome.status == OutcomeStatus::kCompleted);
  CHECK(go126.model_counters.at("gc").at("scavenged_bytes").get<double>() > 150.0 * kMiB);
  CHECK(mnum(go126, "thp_faults") == 0);
  CHECK(mnum(go119, "thp_faults") > 50);
  CHECK(mnum(go119, "minor_faults") < mnum(go126, "minor_faults") * 0.75);
  // THP never: neither
  CHECK(mnum(run_yaml(yaml, {{"runtime.version", "go1.19"}, {"vm.thp.enabled", "never"}}), "thp_faults") == 0);
}

TEST_CASE("mm: bad memory settings name the key and the fix", "[mm][input]") {
  const std::string base = service("16MiB", "");
  CHECK_THROWS_WITH(run_yaml(base, {{"vm.swappiness", "201"}}), Catch::Contains("vm.swappiness"));
  CHECK_THROWS_WITH(run_yaml(base, {{"vm.overcommit_memory", "3"}}), Catch::Contains("vm.overcommit_memory"));
  CHECK_THROWS_WITH(run_yaml(base, {{"vm.min_free_kbytes", "lots"}}), Catch::Contains("vm.min_free_kbytes") && Catch::Contains("auto"));
  CHECK_THROWS_WITH(run_yaml(base, {{"vm.min_free_kbytes", "2000000"}}), Catch::Contains("smaller than machine.memory"));
  CHECK_THROWS_WITH(run_yaml(base, {{"cgroup.memory.max", "12 apples"}}), Catch::Contains("cgroup.memory.max"));
  CHECK_THROWS_WITH(run_yaml(base, {{"cgroup.memory.max", "1MiB"}}), Catch::Contains("at least 4MiB"));
  CHECK_THROWS_WITH(run_yaml(base, {{"vm.thp.enabled", "sometimes"}}), Catch::Contains("vm.thp.enabled"));
  CHECK_THROWS_WITH(run_yaml(base, {{"vm.swap.size", "1000"}}), Catch::Contains("vm.swap.size"));
  CHECK_THROWS_WITH(run_yaml(base, {{"workload.files.size", "1MiB"}, {"workload.files.cached", "2MiB"}}),
                    Catch::Contains("workload.files.cached"));
  CHECK_THROWS_WITH(run_yaml(base, {{"machine.page_cache", "2GiB"}}), Catch::Contains("machine.page_cache"));
  CHECK_THROWS_WITH(run_yaml(base, {{"vm.swapiness", "10"}}), Catch::Contains("vm.swappiness"));  // did you mean
}
