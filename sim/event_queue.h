// EventQueue: the pending-event set of the engine.
//
// Order is total and documented: events fire by (time, band, seq). `band` is a small signed priority that
// models use to order same-instant events on purpose (see engine.h for the named bands); `seq` is the
// insertion sequence number, so among equal (time, band) the earlier-scheduled event fires first. Nothing
// depends on pointers or the structure's internals, so a run is a pure function of its inputs.
//
// Implementation: while the queue is small (up to kRadixAbove nodes, about the size of L2), an implicit
// 4-ary heap. Above that, a radix heap (Ahuja, Mehlhorn, Orlin, Tarjan, "Faster algorithms for the shortest
// path problem", J. ACM 37(2), 1990) over the whole 128-bit key (time, band, seq), whose bucket 0 is that
// heap. The engine never schedules into the past, so every new key is above `last_`, the key of the last
// refill's minimum; a node goes to the bucket of the highest 4-bit digit in which its key differs from
// `last_`. Only when bucket 0 runs dry is the lowest non-empty bucket taken apart around its minimum, which
// it keeps track of, so a node moves at most once per digit and each move is a sequential copy, never a
// random walk through one big heap. Keys up to `last_` (pushed after run() stopped short of the next event,
// or by a caller of the bare queue) go to bucket 0's heap, which keeps the order total for any sequence of
// pushes. The switch between the two forms is transparent and O(n), with hysteresis (see sim/README.md).
//
// Buckets are chains of 4 KiB blocks from one pool, so the memory is the pending events plus at most one
// partly filled block per bucket, whatever the history of bucket sizes. No allocation per event once the
// pool has grown.
//
// Cancellation: every pending event owns a slot in a slot table that records the sequence number of the
// event bound to it. cancel() clears the slot's binding in O(1); the node stays where it is and is dropped
// when it reaches the top of bucket 0 (lazy deletion). A stale EventId (fired or already cancelled) is
// recognised exactly, because its sequence number no longer matches the slot's. The slot itself is freed at
// once (free slots are reused LIFO, so they stay cache-hot). Should cancelled nodes come to outnumber live
// ones (a long timeout re-armed at every event never reaches the top), all buckets are filtered, which keeps
// cancel O(1) amortised and the memory proportional to the live events.
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

// Raw storage: 128-byte aligned plus `lead` bytes, and backed by transparent huge pages where the system
// offers them, since a large heap is walked at random and the block pool is spread over many pages.
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

// (time, order) as one unsigned 128-bit key: time with its sign bit flipped, so signed order becomes
// unsigned order. GCC compiles `<` on it to cmp/sbb/setb: no branch, which matters because heap
// comparisons are coin tosses.
__extension__ using EventKey = unsigned __int128;
inline std::uint64_t time_key(Time t) { return static_cast<std::uint64_t>(t) ^ (std::uint64_t{1} << 63); }
inline EventKey event_key(const Event& e) { return (static_cast<EventKey>(time_key(e.time)) << 64) | e.order; }
inline bool earlier(const Event& a, const Event& b) { return event_key(a) < event_key(b); }

// Implicit 4-ary min-heap of events by (time, order): bucket 0 of the radix heap, and the whole queue
// while it is small. Four children of 32 bytes are two cache lines; half as deep as a binary heap.
//
// Popping is deferred: take_top() hands out the root and leaves a hole; if a push comes next (the common
// "hold" pattern: each event schedules the next), the new node fills the hole with one sift-down instead
// of a sift-down plus a sift-up. Anything else first calls settle(), which fills the hole from the last
// node.
class EventHeap {
 public:
  bool empty() const { return h_.size() == static_cast<std::size_t>(hole_); }
  std::size_t size() const { return h_.size() - hole_; }
  const Event& top() const { return h_[0]; }  // after settle()
  void settle() {
    if (hole_) fill_hole();
  }
  void take_top() { hole_ = true; }  // after settle(); top() is gone
  void push(const Event& e) {
    if (hole_) {
      hole_ = false;
      sift_down(0, e);
    } else {
      h_.push_back(e);
      sift_up(h_.size() - 1, e);
    }
  }
  void reserve(std::size_t n) { h_.reserve(n); }
  void clear() {
    h_.clear();
    hole_ = false;
  }
  // Moves out, to `out`, every node for which `leave` is true, and restores the heap in O(n).
  template <class Leave, class Out>
  void extract_if(Leave leave, Out out);
  // Adds the nodes that `source` passes to its argument, then restores the heap in O(n).
  template <class Source>
  void absorb(Source source);

