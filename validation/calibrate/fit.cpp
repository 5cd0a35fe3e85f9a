#include "validation/calibrate/fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>

namespace gmpsim::calibrate {
namespace {

// Least squares restricted to the passive columns; the other entries are 0.
Eigen::VectorXd solve_passive(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, const std::vector<bool>& passive) {
  std::vector<Eigen::Index> cols;
  for (Eigen::Index j = 0; j < a.cols(); ++j) {
    if (passive[j]) cols.push_back(j);
  }
  Eigen::MatrixXd ap(a.rows(), static_cast<Eigen::Index>(cols.size()));
  for (std::size_t k = 0; k < cols.size(); ++k) ap.col(static_cast<Eigen::Index>(k)) = a.col(cols[k]);
  const Eigen::VectorXd zp = ap.completeOrthogonalDecomposition().solve(b);
  Eigen::VectorXd z = Eigen::VectorXd::Zero(a.cols());
  for (std::size_t k = 0; k < cols.size(); ++k) z[cols[k]] = zp[static_cast<Eigen::Index>(k)];
  return z;
}

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

}  // namespace

NnlsResult nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, int max_iterations) {
  const Eigen::Index n = a.cols();
  NnlsResult r;
  r.x = Eigen::VectorXd::Zero(n);
  // Tolerance of Lawson-Hanson as scipy.optimize.nnls uses it: 10 eps ||A||_1 max(m, n).
  const double norm1 = n == 0 ? 0.0 : a.cwiseAbs().colwise().sum().maxCoeff();
  const double tol = 10 * std::numeric_limits<double>::epsilon() * norm1 * static_cast<double>(std::max(a.rows(), n));
  const int limit = max_iterations > 0 ? max_iterations : static_cast<int>(10 * n + 50);
  std::vector<bool> passive(n, false), refused(n, false);
  Eigen::VectorXd w = a.transpose() * (b - a * r.x);
  bool out_of_iterations = false;
  while (!out_of_iterations) {
    Eigen::Index t = -1;
    for (Eigen::Index j = 0; j < n; ++j) {
      if (!passive[j] && !refused[j] && w[j] > tol && (t < 0 || w[j] > w[t])) t = j;
    }
    if (t < 0) {
      r.converged = true;
      break;
    }
    passive[t] = true;
    bool entered = false;
    while (true) {
      if (++r.iterations > limit) {
        out_of_iterations = true;
        break;
      }
      const Eigen::VectorXd z = solve_passive(a, b, passive);
      if (!entered && z[t] <= tol) {
        // Column t is (numerically) a combination of the passive ones: it cannot enter now.
        passive[t] = false;
        refused[t] = true;
        break;
      }
      entered = true;
      bool feasible = true;
      for (Eigen::Index j = 0; j < n; ++j) feasible = feasible && (!passive[j] || z[j] > tol);
      if (feasible) {
        r.x = z;
        std::fill(refused.begin(), refused.end(), false);
        break;
      }
      // Step from x towards z as far as feasibility allows, then drop the columns that hit zero.
      double alpha = 1;
      for (Eigen::Index j = 0; j < n; ++j) {
        if (passive[j] && z[j] <= tol) alpha = std::min(alpha, r.x[j] / (r.x[j] - z[j]));
      }
      r.x += alpha * (z - r.x);
      for (Eigen::Index j = 0; j < n; ++j) {
        if (passive[j] && r.x[j] <= tol) {
          passive[j] = false;
          r.x[j] = 0;
        }
      }
    }
    w = a.transpose() * (b - a * r.x);
  }
  r.residual = b - a * r.x;
  r.residual_norm = r.residual.norm();
  return r;
}

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  s.n = samples.size();
  if (samples.empty()) {
    s.median = s.p10 = s.p90 = s.mad = s.min = s.max = std::numeric_limits<double>::quiet_NaN();
    return s;
  }
  std::sort(samples.begin(), samples.end());
  s.median = quantile_sorted(samples, 0.5);
  s.p10 = quantile_sorted(samples, 0.1);
  s.p90 = quantile_sorted(samples, 0.9);
  s.min = samples.front();
  s.max = samples.back();
  for (double& v : samples) v = std::abs(v - s.median);
  std::sort(samples.begin(), samples.end());
  s.mad = quantile_sorted(samples, 0.5);
  return s;
}

