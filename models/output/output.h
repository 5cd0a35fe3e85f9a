// Outputs of a run: summary.json, latency.csv and timeseries.csv in an output directory, and the
// human-readable summary on stdout. Files are written to temporary names and renamed into place, so a
// failed run never leaves a half-written file behind.
#pragma once
#include <filesystem>
#include <iosfwd>
#include <string>

#include "models/result.h"

namespace gmpsim::models {

std::string gmpsim_version();  // "0.1.0+<git rev>"

// Writes `content` to `path` through `path`.tmp and a rename, so a reader never sees half a file. Throws
// std::runtime_error when it cannot write.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

Json summary_json(const RunResult& r);
std::string latency_csv(const RunResult& r);
std::string timeseries_csv(const RunResult& r);
void write_outputs(const RunResult& r, const std::string& dir);
void print_report(const RunResult& r, std::ostream& os);

}  // namespace gmpsim::models

#include <ostream>
#include <vector>

#include "models/scenario/scenario.h"
#include "sim/trace.h"

namespace gmpsim::models {

// Writes every trace record as a CSV row: t_ns,event,g,class,cpu (class and CPU by name and id).
class CsvTraceWriter final : public sim::TraceObserver {
 public:
  CsvTraceWriter(std::ostream& out, const Scenario& sc);
  void on_trace(const sim::TraceRecord& r) override;

 private:
  std::ostream& out_;
  std::vector<std::string> class_names_;
  std::vector<int> cpu_ids_;
};

}  // namespace gmpsim::models
