// `gmpsim calibrate [--quick] [--out FILE]`: measure this host and write a host profile.
//
// The measuring is done by the separate executable gmpsim-calibrate (validation/calibrate/harness.cpp): it
// links Boost.Fiber, which the simulator does not need, restarts itself for the fresh processes several
// measurements require, and can be built static to run alone on another machine. This command finds it,
// runs it, and then loads the written profile the way a scenario will (kernel: {profile: FILE}), so a
// profile the simulator cannot read is reported here and not at the first run that uses it.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "models/scenario/errors.h"
#include "models/scenario/scenario.h"

extern char** environ;

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

// The harness: $GMPSIM_CALIBRATE_HARNESS, else beside this executable (an install or a copied static
// pair), else where the build tree puts it relative to models/gmpsim.
std::string find_harness() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("GMPSIM_CALIBRATE_HARNESS"); env != nullptr && *env != '\0') {
    if (access(env, X_OK) != 0) {
      throw ScenarioError("GMPSIM_CALIBRATE_HARNESS", std::string("\"") + env + "\" is not an executable file");
    }
    return env;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& candidate : {self.parent_path() / kHarnessName,
                                      self.parent_path().parent_path() / "validation" / "calibrate" / kHarnessName}) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  throw std::runtime_error(std::string(kHarnessName) +
                           " not found next to gmpsim or in the build tree; build it (it needs libboost-fiber-dev "
                           "and libboost-context-dev: `make build`) or set GMPSIM_CALIBRATE_HARNESS");
}

int run_and_wait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  if (const int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ); rc != 0) {
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFSIGNALED(status)) throw std::runtime_error(args[0] + " was killed by signal " + std::to_string(WTERMSIG(status)));
  return WEXITSTATUS(status);
}

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
  std::vector<std::string> harness_args = {find_harness(), "--out", out};
  if (quick) harness_args.emplace_back("--quick");
  harness_args.insert(harness_args.end(), pass.begin(), pass.end());
  const int rc = run_and_wait(harness_args);
  if (rc != 0) return rc;  // the harness printed why; its codes are gmpsim's (1 unusable, 2 bad usage)
  const std::size_t values = check_profile_loads(out);
  std::cout << "wrote " << out << " (" << values << " values for a go scenario); use it with: kernel: {profile: " << out
            << "}\n";
  return 0;
}

}  // namespace gmpsim::models
