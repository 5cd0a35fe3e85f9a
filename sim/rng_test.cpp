#include "sim/rng.h"

#include "sim/check.h"

#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <vector>

using gmpsim::sim::derive_seed;
using gmpsim::sim::Rng;
using gmpsim::sim::RngStreams;
using gmpsim::sim::splitmix64;

TEST_CASE("splitmix64 matches the reference sequence from state 0", "[rng]") {
  // Published outputs of Vigna's splitmix64.c seeded with 0.
  std::uint64_t state = 0;
  CHECK(splitmix64(state) == 0xe220a8397b1dcdafULL);
  CHECK(splitmix64(state) == 0x6e789e6aa1b965f4ULL);
  CHECK(splitmix64(state) == 0x06c45d188009454fULL);
}

TEST_CASE("Rng(42) produces its pinned sequence", "[rng]") {
  // Golden values: if these change, every seeded result of gmpsim changes with them.
  Rng rng(42);
  CHECK(rng.next_u64() == 0x15780b2e0c2ec716ULL);
  CHECK(rng.next_u64() == 0x6104d9866d113a7eULL);
  CHECK(rng.next_u64() == 0xae17533239e499a1ULL);
  CHECK(rng.next_u64() == 0xecb8ad4703b360a1ULL);
  CHECK(rng.next_u64() == 0xfde6dc7fe2ec5e64ULL);
}

TEST_CASE("the same seed reproduces the same sequence", "[rng]") {
  for (const std::uint64_t seed : {0ULL, 1ULL, 42ULL, 0xffffffffffffffffULL}) {
    Rng a(seed), b(seed);
    for (int i = 0; i < 1000; ++i) REQUIRE(a.next_u64() == b.next_u64());
  }
  Rng a(1), b(2);
  int equal = 0;
  for (int i = 0; i < 1000; ++i) equal += a.next_u64() == b.next_u64();
  CHECK(equal == 0);
}

TEST_CASE("seed 0 gives a working generator", "[rng]") {
  Rng rng(0);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(rng.next_u64());
  CHECK(seen.size() == 100);
}

TEST_CASE("derived streams differ by name and by index and are stable", "[rng]") {
  const RngStreams streams(7);
  CHECK(streams.master_seed() == 7);
  CHECK(derive_seed(7, "arrivals", 0) == derive_seed(7, "arrivals"));
  CHECK(derive_seed(7, "arrivals", 3) == derive_seed(7, "arrivals", 3));

  std::set<std::uint64_t> seeds;
  const char* names[] = {"", "a", "b", "arrivals", "service", "service2", "procs"};
  for (const char* name : names) {
    for (std::uint64_t index = 0; index < 16; ++index) seeds.insert(derive_seed(7, name, index));
  }
  CHECK(seeds.size() == std::size(names) * 16);
  CHECK(derive_seed(7, "arrivals") != derive_seed(8, "arrivals"));

  // Streams of neighbouring indices are unrelated: first outputs differ and agree in about half the bits.
  Rng s0 = streams.stream("service", 0), s1 = streams.stream("service", 1);
  int agreeing_bits = 0;
  for (int i = 0; i < 64; ++i) {
    const std::uint64_t x = s0.next_u64(), y = s1.next_u64();
    REQUIRE(x != y);
    agreeing_bits += 64 - std::popcount(x ^ y);
  }
  CHECK(agreeing_bits > 64 * 32 - 200);  // mean 2048, sd 64
  CHECK(agreeing_bits < 64 * 32 + 200);

  // A stream equals an Rng seeded with its derived seed.
  Rng direct(derive_seed(7, "procs", 2)), via = streams.stream("procs", 2);
  for (int i = 0; i < 10; ++i) REQUIRE(direct.next_u64() == via.next_u64());
}

TEST_CASE("below(n) stays in range", "[rng]") {
  Rng rng(1);
  for (const std::uint64_t n : {1ULL, 2ULL, 3ULL, 7ULL, 1000ULL, (1ULL << 63) + 1, 0xffffffffffffffffULL}) {
    for (int i = 0; i < 1000; ++i) REQUIRE(rng.below(n) < n);
  }
  for (int i = 0; i < 10; ++i) CHECK(rng.below(1) == 0);
  CHECK_THROWS_AS(rng.below(0), gmpsim::sim::InvariantError);
}

TEST_CASE("below(n) is unbiased", "[rng]") {
  Rng rng(2);
  SECTION("chi-square over a small n") {
    constexpr int kN = 7, kDraws = 70000;
    std::vector<int> counts(kN);
    for (int i = 0; i < kDraws; ++i) ++counts[rng.below(kN)];
    double chi2 = 0;
    const double expected = static_cast<double>(kDraws) / kN;
    for (const int c : counts) chi2 += (c - expected) * (c - expected) / expected;
    CHECK(chi2 < 22.46);  // 0.999 quantile of chi-square with 6 degrees of freedom
  }
  SECTION("a large n where modulo reduction would be badly biased") {
    // n = 2/3 * 2^64: x mod n would land in the lower half of [0, n) with probability 2/3.
    const std::uint64_t n = 0xaaaaaaaaaaaaaaaaULL;
    constexpr int kDraws = 20000;
    int lower = 0;
    for (int i = 0; i < kDraws; ++i) lower += rng.below(n) < n / 2;
    CHECK(lower / static_cast<double>(kDraws) == Approx(0.5).margin(0.015));  // sd 0.0035
  }
}

TEST_CASE("uniform01 is in [0, 1) and uniform_pos in (0, 1]", "[rng]") {
  Rng rng(3);
  double sum = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    const double v = rng.uniform_pos();
    REQUIRE(v > 0.0);
    REQUIRE(v <= 1.0);
    sum += u + v;
  }
  CHECK(sum / (2.0 * kDraws) == Approx(0.5).margin(0.005));  // sd 0.0006
}

TEST_CASE("uniform01 passes a chi-square test over 100 cells", "[rng]") {
  Rng rng(4);
  constexpr int kCells = 100, kDraws = 10000000;
  std::vector<int> counts(kCells);
  for (int i = 0; i < kDraws; ++i) ++counts[static_cast<int>(rng.uniform01() * kCells)];
  double chi2 = 0;
  const double expected = static_cast<double>(kDraws) / kCells;
  for (const int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < 148.2);  // 0.999 quantile of chi-square with 99 degrees of freedom
}