 private:
  void fill_hole();
  void sift_down(std::size_t i, const Event& e);
  void sift_up(std::size_t i, const Event& e);
  void heapify();

  std::vector<Event, SiblingAlignedAllocator<Event>> h_;
  bool hole_ = false;
};

template <class Leave, class Out>
void EventHeap::extract_if(Leave leave, Out out) {
  settle();
  std::size_t kept = 0;
  for (const Event& e : h_) {
    if (leave(e)) {
      out(e);
    } else {
      h_[kept++] = e;
    }
  }
  h_.resize(kept);
  heapify();
}

template <class Source>
void EventHeap::absorb(Source source) {
  settle();
  source([this](const Event& e) { h_.push_back(e); });
  heapify();
}

// A 4 KiB block of a bucket's chain: a 32-byte header and 127 events.
struct alignas(64) EventBlock {
  static constexpr std::uint32_t kCapacity = 127;
  EventBlock* next = nullptr;
  std::uint32_t count = 0;
  Event events[kCapacity];
};
static_assert(sizeof(EventBlock) == 4096, "a block is one 4 KiB page");

}  // namespace detail

class EventQueue {
 public:
  // `radix_above`: the heap-to-radix switch point, in nodes (tests lower it to exercise both modes).
  explicit EventQueue(std::size_t radix_above = kRadixAbove);
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Schedules an event. Any time is accepted and ordered correctly; the radix buckets are used for times
  // after the last instant taken out, which is every time the engine schedules.
  EventId push(Time time, Band band, std::uint32_t kind, std::uint32_t arg = 0, std::uint32_t arg2 = 0);

  // Cancels a pending event. Returns false (and does nothing) if `id` already fired or was cancelled.
  bool cancel(EventId id);

  // True if `id` refers to an event that is still pending.
  bool pending(EventId id) const;

  // Removes the next live event into `out`. Returns false when no live event remains.
  bool pop(Event& out);

  // Time of the next live event, or kTimeMax when none. May drop cancelled nodes and refill bucket 0.
  Time next_time();

  // pop() for the engine loop: only right after next_time() found a live event, with no push or cancel
  // in between; it skips the search that next_time() has just done.
  void take_next(Event& out);

  std::size_t size() const { return live_; }  // live (not cancelled) pending events
  bool empty() const { return live_ == 0; }
  void reserve(std::size_t n);
  void clear();

  // The heap alone is faster while it fits in cache; the radix buckets take over above kRadixAbove nodes
  // and hand back below a quarter of that. The gap makes each O(n) switch paid for by as many operations.
  static constexpr std::size_t kRadixAbove = std::size_t{1} << 15;
  bool radix_mode() const { return radix_; }

 private:
  // The radix runs over the whole 128-bit key (time, band, seq), so the events of one crowded instant are
  // spread over the buckets by their order too, instead of piling up in bucket 0's heap. Buckets by digits
  // of kDigitBits bits: bucket level * kRadix + digit holds the nodes whose highest digit differing from
  // last_ is at `level`, where theirs is `digit` (greater than last_'s). A node moves at most once per
  // level, and a level spans several bits, so a far timer moves a few times, not once per bit.
  using Key = detail::EventKey;
  static constexpr Key kKeyMax = ~Key{0};
  static constexpr int kDigitBits = 4;
  static constexpr int kRadix = 1 << kDigitBits;
  static constexpr int kLevels = 128 / kDigitBits;
  static constexpr int kBuckets = kLevels * kRadix;  // index 0 is never used: bucket 0 is the heap
  static constexpr int kMaskWords = kBuckets / 64;
  static int bucket_of(Key k, Key last) {  // for k > last
    const Key x = k ^ last;
    const auto hi = static_cast<std::uint64_t>(x >> 64);
    const int bit = hi != 0 ? 127 - __builtin_clzll(hi) : 63 - __builtin_clzll(static_cast<std::uint64_t>(x));
    const int level = bit / kDigitBits;
    return level * kRadix + static_cast<int>(static_cast<std::uint64_t>(k >> (level * kDigitBits)) & (kRadix - 1));
  }

