// Properties of the run queues, in the style of the runtime's own RunSchedLocalQueueTest and
// RunSchedLocalQueueStealTest (proc_test.go / export_test.go): every G is seen exactly once, a thief takes
// ceil(n/2), a full ring sends 129 to the global queue, runnext displaces to the tail.
#include <catch2/catch.hpp>
#include <set>

#include "models/go/runq.h"
#include "sim/rng.h"

using namespace gmpsim::models::go;

TEST_CASE("runqput/runqget: FIFO ring, runnext first with inherited time slice", "[go][runq]") {
  LocalRunq p;
  GlobalRunq global;
  for (std::uint32_t g = 0; g < 10; ++g) CHECK(runqput(p, global, g, false) == 0);
  CHECK(runqput(p, global, 100, true) == 0);
  CHECK(runqput(p, global, 101, true) == 0);  // displaces 100 to the tail
  CHECK(p.runnext == 101);
  CHECK(p.size() == 11);
  RunqGet r = runqget(p);
  CHECK(r.g == 101);
  CHECK(r.inherit_time);
  for (std::uint32_t g = 0; g < 10; ++g) {
    r = runqget(p);
    CHECK(r.g == g);
    CHECK_FALSE(r.inherit_time);
  }
  CHECK(runqget(p).g == 100);
  CHECK(runqget(p).g == kNoG);
  CHECK(p.empty());
}

TEST_CASE("runqput: a full ring moves its oldest half plus the newcomer (129) to the global queue", "[go][runq]") {
  LocalRunq p;
  GlobalRunq global;
  for (std::uint32_t g = 0; g < 256; ++g) REQUIRE(runqput(p, global, g, false) == 0);
  CHECK(p.full());
  CHECK(runqput(p, global, 256, false) == 129);
  REQUIRE(global.size() == 129);
  for (std::uint32_t i = 0; i < 128; ++i) CHECK(global.at(i) == i);  // the oldest, in order
  CHECK(global.at(128) == 256);
  CHECK(p.size() == 128);
  CHECK(runqget(p).g == 128);
  // With next, the displaced runnext is the one that overflows.
  LocalRunq q;
  GlobalRunq g2;
  for (std::uint32_t g = 0; g < 256; ++g) runqput(q, g2, g, false);
  runqput(q, g2, 1000, true);
  CHECK(runqput(q, g2, 1001, true) == 129);
  CHECK(g2.at(128) == 1000);
  CHECK(q.runnext == 1001);
}

TEST_CASE("runqsteal takes ceil(n/2) from the head and leaves runnext alone", "[go][runq]") {
  for (std::uint32_t n = 0; n <= 256; ++n) {
    LocalRunq victim, thief;
    GlobalRunq global;
    for (std::uint32_t g = 0; g < n; ++g) runqput(victim, global, g, false);
    victim.runnext = 999;
    std::uint32_t stolen = 0;
    const std::uint32_t gp = runqsteal(thief, victim, &stolen);
    INFO("n = " << n);
    CHECK(stolen == n - n / 2);
    CHECK(victim.size() == n / 2);
    CHECK(victim.runnext == 999);
    if (n == 0) {
      CHECK(gp == kNoG);
      continue;
    }
    CHECK(gp == stolen - 1);           // the last grabbed runs at once
    CHECK(thief.size() == stolen - 1);  // the rest wait on the thief's queue, oldest first
    for (std::uint32_t i = 0; i + 1 < stolen; ++i) CHECK(thief.at(i) == i);
    if (n / 2 > 0) CHECK(victim.at(0) == stolen);
  }
  LocalRunq victim;
  victim.runnext = 7;
  CHECK(runqsteal_runnext(victim) == 7);
  CHECK(runqsteal_runnext(victim) == kNoG);
}

