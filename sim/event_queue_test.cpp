#include "sim/event_queue.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "sim/rng.h"

namespace {

using gmpsim::sim::Band;
using gmpsim::sim::Event;
using gmpsim::sim::EventId;
using gmpsim::sim::EventQueue;
using gmpsim::sim::kTimeMax;
using gmpsim::sim::Rng;
using gmpsim::sim::Time;

// Pops everything, returning the `kind` of each event in firing order.
std::vector<std::uint32_t> drain_kinds(EventQueue& q) {
  std::vector<std::uint32_t> kinds;
  Event e;
  while (q.pop(e)) kinds.push_back(e.kind);
  return kinds;
}

}  // namespace

TEST_CASE("EventQueue: empty queue", "[event_queue]") {
  EventQueue q;
  Event e;
  REQUIRE(q.empty());
  REQUIRE(q.size() == 0);
  REQUIRE(q.next_time() == kTimeMax);
  REQUIRE_FALSE(q.pop(e));
  REQUIRE_FALSE(q.cancel(EventId{}));
  REQUIRE_FALSE(q.pending(EventId{}));
  REQUIRE_FALSE(q.pending(EventId{12345, 7}));  // a slot that was never allocated
}

TEST_CASE("EventQueue: orders by time, then band, then insertion", "[event_queue]") {
  EventQueue q;

  SECTION("distinct times fire in time order whatever the insertion order") {
    q.push(30, 0, 3);
    q.push(10, 0, 1);
    q.push(20, 0, 2);
    q.push(-5, 0, 0);  // negative times are ordinary values to the queue
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{0, 1, 2, 3});
  }

  SECTION("same time, different bands: lower band first, regardless of insertion order") {
    q.push(100, 64, 3);
    q.push(100, 0, 2);
    q.push(100, 120, 4);
    q.push(100, -64, 1);
    q.push(100, -128, 0);
    q.push(100, 127, 5);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5});
  }

  SECTION("same time and band: insertion order") {
    for (std::uint32_t k = 0; k < 100; ++k) q.push(7, 0, k);
    const auto kinds = drain_kinds(q);
    REQUIRE(kinds.size() == 100);
    for (std::uint32_t k = 0; k < 100; ++k) REQUIRE(kinds[k] == k);
  }

  SECTION("time dominates band") {
    q.push(2, -128, 1);
    q.push(1, 127, 0);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{0, 1});
  }

  SECTION("extreme times") {
    q.push(kTimeMax, 0, 2);
    q.push(INT64_MIN, 0, 0);
    q.push(0, 0, 1);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{0, 1, 2});
  }
}

TEST_CASE("EventQueue: radix mode orders extreme and past times", "[event_queue]") {
  EventQueue q(0);  // radix mode from the first push
  q.push(kTimeMax, 0, 6);
  q.push(0, 0, 3);
  q.push(INT64_MIN, 0, 0);
  q.push(-1, 0, 2);
  q.push(1, 0, 4);
  q.push(INT64_MIN + 1, 0, 1);
  q.push(kTimeMax - 1, 0, 5);
  Event e;
  REQUIRE(q.pop(e));
  REQUIRE(e.kind == 0);
  REQUIRE(q.radix_mode());
  q.push(INT64_MIN, 0, 7);       // earlier than anything popped: still fires next
  q.push(kTimeMax, -128, 8);     // same time as kind 6, lower band: before it
  REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{7, 1, 2, 3, 4, 5, 8, 6});
}

TEST_CASE("EventQueue: pop returns the event's fields and id", "[event_queue]") {
  EventQueue q;
  const EventId id = q.push(42, -3, 7, 8, 9);
  REQUIRE(id.valid());
  Event e;
  REQUIRE(q.pop(e));
  REQUIRE(e.time == 42);
  REQUIRE(e.band() == -3);
  REQUIRE(e.kind == 7);
  REQUIRE(e.arg == 8);
  REQUIRE(e.arg2 == 9);
  REQUIRE(e.seq() == id.seq);
  REQUIRE(e.id().seq == id.seq);
  REQUIRE(e.id().slot == id.slot);
}

