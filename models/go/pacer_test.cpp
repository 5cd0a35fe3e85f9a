// The pacer's and the CPU limiter's arithmetic against mgcpacer.go and mgclimit.go (go1.26.8, go1.19.8), and
// gctrace's line against lines the real runtimes printed.
#include <catch2/catch.hpp>
#include <regex>

#include "models/go/gorun.h"
#include "models/go/pacer.h"

using namespace gmpsim::models::go;

namespace {
constexpr std::int64_t MiB = 1 << 20;
}

TEST_CASE("pacer: heap goal = marked + (marked + stacks + globals) x GOGC/100, at least 4 MiB x GOGC/100", "[go][gc][pacer]") {
  for (int gogc : {50, 100, 200}) {
    PacerConfig c;
    c.gogc = gogc;
    GcPacer p(c);
    p.set_marked(100 * MiB, 100 * MiB, 10 * MiB, 2 * MiB);
    p.commit();
    CHECK(p.gc_percent_goal() == 100 * MiB + 112 * MiB * gogc / 100);
    CHECK(p.trigger(0).goal == p.gc_percent_goal());
  }
  PacerConfig c;
  c.gogc = 50;
  GcPacer small(c);
  small.set_marked(1 * MiB, 1 * MiB, 0, 0);
  small.commit();
  CHECK(small.gc_percent_goal() == 2 * MiB);  // heapMinimum = 4 MiB * 50 / 100
  c.gogc = -1;
  GcPacer off(c);
  off.set_marked(50 * MiB, 50 * MiB, 0, 0);
  off.commit();
  CHECK(off.trigger(0).trigger == kNoLimit);  // GOGC=off and no limit: the heap never triggers
}

TEST_CASE("pacer: the trigger stays between 45/64 and 61/64 of the runway (or goal - 4 MiB)", "[go][gc][pacer]") {
  GcPacer p(PacerConfig{});
  p.set_marked(100 * MiB, 100 * MiB, 0, 0);
  p.commit();  // cons/mark 0: no runway, so the trigger is the highest allowed
  const auto tg = p.trigger(0);
  CHECK(tg.goal == 200 * MiB);
  CHECK(tg.trigger == std::max(100 * MiB / 64 * 61 + 100 * MiB, 200 * MiB - 4 * MiB));
  // A large cons/mark: the runway passes the goal and the trigger falls to the lower bound.
  p.start_cycle(150 * MiB);
  p.end_cycle({200 * MiB, 1 * MiB, 0.25, 0});
  p.commit();
  CHECK(p.runway() > 200 * MiB);
  CHECK(p.trigger(0).trigger == 100 * MiB / 64 * 45 + 100 * MiB);
}

TEST_CASE("pacer: GOMEMLIMIT lowers the goal to the limit minus non-heap memory and headroom, per version", "[go][gc][pacer]") {
  PacerConfig c;
  c.memory_limit = 100 * MiB;
  GcPacer p(c);
  p.set_marked(50 * MiB, 50 * MiB, 0, 0);
  p.commit();
  // go1.21+: 3 % headroom (at least 1 MiB).
  const std::int64_t room = 90 * MiB;
  CHECK(p.trigger(10 * MiB).goal == room - room / 100 * 3);
  c.headroom_percent = 0;  // go1.19: a fixed 1 MiB
  GcPacer old(c);
  old.set_marked(50 * MiB, 50 * MiB, 0, 0);
  old.commit();
  CHECK(old.trigger(10 * MiB).goal == room - MiB);
  // GOGC=off with a limit: only the limit sets the goal; never below the marked heap.
  c.gogc = -1;
  GcPacer off(c);
  off.set_marked(95 * MiB, 95 * MiB, 0, 0);
  off.commit();
  CHECK(off.trigger(10 * MiB).goal == 95 * MiB);
}

TEST_CASE("pacer: dedicated mark workers and the fractional goal for GOMAXPROCS 1-16 as startCycle rounds", "[go][gc][pacer]") {
  const int dedicated[] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4};
  for (int procs = 1; procs <= 16; ++procs) {
    const MarkWorkers w = mark_workers(procs);
    INFO("GOMAXPROCS " << procs);
    CHECK(w.dedicated == dedicated[procs - 1]);
    // Together they aim at 25 % of the Ps.
    CHECK(w.dedicated + w.fractional_goal * procs == Approx(0.25 * procs).margin(1e-12).epsilon(0.3));
  }
  CHECK(mark_workers(1).fractional_goal == Approx(0.25));
  CHECK(mark_workers(2).fractional_goal == Approx(0.25));
  CHECK(mark_workers(6).fractional_goal == Approx(0.5 / 6));
  CHECK(mark_workers(8).fractional_goal == 0);
}

TEST_CASE("pacer: cons/mark is the max of the last five cycles (go1.21+), PI-smoothed in go1.19", "[go][gc][pacer]") {
  GcPacer now(PacerConfig{});
  PacerConfig c19;
  c19.pi_controller = true;
  GcPacer old(c19);
  auto cycle = [](GcPacer& p, std::int64_t grown) {
    p.start_cycle(100 * MiB);
    p.end_cycle({100 * MiB + grown, 10 * MiB, 0.25, 0});
  };
  cycle(now, 30 * MiB);
  cycle(old, 30 * MiB);
  const double high = now.cons_mark();
  CHECK(high == Approx(30.0 * 0.25 / (10 * 0.75)));
  CHECK(old.cons_mark() < high);  // the PI controller moves part of the way
  for (int i = 0; i < 4; ++i) cycle(now, 3 * MiB);
  CHECK(now.cons_mark() == Approx(high));  // remembered for four more cycles
  cycle(now, 3 * MiB);
  CHECK(now.cons_mark() == Approx(3.0 * 0.25 / (10 * 0.75)));
}

