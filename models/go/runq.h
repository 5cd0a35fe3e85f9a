// Run queues and dead-G free lists of the Go scheduler, as data structures: the per-P local run queue
// (a 256-slot ring plus `runnext`), the global run queue, and the per-P and global free lists of dead Gs.
// Functions carry the runtime's names (proc.go, pinned to go1.26.8 as installed, cross-checked against
// go1.19.8 where noted) so a reader can hold this file next to proc.go.
//
// What is left to the scheduler (proc): locking `sched.lock` and charging its hold time, the usleep(3)
// back-off before stealing `runnext`, `wakep` after a put, and `-race`'s randomisation (not modelled).
// Everything here is instantaneous state change; goroutines are named by their index (uint32).
#pragma once
#include <cstdint>
#include <vector>

#include "sim/check.h"
#include "sim/ring.h"

namespace gmpsim::models::go {

inline constexpr std::uint32_t kNoG = 0xffffffffu;

// p.runq [256]guintptr + runqhead/runqtail, and p.runnext (runtime2.go).
class LocalRunq {
 public:
  explicit LocalRunq(std::uint32_t capacity = 256) : ring_(capacity) {
    GMPSIM_REQUIRE(capacity >= 2 && (capacity & (capacity - 1)) == 0, "LocalRunq: capacity must be a power of two >= 2");
  }
  std::uint32_t size() const { return tail_ - head_; }  // Gs in the ring, not counting runnext
  std::uint32_t capacity() const { return static_cast<std::uint32_t>(ring_.size()); }
  bool full() const { return size() == capacity(); }
  bool empty() const { return size() == 0 && runnext == kNoG; }  // runqempty
  std::uint32_t at(std::uint32_t i) const { return ring_[(head_ + i) & (capacity() - 1)]; }  // i-th from head

  void push_tail(std::uint32_t g) {
    GMPSIM_CHECK(!full(), "runqput: local run queue overflow");
    if (tail_ == head_ && ring_word_ != nullptr) {
      *ring_word_ |= bit_;
      ++*epoch_;
    }
    ring_[tail_++ & (capacity() - 1)] = g;
  }
  std::uint32_t pop_head() {
    GMPSIM_CHECK(size() > 0, "runqget: empty local run queue");
    const std::uint32_t g = ring_[head_++ & (capacity() - 1)];
    if (head_ == tail_ && ring_word_ != nullptr) *ring_word_ &= ~bit_;
    return g;
  }

  // Read freely; written through set_runnext, which keeps the tracking bit (below) in step.
  std::uint32_t runnext = kNoG;
  void set_runnext(std::uint32_t g) {
    runnext = g;
    if (next_word_ == nullptr) return;
    if (g == kNoG) {
      *next_word_ &= ~bit_;
    } else {
      *next_word_ |= bit_;
      ++*epoch_;
    }
  }
  // Tracking for the scheduler's scans over all Ps (stealWork, checkRunqsNoP): `bit` in *ring_word is set
  // while the ring holds a G, in *next_word while runnext does, so a scan skips the Ps with nothing to
  // take without reading them. `*epoch` counts the times the ring turns non-empty or runnext is set (a
  // spinning M's fused rounds end early when it moves: GoRun::steal_fuse). The words must outlive the queue.
  void track(std::uint64_t* ring_word, std::uint64_t* next_word, std::uint64_t bit, std::uint64_t* epoch) {
    ring_word_ = ring_word;
    next_word_ = next_word;
    bit_ = bit;
    epoch_ = epoch;
    *ring_word_ = size() > 0 ? *ring_word_ | bit_ : *ring_word_ & ~bit_;
    set_runnext(runnext);
  }

 private:
  std::vector<std::uint32_t> ring_;
  std::uint32_t head_ = 0, tail_ = 0;  // wrap around like the runtime's uint32 indices
  std::uint64_t* ring_word_ = nullptr;
  std::uint64_t* next_word_ = nullptr;
  std::uint64_t* epoch_ = nullptr;
  std::uint64_t bit_ = 0;
};

// sched.runq: unbounded FIFO, protected by sched.lock.
class GlobalRunq {
 public:
  std::size_t size() const { return q_.size(); }
  bool empty() const { return q_.empty(); }
  void push_back(std::uint32_t g) { q_.push_back(g); }
  void push_front(std::uint32_t g) { q_.push_front(g); }
  std::uint32_t pop_front() { return q_.pop_front(); }
  std::uint32_t at(std::size_t i) const { return q_[i]; }

