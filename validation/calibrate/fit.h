// Fitting measured costs into model cost parameters.
//
// A composite measurement (a channel round trip, a create+join) is linear in counted primitive
// operations: t_row = sum_k counts[row][k] * theta[k] (README.md, "The fit"; cost_model.cpp). The primitive costs
// theta are the least-squares solution with theta >= 0 (Lawson-Hanson NNLS), rows weighted by 1/measured
// so that a 60 ns yield and a 15 us page-fault storm count alike (relative error). Spread comes from a
// bootstrap over the samples of every row. check_fit() refuses a clearly broken result, naming the
// parameter or row, before anything is written.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

namespace gmpsim::calibrate {

// min ||A x - b||_2 subject to x >= 0, by the active-set method of Lawson & Hanson ("Solving Least Squares
// Problems", 1974, ch. 23). Rank-deficient passive sets are solved for the minimum-norm solution
// (complete orthogonal decomposition), so a column that duplicates another does not break the iteration.
struct NnlsResult {
  Eigen::VectorXd x;
  Eigen::VectorXd residual;  // b - A x
  double residual_norm = 0;
  int iterations = 0;
  bool converged = false;  // false: the iteration limit was reached (x is then the last feasible point)
};
NnlsResult nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, int max_iterations = 0);

// Median and spread of a sample. p10/p90 by linear interpolation between order statistics; mad is the
// median absolute deviation (unscaled).
struct Summary {
  double median = 0, p10 = 0, p90 = 0, mad = 0, min = 0, max = 0;
  std::size_t n = 0;
};
Summary summarize(std::vector<double> samples);
double quantile_sorted(const std::vector<double>& sorted, double q);

// One unknown primitive cost, with the broad physical range a sane fit lands in (ns).
struct Column {
  std::string name;
  double min_ns;
  double max_ns;
};

// One measurement: its samples (ns per operation) and how many of each primitive one operation counts.
struct Row {
  std::string name;
  std::vector<double> counts;  // one per column
  std::vector<double> samples;
};

struct FitParam {
  std::string name;
  double value = 0;         // fit of the row medians
  double p10 = 0, p90 = 0;  // over bootstrap refits
};
struct FitRow {
  std::string name;
  double measured = 0, predicted = 0;
  double rel_residual = 0;  // (predicted - measured) / measured
};
struct FitReport {
  std::vector<FitParam> params;
  std::vector<FitRow> rows;
  double rel_residual_rms = 0;
  bool converged = false;
};

// Fits the columns to the rows' medians; `bootstrap` refits on resampled rows give each parameter's spread.
FitReport fit_costs(const std::vector<Column>& columns, const std::vector<Row>& rows, int bootstrap = 200,
                    std::uint64_t seed = 1);

// Problems that make the fit unusable, one message each naming the parameter or row: a non-finite value,
// a value outside its column's range (a cost pinned at 0 by the constraint is outside a range whose minimum
// is positive), a row whose prediction is off its measurement by more than a factor 1 + max_rel_residual
// either way. Empty when the fit can be written.
std::vector<std::string> check_fit(const FitReport& report, const std::vector<Column>& columns,
                                   const std::vector<Row>& rows, double max_rel_residual);

// The knee of a sweep of (size, cost) points in increasing size: the size at which the cost first reaches
// halfway from the first point's to the last's, interpolated linearly in log(size) between the two points
// around it. 0 when there is no knee to find: fewer than two points, or the last not above the first by
// more than `min_rise` times the first (kernel.cache_reach, cost_model.cpp).
double knee_halfway(const std::vector<std::pair<double, double>>& sweep, double min_rise);

}  // namespace gmpsim::calibrate
