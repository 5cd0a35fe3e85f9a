#include "sim/engine.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <utility>
#include <vector>

namespace {

using gmpsim::sim::Engine;
using gmpsim::sim::Event;
using gmpsim::sim::EventId;
using gmpsim::sim::kBandDefault;
using gmpsim::sim::kBandFirst;
using gmpsim::sim::kBandLate;
using gmpsim::sim::kBandObserve;
using gmpsim::sim::kMicrosecond;
using gmpsim::sim::kTimeMax;
using gmpsim::sim::StopReason;
using gmpsim::sim::Time;

// Records (time, kind) of every dispatched event.
struct Recorder {
  std::vector<std::pair<Time, std::uint32_t>> seen;
  void operator()(const Event& e) { seen.emplace_back(e.time, e.kind); }
};

}  // namespace

TEST_CASE("Engine: an empty engine returns at once", "[engine]") {
  Engine engine;
  Recorder rec;
  REQUIRE(engine.run(kTimeMax, rec) == StopReason::kQueueEmpty);
  REQUIRE(engine.now() == 0);
  REQUIRE(engine.events_processed() == 0);
  REQUIRE(rec.seen.empty());
}

TEST_CASE("Engine: time advances to each event and stays at the last one", "[engine]") {
  Engine engine;
  engine.schedule_at(30, kBandDefault, 3);
  engine.schedule_at(10, kBandDefault, 1);
  engine.schedule_at(20, kBandDefault, 2);
  std::vector<Time> now_at_dispatch;
  const StopReason reason = engine.run(kTimeMax, [&](const Event& e) {
    REQUIRE(engine.now() == e.time);
    now_at_dispatch.push_back(engine.now());
  });
  REQUIRE(reason == StopReason::kQueueEmpty);
  REQUIRE(now_at_dispatch == std::vector<Time>{10, 20, 30});
  REQUIRE(engine.now() == 30);  // not kTimeMax
  REQUIRE(engine.events_processed() == 3);
  REQUIRE(engine.pending_events() == 0);
}

TEST_CASE("Engine: run(until) is inclusive and leaves later events pending", "[engine]") {
  Engine engine;
  for (Time t : {5, 10, 10, 11, 20}) engine.schedule_at(t, kBandDefault, static_cast<std::uint32_t>(t));
  Recorder rec;
  REQUIRE(engine.run(10, rec) == StopReason::kTimeReached);
  REQUIRE(rec.seen.size() == 3);  // 5, 10, 10: the bound itself is included
  REQUIRE(engine.now() == 10);
  REQUIRE(engine.pending_events() == 2);

  SECTION("a bound before the next event dispatches nothing and keeps now()") {
    REQUIRE(engine.run(10, rec) == StopReason::kTimeReached);
    REQUIRE(engine.run(10, rec) == StopReason::kTimeReached);
    REQUIRE(rec.seen.size() == 3);
    REQUIRE(engine.now() == 10);
  }

  SECTION("the run can be resumed") {
    REQUIRE(engine.run(kTimeMax, rec) == StopReason::kQueueEmpty);
    REQUIRE(rec.seen.size() == 5);
    REQUIRE(engine.now() == 20);
  }
}

TEST_CASE("Engine: same-instant events fire by band", "[engine]") {
  Engine engine;
  engine.schedule_at(100, kBandObserve, 4);
  engine.schedule_at(100, kBandLate, 3);
  engine.schedule_at(100, kBandDefault, 2);
  engine.schedule_at(100, kBandFirst, 1);
  Recorder rec;
  engine.run(kTimeMax, rec);
  REQUIRE(rec.seen == std::vector<std::pair<Time, std::uint32_t>>{{100, 1}, {100, 2}, {100, 3}, {100, 4}});
}

TEST_CASE("Engine: schedule_in is relative to now()", "[engine]") {
  Engine engine;
  engine.schedule_in(5, kBandDefault, 1);
  Recorder rec;
  int chained = 0;
  engine.run(kTimeMax, [&](const Event& e) {
    rec(e);
    if (chained < 3) {
      ++chained;
      engine.schedule_in(7, kBandDefault, e.kind + 1);
    }
  });
  REQUIRE(rec.seen == std::vector<std::pair<Time, std::uint32_t>>{{5, 1}, {12, 2}, {19, 3}, {26, 4}});
  REQUIRE(engine.now() == 26);
}

TEST_CASE("Engine: a zero delay fires after the current event, at the same instant", "[engine]") {
  Engine engine;
  engine.schedule_at(10, kBandDefault, 1);
  engine.schedule_at(10, kBandDefault, 2);
  Recorder rec;
  engine.run(kTimeMax, [&](const Event& e) {
    rec(e);
    if (e.kind == 1) engine.schedule_in(0, kBandDefault, 3);  // same band, later seq: after kind 2
  });
  REQUIRE(rec.seen == std::vector<std::pair<Time, std::uint32_t>>{{10, 1}, {10, 2}, {10, 3}});
}