TEST_CASE("globrunqgetbatch takes min(n, size, size/gomaxprocs + 1)", "[go][runq]") {
  struct Case { std::uint32_t size, gomaxprocs, expect; };
  for (const Case c : {Case{1, 4, 1}, Case{10, 4, 3}, Case{10, 1, 10}, Case{1000, 1, 128}, Case{1000, 4, 128},
                       Case{1000, 16, 63}, Case{7, 8, 1}}) {
    GlobalRunq global;
    LocalRunq p;
    for (std::uint32_t g = 0; g < c.size; ++g) globrunqput(global, g);
    CHECK(globrunqgetbatch(global, p, 128, c.gomaxprocs) == 0);
    INFO("size " << c.size << " gomaxprocs " << c.gomaxprocs);
    CHECK(p.size() + 1 == c.expect);
    CHECK(global.size() == c.size - c.expect);
    for (std::uint32_t i = 0; i < p.size(); ++i) CHECK(p.at(i) == i + 1);
  }
  GlobalRunq empty;
  LocalRunq p;
  CHECK(globrunqgetbatch(empty, p, 128, 4) == kNoG);
  GlobalRunq one;
  globrunqput(one, 5);
  globrunqputhead(one, 4);
  CHECK(globrunqget(one) == 4);
  CHECK(globrunqget(one) == 5);
  CHECK(globrunqget(one) == kNoG);
}

TEST_CASE("random put/get/steal/overflow: every G is seen exactly once, the tracking bits follow", "[go][runq]") {
  gmpsim::sim::Rng rng(2024);
  constexpr int kPs = 4;
  std::vector<LocalRunq> ps(kPs);
  GlobalRunq global;
  // The bits the scheduler's scans read (LocalRunq::track): P i's bit in `ring` while its ring holds a G,
  // in `next` while runnext does, whatever operation changed it.
  std::uint64_t ring = ~std::uint64_t{0}, next = ~std::uint64_t{0}, epoch = 0;
  for (int i = 0; i < kPs; ++i) ps[i].track(&ring, &next, std::uint64_t{1} << (i * 5), &epoch);
  auto bits_follow = [&] {
    for (int i = 0; i < kPs; ++i) {
      if (((ring >> (i * 5)) & 1) != (ps[i].size() > 0 ? 1u : 0u)) return false;
      if (((next >> (i * 5)) & 1) != (ps[i].runnext != kNoG ? 1u : 0u)) return false;
    }
    return true;
  };
  REQUIRE(bits_follow());  // track() set them from the state (empty queues): the other bits stay set
  CHECK(ring == ~std::uint64_t{0x8421});
  std::uint32_t next_g = 0;
  std::multiset<std::uint32_t> seen;
  auto take = [&](std::uint32_t g) {
    if (g != kNoG) seen.insert(g);
  };
  for (int step = 0; step < 200'000; ++step) {
    LocalRunq& p = ps[rng.below(kPs)];
    switch (rng.below(6)) {
      case 0:
      case 1: runqput(p, global, next_g++, rng.below(2) == 0); break;
      case 2: take(runqget(p).g); break;
      case 3: take(runqsteal(p, ps[rng.below(kPs)])); break;
      case 4: if (p.size() == 0) take(globrunqgetbatch(global, p, p.capacity() / 2, kPs)); break;
      case 5: if (p.runnext != kNoG && rng.below(4) == 0) take(runqsteal_runnext(p)); break;
    }
    if (step % 97 == 0) REQUIRE(bits_follow());
  }
  REQUIRE(bits_follow());
  for (LocalRunq& p : ps) {
    for (RunqGet r = runqget(p); r.g != kNoG; r = runqget(p)) take(r.g);
  }
  while (!global.empty()) take(global.pop_front());
  CHECK(ring == ~std::uint64_t{0x8421});  // all empty again: only the queues' own bits were cleared
  CHECK(next == ~std::uint64_t{0x8421});
  REQUIRE(seen.size() == next_g);
  std::uint32_t expect = 0;
  for (std::uint32_t g : seen) CHECK(g == expect++);  // each exactly once, none invented
}

TEST_CASE("gfput/gfget: 64 on a P sends 33 to the global list, gfget refills 32", "[go][runq]") {
  GFreeList local, global;
  for (std::uint32_t g = 0; g < 63; ++g) CHECK(gfput(local, global, g) == 0);
  CHECK(gfput(local, global, 63) == 33);
  CHECK(local.gs.size() == 31);
  CHECK(global.gs.size() == 33);
  GFreeList other;
  std::set<std::uint32_t> got;
  for (int i = 0; i < 32; ++i) got.insert(gfget(other, global));
  CHECK(got.size() == 32);
  CHECK(global.gs.size() == 1);
  const std::uint32_t last = global.gs.front();
  CHECK(gfget(other, global) == last);
  CHECK(gfget(other, global) == kNoG);
}
