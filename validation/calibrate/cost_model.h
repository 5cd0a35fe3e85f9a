// The cost models of the fit (README.md, "The fit" and "The Go calibration"): which primitive operations
// each measured row counts, which model parameters the fitted columns become, and the kernel values that
// are read off the measurements directly.
#pragma once
#include <string>
#include <vector>

#include "validation/calibrate/fit.h"
#include "validation/calibrate/harness.h"

namespace gmpsim::calibrate {

// Boost.Fiber's primitives (the default runtime): the columns, and the rows of the measured series.
const std::vector<Column>& cost_columns();
std::vector<Row> cost_rows(const Collected& c);

// A model parameter from fitted columns: profile key = column (+ a second column).
struct Mapping {
  const char* key;
  const char* column;
  const char* plus = nullptr;
};
extern const std::vector<Mapping> kGoCosts;     // the go model's costs from Boost.Fiber's primitives
extern const std::vector<Mapping> kFiberCosts;  // the boost-fiber-ws model's

// Real Go (--runtime go): the columns are the go model's costs themselves.
const std::vector<Column>& go_cost_columns();
std::vector<Row> go_cost_rows(const Collected& c);
struct GoMapping {
  const char* key;
  const char* column;
  double share;  // of the column's value
};
extern const std::vector<GoMapping> kRealGoCosts;

// The model parameters that a fit problem ("COLUMN: ...", check_fit) would have set, comma-separated;
// "" when it names no column.
std::string parameters_of(const std::string& problem, bool go);

// A kernel.* value of the profile.
struct KernelValue {
  std::string key;  // below kernel.
  Summary summary;
  std::string how;
  double min_ns, max_ns;
  double value = 0;  // what the profile says: the median unless `how` says otherwise
  // What `value` is: a time in ns, a share (0..1, written without a unit) or a size (written with B);
  // min_ns/max_ns bound it in that unit.
  enum class Unit { kNs, kFraction, kBytes } unit = Unit::kNs;
};
// The kernel values from the measurements; a missing one or one outside its physical range is a problem.
std::vector<KernelValue> kernel_values(const Collected& c, std::vector<std::string>& problems);

}  // namespace gmpsim::calibrate
