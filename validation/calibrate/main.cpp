// gmpsim-calibrate: measures this host, fits the models' cost parameters and writes a host profile
// (validation/calibrate/README.md). `gmpsim calibrate` runs it; it is also usable alone, which is the point:
//
//   gmpsim-calibrate [--quick] [--out calibration/host.yaml]   measure, fit, check, write
//   gmpsim-calibrate --runtime go [--go PATH] [--probes DIR] [--quick] [--out calibration/go1.26.yaml]
//                                                              the same with real Go instead of Boost.Fiber
//   gmpsim-calibrate bench NAME [--quick]                      one benchmark in this process (internal)
//
// Why a separate executable and not part of `gmpsim`: it links Boost.Fiber and Boost.Context, which the
// simulator does not need; it re-executes itself for every repeat, because several measurements need a
// fresh process (first-touch faults, the one static work_stealing pool per process: boostorg/fiber#217);
// and built with GMPSIM_STATIC it is a single static x86-64 file that can be copied to a bigger machine and
// run there as one command.
//
// Exit codes as gmpsim's (harness.h): 0 written; 1 the measurements or the fit are unusable; 2 bad usage.
#include <iostream>
#include <string>
#include <vector>

#include "validation/calibrate/harness.h"

int main(int argc, char** argv) {
  using namespace gmpsim::calibrate;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "bench") {
    if (args.size() < 2) {
      std::cerr << "gmpsim-calibrate: bench: missing NAME\n";
      return kExitBadUsage;
    }
    return run_bench_here(args[1], args.size() > 2 && args[2] == "--quick");
  }
  Options opt;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << "usage: gmpsim-calibrate [--runtime boost-fiber|go] [--go PATH] [--probes DIR] [--quick] [--out FILE]\n"
                   "  measure this host (Boost.Fiber and kernel primitives), fit the models' cost parameters\n"
                   "  and write a host profile (default calibration/host.yaml); --quick: fewer repeats (CI)\n"
                   "  --runtime go: real Go instead of Boost.Fiber: builds validation/go's calibration probes with\n"
                   "  the toolchain --go (default `go` on PATH) and fits the go model's costs to them (default\n"
                   "  output calibration/<go1.NN>.yaml); --probes DIR: validation/go elsewhere\n";
      return kExitOk;
    } else if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--runtime" || a == "--go" || a == "--probes") {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        std::cerr << "gmpsim-calibrate: " << a << ": missing value\n";
        return kExitBadUsage;
      }
      const std::string v = args[++i];
      if (a == "--runtime") {
        if (v != "go" && v != "boost-fiber") {
          std::cerr << "gmpsim-calibrate: --runtime: unknown runtime \"" << v << "\"; runtimes: boost-fiber (default), go\n";
          return kExitBadUsage;
        }
        opt.runtime = v;
      } else if (a == "--go") {
        opt.go = v;
      } else {
        opt.probes = v;
      }
    } else if (a == "--out" || a.rfind("--out=", 0) == 0) {
      if (a == "--out" && i + 1 >= args.size()) {
        std::cerr << "gmpsim-calibrate: --out: missing FILE\n";
        return kExitBadUsage;
      }
      opt.out = a == "--out" ? args[++i] : a.substr(6);
      if (opt.out.empty()) {
        std::cerr << "gmpsim-calibrate: --out: empty FILE\n";
        return kExitBadUsage;
      }
    } else {
      std::cerr << "gmpsim-calibrate: unknown option \"" << a
                << "\"; options: --quick, --out FILE, --runtime boost-fiber|go, --go PATH, --probes DIR\n";
      return kExitBadUsage;
    }
  }
  return calibrate(opt);
}
