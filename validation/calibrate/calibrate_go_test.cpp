// `gmpsim calibrate --runtime go --quick` end to end, only where `go` is on PATH (a warning otherwise): the
// profile's structure, the fitted go costs present and within broad physical bounds, the Go version named,
// and the loader pairing it with runtime.version. No wall-clock thresholds.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "models/input/errors.h"
#include "models/scenario/scenario.h"
#include "validation/common/cli_testing.h"
#include "models/input/units.h"

using namespace gmpsim::models;

namespace {

bool go_on_path() { return std::system("command -v go > /dev/null 2>&1") == 0; }

std::string go_scenario(const std::string& profile, const std::string& version) {
  return "runtime: {model: go" + (version.empty() ? std::string() : ", version: " + version) + "}\n" +
         "kernel: {profile: \"" + profile + "\"}\n" +
         "workload: {classes: {probe: {arrivals: {process: initial, count: 1}, program: [{compute: 1us}]}}}\n";
}

}  // namespace

TEST_CASE("a profile calibrated for one Go version is refused by a scenario of another", "[calibrate]") {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() / ("gmpsim_go_profile_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << "host: {runtime: \"go\", go_version: \"go1.19.8\", runtime_version: \"go1.19\"}\n"
                         "kernel: {futex_wake: 3000ns}\n"
                         "runtime: {go: {runtime.cost.schedule: 75ns, runtime.cost.chan: 31ns}}\n";
  const Scenario ok = load_scenario(go_scenario(path.string(), "go1.19"), "<text>");
  CHECK(ok.origin_json()["runtime.cost.schedule"] == "kernel:" + path.string());
  try {
    load_scenario(go_scenario(path.string(), "go1.26"), "<text>");
    FAIL("a go1.26 scenario accepted a go1.19 profile");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("calibrated for go go1.19") && Catch::Contains("runtime.version: go1.19"));
  }
  // The version left out means the newest (go1.26): refused as well.
  CHECK_THROWS_AS(load_scenario(go_scenario(path.string(), ""), "<text>"), ScenarioError);
  // Another model only takes the kernel section.
  CHECK_NOTHROW(load_scenario("runtime: {model: fifo}\nkernel: {profile: \"" + path.string() +
                                  "\"}\nworkload: {classes: {probe: {arrivals: {process: initial, count: 1}, "
                                  "program: [{compute: 1us}]}}}\n",
                              "<text>"));
  fs::remove(path);
}

#ifdef GMPSIM_CALIBRATE_HARNESS

TEST_CASE("gmpsim calibrate --runtime go --quick writes a usable go profile", "[calibrate][cli][go]") {
  if (!go_on_path()) {
    WARN("no `go` on PATH: the Go calibration is not checked");
    return;
  }
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("gmpsim_calibrate_go_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path profile = dir / "go.yaml";
  setenv("GMPSIM_CALIBRATE_HARNESS", GMPSIM_CALIBRATE_HARNESS, 1);
  const gmpsim::testing::CliRun run = gmpsim::testing::run_cli_retrying(
      GMPSIM_CLI_PATH, {"calibrate", "--runtime", "go", "--quick", "--out", profile.string()});  // cli_testing.h
  INFO(run.output);
  if (run.refused() && run.under_load()) {
    WARN("calibrate --runtime go refused three times on a loaded host; the profile is not checked this run");
    return;
  }
  REQUIRE(run.status == 0);
  const YAML::Node doc = YAML::LoadFile(profile.string());
  for (const char* section : {"host", "kernel", "runtime", "measurements", "fit"}) {
    INFO(section);
    CHECK(doc[section].IsMap());
  }
  CHECK(doc["host"]["runtime"].as<std::string>() == "go");
  const std::string go_version = doc["host"]["go_version"].as<std::string>();
  const std::string version = doc["host"]["runtime_version"].as<std::string>();
  CHECK(go_version.rfind("go1.", 0) == 0);
  CHECK(go_version.rfind(version, 0) == 0);
  CHECK(!doc["runtime"]["boost-fiber-ws"]);
  for (const char* key : {"runtime.cost.schedule", "runtime.cost.newproc", "runtime.cost.goexit", "runtime.cost.gopark",
                          "runtime.cost.goready", "runtime.cost.chan", "runtime.cost.global_runq"}) {
    INFO(key);
    REQUIRE(doc["runtime"]["go"][key]);
    const auto ns = parse_duration(doc["runtime"]["go"][key].as<std::string>());
    CHECK(ns >= (std::string(key) == "runtime.cost.goexit" ? 0 : 1));
    CHECK(ns <= 1'000'000);
  }
  for (const char* series : {"go.spawn_total", "go.spawn_create", "go.gosched", "go.chan_rtt", "go.chan_stream4",
                             "go.chan_stream64", "runtime.lock_queue_op"}) {
    INFO(series);
    CHECK(doc["measurements"][series]["n"].as<int>() >= 1);
    CHECK(doc["fit"]["rows"][series]);
  }
  // The loader pairs it with its own version only.
  CHECK_NOTHROW(load_scenario(go_scenario(profile.string(), version), "<text>"));
  const std::string other = version == "go1.19" ? "go1.26" : "go1.19";
  CHECK_THROWS_AS(load_scenario(go_scenario(profile.string(), other), "<text>"), ScenarioError);
  fs::remove_all(dir);
}

#endif