TEST_CASE("EventQueue: cancellation", "[event_queue]") {
  EventQueue q;
  const EventId a = q.push(10, 0, 1);
  const EventId b = q.push(20, 0, 2);
  const EventId c = q.push(30, 0, 3);
  REQUIRE(q.size() == 3);
  REQUIRE(q.pending(b));

  SECTION("cancelling a pending event: true, and it never fires") {
    REQUIRE(q.cancel(b));
    REQUIRE_FALSE(q.pending(b));
    REQUIRE(q.size() == 2);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{1, 3});
  }

  SECTION("cancelling twice: the second is false") {
    REQUIRE(q.cancel(b));
    REQUIRE_FALSE(q.cancel(b));
    REQUIRE(q.size() == 2);
  }

  SECTION("cancelling a fired event: false") {
    Event e;
    REQUIRE(q.pop(e));
    REQUIRE(e.kind == 1);
    REQUIRE_FALSE(q.pending(a));
    REQUIRE_FALSE(q.cancel(a));
    REQUIRE(q.size() == 2);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{2, 3});
  }

  SECTION("cancelling the earliest event: next_time skips it") {
    REQUIRE(q.cancel(a));
    REQUIRE(q.next_time() == 20);
    REQUIRE(q.size() == 2);
  }

  SECTION("cancelling everything empties the queue") {
    REQUIRE(q.cancel(c));
    REQUIRE(q.cancel(a));
    REQUIRE(q.cancel(b));
    REQUIRE(q.empty());
    REQUIRE(q.next_time() == kTimeMax);
    Event e;
    REQUIRE_FALSE(q.pop(e));
  }

  SECTION("a stale id stays stale after its slot is reused") {
    REQUIRE(q.cancel(b));
    const EventId d = q.push(25, 0, 4);
    REQUIRE(d.slot == b.slot);  // free slots are reused LIFO
    REQUIRE(d.seq != b.seq);
    REQUIRE_FALSE(q.pending(b));
    REQUIRE_FALSE(q.cancel(b));  // must not cancel d
    REQUIRE(q.pending(d));
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{1, 4, 3});
  }

  SECTION("a fired event's id stays stale after its slot is reused") {
    Event e;
    REQUIRE(q.pop(e));
    const EventId d = q.push(15, 0, 4);
    REQUIRE(d.slot == a.slot);
    REQUIRE_FALSE(q.cancel(a));
    REQUIRE(q.pending(d));
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{4, 2, 3});
  }
}

TEST_CASE("EventQueue: deferred pop", "[event_queue]") {
  EventQueue q;
  q.push(10, 0, 1);
  const EventId second = q.push(20, 0, 2);
  q.push(30, 0, 3);
  Event e;
  REQUIRE(q.pop(e));
  REQUIRE(e.kind == 1);
  REQUIRE(q.size() == 2);

  SECTION("pop then push: the new event takes its place in order") {
    q.push(25, 0, 4);
    REQUIRE(q.size() == 3);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{2, 4, 3});
  }

  SECTION("pop then push an event that becomes the new root") {
    q.push(15, 0, 4);
    REQUIRE(q.next_time() == 15);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{4, 2, 3});
  }

  SECTION("pop then pop") {
    REQUIRE(q.pop(e));
    REQUIRE(e.kind == 2);
    REQUIRE(q.pop(e));
    REQUIRE(e.kind == 3);
    REQUIRE_FALSE(q.pop(e));
    REQUIRE(q.empty());
  }

  SECTION("pop then cancel the next event") {
    REQUIRE(q.pending(second));
    REQUIRE(q.cancel(second));
    REQUIRE(q.size() == 1);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{3});
  }

  SECTION("pop then cancel the popped event: false") {
    REQUIRE_FALSE(q.cancel(e.id()));
    REQUIRE(q.size() == 2);
  }

  SECTION("next_time after a deferred pop") {
    REQUIRE(q.next_time() == 20);
    REQUIRE(q.next_time() == 20);  // idempotent
    q.push(5, 0, 4);               // pushing after next_time (no hole left) still orders correctly
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{4, 2, 3});
  }

  SECTION("popping the last event, then pushing into the empty queue") {
    REQUIRE(q.pop(e));
    REQUIRE(q.pop(e));
    REQUIRE(q.empty());
    q.push(40, 0, 5);
    REQUIRE(q.size() == 1);
    REQUIRE(q.next_time() == 40);
    REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{5});
  }
}