FitReport fit_costs(const std::vector<Column>& columns, const std::vector<Row>& rows, int bootstrap, std::uint64_t seed) {
  const auto m = static_cast<Eigen::Index>(rows.size());
  const auto n = static_cast<Eigen::Index>(columns.size());
  Eigen::MatrixXd a(m, n);
  Eigen::VectorXd b(m);
  std::vector<double> medians(rows.size());
  for (Eigen::Index i = 0; i < m; ++i) {
    const Row& row = rows[static_cast<std::size_t>(i)];
    medians[static_cast<std::size_t>(i)] = summarize(row.samples).median;
    for (Eigen::Index j = 0; j < n; ++j) a(i, j) = row.counts.at(static_cast<std::size_t>(j));
  }
  // Relative weighting: each row divided by its measurement. A row without a finite median (no samples)
  // is left out, and a column that only such rows determine comes out NaN rather than a made-up 0.
  std::vector<bool> supported(columns.size(), false);
  for (Eigen::Index i = 0; i < m; ++i) {
    if (!std::isfinite(medians[static_cast<std::size_t>(i)])) continue;
    for (Eigen::Index j = 0; j < n; ++j) supported[static_cast<std::size_t>(j)] = supported[static_cast<std::size_t>(j)] || a(i, j) != 0;
  }
  auto weighted_fit = [&](const std::vector<double>& target) {
    Eigen::MatrixXd aw = a;
    Eigen::VectorXd bw(m);
    for (Eigen::Index i = 0; i < m; ++i) {
      const double t = target[static_cast<std::size_t>(i)];
      if (!std::isfinite(t)) {
        aw.row(i).setZero();
        bw[i] = 0;
        continue;
      }
      const double scale = t > 0 ? 1 / t : 1;
      aw.row(i) *= scale;
      bw[i] = t * scale;
    }
    NnlsResult r = nnls(aw, bw);
    for (Eigen::Index j = 0; j < n; ++j) {
      if (!supported[static_cast<std::size_t>(j)]) r.x[j] = std::numeric_limits<double>::quiet_NaN();
    }
    return r;
  };
  FitReport rep;
  const NnlsResult best = weighted_fit(medians);
  rep.converged = best.converged;

  std::vector<std::vector<double>> draws(columns.size());
  std::mt19937_64 rng(seed);  // fixed seed: the same samples give the same spread
  for (int k = 0; k < bootstrap; ++k) {
    std::vector<double> target(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& s = rows[i].samples;
      if (s.empty()) {
        target[i] = medians[i];
        continue;
      }
      std::uniform_int_distribution<std::size_t> pick(0, s.size() - 1);
      std::vector<double> re(s.size());
      for (double& v : re) v = s[pick(rng)];
      target[i] = summarize(std::move(re)).median;
    }
    const NnlsResult r = weighted_fit(target);
    for (std::size_t j = 0; j < columns.size(); ++j) {
      if (std::isfinite(r.x[static_cast<Eigen::Index>(j)])) draws[j].push_back(r.x[static_cast<Eigen::Index>(j)]);
    }
  }
  for (std::size_t j = 0; j < columns.size(); ++j) {
    FitParam p{columns[j].name, best.x[static_cast<Eigen::Index>(j)], 0, 0};
    std::sort(draws[j].begin(), draws[j].end());
    p.p10 = draws[j].empty() ? p.value : quantile_sorted(draws[j], 0.1);  // NaN stays NaN
    p.p90 = draws[j].empty() ? p.value : quantile_sorted(draws[j], 0.9);
    rep.params.push_back(p);
  }
  double sum2 = 0;
  for (Eigen::Index i = 0; i < m; ++i) {
    FitRow fr{rows[static_cast<std::size_t>(i)].name, medians[static_cast<std::size_t>(i)], a.row(i).dot(best.x), 0};
    fr.rel_residual = fr.measured != 0 ? (fr.predicted - fr.measured) / fr.measured : std::numeric_limits<double>::quiet_NaN();
    if (std::isfinite(fr.rel_residual)) sum2 += fr.rel_residual * fr.rel_residual;
    rep.rows.push_back(fr);
  }
  rep.rel_residual_rms = m > 0 ? std::sqrt(sum2 / static_cast<double>(m)) : 0;
  return rep;
}

std::vector<std::string> check_fit(const FitReport& report, const std::vector<Column>& columns,
                                   const std::vector<Row>& rows, double max_rel_residual) {
  std::vector<std::string> problems;
  if (!report.converged) problems.push_back("the non-negative least-squares fit did not converge");
  for (std::size_t j = 0; j < report.params.size(); ++j) {
    const FitParam& p = report.params[j];
    const Column& c = columns[j];
    std::string used_by;
    for (const Row& r : rows) {
      if (r.counts.at(j) != 0) used_by += (used_by.empty() ? "" : ", ") + r.name;
    }
    if (!std::isfinite(p.value)) {
      problems.push_back(c.name + ": fitted value is not a number (rows " + used_by + " have no valid median)");
    } else if (p.value < c.min_ns || p.value > c.max_ns) {
      problems.push_back(c.name + ": fitted " + fmt(p.value) + " ns, outside the physical range " + fmt(c.min_ns) +
                         " to " + fmt(c.max_ns) + " ns" +
                         (p.value <= 0 ? " (pinned at zero: the other parameters already explain rows " + used_by + ")"
                                       : " (from rows " + used_by + ")"));
    }
  }
  for (const FitRow& r : report.rows) {
    if (!std::isfinite(r.measured) || r.measured <= 0) {
      problems.push_back(r.name + ": measured median " + fmt(r.measured) + " ns is not a positive number");
    } else if (!(r.predicted > 0) || std::abs(std::log(r.predicted / r.measured)) > std::log1p(max_rel_residual)) {
      problems.push_back(r.name + ": the fitted costs predict " + fmt(r.predicted) + " ns but " + fmt(r.measured) +
                         " ns was measured (" + fmt(100 * r.rel_residual) + " %; the limit is a factor " +
                         fmt(1 + max_rel_residual) + " either way): the measurement contradicts the others");
    }
  }
  return problems;
}

double knee_halfway(const std::vector<std::pair<double, double>>& sweep, double min_rise) {
  if (sweep.size() < 2) return 0;
  const double first = sweep.front().second, last = sweep.back().second, half = (first + last) / 2;
  if (!(last > (1 + min_rise) * first)) return 0;
  for (std::size_t i = 0; i + 1 < sweep.size(); ++i) {
    const auto [b0, c0] = sweep[i];
    const auto [b1, c1] = sweep[i + 1];
    if (c0 < half && c1 >= half) return std::exp(std::log(b0) + (half - c0) / (c1 - c0) * (std::log(b1) - std::log(b0)));
  }
  return 0;  // unreachable: the first point is below halfway and the last above
}

}  // namespace gmpsim::calibrate
