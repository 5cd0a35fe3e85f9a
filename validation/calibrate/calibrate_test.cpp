// `gmpsim calibrate --quick` end to end: the profile's structure, every parameter present and within broad
// physical bounds, and a scenario that selects the file resolves with the file as the origin of its values.
// No wall-clock thresholds: the host's speed is what is being measured.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "models/scenario/scenario.h"
#include "models/input/units.h"
#include "validation/common/cli_testing.h"

using namespace gmpsim::models;

#ifdef GMPSIM_CALIBRATE_HARNESS

TEST_CASE("gmpsim calibrate --quick writes a usable host profile", "[calibrate][cli]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("gmpsim_calibrate_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path profile = dir / "host.yaml";
  setenv("GMPSIM_CALIBRATE_HARNESS", GMPSIM_CALIBRATE_HARNESS, 1);
  // A loaded host may make the calibration refuse (cli_testing.h): retried, and given up with a warning
  // only when every attempt was refused under a load warning.
  const gmpsim::testing::CliRun run =
      gmpsim::testing::run_cli_retrying(GMPSIM_CLI_PATH, {"calibrate", "--quick", "--out", profile.string()});
  INFO(run.output);
  if (run.refused() && run.under_load()) {
    WARN("calibrate refused three times on a loaded host; the profile's structure is not checked this run");
    return;
  }
  REQUIRE(run.status == 0);
  REQUIRE(fs::exists(profile));

  const YAML::Node doc = YAML::LoadFile(profile.string());
  for (const char* section : {"host", "kernel", "vm", "runtime", "measurements", "fit"}) {
    INFO(section);
    CHECK(doc[section].IsMap());
  }
  for (const char* key : {"kernel_release", "cpu_model", "cores_online", "thp", "timer_slack_ns", "cgroup_cpu_limit", "date"}) {
    INFO(key);
    CHECK(!doc["host"][key].as<std::string>().empty());
  }

  // Every value must be a duration with a unit, positive and physically plausible: 1 ns to 1 s. Three fiber
  // costs are increments that may fit to 0 (README: the fit): park beyond the switch, a storm's working set,
  // a remote ready beyond a local one.
  auto check_duration = [](const std::string& key, const YAML::Node& n) {
    INFO(key << ": " << n.as<std::string>());
    const auto ns = parse_duration(n.as<std::string>());
    CHECK(ns >= (key == "fiber.cost.park" || key == "fiber.cost.storm_working_set" || key == "fiber.cost.remote_wake" || key == "kernel.idle_exit" ? 0 : 1));
    CHECK(ns <= 1'000'000'000);
  };
  const std::vector<std::string> kernel_required = {"timer_slack", "futex_wake", "thread_create", "syscall", "page_fault"};
  for (const std::string& k : kernel_required) {
    INFO("kernel." << k);
    REQUIRE(doc["kernel"][k]);
  }
  for (const auto& kv : doc["kernel"]) {
    const std::string k = kv.first.as<std::string>();
    if (k == "wake_pack_hot" || k == "wake_pack") {  // shares, measured where the host has two CPUs
      INFO("kernel." << k);
      const double share = kv.second.as<double>();
      CHECK(share >= 0);
      CHECK(share <= 1);
    } else if (k != "hz") {
      check_duration("kernel." + k, kv.second);
    }
  }
  const std::vector<std::string> go_costs = {"runtime.cost.schedule", "runtime.cost.newproc", "runtime.cost.goexit",
                                             "runtime.cost.gopark", "runtime.cost.goready", "runtime.cost.steal",
                                             "runtime.cost.global_runq"};
  const std::vector<std::string> fiber_costs = {"fiber.cost.switch", "fiber.cost.spawn",       "fiber.cost.exit",
                                                "fiber.cost.park",   "fiber.cost.ready",       "fiber.cost.chan_op",
                                                "fiber.cost.remote_wake", "fiber.cost.steal", "fiber.cost.storm_working_set"};
  for (const auto& [model, keys] : {std::pair{"go", go_costs}, std::pair{"boost-fiber-ws", fiber_costs}}) {
    for (const std::string& k : keys) {
      INFO(model << ": " << k);
      // On a busy host the steal latency cannot be measured; the profile then says so and leaves it out.
      if (k.ends_with(".steal") && !doc["runtime"][model][k] && doc["notes"] && doc["notes"]["fit.steal"]) continue;
      REQUIRE(doc["runtime"][model][k]);
      check_duration(k, doc["runtime"][model][k]);
    }
  }
  for (const auto& kv : doc["measurements"]) {
    INFO(kv.first.as<std::string>());
    const double median = kv.second["median"].as<double>();
    CHECK(std::isfinite(median));
    CHECK(median >= 0);
    CHECK(kv.second["n"].as<int>() >= 1);
  }
  CHECK(doc["fit"]["rows"].size() >= 10);

  // A scenario selecting the file by path takes its kernel values and the go model's costs from it.
  const std::string scenario = "runtime: {model: go}\nkernel: {profile: \"" + profile.string() +
                               "\"}\nworkload: {classes: {a: {arrivals: {process: initial, count: 1}, program: [{compute: 1us}]}}}\n";
  const Scenario sc = load_scenario(scenario, "<text>");
  const Json origin = sc.origin_json();
  const std::string from_file = "kernel:" + profile.string();
  for (const std::string& k : kernel_required) CHECK(origin["kernel." + k] == from_file);
  for (const std::string& k : go_costs) {
    INFO(k);
    CHECK(origin[k] == (doc["runtime"]["go"][k] ? from_file : "default"));  // steal may be unmeasured (above)
  }
  CHECK(sc.kernel.futex_wake == parse_duration(doc["kernel"]["futex_wake"].as<std::string>()));
  // The host's memory settings come with it: what /proc/sys/vm says, as vm.* keys.
  CHECK(origin["vm.swappiness"] == from_file);
  CHECK(sc.resolved_json()["vm"]["swappiness"].get<int>() == doc["vm"]["swappiness"].as<int>());
  CHECK(origin["vm.min_free_kbytes"] != from_file);  // auto: it follows machine.memory
  fs::remove_all(dir);
}

#endif

TEST_CASE("gmpsim calibrate rejects bad options with exit code 2", "[calibrate][cli]") {
  const std::string cmd = std::string(GMPSIM_CLI_PATH) + " calibrate --qiuck > /dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  CHECK(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 2);
}
