// EventQueue: the out-of-line half (bucket 0's sifts, refills, the block pool, compaction). The per-event
// entry points (push, pop, cancel, next_time) are inline in the header.
#include "sim/event_queue.h"

#include <algorithm>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gmpsim::sim {

namespace detail {

namespace {
constexpr std::size_t kArity = 4;
constexpr std::size_t kCacheLine = 64;
constexpr std::size_t kPrefetchAboveBytes = std::size_t{256} << 10;
}  // namespace

// The root was handed out by take_top() and no push came to fill it: the last node fills it instead.
void EventHeap::fill_hole() {
  hole_ = false;
  const Event last = h_.back();
  h_.pop_back();
  if (!h_.empty()) sift_down(0, last);
}

// Places `e` into the hole at `i`, moving the smallest child up while it fires before `e`.
// A full group of four children is reduced pairwise with branch-free compares (which child is smallest
// is a coin toss, so a branch would mispredict often); only the last, partial group takes the loop.
// Top-down rather than Floyd's bottom-up: measured, it is as fast in a small heap and faster in a large
// one, where stopping early saves the deepest, most expensive cache misses.
void EventHeap::sift_down(std::size_t i, const Event& e) {
  Event* const h = h_.data();
  const std::size_t n = h_.size();
  // In a heap larger than L2 (many events at one instant), the next level's four candidates have sixteen
  // children, contiguous and cache-line aligned (eight lines). Fetching them now overlaps the next level's
  // misses with this level's compares. In a small heap the prefetches only cost instructions.
  const bool prefetch = n * sizeof(Event) > kPrefetchAboveBytes;
  for (;;) {
    const std::size_t c = kArity * i + 1;
    std::size_t m;
    if (c + kArity <= n) [[likely]] {
      const std::size_t grandchildren = kArity * c + 1;
      if (prefetch && grandchildren + kArity * kArity <= n) {
        const char* block = reinterpret_cast<const char*>(h + grandchildren);
        for (std::size_t line = 0; line < kArity * kArity * sizeof(Event); line += kCacheLine) {
          __builtin_prefetch(block + line);
        }
      }
      const std::size_t m01 = c + earlier(h[c + 1], h[c]);
      const std::size_t m23 = c + 2 + earlier(h[c + 3], h[c + 2]);
      m = earlier(h[m23], h[m01]) ? m23 : m01;
    } else {
      if (c >= n) break;
      m = c;
      for (std::size_t k = c + 1; k < n; ++k) m = earlier(h[k], h[m]) ? k : m;
    }
    if (!earlier(h[m], e)) break;
    h[i] = h[m];
    i = m;
  }
  h[i] = e;
}

// Places `e` into the hole at `i`, moving parents down while `e` fires before them.
void EventHeap::sift_up(std::size_t i, const Event& e) {
  Event* const h = h_.data();
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!earlier(e, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}

void EventHeap::heapify() {
  const std::size_t n = h_.size();
  if (n < 2) return;
  for (std::size_t i = (n - 2) / kArity + 1; i-- > 0;) {
    const Event e = h_[i];
    sift_down(i, e);
  }
}

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}  // namespace

// Large allocations are aligned to 2 MiB and offered to transparent huge pages: a big heap is walked at
// random and the block pool is spread over many pages, and 4 KiB pages would add a TLB miss to each touch.
void* allocate_heap_storage(std::size_t bytes, std::size_t lead) {
  const std::size_t total = bytes + lead;
  const std::size_t align = total >= kHugePage ? kHugePage : 128;
  void* p = ::operator new(total, std::align_val_t{align});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == kHugePage) madvise(p, total & ~(kHugePage - 1), MADV_HUGEPAGE);  // a hint; failure is harmless
#endif
  return p;
}

void free_heap_storage(void* p, std::size_t bytes, std::size_t lead) {
  const std::size_t total = bytes + lead;
  ::operator delete(p, std::align_val_t{total >= kHugePage ? kHugePage : 128});
}

}  // namespace detail

namespace {
// The pool grows by slabs of 512 blocks (one 2 MiB huge page) once it is past its first few.
constexpr std::size_t kSmallSlabBlocks = 16;
constexpr std::size_t kSlabBlocks = 512;
constexpr std::size_t slab_blocks(std::size_t slabs) { return slabs < 4 ? kSmallSlabBlocks : kSlabBlocks; }
}  // namespace

EventQueue::EventQueue(std::size_t radix_above) : radix_above_(radix_above), heap_below_(radix_above / 4) {}

EventQueue::~EventQueue() {
  for (std::size_t i = 0; i < slabs_.size(); ++i) {
    detail::free_heap_storage(slabs_[i], slab_blocks(i) * sizeof(detail::EventBlock), 0);
  }
}

void EventQueue::grow_pool() {
  const std::size_t blocks = slab_blocks(slabs_.size());
  auto* slab = static_cast<detail::EventBlock*>(detail::allocate_heap_storage(blocks * sizeof(detail::EventBlock), 0));
  slabs_.push_back(slab);
  pool_blocks_ += blocks;
  for (std::size_t i = blocks; i-- > 0;) {  // LIFO: hand out the slab front to back
    slab[i].next = free_blocks_;
    free_blocks_ = &slab[i];
  }
}

