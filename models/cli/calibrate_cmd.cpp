// `gmpsim calibrate [--quick] [--out FILE]`: measure this host and write a host profile. The options are
// read here; the harness is run and its profile checked by validation/calibrate (command.h).
#include <iostream>
#include <string>
#include <vector>

#include "models/input/errors.h"
#include "validation/calibrate/command.h"

namespace gmpsim::models {
namespace {

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
  validation::CalibrateOptions o;
  o.out = out;
  o.quick = quick;
  o.harness_args = pass;
  return validation::run_calibration(o);
}

}  // namespace gmpsim::models
