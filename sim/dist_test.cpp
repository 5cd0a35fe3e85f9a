#include "sim/dist.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using gmpsim::sim::Dist;
using gmpsim::sim::Rng;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> draw(const Dist& d, int n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> xs(static_cast<std::size_t>(n));
  for (double& x : xs) x = d.sample(rng);
  return xs;
}

// Sample mean and variance against the exact ones, each within `z` standard errors. The standard error
// of the sample variance is estimated from the sample's fourth central moment, sqrt((m4 - s^4) / n).
void check_moments(const Dist& d, std::uint64_t seed, int n = 200000, double z = 5.0) {
  INFO(d.describe());
  const std::vector<double> xs = draw(d, n, seed);
  double sum = 0;
  for (const double x : xs) sum += x;
  const double mean = sum / n;
  double m2 = 0, m4 = 0;
  for (const double x : xs) {
    const double e = (x - mean) * (x - mean);
    m2 += e;
    m4 += e * e;
  }
  const double var = m2 / (n - 1);
  m4 /= n;
  const double mean_se = std::sqrt(d.variance() / n);
  const double var_se = std::sqrt(std::max(m4 - var * var, 0.0) / n);
  INFO("sample mean " << mean << ", exact " << d.mean() << ", se " << mean_se);
  INFO("sample variance " << var << ", exact " << d.variance() << ", se " << var_se);
  CHECK(std::abs(mean - d.mean()) <= z * mean_se + 1e-12 * std::abs(d.mean()));
  CHECK(std::abs(var - d.variance()) <= z * var_se + 1e-12 * d.variance());
}

// Fraction of the draws at or below x, against the exact CDF value p, within 5 binomial standard errors.
void check_cdf(const std::vector<double>& xs, double x, double p) {
  double below = 0;
  for (const double v : xs) below += v <= x;
  const double n = static_cast<double>(xs.size());
  INFO("at x = " << x << ": empirical " << below / n << ", exact " << p);
  CHECK(std::abs(below / n - p) <= 5 * std::sqrt(p * (1 - p) / n) + 1e-12);
}

// Standard normal quantiles.
constexpr double kZ10 = -1.2815515655446004, kZ90 = 1.2815515655446004, kZ99 = 2.3263478740408408;

}  // namespace

TEST_CASE("every kind's sample mean and variance match the exact ones", "[dist]") {
  check_moments(Dist::exponential(3.5), 101);
  check_moments(Dist::uniform(-2, 5), 102);
  check_moments(Dist::normal(10, 3), 103);
  check_moments(Dist::lognormal(50000, 0.5), 104);
  check_moments(Dist::lognormal_mean_cv(1000, 0.8), 105);
  check_moments(Dist::gamma(3.7, 2), 106);
  check_moments(Dist::gamma(0.4, 5), 107);
  check_moments(Dist::gamma(1, 1), 108);
  check_moments(Dist::erlang(4, 100), 109);
  check_moments(Dist::erlang(1, 7), 110);
  check_moments(Dist::pareto(2, 9), 111);  // alpha > 8: the sample variance's standard error is stable
  check_moments(Dist::mixture({Dist::exponential(1), Dist::lognormal(100, 0.3)}, {0.8, 0.2}), 112);
  check_moments(Dist::empirical({{0, 0}, {1, 0.2}, {5, 0.9}, {5, 0.95}, {20, 1}}), 113);
}

TEST_CASE("constants and degenerate parameters", "[dist]") {
  Rng rng(1);
  const Dist c = Dist::constant(42.5);
  CHECK(c.kind() == Dist::Kind::kConstant);
  CHECK(c.mean() == 42.5);
  CHECK(c.variance() == 0);
  for (int i = 0; i < 10; ++i) CHECK(c.sample(rng) == 42.5);
  CHECK(Dist::uniform(3, 3).sample(rng) == 3);
  CHECK(Dist::normal(4, 0).sample(rng) == 4);
  CHECK(Dist::lognormal(8, 0).sample(rng) == 8);
  CHECK(Dist::lognormal_mean_cv(8, 0).sample(rng) == Approx(8));
}

