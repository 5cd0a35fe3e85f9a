// How a `go` run ends and what holds while it runs: the invariants checked after every event in checked
// builds, checkdead's count of goroutines nothing but another goroutine could wake (the deadlock outcome),
// runtime memory through the kernel's memory model (commit, faults, `touch` and file steps, the OOM
// killer: models/kernel/mm.h), and the event loop with the fatal
// outcomes the runtime throws (thread exhaustion as checkmcount, starvation, a runaway goroutine).
#include "models/go/gorun.h"
#include "models/run/run_loop.h"

namespace gmpsim::models::go {

// Parked assists are not asleep: the mark's workers or its end ready them.
std::uint64_t GoRun::asleep() const {
  return core_.gt.live() - netpoll_waiters_ - sleeping_ - gc_.waiters.size() - assists_parked();
}

// G conservation and P/M consistency, after every event in checked builds.
void GoRun::check_invariants() const {
  std::size_t reserved = 0;
  for (const M& m : ms_) reserved += m.curg != kNoG ? 1 : 0;
  GMPSIM_CHECK(core_.gt.live() == runnable() + reserved + core_.sync.parked + sleeping_ + netpoll_waiters_ + gc_.waiters.size() +
                   assists_parked(),
               "go: a live goroutine is in no queue, on no M, and not parked");
  GMPSIM_CHECK(nmspinning_ <= ms_.size(), "go: nmspinning exceeds the number of Ms");
  std::uint64_t timers = 0;
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    GMPSIM_CHECK(ps_[p].status != PStatus::kRunning || ps_[p].m != kNoG, "go: a running P has no M");
    GMPSIM_CHECK(ps_[p].status != PStatus::kIdle || ps_[p].m == kNoG, "go: an idle P has an M");
    GMPSIM_CHECK(ps_[p].status != PStatus::kGcStop || gc_.waiting || gc_.stw_m == ps_[p].m, "go: a P stopped with no stop-the-world");

    timers += ps_[p].timers.size();
  }
  GMPSIM_CHECK(timers == sleeping_, "go: a sleeping goroutine has no timer");
  // A P handed off (handoffp -> startm) is idle but not on the idle list while its new M wakes.
  for (std::uint32_t p : pidle_) GMPSIM_CHECK(ps_[p].runq.empty(), "go: a P on the idle list holds runnable goroutines");
  GMPSIM_CHECK((lastpoll_ == 0) == (poller_ != kNoG), "go: lastpoll and the blocking poller disagree");
}

// Runtime memory as the Go heap and stacks hold it: g structs and their stacks for every G ever live at
// once (allgs never shrinks, dead Gs keep standard stacks), stack growth of live Gs, a sudog per parked
// wait at the peak, per-M memory, the heap's resident pages (what the program allocated and the
// collector has not yet freed and the scavenger not yet returned; mgc.cpp), and the runtime's own metadata
// (a base plus a share of the mapped heap).
std::int64_t GoRun::memory_bytes() const {
  return static_cast<std::int64_t>(allgs_) * (prm_.mem_g + prm_.mem_stack) + extra_stack_bytes_ +
         static_cast<std::int64_t>(peak_parked_) * prm_.mem_sudog + static_cast<std::int64_t>(ms_.size()) * prm_.mem_m +
         gc_.heap_rss + runtime_metadata();
}

