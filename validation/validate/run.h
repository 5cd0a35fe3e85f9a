// The whole of `gmpsim validate`: calibrate, run every case on both sides, write the report.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gmpsim::validation {

struct ValidateOptions {
  std::vector<std::string> manifests;       // case files
  std::vector<std::string> only;            // case names; empty = all
  std::string runtime = "all";              // boost-fiber | go | all
  bool quick = false;
  int repeats = 5;                          // real repeats; as many simulated replications
  std::uint64_t seed = 1;
  std::string out_dir = "validation";       // report.md here, CSVs in results/
  std::string profile;                      // Boost.Fiber host profile; "" = calibrate into results/
  std::vector<std::string> go_profiles;     // Go profiles (each names its version); missing ones are calibrated
  std::vector<std::string> go_toolchains;   // `go` binaries; empty = go on PATH and /usr/lib/go-1.19/bin/go
  std::string command_line;                 // for the report
  // Validating another host: --real-only runs its calibration and the real side there and writes the raw
  // runs to OUT/real/; --real-from DIR compares those (and DIR/results' profiles) with the simulator here.
  bool real_only = false;
  std::string real_from;
};

// Returns the exit status (0: report written; misses against the targets are reported, not failures).
int run_validation(const ValidateOptions& options);

}  // namespace gmpsim::validation
