#include "validation/calibrate/command.h"

#include <filesystem>
#include <iostream>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "models/input/errors.h"
#include "models/scenario/scenario.h"
#include "validation/common/process.h"
#include "validation/common/tools.h"

namespace gmpsim::validation {
namespace {

constexpr const char* kHarnessName = "gmpsim-calibrate";

// The Go version a profile was calibrated for (host.runtime_version), "" when none.
std::string profile_runtime_version(const std::string& path) {
  try {
    const YAML::Node doc = YAML::LoadFile(path);
    if (doc["host"] && doc["host"]["runtime_version"]) return doc["host"]["runtime_version"].as<std::string>();
  } catch (const YAML::Exception&) {
  }
  return "";
}

// Loads the written profile through a minimal go scenario: the loader must accept every value.
std::size_t check_profile_loads(const std::string& path) {
  const std::string abs = std::filesystem::absolute(path).string();
  const std::string version = profile_runtime_version(path);
  const std::string scenario =
      "runtime: {model: go" + (version.empty() ? std::string() : ", version: " + version) + "}\n"
      "kernel: {profile: \"" + abs + "\"}\n"
      "workload: {classes: {probe: {arrivals: {process: initial, count: 1}, program: [{compute: 1us}]}}}\n";
  try {
    const models::Scenario sc = models::load_scenario(scenario, "<calibrate>");
    std::size_t from_file = 0;
    for (const models::ResolvedValue& v : sc.values) from_file += v.origin == "kernel:" + abs;
    return from_file;
  } catch (const models::ScenarioError& e) {
    throw std::runtime_error("the written profile does not load as a kernel profile: " + std::string(e.what()));
  }
}

}  // namespace

int run_calibration(const CalibrateOptions& o) {
  const std::string harness = find_tool(
      kHarnessName, "GMPSIM_CALIBRATE_HARNESS", "validation/calibrate",
      "build it (it needs libboost-fiber-dev and libboost-context-dev: `make build`)");
  std::vector<std::string> harness_args = {harness, "--out", o.out};
  if (o.quick) harness_args.emplace_back("--quick");
  harness_args.insert(harness_args.end(), o.harness_args.begin(), o.harness_args.end());
  const process::Result r = process::run(harness_args);
  if (r.signal != 0) throw std::runtime_error(harness + " " + r.failure());
  if (r.exit_status != 0) return r.exit_status;  // the harness printed why; its codes are gmpsim's (1 unusable, 2 bad usage)
  const std::size_t values = check_profile_loads(o.out);
  std::cout << "wrote " << o.out << " (" << values << " values for a go scenario); use it with: kernel: {profile: " << o.out
            << "}\n";
  return 0;
}

}  // namespace gmpsim::validation