TEST_CASE("exact moments in closed form", "[dist]") {
  CHECK(Dist::exponential(2).variance() == 4);
  CHECK(Dist::uniform(0, 6).mean() == 3);
  CHECK(Dist::uniform(0, 6).variance() == 3);
  CHECK(Dist::lognormal(1, 1).mean() == Approx(std::exp(0.5)));
  CHECK(Dist::lognormal(1, 1).variance() == Approx((std::exp(1.0) - 1) * std::exp(1.0)));
  const Dist mc = Dist::lognormal_mean_cv(1000, 0.5);
  CHECK(mc.kind() == Dist::Kind::kLognormal);
  CHECK(mc.mean() == Approx(1000).epsilon(1e-12));
  CHECK(std::sqrt(mc.variance()) / mc.mean() == Approx(0.5).epsilon(1e-12));
  CHECK(Dist::gamma(3, 2).mean() == 6);
  CHECK(Dist::gamma(3, 2).variance() == 12);
  CHECK(Dist::erlang(4, 100).mean() == 100);
  CHECK(Dist::erlang(4, 100).variance() == 2500);
  CHECK(Dist::pareto(2, 3).mean() == 3);
  CHECK(Dist::pareto(2, 3).variance() == Approx(3.0));  // 4 * 3 / (4 * 1)
  CHECK(Dist::pareto(2, 1).mean() == kInf);
  CHECK(Dist::pareto(2, 0.5).mean() == kInf);
  CHECK(Dist::pareto(2, 2).variance() == kInf);
  CHECK(Dist::pareto(2, 1.5).variance() == kInf);
  // A mixture with an infinite-mean component has an infinite mean, unless that component has weight 0.
  CHECK(Dist::mixture({Dist::constant(1), Dist::pareto(1, 0.9)}, {1, 1}).mean() == kInf);
  CHECK(Dist::mixture({Dist::constant(1), Dist::pareto(1, 0.9)}, {1, 1}).variance() == kInf);
  CHECK(Dist::mixture({Dist::constant(1), Dist::pareto(1, 0.9)}, {1, 0}).mean() == 1);
  CHECK(Dist::mixture({Dist::constant(1), Dist::pareto(1, 0.9)}, {1, 0}).variance() == 0);
  // Two point masses 0 and 10 with weights 3:1: mean 2.5, variance 0.75 * 0.25 * 100.
  const Dist two = Dist::mixture({Dist::constant(0), Dist::constant(10)}, {3, 1});
  CHECK(two.mean() == Approx(2.5));
  CHECK(two.variance() == Approx(18.75));
}

TEST_CASE("lognormal, exponential, Pareto and gamma draws follow their CDFs", "[dist]") {
  SECTION("lognormal") {
    const double median = 50000, sigma = 0.7;
    const auto xs = draw(Dist::lognormal(median, sigma), 200000, 201);
    check_cdf(xs, median * std::exp(sigma * kZ10), 0.1);
    check_cdf(xs, median, 0.5);
    check_cdf(xs, median * std::exp(sigma * kZ90), 0.9);
    check_cdf(xs, median * std::exp(sigma * kZ99), 0.99);
  }
  SECTION("exponential") {
    const double mean = 250;
    const auto xs = draw(Dist::exponential(mean), 200000, 202);
    for (const double p : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999}) check_cdf(xs, -mean * std::log1p(-p), p);
    for (const double x : xs) REQUIRE(x >= 0);
  }
  SECTION("pareto") {
    const double scale = 3, alpha = 1.5;  // infinite variance: check the distribution, not moments
    const auto xs = draw(Dist::pareto(scale, alpha), 200000, 203);
    for (const double p : {0.1, 0.5, 0.9, 0.99}) check_cdf(xs, scale * std::pow(1 - p, -1 / alpha), p);
    for (const double x : xs) REQUIRE(x >= scale);
  }
  SECTION("gamma(1/2, 2) is chi-square with one degree of freedom") {
    const auto xs = draw(Dist::gamma(0.5, 2), 200000, 204);
    for (const double x : {0.01, 0.1, 0.5, 1.0, 2.0, 4.0}) check_cdf(xs, x, std::erf(std::sqrt(x / 2)));
    for (const double x : xs) REQUIRE(x >= 0);
  }
  SECTION("erlang(2, mean)") {
    const double mean = 10, rate = 2 / mean;
    const auto xs = draw(Dist::erlang(2, mean), 200000, 205);
    for (const double x : {1.0, 5.0, 10.0, 20.0, 40.0}) check_cdf(xs, x, 1 - std::exp(-rate * x) * (1 + rate * x));
  }
  SECTION("normal") {
    const auto xs = draw(Dist::normal(5, 2), 200000, 206);
    check_cdf(xs, 5 + 2 * kZ10, 0.1);
    check_cdf(xs, 5, 0.5);
    check_cdf(xs, 5 + 2 * kZ99, 0.99);
  }
}

