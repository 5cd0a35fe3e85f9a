// For tests that run a gmpsim command which calibrates the host first (calibrate, validate). On a loaded
// machine (CI runs the tests two at a time on 2 cores) the measurements can be too disturbed to fit, and
// the calibration then refuses to write its profile, as it must. That is not those tests' subject (the
// refusal rules have unit tests in validation/calibrate/fit_test.cpp): they retry a few times, and a test
// gives up with a warning only when every attempt was refused.
#pragma once
#include <string>
#include <vector>

#include "validation/common/process.h"

namespace gmpsim::testing {

struct CliRun {
  int status = 0;           // the last attempt's exit status (128 + signal when killed)
  std::string output;       // its stdout and stderr
  bool refused() const { return status != 0 && output.find("refusing to write") != std::string::npos; }
  bool under_load() const { return output.find("load average") != std::string::npos; }
};

// Runs `cli args...` up to `attempts` times, until it exits 0 or fails other than by a refused calibration.
inline CliRun run_cli_retrying(const std::string& cli, const std::vector<std::string>& args, int attempts = 3) {
  std::vector<std::string> argv = {cli};
  argv.insert(argv.end(), args.begin(), args.end());
  process::Options o;
  o.capture_stdout = true;
  o.merge_stderr = true;
  CliRun run;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const process::Result r = process::run(argv, o);
    run.status = r.signal != 0 ? 128 + r.signal : r.exit_status;
    run.output = r.output;
    if (run.status == 0 || !run.refused()) break;
  }
  return run;
}

}  // namespace gmpsim::testing