// The kernel's view of runtime memory (models/kernel/mm.h): the runtime maps (commits) in heap-growth
// steps and never unmaps; pages are faulted in as memory_bytes() grows (the heap's own growth and new
// stacks are faulted where they happen, by the allocating M: mm_fault) and given back when it falls (the
// scavenger's MADV_DONTNEED). machine.memory is the kernel's to enforce: reclaim, swap, the OOM killer.
void GoRun::check_memory() {
  if (oom_) return;
  const std::int64_t now = memory_bytes();
  if (now > peak_memory_) peak_memory_ = now;
  const std::int64_t mapped = (peak_memory_ + kHeapMapStep - 1) / kHeapMapStep * kHeapMapStep;
  if (mapped > mm_mapped_) {
    const std::int64_t maps = mapped / kHeapBytesPerMap - mm_mapped_ / kHeapBytesPerMap;
    if (!mm_.map(0, mapped - mm_mapped_, maps)) {
      mm_failed();
      return;
    }
    mm_mapped_ = mapped;
  }
  const std::int64_t pages = (now + kPageBytes - 1) / kPageBytes;
  if (pages > mm_charged_) {
    numa_heap((pages - mm_charged_) * kPageBytes, cur_m_);
    const kernel::MmCost c = heap_fault(pages - mm_charged_);
    mm_charged_ = pages;
    if (cur_m_ != kNoG && cur_m_ < ms_.size()) ms_[cur_m_].stall += c.blocked;
  } else if (pages < mm_charged_) {
    numa_heap(-(mm_charged_ - pages) * kPageBytes, kNoG);
    mm_.release(0, mm_charged_ - pages, prm_.heap_thp_toggle);
    if (prm_.heap_thp_toggle) mm_released_ += mm_charged_ - pages;
    mm_charged_ = pages;
  }
  mm_settle();
}

// First touch of `pages` of the heap: what the scavenger released earlier first (go1.19 marked it
// MADV_HUGEPAGE again as it was reused: sysUsedOS), then new memory.
kernel::MmCost GoRun::heap_fault(std::int64_t pages) {
  kernel::MmCost c;
  const std::int64_t reused = std::min(pages, mm_released_);
  if (reused > 0) {
    mm_released_ -= reused;
    c = mm_.fault(0, reused, true, true);
  }
  const kernel::MmCost rest = mm_.fault(0, pages - reused, prm_.heap_thp, false);
  c.cpu += rest.cpu;
  c.blocked += rest.blocked;
  return c;
}

sim::Time GoRun::mm_fault(std::uint32_t mi, std::int64_t pages) {
  if (pages <= 0 || oom_) return 0;
  numa_heap(pages * kPageBytes, mi);
  const kernel::MmCost c = heap_fault(pages);
  mm_charged_ += pages;
  ms_[mi].stall += c.blocked;
  mm_settle();
  return c.cpu;
}

// A `touch` step: the G reads `bytes` of the long-lived heap at random pages; those the kernel swapped out
// fault back in, the M asleep in the kernel for each read.
void GoRun::on_touch(std::int64_t bytes) {
  M& m = ms_[cur_m_];
  const kernel::MmCost c = mm_.touch(0, (bytes + kPageBytes - 1) / kPageBytes);
  m.overhead += c.cpu;
  m.stall += c.blocked;
  mm_settle();
}

// A file_read or file_write step: the page cache (models/kernel/mm.h) says what the call costs. Its kernel CPU
// (the copies) is paid on the M's CPU; its waits (a disk read, balance_dirty_pages' pause) are the blocking
// syscall's duration, during which sysmon may retake the P.
sim::Time GoRun::on_file(bool write, std::int64_t bytes) {
  const std::int64_t pages = (bytes + kPageBytes - 1) / kPageBytes;
  const kernel::MmCost c = write ? mm_.file_write(0, pages) : mm_.file_read(0, pages);
  ms_[cur_m_].overhead += c.cpu;
  mm_settle();
  return c.blocked;
}

// After a call into the kernel's memory: the process's own failure ends the run; background processes the
// OOM killer chose stop running.
void GoRun::mm_settle() {
  if (mm_.failure(0) != kernel::Mm::Failure::kNone) mm_failed();
  for (const std::uint32_t killed : mm_.take_killed()) {
    if (killed != 0) ks_.kill_process(mm_.process_of(killed));
  }
}

