// EventQueue: the out-of-line half (sifts, deferred-pop completion, lazy deletion). The per-event entry
// points (push, pop, cancel, next_time) are inline in the header.
#include "sim/event_queue.h"

#include <algorithm>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gmpsim::sim {

namespace {
constexpr std::size_t kArity = 4;
constexpr std::size_t kCacheLine = 64;
constexpr std::size_t kPrefetchAboveBytes = std::size_t{256} << 10;
}  // namespace

// Places `e` into the hole at `i`, moving the smallest child up while it fires before `e`.
// A full group of four children is reduced pairwise with branch-free compares (which child is smallest
// is a coin toss, so a branch would mispredict often); only the last, partial group takes the loop.
// Top-down rather than Floyd's bottom-up: measured, it is as fast in a small heap and faster in a large
// one, where stopping early saves the deepest, most expensive cache misses.
void EventQueue::sift_down(std::size_t i, const Event& e) {
  Event* const h = heap_.data();
  const std::size_t n = heap_.size();
  // In a heap larger than L2, the next level's four candidates have sixteen children, contiguous and
  // cache-line aligned (eight lines). Fetching them now overlaps the next level's misses with this
  // level's compares, which is worth far more than the bandwidth spent on the three groups not taken.
  // In a small heap the prefetches only cost instructions.
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
void EventQueue::sift_up(std::size_t i, const Event& e) {
  Event* const h = heap_.data();
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!earlier(e, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}

// The root was handed out by pop() and no push came to fill it: the last node fills it instead.
void EventQueue::finish_deferred_pop() {
  hole_at_root_ = false;
  const Event last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) {
    sift_down(0, last);
    __builtin_prefetch(&slot_seq_[heap_[0].slot], 1);  // as in push: the next pop frees this slot
  }
}

// Lazy deletion: removes cancelled nodes while one is at the root. Returns true if any was removed.
bool EventQueue::drop_cancelled_top() {
  bool dropped = false;
  while (!heap_.empty() && is_cancelled(heap_[0])) {
    --cancelled_in_heap_;
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0, last);
    dropped = true;
  }
  return dropped;
}

// Cancelled nodes far in the future may never reach the top (a model that re-arms a long timeout on every
// event). Once they are more than half the heap, drop them all and rebuild bottom-up in O(n): at least
// n/2 cancels paid for it, so cancel stays O(1) amortised. The firing order is a total order on
// (time, band, seq), so rebuilding cannot change it.
void EventQueue::compact() {
  if (hole_at_root_) finish_deferred_pop();
  heap_.erase(std::remove_if(heap_.begin(), heap_.end(), [this](const Event& e) { return is_cancelled(e); }),
              heap_.end());
  cancelled_in_heap_ = 0;
  const std::size_t n = heap_.size();
  if (n < 2) return;
  for (std::size_t i = (n - 2) / kArity + 1; i-- > 0;) {
    const Event e = heap_[i];
    sift_down(i, e);
  }
}

namespace detail {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}  // namespace

// Large heaps are aligned to 2 MiB and offered to transparent huge pages: a sift-down through a heap of a
// million events touches a new page at every level, and 4 KiB pages would make each a TLB miss too.
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

void EventQueue::reserve(std::size_t n) {
  heap_.reserve(n);
  slot_seq_.reserve(n);
  free_slots_.reserve(n);
}

// Outstanding EventIds stay recognisably stale: next_seq_ keeps counting, so no later event reuses a seq.
void EventQueue::clear() {
  heap_.clear();
  slot_seq_.clear();
  free_slots_.clear();
  live_ = 0;
  cancelled_in_heap_ = 0;
  hole_at_root_ = false;
}

}  // namespace gmpsim::sim