TEST_CASE("EventQueue: size counts only live events", "[event_queue]") {
  EventQueue q;
  std::vector<EventId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(q.push(100 - i, 0, static_cast<std::uint32_t>(i)));
  REQUIRE(q.size() == 10);
  for (int i = 0; i < 10; i += 2) REQUIRE(q.cancel(ids[i]));
  REQUIRE(q.size() == 5);
  REQUIRE_FALSE(q.empty());
  Event e;
  REQUIRE(q.pop(e));
  REQUIRE(q.size() == 4);
  REQUIRE(drain_kinds(q).size() == 4);
  REQUIRE(q.size() == 0);
  REQUIRE(q.empty());
}

TEST_CASE("EventQueue: clear makes every outstanding id stale", "[event_queue]") {
  EventQueue q;
  const EventId a = q.push(1, 0, 1);
  q.push(2, 0, 2);
  Event e;
  REQUIRE(q.pop(e));  // leave a deferred-pop hole behind
  const EventId b = q.push(3, 0, 3);
  q.clear();
  REQUIRE(q.empty());
  REQUIRE(q.next_time() == kTimeMax);
  REQUIRE_FALSE(q.pending(a));
  REQUIRE_FALSE(q.pending(b));
  const EventId c = q.push(5, 0, 4);
  REQUIRE_FALSE(q.cancel(b));  // same slot as c perhaps, but an older seq
  REQUIRE(q.pending(c));
  REQUIRE(drain_kinds(q) == std::vector<std::uint32_t>{4});
}