void GoRun::mm_failed() {
  if (oom_) return;
  oom_ = true;
  const std::string what = std::to_string(memory_bytes()) + " bytes of runtime memory (" + std::to_string(allgs_) +
                           " goroutines, " + std::to_string(ms_.size()) + " threads, heap " + std::to_string(gc_.heap_rss) + " bytes)";
  if (mm_.failure(0) == kernel::Mm::Failure::kOomKilled) {
    oom_killed_ = true;
    oom_detail_ = mm_.failure_detail(0) + "; the process held " + what;
  } else if (pthread_failed_) {
    oom_detail_ = "runtime/cgo: pthread_create failed: Resource temporarily unavailable (the thread stack's " + mm_.failure_detail(0) +
                  ") with " + what;
  } else {
    // sysMapOS: throw("runtime: out of memory") when mmap says ENOMEM.
    oom_detail_ = "fatal error: runtime: out of memory (" + mm_.failure_detail(0) + ") with " + what;
  }
  core_.engine.stop();
}

// A burst after the sleep M mi owes in the kernel, if any (a major fault's read, write-back, memory.high).
void GoRun::mem_stall(std::uint32_t mi, Phase next, sim::Time burst, kernel::BurstKind kind) {
  M& m = ms_[mi];
  if (m.stall <= 0) {
    m.phase = next;
    ks_.run_for(mi, burst, kind);
    return;
  }
  m.stall_next = next;
  m.stall_burst = burst;
  m.stall_kind = kind;
  m.phase = Phase::kMemStall;
  const sim::Time s = m.stall;
  m.stall = 0;
  ks_.sleep(mi, s);
}

Json GoRun::memory_json() const {
  const double per_g = static_cast<double>(prm_.mem_g + prm_.mem_stack);
  Json j = {{"peak_bytes", peak_memory_},
          {"at_end", memory_bytes()},
          {"g_structs_bytes", static_cast<std::int64_t>(allgs_) * prm_.mem_g},
          {"stacks_bytes", static_cast<std::int64_t>(allgs_) * prm_.mem_stack + extra_stack_bytes_},
          {"stack_growth_at_end", extra_stack_bytes_},
          {"sudogs_bytes", static_cast<std::int64_t>(peak_parked_) * prm_.mem_sudog},
          {"threads_bytes", static_cast<std::int64_t>(ms_.size()) * prm_.mem_m},
          {"heap_rss_bytes", gc_.heap_rss},
          {"runtime_metadata_bytes", runtime_metadata()},
          {"allgs", allgs_},
          {"bytes_per_goroutine", per_g},
          {"bytes_per_parked_goroutine", per_g + static_cast<double>(prm_.mem_sudog)},
          {"note", "g structs, stacks, sudogs, threads, the heap's resident pages and the runtime's metadata; "
                   "`kernel` is the kernel's view (models/kernel/mm.h): RSS, faults, THP, commit, reclaim, swap"}};
  j["kernel"] = mm_.report();
  return j;
}

// Why the engine was stopped when the model stopped it: a runaway goroutine. Out of memory, thread
// exhaustion and starvation stop it too, and adjust_outcome() names them.
std::string GoRun::stopped_detail() const {
  if (oom_ || threads_exhausted_ || starved_ || fd_exhausted_) return "";
  return runaway_detail(core_.wl, core_.gt, core_.runaway);
}

Outcome GoRun::adjust_outcome(Outcome o) const {
  if (threads_exhausted_) {
    o = {OutcomeStatus::kThreadExhaustion, "runtime: program exceeds " + std::to_string(prm_.max_threads) +
                                               "-thread limit (runtime.max_threads, debug.SetMaxThreads) at t=" +
                                               std::to_string(sim::to_seconds(core_.engine.now())) + " s"};
  }
  if (starved_) o = {OutcomeStatus::kStarved, starved_detail_};
  if (fd_exhausted_) {  // fd.cpp: accept4 or socket failed with EMFILE and rlimit.on_emfile is fail
    o = {OutcomeStatus::kTooManyOpenFiles, fd_detail_ + " (rlimit.nofile, runtime.raise_nofile), at t=" +
                                               std::to_string(sim::to_seconds(core_.engine.now())) + " s"};
  }
  if (oom_) {
    o = {oom_killed_ ? OutcomeStatus::kOomKilled : OutcomeStatus::kOutOfMemory,
         oom_detail_ + ", at t=" + std::to_string(sim::to_seconds(core_.engine.now())) + " s"};
  }
  return o;
}

}  // namespace gmpsim::models::go
