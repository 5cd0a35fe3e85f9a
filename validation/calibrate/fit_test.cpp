// The calibration fit on synthetic data with known answers: NNLS exact, noisy, with active constraints and
// rank-deficient; the cost fit and its refusals.
#include <catch2/catch.hpp>
#include <random>

#include "validation/calibrate/fit.h"

using namespace gmpsim::calibrate;

namespace {

// The smallest residual over every support set whose least-squares solution is non-negative: the NNLS
// optimum by brute force (fine for n <= 5).
double brute_force_nnls_residual(const Eigen::MatrixXd& a, const Eigen::VectorXd& b) {
  const int n = static_cast<int>(a.cols());
  double best = b.norm();  // x = 0
  for (int mask = 1; mask < (1 << n); ++mask) {
    std::vector<Eigen::Index> cols;
    for (int j = 0; j < n; ++j) {
      if (mask & (1 << j)) cols.push_back(j);
    }
    Eigen::MatrixXd ap(a.rows(), static_cast<Eigen::Index>(cols.size()));
    for (std::size_t k = 0; k < cols.size(); ++k) ap.col(static_cast<Eigen::Index>(k)) = a.col(cols[k]);
    const Eigen::VectorXd z = ap.completeOrthogonalDecomposition().solve(b);
    if ((z.array() >= -1e-12).all()) best = std::min(best, (ap * z - b).norm());
  }
  return best;
}

Eigen::MatrixXd random_matrix(std::mt19937_64& rng, int m, int n) {
  std::uniform_real_distribution<double> u(0.0, 3.0);
  Eigen::MatrixXd a(m, n);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) a(i, j) = std::round(u(rng));  // small operation counts, as in the real rows
  }
  return a;
}

}  // namespace

TEST_CASE("nnls recovers an exact non-negative solution", "[calibrate][fit]") {
  Eigen::MatrixXd a(5, 3);
  a << 1, 0, 0,  //
      0, 1, 0,   //
      1, 1, 2,   //
      2, 0, 1,   //
      0, 3, 1;
  const Eigen::Vector3d truth(60, 250, 100);
  const NnlsResult r = nnls(a, a * truth);
  CHECK(r.converged);
  CHECK((r.x - truth).norm() < 1e-9);
  CHECK(r.residual_norm < 1e-9);
}

TEST_CASE("nnls with noise matches unconstrained least squares when that is non-negative", "[calibrate][fit]") {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 0.5);
  Eigen::MatrixXd a(12, 4);
  a.setZero();
  for (int i = 0; i < 12; ++i) {
    a(i, i % 4) = 1 + i / 4;
    a(i, (i + 1) % 4) = 1;
  }
  const Eigen::Vector4d truth(60, 250, 100, 3000);
  Eigen::VectorXd b = a * truth;
  for (Eigen::Index i = 0; i < b.size(); ++i) b[i] += noise(rng);
  const NnlsResult r = nnls(a, b);
  const Eigen::VectorXd ls = a.colPivHouseholderQr().solve(b);
  REQUIRE((ls.array() > 0).all());
  CHECK(r.converged);
  CHECK((r.x - ls).norm() < 1e-6);
  CHECK((r.x - truth).cwiseAbs().maxCoeff() < 2);
}

TEST_CASE("nnls puts a column at zero when the unconstrained optimum is negative", "[calibrate][fit]") {
  // b asks for -1 of the second column; the constrained optimum drops it and satisfies the KKT conditions.
  Eigen::MatrixXd a(3, 2);
  a << 1, 0,  //
      0, 1,   //
      1, 1;
  const Eigen::Vector3d b(2, -1, 1);
  const NnlsResult r = nnls(a, b);
  CHECK(r.converged);
  CHECK(r.x[1] == 0);
  CHECK(r.x[0] == Approx(1.5));  // min (x-2)^2 + (x-1)^2
  const Eigen::VectorXd w = a.transpose() * r.residual;  // gradient sign: w_j <= 0 where x_j == 0
  CHECK(w[1] <= 1e-12);
  CHECK(std::abs(w[0]) < 1e-12);
}

