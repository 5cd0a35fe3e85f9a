// `gmpsim calibrate` (README.md): runs the harness gmpsim-calibrate, which measures the host and writes a
// profile, and then loads that profile the way a scenario will (kernel: {profile: FILE}), so that a profile
// the simulator cannot read is reported here and not at the first run that uses it.
//
// The harness is an executable of its own, not part of the simulator: it links Boost.Fiber, restarts
// itself for the fresh processes several measurements need, and can be built static to run alone on
// another machine.
#pragma once
#include <string>
#include <vector>

namespace gmpsim::validation {

struct CalibrateOptions {
  std::string out;                         // the profile to write
  bool quick = false;                      // fewer repeats (CI)
  std::vector<std::string> harness_args;   // passed on to the harness: --runtime, --go, --probes with values
};

// Finds the harness ($GMPSIM_CALIBRATE_HARNESS, next to gmpsim, or in the build tree), runs it and checks
// the profile. Returns the exit status (the harness's own when it failed: it printed why); throws
// std::runtime_error when the harness is missing or crashed, or the profile does not load.
int run_calibration(const CalibrateOptions& options);

}  // namespace gmpsim::validation
