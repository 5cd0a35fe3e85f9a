// EventQueue: the pending-event set of the engine.
//
// Order is total and documented: events fire by (time, band, seq). `band` is a small signed priority that
// models use to order same-instant events on purpose (see engine.h for the named bands); `seq` is the
// insertion sequence number, so among equal (time, band) the earlier-scheduled event fires first. Nothing
// depends on pointers or heap internals, so a run is a pure function of its inputs.
//
// Implementation: an implicit 4-ary min-heap of 32-byte nodes in one vector (no allocation per event once
// the vector has grown). Popping is deferred: pop() hands out the root and leaves a hole; if the handler
// then pushes (the common "hold" pattern: each event schedules the next), the new node fills the hole with
// one sift-down instead of a sift-down plus a sift-up.
//
// Cancellation: every pending event owns a slot in a slot table that records the sequence number of the
// event bound to it. cancel() clears the slot's binding in O(1); the node stays in the heap and is dropped
// when it reaches the top (lazy deletion). A stale EventId (fired or already cancelled) is recognised
// exactly, because its sequence number no longer matches the slot's. The slot itself is freed at once
// (free slots are reused LIFO, so they stay cache-hot). Should cancelled nodes come to outnumber live ones
// (a long timeout re-armed at every event never reaches the top), the heap is rebuilt without them,
// which keeps cancel O(1) amortised and the heap's size proportional to the live events.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace gmpsim::sim {

using Band = std::int8_t;

// Handle to a scheduled event, returned by push() and accepted by cancel().
struct EventId {
  std::uint64_t seq = 0;    // 0 = "no event"
  std::uint32_t slot = 0;
  bool valid() const { return seq != 0; }
};

// One pending event. `kind`, `arg` and `arg2` are opaque to the engine; models give them meaning.
struct Event {
  Time time = 0;
  std::uint64_t order = 0;  // (band + 128) << 56 | seq: compares as (band, seq)
  std::uint32_t kind = 0;
  std::uint32_t arg = 0;
  std::uint32_t arg2 = 0;
  std::uint32_t slot = 0;

  Band band() const { return static_cast<Band>(static_cast<int>(order >> 56) - 128); }
  std::uint64_t seq() const { return order & ((std::uint64_t{1} << 56) - 1); }
  EventId id() const { return EventId{seq(), slot}; }
};
static_assert(sizeof(Event) == 32, "the heap layout assumes 32-byte nodes: four siblings per two cache lines");

namespace detail {

// Raw storage for the heap (defined in event_queue.cpp): 128-byte aligned plus `lead` bytes, and backed by
// transparent huge pages where the system offers them, since a large heap is walked at random.
void* allocate_heap_storage(std::size_t bytes, std::size_t lead);
void free_heap_storage(void* p, std::size_t bytes, std::size_t lead);

// Allocator for the heap vector that puts element 1 on a 128-byte boundary. Then each group of four
// siblings (children 4i+1..4i+4 of a 32-byte node) fills exactly two cache lines, and the sixteen
// grandchildren of a node, which the sift-down prefetches, fill exactly eight.
template <class T>
struct SiblingAlignedAllocator {
  using value_type = T;
  static constexpr std::size_t kLead = 128 - sizeof(T);

  SiblingAlignedAllocator() = default;
  template <class U>
  SiblingAlignedAllocator(const SiblingAlignedAllocator<U>&) {}

  T* allocate(std::size_t n) {
    return reinterpret_cast<T*>(static_cast<char*>(allocate_heap_storage(n * sizeof(T), kLead)) + kLead);
  }
  void deallocate(T* p, std::size_t n) {
    free_heap_storage(reinterpret_cast<char*>(p) - kLead, n * sizeof(T), kLead);
  }
  template <class U>
  bool operator==(const SiblingAlignedAllocator<U>&) const { return true; }
};

}  // namespace detail

class EventQueue {
 public:
  // Schedules an event; `time` may be any value (the engine checks it is not in the past).
  EventId push(Time time, Band band, std::uint32_t kind, std::uint32_t arg = 0, std::uint32_t arg2 = 0);

  // Cancels a pending event. Returns false (and does nothing) if `id` already fired or was cancelled.
  bool cancel(EventId id);

  // True if `id` refers to an event that is still pending.
  bool pending(EventId id) const;

  // Removes the next live event into `out`. Returns false when no live event remains.
  bool pop(Event& out);

  // Time of the next live event, or kTimeMax when none. May drop cancelled nodes from the top.
  Time next_time();