TEST_CASE("nnls on random problems reaches the brute-force optimum", "[calibrate][fit]") {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0, 1);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + trial % 5, m = n + static_cast<int>(trial % 4);
    const Eigen::MatrixXd a = random_matrix(rng, m, n);
    Eigen::VectorXd b(m);
    for (int i = 0; i < m; ++i) b[i] = g(rng) * 10;
    const NnlsResult r = nnls(a, b);
    INFO("trial " << trial << "\nA =\n" << a << "\nb = " << b.transpose() << "\nx = " << r.x.transpose());
    CHECK(r.converged);
    CHECK((r.x.array() >= 0).all());
    CHECK(r.residual_norm <= brute_force_nnls_residual(a, b) + 1e-8);
  }
}

TEST_CASE("nnls copes with rank-deficient matrices", "[calibrate][fit]") {
  SECTION("a duplicated column: the total is determined, the split is not") {
    Eigen::MatrixXd a(4, 3);
    a << 1, 1, 0,  //
        2, 2, 1,   //
        0, 0, 1,   //
        1, 1, 1;
    const Eigen::Vector3d truth(40, 60, 500);
    const NnlsResult r = nnls(a, a * truth);
    CHECK(r.converged);
    CHECK(r.residual_norm < 1e-8);
    CHECK((r.x.array() >= 0).all());
    CHECK(r.x[0] + r.x[1] == Approx(100));
    CHECK(r.x[2] == Approx(500));
  }
  SECTION("more unknowns than rows") {
    Eigen::MatrixXd a(2, 4);
    a << 1, 2, 0, 1,  //
        0, 1, 1, 3;
    const Eigen::Vector2d b(5, 7);
    const NnlsResult r = nnls(a, b);
    CHECK(r.converged);
    CHECK(r.residual_norm < 1e-8);
    CHECK((r.x.array() >= 0).all());
  }
  SECTION("a zero column stays at zero") {
    Eigen::MatrixXd a(3, 2);
    a << 1, 0,  //
        2, 0,   //
        3, 0;
    const NnlsResult r = nnls(a, Eigen::Vector3d(1, 2, 3));
    CHECK(r.converged);
    CHECK(r.x[0] == Approx(1));
    CHECK(r.x[1] == 0);
  }
}

TEST_CASE("summaries give median, p10, p90 and MAD", "[calibrate][fit]") {
  const Summary s = summarize({5, 1, 4, 2, 3, 100, 6, 7, 8, 9, 10});
  CHECK(s.n == 11);
  CHECK(s.median == 6);
  CHECK(s.p10 == Approx(2));
  CHECK(s.p90 == Approx(10));
  CHECK(s.mad == 3);  // |x - 6| sorted: 0 1 1 2 2 3 3 4 4 5 94
  CHECK(std::isnan(summarize({}).median));
}

namespace {

// Rows built from known primitive costs, each sample with a few percent of multiplicative noise.
std::vector<Row> synthetic_rows(const std::vector<double>& theta, double noise_cv, std::uint64_t seed) {
  const std::vector<std::pair<std::string, std::vector<double>>> design = {
      {"yield", {1, 0, 0}}, {"spawn", {0, 1, 0}}, {"create_join", {2, 1, 1}},
      {"round_trip", {2, 0, 2}}, {"park_only", {0, 0, 1}}, {"storm", {1, 1, 0}}};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(1, noise_cv);
  std::vector<Row> rows;
  for (const auto& [name, counts] : design) {
    double t = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) t += counts[k] * theta[k];
    Row r{name, counts, {}};
    for (int i = 0; i < 41; ++i) r.samples.push_back(t * g(rng));
    rows.push_back(r);
  }
  return rows;
}

const std::vector<Column> kColumns = {{"switch", 1, 1e5}, {"spawn", 1, 1e5}, {"park", 1, 1e5}};

}  // namespace