TEST_CASE("Engine: stop() returns after the current event", "[engine]") {
  Engine engine;
  for (std::uint32_t k = 1; k <= 5; ++k) engine.schedule_at(k * 10, kBandDefault, k);
  Recorder rec;
  auto stop_at_two = [&](const Event& e) {
    rec(e);
    if (e.kind == 2) engine.stop();
  };
  REQUIRE(engine.run(kTimeMax, stop_at_two) == StopReason::kStopped);
  REQUIRE(rec.seen.size() == 2);
  REQUIRE(engine.now() == 20);
  REQUIRE(engine.pending_events() == 3);
  // The stop request does not outlive the run that saw it.
  REQUIRE(engine.run(kTimeMax, rec) == StopReason::kQueueEmpty);
  REQUIRE(rec.seen.size() == 5);
}

TEST_CASE("Engine: max_events limits one run", "[engine]") {
  Engine engine;
  for (std::uint32_t k = 1; k <= 5; ++k) engine.schedule_at(k, kBandDefault, k);
  Recorder rec;
  REQUIRE(engine.run(kTimeMax, rec, 2) == StopReason::kEventLimit);
  REQUIRE(rec.seen.size() == 2);
  REQUIRE(engine.now() == 2);
  REQUIRE(engine.run(kTimeMax, rec, 0) == StopReason::kEventLimit);
  REQUIRE(rec.seen.size() == 2);
  REQUIRE(engine.run(kTimeMax, rec, 3) == StopReason::kEventLimit);  // the budget is spent exactly
  REQUIRE(engine.run(kTimeMax, rec, 3) == StopReason::kQueueEmpty);
  REQUIRE(rec.seen.size() == 5);
  REQUIRE(engine.events_processed() == 5);
}

TEST_CASE("Engine: cancelled events are not dispatched", "[engine]") {
  Engine engine;
  const EventId a = engine.schedule_at(10, kBandDefault, 1);
  const EventId b = engine.schedule_at(20, kBandDefault, 2);
  engine.schedule_at(30, kBandDefault, 3);
  REQUIRE(engine.cancel(a));
  REQUIRE_FALSE(engine.pending(a));
  Recorder rec;
  engine.run(kTimeMax, [&](const Event& e) {
    rec(e);
    if (e.kind == 2) REQUIRE_FALSE(engine.cancel(b));  // the event being dispatched has already fired
  });
  REQUIRE(rec.seen == std::vector<std::pair<Time, std::uint32_t>>{{20, 2}, {30, 3}});
  REQUIRE(engine.events_processed() == 2);
}

TEST_CASE("Engine: a run whose only remaining events are cancelled ends as empty", "[engine]") {
  Engine engine;
  const EventId a = engine.schedule_at(10, kBandDefault, 1);
  engine.cancel(a);
  Recorder rec;
  REQUIRE(engine.run(5, rec) == StopReason::kQueueEmpty);
  REQUIRE(engine.now() == 0);
}

namespace {

// A small self-scheduling workload: each event schedules the next after a delay drawn from `step`.
std::uint64_t fingerprint_of(std::uint64_t seed, Time step) {
  Engine engine;
  engine.enable_fingerprint(true);
  for (std::uint32_t k = 0; k < 4; ++k) engine.schedule_at(k, kBandDefault, k, static_cast<std::uint32_t>(seed));
  engine.run(10 * kMicrosecond, [&](const Event& e) {
    engine.schedule_in(step + e.kind, kBandDefault, (e.kind + 1) % 4, e.arg, e.arg2 + 1);
  });
  return engine.fingerprint();
}

}  // namespace

TEST_CASE("Engine: event-stream fingerprint", "[engine]") {
  REQUIRE(fingerprint_of(1, 100) == fingerprint_of(1, 100));
  REQUIRE(fingerprint_of(1, 100) != fingerprint_of(2, 100));  // a different argument
  REQUIRE(fingerprint_of(1, 100) != fingerprint_of(1, 101));  // different times

  SECTION("disabled: the fingerprint does not move") {
    Engine engine;
    const std::uint64_t initial = engine.fingerprint();
    engine.schedule_at(1, kBandDefault, 1);
    engine.run(kTimeMax, [](const Event&) {});
    REQUIRE(engine.fingerprint() == initial);
  }

  SECTION("order matters") {
    Engine first, second;
    first.enable_fingerprint(true);
    second.enable_fingerprint(true);
    first.schedule_at(1, kBandDefault, 1);
    first.schedule_at(2, kBandDefault, 2);
    second.schedule_at(1, kBandDefault, 2);
    second.schedule_at(2, kBandDefault, 1);
    first.run(kTimeMax, [](const Event&) {});
    second.run(kTimeMax, [](const Event&) {});
    REQUIRE(first.fingerprint() != second.fingerprint());
  }
}
