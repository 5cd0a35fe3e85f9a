#include <catch2/catch.hpp>

#include "models/input/units.h"

using namespace gmpsim::models;

TEST_CASE("durations parse with their units", "[units]") {
  CHECK(parse_duration("100us") == 100'000);
  CHECK(parse_duration("100µs") == 100'000);
  CHECK(parse_duration("2ms") == 2'000'000);
  CHECK(parse_duration("1.5s") == 1'500'000'000);
  CHECK(parse_duration(" 7ns ") == 7);
  CHECK(parse_duration("2min") == 120'000'000'000);
  CHECK(parse_duration("0s") == 0);
  CHECK_THROWS_WITH(parse_duration("100"), Catch::Contains("has no unit"));
  CHECK_THROWS_WITH(parse_duration("100GiB"), Catch::Contains("unknown unit \"GiB\""));
  CHECK_THROWS_WITH(parse_duration("-1ms"), Catch::Contains("negative"));
  CHECK_THROWS_WITH(parse_duration("fast"), Catch::Contains("expected a duration"));
}

TEST_CASE("sizes, frequencies and rates parse with their units", "[units]") {
  CHECK(parse_bytes("16GiB") == 16LL << 30);
  CHECK(parse_bytes("2KiB") == 2048);
  CHECK(parse_bytes("1.5KB") == 1500);
  CHECK(parse_bytes("4096B") == 4096);
  CHECK_THROWS_WITH(parse_bytes("16"), Catch::Contains("has no unit"));
  CHECK(parse_frequency("250Hz") == 250.0);
  CHECK(parse_frequency("1kHz") == 1000.0);
  CHECK(parse_rate("20000/s") == 20000.0);
  CHECK(parse_rate("20/ms") == 20000.0);
  CHECK(parse_rate("60/min") == Approx(1.0));
  CHECK_THROWS_WITH(parse_rate("20000"), Catch::Contains("has no unit"));
  CHECK_THROWS_WITH(parse_rate("5Hz"), Catch::Contains("unknown unit"));
}

TEST_CASE("durations and sizes format canonically", "[units]") {
  CHECK(format_duration(2'000'000) == "2ms");
  CHECK(format_duration(1'500'000) == "1500us");
  CHECK(format_duration(7) == "7ns");
  CHECK(format_duration(0) == "0s");
  CHECK(format_bytes(16LL << 30) == "16GiB");
  CHECK(format_bytes(1500) == "1500B");
}