TEST_CASE("fit_costs recovers known costs with residuals and bootstrap spread", "[calibrate][fit]") {
  const std::vector<double> theta = {60, 300, 120};
  const std::vector<Row> rows = synthetic_rows(theta, 0.03, 3);
  const FitReport rep = fit_costs(kColumns, rows, 100, 5);
  REQUIRE(rep.params.size() == 3);
  for (std::size_t j = 0; j < 3; ++j) {
    INFO(rep.params[j].name);
    CHECK(rep.params[j].value == Approx(theta[j]).epsilon(0.05));
    CHECK(rep.params[j].p10 <= rep.params[j].value * 1.001);
    CHECK(rep.params[j].p90 >= rep.params[j].value * 0.999);
    CHECK(rep.params[j].p90 > rep.params[j].p10);
  }
  CHECK(rep.rel_residual_rms < 0.05);
  CHECK(check_fit(rep, kColumns, rows, 0.5).empty());
  // The same samples give the same spread (seeded bootstrap).
  CHECK(fit_costs(kColumns, rows, 100, 5).params[1].p90 == rep.params[1].p90);
}

TEST_CASE("check_fit refuses a broken fit and names the parameter or row", "[calibrate][fit]") {
  SECTION("a cost pinned at zero") {
    // A round trip faster than its two switches alone: unconstrained, park would be negative.
    const std::vector<Row> rows = {{"yield", {1, 0, 0}, {60}},
                                   {"spawn", {0, 1, 0}, {300}},
                                   {"create_join", {2, 1, 1}, {420}},
                                   {"round_trip", {2, 0, 2}, {100}}};
    const FitReport rep = fit_costs(kColumns, rows, 0);
    CHECK(rep.params[2].value == 0);
    const auto problems = check_fit(rep, kColumns, rows, 10);
    REQUIRE(!problems.empty());
    CHECK_THAT(problems[0], Catch::StartsWith("park: fitted 0 ns") && Catch::Contains("pinned at zero"));
  }
  SECTION("an absurd value") {
    std::vector<Row> rows = synthetic_rows({60, 3e6, 120}, 0.0, 1);
    const auto problems = check_fit(fit_costs(kColumns, rows, 0), kColumns, rows, 0.5);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::StartsWith("spawn: fitted 3e+06 ns, outside the physical range"));
  }
  SECTION("a row with no samples gives NaN") {
    std::vector<Row> rows = synthetic_rows({60, 300, 120}, 0.0, 1);
    for (Row& r : rows) {
      if (r.counts[1] != 0) r.samples.clear();
    }
    const auto problems = check_fit(fit_costs(kColumns, rows, 0), kColumns, rows, 0.5);
    REQUIRE(!problems.empty());
    CHECK_THAT(problems[0], Catch::StartsWith("spawn: fitted value is not a number"));
  }
  SECTION("a contradictory row: huge residual") {
    std::vector<Row> rows = synthetic_rows({60, 300, 120}, 0.0, 1);
    for (double& v : rows[3].samples) v *= 20;  // round_trip 20x what the other rows imply
    const auto problems = check_fit(fit_costs(kColumns, rows, 0), kColumns, rows, 0.5);
    REQUIRE(!problems.empty());
    bool named = false;
    for (const auto& p : problems) named = named || p.rfind("round_trip: the fitted costs predict", 0) == 0;
    CHECK(named);
  }
}


TEST_CASE("knee_halfway finds where a sweep passes halfway, in log size, or 0 without a rise", "[calibrate][fit]") {
  // kernel.cache_reach's sweep: ns per goroutine against goroutines per batch.
  const std::vector<std::pair<double, double>> sweep = {{200, 300}, {2000, 320}, {8000, 700}, {32000, 880}, {100000, 900}};
  // halfway is 600, between 2000 (320) and 8000 (700): 2000 x 4^((600 - 320) / (700 - 320))
  CHECK(knee_halfway(sweep, 0.2) == Approx(2000 * std::pow(4.0, 280.0 / 380.0)).epsilon(1e-12));
  // A point exactly at halfway is the knee.
  CHECK(knee_halfway({{1, 0}, {10, 5}, {100, 10}}, 0.2) == Approx(10));
  CHECK(knee_halfway({{200, 300}, {100000, 330}}, 0.2) == 0);  // not 1.2x dearer: nothing to find
  CHECK(knee_halfway({{200, 300}}, 0.2) == 0);
  CHECK(knee_halfway({}, 0.2) == 0);
}
