// Synchronisation objects shared by the models: WaitGroups, channels and mutexes, global (named in the
// scenario) or made by a goroutine at run time and shared with the goroutines it spawns (refcounted,
// freed when the last holder exits), plus the wait queues of parked goroutines (the runtime's sudogs).
//
// These classes hold state and answer "who is woken"; routing a woken goroutine (runnext, a FIFO
// queue, ...) is the model's business. Channel semantics are Go's (chan.go): a send to a waiting
// receiver hands off directly, a buffered channel holds `capacity` items, close wakes every waiter.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/input/errors.h"
#include "models/workload/program.h"
#include "sim/check.h"
#include "sim/time.h"

namespace gmpsim::models {

inline constexpr std::uint32_t kNoSudog = 0xffffffffu;

// A parked goroutine waiting on one object (one per select case).
struct Sudog {
  std::uint32_t g = 0;
  std::uint32_t obj = 0;
  std::uint32_t prev = kNoSudog, next = kNoSudog;  // in the object's queue
  std::uint32_t sibling = kNoSudog;                // the next sudog of the same select (a ring), or itself
  std::uint16_t select_case = 0xffff;              // case index, 0xffff when not in a select
  std::uint8_t is_send = 0;
  sim::Time since = 0;                             // when the wait began (mutex starvation)
};

// Intrusive FIFO of sudogs (waitq in chan.go, the semaphore queue in sema.go).
struct WaitQueue {
  std::uint32_t head = kNoSudog, tail = kNoSudog;
  std::uint32_t size = 0;
  bool empty() const { return size == 0; }
};

class SudogPool {
 public:
  std::uint32_t alloc(std::uint32_t g, std::uint32_t obj, sim::Time now) {
    std::uint32_t s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
    } else {
      s = static_cast<std::uint32_t>(sudogs_.size());
      sudogs_.emplace_back();
    }
    sudogs_[s] = Sudog{};
    sudogs_[s].g = g;
    sudogs_[s].obj = obj;
    sudogs_[s].since = now;
    sudogs_[s].sibling = s;
    ++live_;
    if (live_ > peak_) peak_ = live_;
    return s;
  }
  void release(std::uint32_t s) {
    free_.push_back(s);
    --live_;
  }
  Sudog& operator[](std::uint32_t s) { return sudogs_[s]; }
  const Sudog& operator[](std::uint32_t s) const { return sudogs_[s]; }

  void push_back(WaitQueue& q, std::uint32_t s) {
    Sudog& d = sudogs_[s];
    d.prev = q.tail;
    d.next = kNoSudog;
    if (q.tail != kNoSudog) sudogs_[q.tail].next = s; else q.head = s;
    q.tail = s;
    ++q.size;
  }
  void push_front(WaitQueue& q, std::uint32_t s) {
    Sudog& d = sudogs_[s];
    d.next = q.head;
    d.prev = kNoSudog;
    if (q.head != kNoSudog) sudogs_[q.head].prev = s; else q.tail = s;
    q.head = s;
    ++q.size;
  }
  void remove(WaitQueue& q, std::uint32_t s) {
    Sudog& d = sudogs_[s];
    if (d.prev != kNoSudog) sudogs_[d.prev].next = d.next; else q.head = d.next;
    if (d.next != kNoSudog) sudogs_[d.next].prev = d.prev; else q.tail = d.prev;
    d.prev = d.next = kNoSudog;
    --q.size;
  }
  std::uint32_t pop_front(WaitQueue& q) {
    const std::uint32_t s = q.head;
    if (s != kNoSudog) remove(q, s);
    return s;
  }

  std::uint64_t live() const { return live_; }
  std::uint64_t peak() const { return peak_; }

 private:
  std::vector<Sudog> sudogs_;
  std::vector<std::uint32_t> free_;
  std::uint64_t live_ = 0, peak_ = 0;
};

// Objects of one kind: globals first (never freed), then instances made at run time, refcounted.
template <class T>
class ObjectPool {
 public:
  static constexpr std::uint32_t kPinned = 0xffffffffu;
  std::uint32_t make(const T& init, bool global = false) {
    std::uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      objs_[id] = init;
    } else {
      id = static_cast<std::uint32_t>(objs_.size());
      objs_.push_back(init);
      refs_.push_back(0);
    }
    refs_[id] = global ? kPinned : 1;
    ++live_;
    return id;
  }
  void retain(std::uint32_t id) {
    if (refs_[id] != kPinned) ++refs_[id];
  }
  // Returns true when the object was freed.
  bool release(std::uint32_t id) {
    if (refs_[id] == kPinned) return false;
    GMPSIM_CHECK(refs_[id] > 0, "ObjectPool: released an object with no holders");
    if (--refs_[id] > 0) return false;
    free_.push_back(id);
    --live_;
    return true;
  }
  T& operator[](std::uint32_t id) { return objs_[id]; }
  const T& operator[](std::uint32_t id) const { return objs_[id]; }
  std::size_t capacity() const { return objs_.size(); }
  bool is_live(std::uint32_t id) const { return refs_[id] != 0; }
  std::uint64_t live() const { return live_; }

 private:
  std::vector<T> objs_;
  std::vector<std::uint32_t> refs_;
  std::vector<std::uint32_t> free_;
  std::uint64_t live_ = 0;
};

