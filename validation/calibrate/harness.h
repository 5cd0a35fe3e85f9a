// gmpsim-calibrate (README.md): what its files share. main.cpp reads the command line; harness.cpp runs a
// calibration (measure, fit, check, write); measure.cpp runs the benchmarks in fresh processes;
// cost_model.cpp says what each measured row counts and which parameters the fit becomes; host.cpp reads
// the host's fingerprint; profile.cpp writes the profile.
#pragma once
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace gmpsim::calibrate {

// Exit codes as gmpsim's: 0 written; 1 the measurements or the fit are unusable (nothing written, one line
// per problem naming the parameter); 2 bad usage.
inline constexpr int kExitOk = 0, kExitFailed = 1, kExitBadUsage = 2;

struct Options {
  bool quick = false;
  std::string out;               // default: calibration/host.yaml, or calibration/<go version>.yaml with go
  std::string runtime = "boost-fiber";  // or "go": the real-Go calibration (bench_go.cpp)
  std::string go = "go";                // the toolchain, with --runtime go
  std::string probes = GMPSIM_GO_PROBES_DIR;  // validation/go of the source tree
  std::string go_version, runtime_version;    // filled in with --runtime go
};

// Every series measured, its samples pooled over the fresh processes, and notes (why a series is missing).
struct Collected {
  std::map<std::string, std::vector<double>> series;
  std::map<std::string, std::string> notes;
};

// `gmpsim-calibrate bench NAME`: runs one benchmark in this process, prints its series and notes, and
// ends the process; returns only for an unknown NAME (kExitBadUsage).
int run_bench_here(const std::string& name, bool quick);

// Runs the benchmarks of opt.runtime (the kernel and Boost.Fiber ones; with go the kernel ones, the lock
// and the Go probes), each in fresh processes, into `into`, reporting progress on stderr. A failed
// benchmark is a note; returns kExitFailed (after saying why) only when the Go probes cannot be built.
int measure(const Options& opt, Collected& into);

// Measures, fits, checks and writes the profile; returns the exit code.
int calibrate(Options opt);

// A number for the profile and the messages: `precision` significant digits.
inline std::string num(double v, int precision = 4) {
  std::ostringstream os;
  os << std::setprecision(precision) << v;
  return os.str();
}

}  // namespace gmpsim::calibrate