TEST_CASE("mixture picks components by their normalised weights", "[dist]") {
  SECTION("few components, with a zero weight") {
    const Dist m = Dist::mixture({Dist::constant(1), Dist::constant(2), Dist::constant(3), Dist::constant(4)},
                                 {1, 2, 0, 7});
    CHECK(m.kind() == Dist::Kind::kMixture);
    CHECK(m.mean() == Approx(0.1 * 1 + 0.2 * 2 + 0.7 * 4));
    Rng rng(301);
    constexpr int kDraws = 100000;
    int counts[5] = {};
    for (int i = 0; i < kDraws; ++i) ++counts[static_cast<int>(m.sample(rng))];
    CHECK(counts[3] == 0);
    CHECK(counts[1] / double(kDraws) == Approx(0.1).margin(5 * std::sqrt(0.09 / kDraws)));
    CHECK(counts[2] / double(kDraws) == Approx(0.2).margin(5 * std::sqrt(0.16 / kDraws)));
    CHECK(counts[4] / double(kDraws) == Approx(0.7).margin(5 * std::sqrt(0.21 / kDraws)));
  }
  SECTION("many components (binary search), zero weights first and last") {
    std::vector<Dist> comps;
    std::vector<double> weights;
    for (int i = 0; i < 14; ++i) {
      comps.push_back(Dist::constant(i));
      weights.push_back(i == 0 || i == 13 ? 0.0 : static_cast<double>(i));
    }
    const Dist m = Dist::mixture(comps, weights);
    const double total = 78;  // 1 + ... + 12
    Rng rng(302);
    constexpr int kDraws = 200000;
    std::vector<int> counts(14);
    for (int i = 0; i < kDraws; ++i) ++counts[static_cast<std::size_t>(m.sample(rng))];
    CHECK(counts[0] == 0);
    CHECK(counts[13] == 0);
    for (int i = 1; i < 13; ++i) {
      const double p = i / total;
      CHECK(counts[static_cast<std::size_t>(i)] / double(kDraws) == Approx(p).margin(5 * std::sqrt(p * (1 - p) / kDraws)));
    }
  }
  SECTION("a bimodal mixture of continuous components") {
    const Dist m = Dist::mixture({Dist::uniform(0, 1), Dist::uniform(100, 101)}, {0.25, 0.75});
    const auto xs = draw(m, 100000, 303);
    check_cdf(xs, 0.5, 0.125);
    check_cdf(xs, 50, 0.25);
    check_cdf(xs, 100.5, 0.625);
  }
}

