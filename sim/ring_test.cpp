#include <catch2/catch.hpp>
#include <deque>

#include "sim/ring.h"
#include "sim/rng.h"

using gmpsim::sim::Ring;

TEST_CASE("Ring behaves as a deque of its pushes and pops across growth", "[ring]") {
  Ring<std::uint32_t> ring;
  std::deque<std::uint32_t> ref;
  gmpsim::sim::Rng rng(5);
  for (std::uint32_t i = 0; i < 100'000; ++i) {
    switch (rng.below(4)) {
      case 0:
      case 1: ring.push_back(i); ref.push_back(i); break;
      case 2: ring.push_front(i); ref.push_front(i); break;
      case 3:
        if (!ref.empty()) {
          REQUIRE(ring.pop_front() == ref.front());
          ref.pop_front();
        }
        break;
    }
    REQUIRE(ring.size() == ref.size());
  }
  for (std::size_t i = 0; i < ref.size(); ++i) REQUIRE(ring[i] == ref[i]);
  CHECK(ring.front() == ref.front());
}
