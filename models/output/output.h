// Outputs of a run: summary.json, latency.csv and timeseries.csv in an output directory, and the
// human-readable summary on stdout. Files are AtomicFiles (atomic.h) committed as one set, summary.json
// last, so a failed or interrupted run never leaves a half-written file or a mix of two runs behind.
#pragma once
#include <filesystem>
#include <iosfwd>
#include <string>

#include "models/output/atomic.h"
#include "models/result.h"

namespace gmpsim::models {

std::string gmpsim_version();  // "0.1.0+<git rev>"

// A CSV field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, quote or line break, so
// a span or channel name with a comma or newline cannot shift latency.csv's or sweep.csv's columns.
std::string csv_quote(const std::string& field);

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