  struct Bucket {
    detail::EventBlock* head = nullptr;
    detail::EventBlock* tail = nullptr;  // appended to; full blocks are linked in front of it
    Key min = kKeyMax;                   // smallest key in the bucket, cancelled nodes included
  };

  bool settle();  // makes now_.top() the next live event; false when none is left
  bool refill();  // moves the lowest non-empty bucket down around its minimum
  void place(const Event& e);
  void append(int b, const Event& e);
  void to_radix();
  void to_heap();
  detail::EventBlock* new_block();
  void free_block(detail::EventBlock* b) {
    b->next = free_blocks_;
    free_blocks_ = b;
  }
  void grow_pool();
  std::uint32_t take_slot();
  void release_slot(std::uint32_t slot);
  bool is_cancelled(const Event& e) const { return slot_seq_[e.slot] != e.seq(); }
  void compact();  // drops cancelled nodes everywhere once they dominate

  detail::EventHeap now_;                 // bucket 0: key <= last_
  Bucket buckets_[kBuckets];
  std::uint64_t nonempty_[kMaskWords] = {};  // bit b set while bucket b holds a node
  Key last_ = kKeyMax;                    // key of the last refill's minimum; kKeyMax: all in the heap
  bool radix_ = false;
  std::size_t radix_above_;
  std::size_t heap_below_;
  detail::EventBlock* free_blocks_ = nullptr;
  std::vector<detail::EventBlock*> slabs_;  // the pool's allocations, freed with the queue
  std::size_t pool_blocks_ = 0;
  std::vector<std::uint64_t> slot_seq_;   // seq bound to each slot; 0 when free or cancelled
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_seq_ = 1;
  std::size_t live_ = 0;
  std::size_t nodes_ = 0;                 // nodes held anywhere, cancelled ones included
  std::size_t cancelled_ = 0;             // cancelled nodes not yet dropped
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

inline void EventQueue::append(int b, const Event& e) {
  Bucket& bk = buckets_[b];
  detail::EventBlock* t = bk.tail;
  if (t == nullptr || t->count == detail::EventBlock::kCapacity) [[unlikely]] {
    detail::EventBlock* fresh = new_block();
    if (t == nullptr) {
      bk.head = fresh;
      nonempty_[b / 64] |= std::uint64_t{1} << (b % 64);
    } else {
      t->next = fresh;
    }
    bk.tail = t = fresh;
  }
  t->events[t->count++] = e;
  const Key k = detail::event_key(e);
  bk.min = k < bk.min ? k : bk.min;
}

// Bucket 0 for keys up to last_; otherwise the bucket of the highest digit in which the key differs.
inline void EventQueue::place(const Event& e) {
  const Key k = detail::event_key(e);
  if (k <= last_) {
    now_.push(e);
    if (!radix_ && now_.size() > radix_above_) [[unlikely]] to_radix();
  } else {
    append(bucket_of(k, last_), e);
  }
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
  ++nodes_;
  place(e);
  return EventId{seq, slot};
}

inline bool EventQueue::cancel(EventId id) {
  if (!pending(id)) return false;
  // The slot is freed now; the node stays where it is and is recognised as cancelled because the
  // slot no longer holds its seq (0, or the seq of a later event that reused the slot).
  release_slot(id.slot);
  --live_;
  ++cancelled_;
  if (cancelled_ > 1024 && cancelled_ > nodes_ / 2) compact();
  return true;
}

inline bool EventQueue::pending(EventId id) const {
  return id.seq != 0 && id.slot < slot_seq_.size() && slot_seq_[id.slot] == id.seq;
}

inline bool EventQueue::settle() {
  for (;;) {
    now_.settle();
    if (now_.empty() && !refill()) return false;
    if (cancelled_ == 0 || !is_cancelled(now_.top())) [[likely]] return true;
    now_.take_top();
    --nodes_;
    --cancelled_;
  }
}

inline void EventQueue::take_next(Event& out) {
  out = now_.top();
  now_.take_top();
  --live_;
  --nodes_;
  release_slot(out.slot);
}

inline bool EventQueue::pop(Event& out) {
  if (!settle()) return false;
  take_next(out);
  return true;
}

inline Time EventQueue::next_time() { return settle() ? now_.top().time : kTimeMax; }

}  // namespace gmpsim::sim