  std::size_t size() const { return live_; }  // live (not cancelled) pending events
  bool empty() const { return live_ == 0; }
  void reserve(std::size_t n);
  void clear();

 private:
  void finish_deferred_pop();
  void sift_down(std::size_t i, const Event& e);
  void sift_up(std::size_t i, const Event& e);
  bool drop_cancelled_top();

  // True if `a` fires before `b`: (time, order) compared lexicographically as one unsigned 128-bit key
  // (time with its sign bit flipped, so signed order becomes unsigned order). GCC compiles this to
  // cmp/sbb/setb: no branch, which matters because heap comparisons are unpredictable.
  __extension__ using Key = unsigned __int128;
  static Key key(const Event& e) {
    return (static_cast<Key>(static_cast<std::uint64_t>(e.time) ^ (std::uint64_t{1} << 63)) << 64) | e.order;
  }
  static bool earlier(const Event& a, const Event& b) { return key(a) < key(b); }
  std::uint32_t take_slot();
  void release_slot(std::uint32_t slot);
  bool is_cancelled(const Event& e) const { return slot_seq_[e.slot] != e.seq(); }
  void compact();  // rebuilds the heap without cancelled nodes when they dominate it

  std::vector<Event, detail::SiblingAlignedAllocator<Event>> heap_;
  std::vector<std::uint64_t> slot_seq_;  // seq bound to each slot; 0 when free or cancelled
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_seq_ = 1;
  std::size_t live_ = 0;
  std::size_t cancelled_in_heap_ = 0;
  bool hole_at_root_ = false;  // deferred pop: heap_[0] was handed out and awaits replacement
};

// Hot paths, inline so the engine loop and a model's dispatcher compile into straight-line code.

inline std::uint32_t EventQueue::take_slot() {
  if (!free_slots_.empty()) {  // LIFO: the slot freed by the last pop is still in cache
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  const auto slot = static_cast<std::uint32_t>(slot_seq_.size());
  slot_seq_.push_back(0);
  return slot;
}

inline void EventQueue::release_slot(std::uint32_t slot) {
  slot_seq_[slot] = 0;
  free_slots_.push_back(slot);
}

inline EventId EventQueue::push(Time time, Band band, std::uint32_t kind, std::uint32_t arg, std::uint32_t arg2) {
  const std::uint64_t seq = next_seq_++;
  const std::uint32_t slot = take_slot();
  slot_seq_[slot] = seq;
  Event e;
  e.time = time;
  e.order = (static_cast<std::uint64_t>(static_cast<int>(band) + 128) << 56) | seq;
  e.kind = kind;
  e.arg = arg;
  e.arg2 = arg2;
  e.slot = slot;
  ++live_;
  if (hole_at_root_) {  // the deferred pop's hole takes the new node: one sift-down, no sift-up
    hole_at_root_ = false;
    sift_down(0, e);
  } else {
    heap_.push_back(e);
    sift_up(heap_.size() - 1, e);
  }
  // The next pop frees the root's slot; in a large queue that entry is cold, so fetch it now.
  __builtin_prefetch(&slot_seq_[heap_[0].slot], 1);
  return EventId{seq, slot};
}

inline bool EventQueue::cancel(EventId id) {
  if (!pending(id)) return false;
  // The slot is freed now; the node stays in the heap and is recognised as cancelled because the
  // slot no longer holds its seq (0, or the seq of a later event that reused the slot).
  release_slot(id.slot);
  --live_;
  ++cancelled_in_heap_;
  if (cancelled_in_heap_ > 1024 && cancelled_in_heap_ > heap_.size() / 2) compact();
  return true;
}

inline bool EventQueue::pending(EventId id) const {
  return id.seq != 0 && id.slot < slot_seq_.size() && slot_seq_[id.slot] == id.seq;
}

inline bool EventQueue::pop(Event& out) {
  if (hole_at_root_) finish_deferred_pop();
  if (cancelled_in_heap_ != 0) drop_cancelled_top();
  if (heap_.empty()) return false;
  out = heap_[0];
  hole_at_root_ = true;
  --live_;
  release_slot(out.slot);
  return true;
}

inline Time EventQueue::next_time() {
  if (hole_at_root_) finish_deferred_pop();
  if (cancelled_in_heap_ != 0) drop_cancelled_top();
  return heap_.empty() ? kTimeMax : heap_[0].time;
}

}  // namespace gmpsim::sim