TEST_CASE("pacer: assist work per byte is the scan work left over the heap left before the goal", "[go][gc][pacer]") {
  GcPacer p(PacerConfig{});
  p.set_marked(100 * MiB, 80 * MiB, 10 * MiB, 10 * MiB);
  p.commit();
  p.start_cycle(180 * MiB);
  const std::int64_t goal = p.trigger(0).goal;
  CHECK(p.assist_work_per_byte(180 * MiB, 20 * MiB, 100 * MiB, 0) == Approx(80.0 * MiB / static_cast<double>(goal - 180 * MiB)));
  // Past the goal: aim 10 % over it with all the work.
  CHECK(p.assist_work_per_byte(goal + MiB, 0, 100 * MiB, 0) > 0);
}

TEST_CASE("limiter: fills with GC time, drains with mutator time, limits when full", "[go][gc][pacer]") {
  GcCpuLimiter l;
  l.reset_capacity(2);
  CHECK(l.capacity() == 2'000'000'000);
  // Windows of 100 ms x 2 Ps with the GC on and assists taking 60 %: GC 85 % against mutator 15 %.
  for (int i = 0; i < 20 && !l.limiting(); ++i) l.update(200'000'000, 120'000'000, 0, true);
  CHECK(l.limiting());
  CHECK(l.enabled_count() == 1);
  // GC off and all mutator: drains, and limiting stops.
  l.update(200'000'000, 0, 0, false);
  CHECK_FALSE(l.limiting());
  CHECK(l.fill() == 2'000'000'000 - 200'000'000);
  // Idle time counts for neither side.
  const std::int64_t before = l.fill();
  l.update(200'000'000, 0, 200'000'000, false);
  CHECK(l.fill() == before);
}

TEST_CASE("gctrace: the line is the runtime's, field for field", "[go][gc][gctrace]") {
  // Printed by go1.26.8 (GODEBUG=gctrace=1) on the project's VM: the same numbers give the same text.
  const gmpsim::sim::Time clock[3] = {45'000, 400'000, 87'000};
  const gmpsim::sim::Time cpu[5] = {91'000, 35'000, 100'000, 0, 170'000};
  const std::int64_t heap[3] = {3 * MiB + 5, 3 * MiB + 900'000, 1 * MiB + 7};
  CHECK(gctrace_format(22, 39'123'456, 9, clock, cpu, heap, 4 * MiB, 0, 0, 2, false) ==
        "gc 22 @0.039s 9%: 0.045+0.40+0.087 ms clock, 0.091+0.035/0.10/0+0.17 ms cpu, 3->3->1 MB, 4 MB goal, 0 MB stacks, "
        "0 MB globals, 2 P\n");
  // Whole milliseconds from 10 ms; "(forced)" for runtime.GC.
  const gmpsim::sim::Time clock2[3] = {13'000, 75'432'100, 30'000};
  const gmpsim::sim::Time cpu2[5] = {27'000, 0, 3'000, 149'000'000, 60'000};
  const std::int64_t heap2[3] = {0, 0, 0};
  CHECK(gctrace_format(3, 258'000'000, 0, clock2, cpu2, heap2, 48 * MiB, 48 * MiB, 0, 2, true) ==
        "gc 3 @0.258s 0%: 0.013+75+0.030 ms clock, 0.027+0/0.003/149+0.060 ms cpu, 0->0->0 MB, 48 MB goal, 48 MB stacks, "
        "0 MB globals, 2 P (forced)\n");
  // The layout of lines go1.19.8 and go1.26.8 printed (their numbers differ from run to run).
  const std::regex layout(
      R"(gc \d+ @\d+\.\d{3}s \d+%: [\d.]+\+[\d.]+\+[\d.]+ ms clock, [\d.]+\+[\d.]+/[\d.]+/[\d.]+\+[\d.]+ ms cpu, \d+->\d+->\d+ MB, \d+ MB goal, \d+ MB stacks, \d+ MB globals, \d+ P( \(forced\))?)");
  for (const char* real : {
           "gc 23 @0.040s 9%: 0.047+0.32+0.003 ms clock, 0.094+0.026/0.10/0+0.007 ms cpu, 3->3->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P",
           "gc 24 @0.041s 9%: 0.15+0.17+0.002 ms clock, 0.30+0/0.14/0.005+0.004 ms cpu, 1->1->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)",
           "gc 20 @0.023s 9%: 0.009+0.28+0.001 ms clock, 0.018+0.081/0.009/0+0.002 ms cpu, 3->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P",
       }) {
    CHECK(std::regex_match(real, layout));
  }
  std::string ours = gctrace_format(3, 258'000'000, 0, clock2, cpu2, heap2, 48 * MiB, 48 * MiB, 0, 2, true);
  ours.pop_back();  // the newline
  CHECK(std::regex_match(ours, layout));
}
