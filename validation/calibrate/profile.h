// The host profile (README.md, "The profile"): the values the scenario loader reads (kernel:, and runtime:
// per model) with their record (host:, measurements:, notes:, fit:), written as YAML; and the summary of
// the fit printed on the terminal.
#pragma once
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "validation/calibrate/cost_model.h"
#include "validation/calibrate/fit.h"
#include "validation/calibrate/harness.h"

namespace gmpsim::calibrate {

using HostFacts = std::vector<std::pair<std::string, std::string>>;  // the host: entries, in order

void write_profile(std::ostream& os, const Options& opt, const HostFacts& host, const std::vector<KernelValue>& kernel,
                   int hz, const FitReport& fit, const Collected& c);

// Writes the profile to opt.out whole or not at all (a .tmp file, renamed); returns kExitOk, or the exit
// code after saying why on stderr.
int write_profile_file(const Options& opt, const HostFacts& host, const std::vector<KernelValue>& kernel, int hz,
                       const FitReport& fit, const Collected& c);

// The kernel values and fitted parameters with their spread, and the rows' residuals.
void print_summary(std::ostream& os, const std::vector<KernelValue>& kernel, const FitReport& fit);

}  // namespace gmpsim::calibrate