 private:
  sim::Ring<std::uint32_t> q_;
};

// runqput: puts gp on the local queue. With next, gp goes to runnext and the G it displaces goes to the
// tail. A full ring sends half of it plus the newcomer to the global queue (runqputslow). Returns the
// number of Gs moved to the global queue (0, or capacity/2 + 1).
std::uint32_t runqput(LocalRunq& pp, GlobalRunq& global, std::uint32_t gp, bool next);

// runqputslow: the oldest capacity/2 Gs of a full ring, then gp, go to the global queue's tail in order.
std::uint32_t runqputslow(LocalRunq& pp, GlobalRunq& global, std::uint32_t gp);

// runqputbatch: as many of `batch` as fit go to the tail; returns how many were put.
std::uint32_t runqputbatch(LocalRunq& pp, const std::uint32_t* batch, std::uint32_t n);

struct RunqGet {
  std::uint32_t g = kNoG;
  bool inherit_time = false;  // true for runnext: it shares the current time slice
};
// runqget: runnext first (inheriting the time slice), else the head of the ring.
RunqGet runqget(LocalRunq& pp);

// runqsteal: takes ceil(n/2) Gs from the head of victim's ring (runqgrab), puts all but the last on pp's
// tail and returns the last, or kNoG when the victim's ring is empty. Victim's runnext is not touched:
// stealing it needs the usleep(3) back-off first, see runqsteal_runnext. Sets `*stolen` to the count.
std::uint32_t runqsteal(LocalRunq& pp, LocalRunq& victim, std::uint32_t* stolen = nullptr);

// The runnext branch of runqgrab, after the thief's back-off: takes victim.runnext if it is still there.
std::uint32_t runqsteal_runnext(LocalRunq& victim);

// globrunqput / globrunqputhead.
inline void globrunqput(GlobalRunq& global, std::uint32_t gp) { global.push_back(gp); }
inline void globrunqputhead(GlobalRunq& global, std::uint32_t gp) { global.push_front(gp); }

// globrunqget (go1.26; globrunqget(pp, 1) in 1.19): one G from the head, for the schedtick%61 check.
std::uint32_t globrunqget(GlobalRunq& global);

// globrunqgetbatch(n) (go1.26; globrunqget(pp, 0) in 1.19): takes min(n, size, size/gomaxprocs + 1) Gs;
// returns the first and puts the rest on pp's local queue (runqputbatch; any that do not fit go back to
// the global queue's head, in order). findRunnable passes n = capacity/2.
std::uint32_t globrunqgetbatch(GlobalRunq& global, LocalRunq& pp, std::uint32_t n, std::uint32_t gomaxprocs);

// p.gFree and sched.gFree: dead Gs kept for reuse with their stacks (gfput/gfget). The runtime keeps two
// global lists (with and without stack); the stack side is the memory model's concern, so one list here.
struct GFreeList {
  std::vector<std::uint32_t> gs;  // a stack: push/pop at the back, as the runtime's gList
};

struct GFreeParams {
  std::uint32_t local_max = 64;    // proc.go gfput: `if pp.gFree.size >= 64`
  std::uint32_t local_keep = 32;   // proc.go gfput: move `for pp.gFree.size >= 32` (so 31 stay, 33 move)
  std::uint32_t refill = 32;       // proc.go gfget: `for pp.gFree.size < 32`
};

// gfput: returns the number of Gs moved to the global list.
std::uint32_t gfput(GFreeList& local, GFreeList& global, std::uint32_t gp, const GFreeParams& params = {});
// gfget: kNoG when both lists are empty.
std::uint32_t gfget(GFreeList& local, GFreeList& global, const GFreeParams& params = {});

}  // namespace gmpsim::models::go