// Nearest-rank quantile of sorted values.
double quantile_of(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

TEST_CASE("empirical from samples draws the samples with their frequencies", "[dist]") {
  // Samples shaped like a trace's CPU bursts: most near 100, a tail to 5000.
  std::vector<double> samples;
  Rng src(77);
  for (int i = 0; i < 400; ++i) samples.push_back(i % 20 == 0 ? 1000 + 4000 * src.uniform01() : 100 + 10 * src.uniform01());
  const Dist e = Dist::empirical_samples(samples);
  double mean = 0;
  for (const double x : samples) mean += x / static_cast<double>(samples.size());
  CHECK(e.mean() == Approx(mean));
  const auto xs = draw(e, 200000, 501);
  for (const double q : {0.1, 0.5, 0.9, 0.97, 0.99}) {
    INFO("quantile " << q);
    // A draw is one of the samples; the draws' quantiles are the samples' within the sampling noise of a
    // rank (+-1 % of the ranks around q).
    CHECK(quantile_of(xs, q) >= quantile_of(samples, q - 0.01));
    CHECK(quantile_of(xs, q) <= quantile_of(samples, q + 0.01));
  }
  std::sort(samples.begin(), samples.end());
  for (const double x : std::vector<double>(xs.begin(), xs.begin() + 1000)) {
    REQUIRE(std::binary_search(samples.begin(), samples.end(), x));
  }
  SECTION("the same seed gives the same draws") {
    CHECK(draw(e, 1000, 9) == draw(Dist::empirical_samples(samples), 1000, 9));
  }
  SECTION("equal samples are a constant") {
    const Dist c = Dist::empirical_samples({5, 5, 5});
    Rng rng(3);
    for (int i = 0; i < 100; ++i) REQUIRE(c.sample(rng) == 5);
  }
}

TEST_CASE("empirical from a histogram is uniform inside its buckets", "[dist]") {
  const Dist h = Dist::empirical_histogram({0, 10, 10, 40}, {25, 50, 25});  // a point mass of 1/2 at 10
  CHECK(h.mean() == Approx(0.25 * 5 + 0.5 * 10 + 0.25 * 25));
  const auto xs = draw(h, 100000, 502);
  check_cdf(xs, 5, 0.125);
  check_cdf(xs, 25, 0.875);
  double at_ten = 0;
  for (const double x : xs) at_ten += x == 10.0;
  CHECK(at_ten / xs.size() == Approx(0.5).margin(0.01));
  CHECK(draw(h, 1000, 7) == draw(Dist::empirical_histogram({0, 10, 10, 40}, {25, 50, 25}), 1000, 7));
  SECTION("empty buckets are skipped") {
    const auto ys = draw(Dist::empirical_histogram({0, 1, 2, 3}, {1, 0, 1}), 10000, 503);
    for (const double y : ys) REQUIRE(!(y > 1 && y < 2));
  }
}

TEST_CASE("empirical inverts its piecewise-linear CDF", "[dist]") {
  SECTION("linear interpolation between points") {
    const Dist e = Dist::empirical({{0, 0}, {10, 0.5}, {20, 1}});
    CHECK(e.kind() == Dist::Kind::kEmpirical);
    CHECK(e.mean() == Approx(10));
    CHECK(e.variance() == Approx(100.0 / 3));  // uniform on [0, 20]
    const auto xs = draw(e, 100000, 401);
    check_cdf(xs, 5, 0.25);
    check_cdf(xs, 15, 0.75);
    for (const double x : xs) REQUIRE((x >= 0 && x <= 20));
  }
  SECTION("a missing first point makes a point mass at the first value") {
    const Dist e = Dist::empirical({{1, 0.4}, {2, 1}});
    CHECK(e.mean() == Approx(0.4 * 1 + 0.6 * 1.5));
    const auto xs = draw(e, 100000, 402);
    double at_one = 0;
    for (const double x : xs) at_one += x == 1.0;
    CHECK(at_one / xs.size() == Approx(0.4).margin(5 * std::sqrt(0.24 / 100000)));
    check_cdf(xs, 1.5, 0.7);
  }
  SECTION("a repeated value is a point mass") {
    const Dist e = Dist::empirical({{0, 0}, {3, 0.5}, {3, 0.8}, {4, 1}});
    CHECK(e.mean() == Approx(0.5 * 1.5 + 0.3 * 3 + 0.2 * 3.5));
    const auto xs = draw(e, 100000, 403);
    double at_three = 0;
    for (const double x : xs) at_three += x == 3.0;
    CHECK(at_three / xs.size() == Approx(0.3).margin(5 * std::sqrt(0.21 / 100000)));
  }
  SECTION("a last probability within rounding of 1 is accepted") {
    const Dist e = Dist::empirical({{0, 0}, {1, 0.7}, {2, 0.7 + 0.2}, {3, 0.7 + 0.2 + 0.1}});
    Rng rng(405);
    REQUIRE(0.7 + 0.2 + 0.1 < 1.0);
    for (int i = 0; i < 1000; ++i) {
      const double x = e.sample(rng);
      REQUIRE((x >= 0 && x <= 3));
    }
  }
  SECTION("a single point is a constant") {
    const Dist e = Dist::empirical({{7, 1}});
    Rng rng(404);
    for (int i = 0; i < 100; ++i) REQUIRE(e.sample(rng) == 7);
    CHECK(e.mean() == 7);
    CHECK(e.variance() == 0);
  }
}

TEST_CASE("a seed reproduces a distribution's draws", "[dist]") {
  const Dist d = Dist::mixture({Dist::gamma(0.3, 1), Dist::lognormal(10, 2)}, {1, 1});
  CHECK(draw(d, 1000, 9) == draw(d, 1000, 9));
  CHECK(draw(d, 1000, 9) != draw(d, 1000, 10));
}

TEST_CASE("factories reject invalid parameters with a readable message", "[dist]") {
  using Catch::Contains;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(Dist::lognormal(1, -1), "lognormal: sigma must be >= 0 (got -1)");
  CHECK_THROWS_AS(Dist::lognormal(1, -1), std::invalid_argument);
  CHECK_THROWS_WITH(Dist::lognormal(0, 1), "lognormal: median must be > 0 (got 0)");
  CHECK_THROWS_WITH(Dist::lognormal(nan, 1), Contains("lognormal: median must be finite"));
  CHECK_THROWS_WITH(Dist::constant(kInf), "constant: value must be finite (got inf)");
  CHECK_THROWS_WITH(Dist::exponential(0), "exponential: mean must be > 0 (got 0)");
  CHECK_THROWS_WITH(Dist::exponential(-2.5), "exponential: mean must be > 0 (got -2.5)");
  CHECK_THROWS_WITH(Dist::uniform(5, 4), "uniform: high must be >= low = 5 (got 4)");
  CHECK_THROWS_WITH(Dist::uniform(nan, 4), Contains("uniform: low must be finite"));
  CHECK_THROWS_WITH(Dist::normal(0, -1), "normal: stddev must be >= 0 (got -1)");
  CHECK_THROWS_WITH(Dist::normal(kInf, 1), Contains("normal: mean must be finite"));
  CHECK_THROWS_WITH(Dist::lognormal_mean_cv(-1, 1), "lognormal_mean_cv: mean must be > 0 (got -1)");
  CHECK_THROWS_WITH(Dist::lognormal_mean_cv(1, -0.5), "lognormal_mean_cv: cv must be >= 0 (got -0.5)");
  CHECK_THROWS_WITH(Dist::gamma(0, 1), "gamma: shape must be > 0 (got 0)");
  CHECK_THROWS_WITH(Dist::gamma(1, -1), "gamma: scale must be > 0 (got -1)");
  CHECK_THROWS_WITH(Dist::erlang(0, 1), "erlang: k must be >= 1 (got 0)");
  CHECK_THROWS_WITH(Dist::erlang(2, 0), "erlang: mean must be > 0 (got 0)");
  CHECK_THROWS_WITH(Dist::pareto(0, 1), "pareto: scale must be > 0 (got 0)");
  CHECK_THROWS_WITH(Dist::pareto(1, -3), "pareto: alpha must be > 0 (got -3)");
  CHECK_THROWS_WITH(Dist::mixture({}, {}), Contains("mixture: components must not be empty"));
  CHECK_THROWS_WITH(Dist::mixture({Dist::constant(1)}, {1, 2}), Contains("mixture: weights must have one entry per component"));
  CHECK_THROWS_WITH(Dist::mixture({Dist::constant(1)}, {-1}), "mixture: every weight must be >= 0 (got -1)");
  CHECK_THROWS_WITH(Dist::mixture({Dist::constant(1), Dist::constant(2)}, {0, 0}), Contains("mixture: the weights' sum must be"));
  CHECK_THROWS_WITH(Dist::empirical({}), Contains("empirical: points must not be empty"));
  CHECK_THROWS_WITH(Dist::empirical_samples({}), Contains("empirical: samples must not be empty"));
  CHECK_THROWS_WITH(Dist::empirical_samples({1, -2}), Contains("empirical: samples must be >= 0"));
  CHECK_THROWS_WITH(Dist::empirical_samples({1, nan}), Contains("empirical: every sample must be finite"));
  CHECK_THROWS_WITH(Dist::empirical_histogram({0}, {}), Contains("at least 2 edges"));
  CHECK_THROWS_WITH(Dist::empirical_histogram({0, 1, 2}, {1}), Contains("one count per bucket"));
  CHECK_THROWS_WITH(Dist::empirical_histogram({0, 2, 1}, {1, 1}), Contains("edges must be non-decreasing"));
  CHECK_THROWS_WITH(Dist::empirical_histogram({0, 1}, {-1}), Contains("counts must be >= 0"));
  CHECK_THROWS_WITH(Dist::empirical_histogram({0, 1}, {0}), Contains("a histogram needs a positive count"));
  CHECK_THROWS_WITH(Dist::empirical({{0, 0}, {1, 0.5}}), "empirical: the last probability must be 1 (got 0.5)");
  CHECK_THROWS_WITH(Dist::empirical({{2, 0}, {1, 1}}), Contains("empirical: values must be non-decreasing"));
  CHECK_THROWS_WITH(Dist::empirical({{0, 0}, {1, 0.6}, {2, 0.5}, {3, 1}}), Contains("empirical: probabilities must be non-decreasing"));
  CHECK_THROWS_WITH(Dist::empirical({{0, -0.1}, {1, 1}}), "empirical: probabilities must be in [0, 1] (got -0.1)");
  CHECK_THROWS_WITH(Dist::empirical({{0, 0}, {nan, 1}}), Contains("empirical: every value must be finite"));
}

TEST_CASE("describe() names the kind and its parameters", "[dist]") {
  CHECK(Dist::constant(3).describe() == "constant(3)");
  CHECK(Dist::exponential(1500).describe() == "exponential(mean=1500)");
  CHECK(Dist::uniform(1, 2.5).describe() == "uniform(low=1, high=2.5)");
  CHECK(Dist::normal(0, 1).describe() == "normal(mean=0, stddev=1)");
  CHECK(Dist::lognormal(50000, 0.5).describe() == "lognormal(median=50000, sigma=0.5)");
  CHECK(Dist::gamma(2, 0.25).describe() == "gamma(shape=2, scale=0.25)");
  CHECK(Dist::erlang(3, 90).describe() == "erlang(k=3, mean=90)");
  CHECK(Dist::pareto(1, 2.5).describe() == "pareto(scale=1, alpha=2.5)");
  CHECK(Dist::mixture({Dist::exponential(1), Dist::constant(5)}, {3, 7}).describe() ==
        "mixture(0.3*exponential(mean=1), 0.7*constant(5))");
  CHECK(Dist::empirical({{1, 0}, {4, 0.5}, {9, 1}}).describe() == "empirical(3 points, min=1, max=9)");
  CHECK(Dist::lognormal_mean_cv(100, 0).describe() == "lognormal(median=100, sigma=0)");
}

TEST_CASE("moments hold over many seeds", "[dist][long]") {
  for (std::uint64_t seed = 1000; seed < 1020; ++seed) {
    check_moments(Dist::gamma(0.7, 3), seed, 500000, 6.0);
    check_moments(Dist::lognormal(1000, 0.6), seed, 500000, 6.0);
    check_moments(Dist::erlang(3, 30), seed, 500000, 6.0);
    check_moments(Dist::pareto(1, 10), seed, 500000, 6.0);
  }
}
