// gmpsim-fiberrun end to end on small versions of its test scenarios: the JSON's structure, one process per
// repeat, counts that must balance, and exit code 2 on bad input. No wall-clock thresholds: the host's speed
// is what the runner measures.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#ifdef GMPSIM_FIBERRUN_PATH

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
  int rc = -1;
  json out;
};

// Runs gmpsim-fiberrun with `args` (shell words) and parses what it wrote to --out.
Result fiberrun(const std::string& args) {
  const fs::path out = fs::temp_directory_path() / ("gmpsim_fiberrun_test_" + std::to_string(getpid()) + ".json");
  fs::remove(out);
  const std::string cmd = std::string(GMPSIM_FIBERRUN_PATH) + " " + args + " --out " + out.string() + " 2>/dev/null";
  const int status = std::system(cmd.c_str());
  Result r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (r.rc == 0) {
    std::ifstream in(out);
    r.out = json::parse(in);
  }
  fs::remove(out);
  return r;
}

std::string testdata(const std::string& name) { return std::string(GMPSIM_FIBERRUN_TESTDATA) + "/" + name; }

// The fields every run has, and one process per repeat with seeds N, N+1, ...
void check_common(const json& j, int repeats, std::uint64_t seed) {
  REQUIRE(j["format"] == "gmpsim-real-run/1");
  REQUIRE(j["runtime"] == "boost-fiber-1.74");
  REQUIRE(j["host"]["cpus"].get<int>() >= 1);
  REQUIRE(j["repeats"].size() == static_cast<std::size_t>(repeats));
  std::set<long> pids;
  for (std::size_t i = 0; i < j["repeats"].size(); ++i) {
    const json& r = j["repeats"][i];
    CHECK(r["seed"].get<std::uint64_t>() == seed + i);
    CHECK(r["outcome"] == "completed");
    CHECK(r["makespan_ns"].get<std::int64_t>() > 0);
    CHECK(r["wall_ns"].get<std::int64_t>() >= r["makespan_ns"].get<std::int64_t>());
    CHECK(r["counters"]["fibers_run_per_thread"].size() == j["threads"].get<std::size_t>());
    CHECK(r["counters"]["live_at_end"] == 0);
    pids.insert(r["pid"].get<long>());
  }
  CHECK(pids.size() == static_cast<std::size_t>(repeats));
}

}  // namespace

TEST_CASE("gmpsim-fiberrun runs a spawn storm on real fibers, one process per repeat", "[fiberrun][cli]") {
  const Result r = fiberrun(testdata("storm.yaml") + " --repeats 2 --seed 5 --set workload.classes.main.program='[{spawn: {class: worker, count: 300}}]'");
  REQUIRE(r.rc == 0);
  check_common(r.out, 2, 5);
  CHECK(r.out["threads"] == 2);
  CHECK(r.out["idle"] == "spin");
  for (const json& run : r.out["repeats"]) {
    const json& w = run["classes"]["worker"];
    CHECK(w["created"] == 300);
    CHECK(w["completed"] == 300);
    CHECK(w["latency_ns"].size() == 300);
    std::uint64_t ran = 0;
    for (const json& n : run["counters"]["fibers_run_per_thread"]) ran += n.get<std::uint64_t>();
    CHECK(ran == 301);  // main and its 300 children
    CHECK(run["window_ns"] == run["makespan_ns"]);
  }
}

TEST_CASE("gmpsim-fiberrun: channels, made WaitGroups and spans", "[fiberrun][cli]") {
  SECTION("ping-pong on one thread") {
    const Result r = fiberrun(testdata("pingpong.yaml") + " --repeats 1 --set workload.classes.pinger.program='[{repeat: {count: 500, steps: [{send: ping}, {recv: pong}]}}]'"
                              " --set workload.classes.ponger.program='[{repeat: {count: 500, steps: [{recv: ping}, {send: pong}]}}]'");
    REQUIRE(r.rc == 0);
    check_common(r.out, 1, 1);
    CHECK(r.out["repeats"][0]["classes"]["pinger"]["completed"] == 1);
  }
  SECTION("fan-out/fan-in with a made WaitGroup") {
    const Result r = fiberrun(testdata("fanout.yaml") + " --repeats 1 --set workload.classes.request.program='[{repeat: {count: 20, steps: "
                              "[{span: {name: request, steps: [{make: {wg: w}}, {wg_add: {wg: w, n: 8}}, {spawn: {class: worker, count: 8}}, {wg_wait: w}]}}]}}]'");
    REQUIRE(r.rc == 0);
    check_common(r.out, 1, 1);
    const json& run = r.out["repeats"][0];
    CHECK(run["classes"]["worker"]["completed"] == 160);
    CHECK(run["spans"]["request"]["latency_ns"].size() == 20);
    for (const json& v : run["spans"]["request"]["latency_ns"]) CHECK(v.get<std::int64_t>() >= 20'000);  // 8 x 20 us on 2 threads
  }
}

TEST_CASE("gmpsim-fiberrun: an open loop reports its arrivals and the generator's lateness", "[fiberrun][cli]") {
  const Result r = fiberrun(testdata("openloop.yaml") + " --repeats 1 --set run.duration=100ms --set run.warmup=10ms");
  REQUIRE(r.rc == 0);
  check_common(r.out, 1, 1);
  const json& run = r.out["repeats"][0];
  const json& c = run["classes"]["request"];
  CHECK(run["generator"]["arrivals"].get<std::uint64_t>() > 0);
  CHECK(c["created"] == run["generator"]["arrivals"]);
  CHECK(c["completed"].get<std::uint64_t>() <= c["created"].get<std::uint64_t>());
  CHECK(c["latency_ns"].size() == c["completed"].get<std::size_t>());
  CHECK(run["window_ns"] == 90'000'000);
  CHECK(run["makespan_ns"].get<std::int64_t>() >= 100'000'000);
  const json& late = run["generator"]["lateness_ns"];
  CHECK(late["p50"].get<std::int64_t>() <= late["p99"].get<std::int64_t>());
  CHECK(late["p99"].get<std::int64_t>() <= late["max"].get<std::int64_t>());
}

TEST_CASE("gmpsim-fiberrun rejects bad input with exit code 2", "[fiberrun][cli]") {
  CHECK(fiberrun("/nonexistent/scenario.yaml").rc == 2);
  CHECK(fiberrun(testdata("storm.yaml") + " --set runtime.model=go").rc == 2);
  CHECK(fiberrun(testdata("storm.yaml") + " --repeats 0").rc == 2);
  CHECK(fiberrun(testdata("pingpong.yaml") + " --set workload.classes.pinger.program='[{select: [{recv: pong, steps: []}]}]'").rc == 2);
}

#endif  // GMPSIM_FIBERRUN_PATH
