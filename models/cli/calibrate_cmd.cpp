// `gmpsim calibrate [--quick] [--out FILE]`: measure this host and write a host profile.
//
// The measuring is done by the separate executable gmpsim-calibrate (validation/calibrate/harness.cpp): it
// links Boost.Fiber, which the simulator does not need, restarts itself for the fresh processes several
// measurements require, and can be built static to run alone on another machine. This command finds it,
// runs it, and then loads the written profile the way a scenario will (kernel: {profile: FILE}), so a
// profile the simulator cannot read is reported here and not at the first run that uses it.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "models/scenario/errors.h"
#include "models/scenario/scenario.h"
#include "validation/common/process.h"
#include "validation/validate/tools.h"

namespace gmpsim::models {
namespace {

constexpr const char* kHarnessName = "gmpsim-calibrate";

const char* kCalibrateUsage =
    "gmpsim calibrate [--runtime boost-fiber|go] [--go PATH] [--quick] [--out FILE]\n"
    "  Measures this host (Boost.Fiber and kernel primitives, fresh processes per repeat), fits the models'\n"
    "  cost parameters and writes a host profile; use it with `kernel: {profile: FILE}`.\n"
    "  --out FILE   the profile to write (default calibration/host.yaml)\n"
    "  --quick      fewer repeats, for CI (under 20 s); the default run takes under 2 minutes\n"
    "  --runtime go real Go instead of Boost.Fiber: builds validation/go's calibration probes with the\n"
    "               toolchain (--go PATH, default `go` on PATH) and fits the go model's costs; the profile\n"
    "               names its Go version (host.runtime_version), and a go scenario of another\n"
    "               runtime.version refuses it (default --out calibration/<go1.NN>.yaml)\n"
    "  The harness is found from $GMPSIM_CALIBRATE_HARNESS, next to gmpsim, or in the build tree\n"
    "  (validation/calibrate/gmpsim-calibrate); see validation/calibrate/README.md.\n";

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
    const Scenario sc = load_scenario(scenario, "<calibrate>");
    std::size_t from_file = 0;
    for (const ResolvedValue& v : sc.values) from_file += v.origin == "kernel:" + abs;
    return from_file;
  } catch (const ScenarioError& e) {
    throw std::runtime_error("the written profile does not load as a kernel profile: " + std::string(e.what()));
  }
}

}  // namespace

int cmd_calibrate(const std::vector<std::string>& args) {
  std::string out;
  bool quick = false;
  std::vector<std::string> pass;  // --runtime, --go, --probes for the harness
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kCalibrateUsage;
      return 0;
    }
    if (a == "--quick") {
      quick = true;
    } else if (a == "--runtime" || a == "--go" || a == "--probes") {
      if (i + 1 >= args.size() || args[i + 1].empty()) throw ScenarioError(a, "missing value (see --help)");
      if (a == "--runtime" && args[i + 1] != "go" && args[i + 1] != "boost-fiber") {
        throw ScenarioError(a, "unknown runtime \"" + args[i + 1] + "\"; runtimes: boost-fiber (default), go");
      }
      pass.push_back(a);
      pass.push_back(args[++i]);
    } else if (a == "--out" || a.rfind("--out=", 0) == 0) {
      if (a == "--out" && i + 1 >= args.size()) throw ScenarioError("--out", "missing FILE, e.g. --out calibration/host.yaml");
      out = a == "--out" ? args[++i] : a.substr(6);
      if (out.empty()) throw ScenarioError("--out", "empty FILE; give the path of the profile to write");
    } else {
      throw ScenarioError(a, "unknown option of `gmpsim calibrate`; options: --quick, --out FILE, --runtime boost-fiber|go, --go PATH, "
                                "--probes DIR (see --help)");
    }
  }
  bool go = false;
  for (std::size_t i = 0; i + 1 < pass.size(); i += 2) go = go || (pass[i] == "--runtime" && pass[i + 1] == "go");
  if (out.empty() && !go) out = "calibration/host.yaml";
  if (out.empty()) {  // the harness names it after the toolchain's version: ask it the same way
    throw ScenarioError("--out", "give the profile to write with --runtime go, e.g. --out calibration/go1.26.yaml");
  }
  const std::string harness = validation::find_tool(
      kHarnessName, "GMPSIM_CALIBRATE_HARNESS", "validation/calibrate",
      "build it (it needs libboost-fiber-dev and libboost-context-dev: `make build`)");
  std::vector<std::string> harness_args = {harness, "--out", out};
  if (quick) harness_args.emplace_back("--quick");
  harness_args.insert(harness_args.end(), pass.begin(), pass.end());
  const process::Result r = process::run(harness_args);
  if (r.signal != 0) throw std::runtime_error(harness + " " + r.failure());
  if (r.exit_status != 0) return r.exit_status;  // the harness printed why; its codes are gmpsim's (1 unusable, 2 bad usage)
  const std::size_t values = check_profile_loads(out);
  std::cout << "wrote " << out << " (" << values << " values for a go scenario); use it with: kernel: {profile: " << out
            << "}\n";
  return 0;
}

}  // namespace gmpsim::models