detail::EventBlock* EventQueue::new_block() {
  if (free_blocks_ == nullptr) grow_pool();
  detail::EventBlock* b = free_blocks_;
  free_blocks_ = b->next;
  b->next = nullptr;
  b->count = 0;
  return b;
}

// Bucket 0 is empty: take the lowest non-empty bucket (level l, digit d) apart around its minimum m. Every
// node in it agrees with last_ above level l and has digit d there, as m does, so with last_ = m each one
// lands in bucket 0 (m itself) or at a level below l; nodes in other buckets keep theirs, since m agrees
// with the old last_ above level l and their digit at level l (if that is their level) exceeds d. Blocks go
// back to the pool as soon as they are read, LIFO, so the appends reuse lines just read.
bool EventQueue::refill() {
  int w = 0;
  while (nonempty_[w] == 0) {
    if (++w == kMaskWords) return false;
  }
  if (nodes_ < heap_below_) {
    to_heap();
    return true;
  }
  const int b = w * 64 + __builtin_ctzll(nonempty_[w]);
  Bucket& bk = buckets_[b];
  detail::EventBlock* blk = bk.head;
  last_ = bk.min;
  bk = Bucket{};
  nonempty_[w] &= nonempty_[w] - 1;
  while (blk != nullptr) {
    detail::EventBlock* const next = blk->next;
    if (next != nullptr) __builtin_prefetch(next);
    for (std::uint32_t i = 0; i < blk->count; ++i) place(blk->events[i]);
    free_block(blk);
    blk = next;
  }
  return true;
}

// The heap has outgrown the cache: keep the earliest instant in it and spread the rest over the buckets.
void EventQueue::to_radix() {
  now_.settle();
  radix_ = true;
  last_ = detail::event_key(now_.top());
  now_.extract_if([this](const Event& e) { return detail::event_key(e) > last_; },
                  [this](const Event& e) { append(bucket_of(detail::event_key(e), last_), e); });
}

// Few nodes are left (called with bucket 0 empty): all go back into the heap.
void EventQueue::to_heap() {
  now_.absorb([this](auto&& add) {
    for (int b = 1; b < kBuckets; ++b) {
      detail::EventBlock* blk = buckets_[b].head;
      buckets_[b] = Bucket{};
      while (blk != nullptr) {
        detail::EventBlock* const next = blk->next;
        for (std::uint32_t i = 0; i < blk->count; ++i) add(blk->events[i]);
        free_block(blk);
        blk = next;
      }
    }
  });
  for (std::uint64_t& word : nonempty_) word = 0;
  last_ = kKeyMax;
  radix_ = false;
}

// Cancelled nodes far in the future may never reach bucket 0 (a model that re-arms a long timeout on every
// event). Once they are more than half the nodes, drop them all in O(n): at least n/2 cancels paid for it,
// so cancel stays O(1) amortised. The firing order is a total order on (time, band, seq), so this cannot
// change it.
void EventQueue::compact() {
  const auto dead = [this](const Event& e) { return is_cancelled(e); };
  std::size_t removed = 0;
  now_.extract_if(dead, [&removed](const Event&) { ++removed; });
  for (int b = 1; b < kBuckets; ++b) {
    Bucket& bk = buckets_[b];
    detail::EventBlock* blk = bk.head;
    bk = Bucket{};
    nonempty_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
    while (blk != nullptr) {
      detail::EventBlock* const next = blk->next;
      for (std::uint32_t i = 0; i < blk->count; ++i) {
        if (dead(blk->events[i])) {
          ++removed;
        } else {
          append(b, blk->events[i]);  // into blocks read before this one, or fresh ones
        }
      }
      free_block(blk);
      blk = next;
    }
  }
  nodes_ -= removed;
  cancelled_ -= removed;
}

void EventQueue::reserve(std::size_t n) {
  now_.reserve(std::min(n, radix_above_ + 1));
  slot_seq_.reserve(n);
  free_slots_.reserve(n);
  if (n <= radix_above_) return;
  // n events fill n / 127 blocks, plus one partly filled block per bucket.
  while (pool_blocks_ * detail::EventBlock::kCapacity < n + kBuckets * detail::EventBlock::kCapacity) grow_pool();
}

// Outstanding EventIds stay recognisably stale: next_seq_ keeps counting, so no later event reuses a seq.
void EventQueue::clear() {
  now_.clear();
  for (int b = 1; b < kBuckets; ++b) {
    detail::EventBlock* blk = buckets_[b].head;
    while (blk != nullptr) {
      detail::EventBlock* const next = blk->next;
      free_block(blk);
      blk = next;
    }
    buckets_[b] = Bucket{};
  }
  for (std::uint64_t& word : nonempty_) word = 0;
  last_ = kKeyMax;
  radix_ = false;
  slot_seq_.clear();
  free_slots_.clear();
  live_ = 0;
  nodes_ = 0;
  cancelled_ = 0;
}

}  // namespace gmpsim::sim