TEST_CASE("EventQueue: many cancelled far-future events are compacted away", "[event_queue]") {
  // A model that re-arms a long timeout on every event leaves cancelled nodes that never reach the top.
  EventQueue q;
  q.reserve(64);
  EventId timeout = q.push(1'000'000, 0, 99);
  Time now = 0;
  for (std::uint32_t i = 0; i < 20'000; ++i) {
    q.push(now + 1, 0, i);
    REQUIRE(q.cancel(timeout));
    timeout = q.push(now + 1'000'000, 0, 99);
    Event e;
    REQUIRE(q.pop(e));
    REQUIRE(e.kind == i);
    now = e.time;
  }
  REQUIRE(q.size() == 1);
  REQUIRE(q.pending(timeout));
  Event e;
  REQUIRE(q.pop(e));
  REQUIRE(e.kind == 99);
  REQUIRE(e.time == now + 999'999);
  REQUIRE_FALSE(q.pop(e));
}

namespace {

// Reference model: the set of live events keyed by (time, band, seq), which is the documented total order.
using RefKey = std::tuple<Time, int, std::uint64_t>;

struct RefEvent {
  EventId id;
  RefKey key;
};

// Random push / pop / cancel / next_time against the reference, with weights push_weight : 2 :
// cancel_weight : 1. A small `time_span` forces many ties; heavy cancelling exercises compaction.
// `radix_above` is the queue's heap-to-radix switch point: 0 keeps it in radix mode from the first push,
// a small value makes it switch back and forth.
void run_random_ops(std::uint64_t seed, int ops, Time time_span, std::uint64_t push_weight,
                    std::uint64_t cancel_weight = 1, std::size_t radix_above = EventQueue::kRadixAbove) {
  Rng rng(seed);
  EventQueue q(radix_above);
  std::set<RefKey> ref;
  std::vector<RefEvent> issued;  // every id ever issued, live or not, to cancel at random
  Time now = 0;
  for (int step = 0; step < ops; ++step) {
    const std::uint64_t op = rng.below(push_weight + cancel_weight + 3);
    if (op < push_weight) {
      const Time t = now + static_cast<Time>(rng.below(static_cast<std::uint64_t>(time_span)));
      const auto band = static_cast<Band>(static_cast<int>(rng.below(5)) * 32 - 64);
      const EventId id = q.push(t, band, static_cast<std::uint32_t>(issued.size()));
      const RefKey key{t, band, id.seq};
      ref.insert(key);
      issued.push_back(RefEvent{id, key});
    } else if (op < push_weight + 2) {
      Event e;
      const bool got = q.pop(e);
      REQUIRE(got == !ref.empty());
      if (!got) continue;
      const RefKey want = *ref.begin();
      ref.erase(ref.begin());
      REQUIRE(RefKey{e.time, e.band(), e.seq()} == want);
      REQUIRE(issued[e.kind].id.seq == e.seq());  // the payload travelled with its key
      REQUIRE(e.time >= now);
      now = e.time;
    } else if (op < push_weight + 2 + cancel_weight) {
      if (issued.empty()) continue;
      const RefEvent& victim = issued[rng.below(issued.size())];
      const bool live = ref.count(victim.key) == 1;
      REQUIRE(q.pending(victim.id) == live);
      REQUIRE(q.cancel(victim.id) == live);
      ref.erase(victim.key);
      REQUIRE_FALSE(q.pending(victim.id));
    } else {
      REQUIRE(q.next_time() == (ref.empty() ? kTimeMax : std::get<0>(*ref.begin())));
    }
    REQUIRE(q.size() == ref.size());
    REQUIRE(q.empty() == ref.empty());
  }
  // Drain: the rest comes out in reference order.
  Event e;
  while (q.pop(e)) {
    REQUIRE_FALSE(ref.empty());
    REQUIRE(RefKey{e.time, e.band(), e.seq()} == *ref.begin());
    ref.erase(ref.begin());
  }
  REQUIRE(ref.empty());
}

}  // namespace

TEST_CASE("EventQueue: random operations match a reference model", "[event_queue]") {
  SECTION("growing queue, wide times") { run_random_ops(1, 20'000, 1'000'000, 6); }
  SECTION("steady queue, many ties") { run_random_ops(2, 20'000, 4, 3); }
  SECTION("often empty queue") { run_random_ops(3, 20'000, 100, 2); }
  SECTION("large queue, heavy cancellation (compaction)") { run_random_ops(4, 40'000, 1'000'000, 12, 8); }
}

TEST_CASE("EventQueue: random operations in radix mode match a reference model", "[event_queue]") {
  SECTION("growing queue, wide times") { run_random_ops(21, 20'000, 1'000'000, 6, 1, 0); }
  SECTION("growing queue, times 2^50 ns apart") { run_random_ops(22, 20'000, Time{1} << 50, 6, 1, 0); }
  SECTION("steady queue, many ties") { run_random_ops(23, 20'000, 4, 3, 1, 0); }
  SECTION("often empty queue") { run_random_ops(24, 20'000, 100, 2, 1, 0); }
  SECTION("heavy cancellation (compaction)") { run_random_ops(25, 40'000, 1'000'000, 12, 8, 0); }
  SECTION("growing past the switch point") {
    run_random_ops(26, 40'000, 10'000, 3, 1, 64);
    run_random_ops(27, 40'000, 1 << 20, 4, 2, 16);
  }
  SECTION("hovering around the switch point, so it switches both ways often") {
    run_random_ops(28, 40'000, 1000, 2, 1, 8);
    run_random_ops(29, 40'000, 3, 2, 0, 8);
  }
}

TEST_CASE("EventQueue: switches to radix mode when large and back when small, keeping the order",
          "[event_queue]") {
  EventQueue q(16);  // radix above 16 nodes, heap again below 4
  Rng rng(5);
  for (std::uint32_t i = 0; i < 100; ++i) q.push(static_cast<Time>(rng.below(50)), 0, i);
  REQUIRE(q.radix_mode());
  Event e;
  Time last = -1;
  std::uint64_t last_seq = 0;
  bool back_to_heap = false;
  while (q.pop(e)) {
    REQUIRE((e.time > last || (e.time == last && e.seq() > last_seq)));
    last = e.time;
    last_seq = e.seq();
    back_to_heap = back_to_heap || !q.radix_mode();
  }
  REQUIRE(back_to_heap);
}

TEST_CASE("EventQueue: random operations match a reference model, long", "[event_queue][long]") {
  for (std::uint64_t seed = 10; seed < 20; ++seed) {
    run_random_ops(seed, 200'000, static_cast<Time>(1) << (seed % 20), 2 + seed % 5, 1 + seed % 4);
    run_random_ops(seed, 200'000, static_cast<Time>(1) << (2 * seed % 40), 2 + seed % 5, 1 + seed % 4, seed % 3 * 100);
  }
}
