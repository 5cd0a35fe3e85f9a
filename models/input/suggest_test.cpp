// "Did you mean": the nearest candidate within max(2, |word|/3) edits, and nothing for a word far from all.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "models/input/suggest.h"

using namespace gmpsim::models;

TEST_CASE("suggest: edit distance and the closest candidate", "[suggest]") {
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  const std::vector<std::string> keys = {"runtime.gomaxprocs", "runtime.model", "run.duration"};
  CHECK(closest("runtime.gomaxproc", keys) == "runtime.gomaxprocs");
  CHECK(closest("run.duratoin", keys) == "run.duration");
  CHECK(closest("machine.cpus", keys).empty());
  CHECK(did_you_mean("runtime.modle", keys) == " (did you mean `runtime.model`?)");
}

TEST_CASE("suggest: a word much longer or shorter than every candidate has no suggestion", "[suggest]") {
  // Length gaps beyond the threshold are skipped without computing the distance (long unknown keys cost
  // the fuzzer most of its time); the answer is the one the distance gives.
  const std::vector<std::string> keys = {"runtime.gomaxprocs", "run.duration"};
  CHECK(closest(std::string(1 << 20, 'r'), keys).empty());
  CHECK(closest("runtime.gomaxprocs" + std::string(5, 'x'), keys) == "runtime.gomaxprocs");  // 5 < 23/3 + 1
  CHECK(closest("r", keys).empty());
}
