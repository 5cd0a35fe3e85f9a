// Outputs of a run: summary.json, latency.csv and timeseries.csv in an output directory, and the
// human-readable summary on stdout. Files are written to temporary names and renamed into place, so a
// failed run never leaves a half-written file behind.
#pragma once
#include <iosfwd>
#include <string>

#include "models/result.h"

namespace gmpsim::models {

std::string gmpsim_version();  // "0.1.0+<git rev>"

Json summary_json(const RunResult& r);
std::string latency_csv(const RunResult& r);
std::string timeseries_csv(const RunResult& r);
void write_outputs(const RunResult& r, const std::string& dir);
void print_report(const RunResult& r, std::ostream& os);

}  // namespace gmpsim::models