struct WaitGroupState {
  std::int64_t counter = 0;
  WaitQueue waiters;
};

struct ChannelState {
  std::int64_t capacity = 0;
  std::int64_t count = 0;  // items buffered (values are not modelled, only their number)
  bool closed = false;
  WaitQueue recvq, sendq;
};

struct MutexState {
  bool locked = false;
  bool starving = false;                // sync.Mutex starvation mode
  std::uint32_t woken = 0xffffffffu;    // the waiter woken by the last Unlock and not yet retried (mutexWoken)
  std::uint32_t handoff = 0xffffffffu;  // the waiter the lock was handed to (starvation mode)
  WaitQueue waiters;
};

// All objects of a run, and the reference resolution of ops (global index or local frame slot).
struct SyncObjects {
  ObjectPool<WaitGroupState> wgs;
  ObjectPool<ChannelState> chans;
  ObjectPool<MutexState> mutexes;
  SudogPool sudogs;
  std::uint64_t parked = 0;  // goroutines parked on any of these objects

  explicit SyncObjects(const Workload& wl) : wl_(wl) {
    for (std::size_t i = 0; i < wl.waitgroups.size(); ++i) wgs.make({}, true);
    for (const GlobalChannel& c : wl.channels) chans.make({c.capacity, 0, false, {}, {}}, true);
    for (std::size_t i = 0; i < wl.mutexes.size(); ++i) mutexes.make({}, true);
  }

  // A goroutine woken by an operation: `select_case` is the case that fired when it waited in a select
  // (0xffff otherwise); its other sudogs are already gone from their queues.
  struct Wake {
    std::uint32_t g;
    std::uint16_t select_case;
  };
  enum class Result : std::uint8_t { kDone, kPark };

  // WaitGroup.Add: at zero every waiter is woken, oldest first.
  void wg_add(const Workload& wl, std::uint32_t wg, std::int64_t delta, std::vector<Wake>& woken);
  // WaitGroup.Wait: parks g unless the counter is zero.
  Result wg_wait(std::uint32_t wg, std::uint32_t g, sim::Time now);

  // Channel operations (chan.go chansend, chanrecv, closechan). `woken` receives the goroutine a send or
  // receive completes for, or every waiter a close releases (oldest first; the model readies them in the
  // order closechan does).
  Result chan_send(const Workload& wl, std::uint32_t ch, std::uint32_t g, sim::Time now, std::vector<Wake>& woken);
  Result chan_recv(std::uint32_t ch, std::uint32_t g, sim::Time now, std::vector<Wake>& woken);
  void chan_close(const Workload& wl, std::uint32_t ch, std::vector<Wake>& woken);

  // selectgo: tries the cases in `order` (a random permutation of case indices, pollorder); the first ready
  // one runs and its index is returned. Otherwise the default case's index if there is one, else a sudog
  // goes on every case's channel and kParked is returned (the goroutine parks).
  static constexpr std::uint32_t kParked = 0xffffffffu;
  std::uint32_t select(const Workload& wl, const Select& sel, const std::uint32_t* objects, const std::uint32_t* order,
                       std::uint32_t g, sim::Time now, std::vector<Wake>& woken);

  // "k on WaitGroup `w`, j on channel `c` (recv)" for deadlock reports.
  std::string describe_parked(const Workload& wl) const;

  void retain(ObjKind k, std::uint32_t id) {
    if (k == ObjKind::kWaitGroup) wgs.retain(id); else if (k == ObjKind::kChannel) chans.retain(id); else mutexes.retain(id);
  }
  void release(ObjKind k, std::uint32_t id) {
    if (k == ObjKind::kWaitGroup) wgs.release(id); else if (k == ObjKind::kChannel) chans.release(id); else mutexes.release(id);
  }

  // Parks g on queue q of object obj; returns the sudog.
  std::uint32_t park_on(WaitQueue& q, std::uint32_t obj, std::uint32_t g, sim::Time now, bool is_send = false) {
    const std::uint32_t s = sudogs.alloc(g, obj, now);
    sudogs[s].is_send = is_send ? 1 : 0;
    sudogs.push_back(q, s);
    ++parked;
    return s;
  }

 private:
  // Dequeues the first waiter of q, unhooks its select siblings, frees its sudogs.
  Wake take(WaitQueue& q);
  std::string chan_name(std::uint32_t ch) const;
  const Workload& wl_;
};

}  // namespace gmpsim::models
