#include "sim/stats.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "sim/dist.h"
#include "sim/rng.h"

using gmpsim::sim::BatchMeans;
using gmpsim::sim::ConfidenceInterval;
using gmpsim::sim::Dist;
using gmpsim::sim::LogHistogram;
using gmpsim::sim::Rng;
using gmpsim::sim::RunningStats;
using gmpsim::sim::standard_normal;
using gmpsim::sim::student_t_quantile;
using gmpsim::sim::TimeWeighted;

namespace {

// The rank the header documents: ceil(q * n), at least 1, with near-integers taken as integers.
std::size_t exact_rank(double q, std::size_t n) {
  const double r = q * static_cast<double>(n);
  const double nearest = std::nearbyint(r);
  const double rank = std::abs(r - nearest) <= 1e-9 * std::max(1.0, r) ? nearest : std::ceil(r);
  return std::clamp<std::size_t>(static_cast<std::size_t>(rank), 1, n);
}

constexpr double kQuantiles[] = {0.0, 0.001, 0.01, 0.07, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0};

void check_against_sort(const LogHistogram& h, std::vector<std::int64_t> values, bool exact) {
  std::sort(values.begin(), values.end());
  REQUIRE(h.count() == values.size());
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
  long double sum = 0;
  for (const auto v : values) sum += v;
  CHECK(h.mean() == static_cast<double>(sum / values.size()));
  for (const double q : kQuantiles) {
    const std::int64_t truth = values[exact_rank(q, values.size()) - 1];
    const std::int64_t got = h.percentile(q);
    INFO("q = " << q << ": reported " << got << ", true " << truth);
    if (exact) {
      CHECK(got == truth);
    } else {
      CHECK(std::abs(static_cast<double>(got - truth)) <= LogHistogram::kRelativeError * static_cast<double>(truth));
    }
  }
}

}  // namespace

TEST_CASE("LogHistogram: empty", "[stats]") {
  const LogHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.mean() == 0);
  CHECK(h.percentile(0.5) == 0);
  CHECK(h.buckets().empty());
}

TEST_CASE("LogHistogram: small integers are exact", "[stats]") {
  LogHistogram h;
  std::vector<std::int64_t> values;
  Rng rng(11);
  for (int i = 0; i < 50000; ++i) {
    const auto v = static_cast<std::int64_t>(rng.below(256));
    h.record(v);
    values.push_back(v);
  }
  check_against_sort(h, values, true);
  for (const auto& b : h.buckets()) CHECK(b.low == b.high);
}

TEST_CASE("LogHistogram: lognormal data over several decades within the relative error", "[stats]") {
  LogHistogram h;
  std::vector<std::int64_t> values;
  const Dist d = Dist::lognormal(100000, 3.0);  // roughly 1 ns .. 1e10 ns
  Rng rng(12);
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::int64_t>(std::llround(d.sample(rng)));
    h.record(v);
    values.push_back(v);
  }
  REQUIRE(*std::min_element(values.begin(), values.end()) < 100);
  REQUIRE(*std::max_element(values.begin(), values.end()) > 10'000'000'000LL);
  check_against_sort(h, values, false);
}

TEST_CASE("LogHistogram: rank rounding and endpoints", "[stats]") {
  LogHistogram h;
  for (int v = 1; v <= 100; ++v) h.record(v);
  CHECK(h.percentile(0.07) == 7);  // 0.07 * 100 is 7.000000000000001 in binary
  CHECK(h.percentile(0.5) == 50);
  CHECK(h.percentile(0.505) == 51);
  CHECK(h.percentile(0) == 1);
  CHECK(h.percentile(-1) == 1);
  CHECK(h.percentile(1) == 100);
  CHECK(h.percentile(2) == 100);

  // q = 1 and q = 0 are min and max exactly even where the bucket's midpoint is not.
  LogHistogram wide;
  wide.record(1'000'001);
  wide.record(1'000'003);
  wide.record(2'000'001);
  CHECK(wide.percentile(0) == 1'000'001);
  CHECK(wide.percentile(1) == 2'000'001);
  CHECK(std::abs(wide.percentile(0.5) - 1'000'003) <= 1'000'003 * LogHistogram::kRelativeError);
}

TEST_CASE("LogHistogram: extremes of the int64 range, negatives clamp to 0", "[stats]") {
  LogHistogram h;
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  h.record(-5);
  h.record(big);
  h.record(big - 1);
  CHECK(h.count() == 3);
  CHECK(h.min() == 0);
  CHECK(h.max() == big);
  CHECK(h.percentile(1.0) == big);
  CHECK(h.percentile(0.5) <= big);
  CHECK(static_cast<double>(big - h.percentile(0.5)) <= LogHistogram::kRelativeError * static_cast<double>(big));
  const auto buckets = h.buckets();
  REQUIRE(buckets.size() == 2);
  CHECK(buckets[0].low == 0);
  CHECK(buckets[0].high == 0);
  CHECK(buckets[1].high == big);
  CHECK(buckets[1].count == 2);
  CHECK(h.mean() == Approx((2.0L * big - 1) / 3.0L));
}

TEST_CASE("LogHistogram: buckets cover every value and partition the count", "[stats]") {
  LogHistogram h;
  std::vector<std::int64_t> values;
  Rng rng(13);
  for (int i = 0; i < 20000; ++i) {
    // Random magnitudes across the whole range, and each power of two and its neighbours.
    const int bits = static_cast<int>(rng.below(63));
    values.push_back(static_cast<std::int64_t>(rng.next_u64() >> (64 - std::max(bits, 1))));
  }
  for (int k = 0; k < 63; ++k) {
    const std::int64_t p = std::int64_t{1} << k;
    values.push_back(p - 1);
    values.push_back(p);
    values.push_back(p + 1);
  }
  for (const auto v : values) h.record(v);
  const auto buckets = h.buckets();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    CHECK(buckets[i].low <= buckets[i].high);
    CHECK(buckets[i].count > 0);
    if (i > 0) CHECK(buckets[i].low > buckets[i - 1].high);
    total += buckets[i].count;
    // The bucket width bounds the relative error: half the width is at most low * kRelativeError.
    if (buckets[i].low >= 256) {
      const double half = 0.5 * static_cast<double>(buckets[i].high - buckets[i].low + 1);
      CHECK(half <= LogHistogram::kRelativeError * static_cast<double>(buckets[i].low));
    }
  }
  CHECK(total == h.count());
  for (const auto v : values) {
    const auto it = std::find_if(buckets.begin(), buckets.end(), [v](const auto& b) { return b.low <= v && v <= b.high; });
    REQUIRE(it != buckets.end());
  }
  // Each value lands in exactly the bucket whose bounds hold it: recording one value alone shows it.
  for (const std::int64_t v : {0LL, 255LL, 256LL, 257LL, 511LL, 512LL, 1000LL, 123456789LL, (1LL << 62) + 12345}) {
    LogHistogram one;
    one.record(v);
    const auto b = one.buckets();
    REQUIRE(b.size() == 1);
    CHECK(b[0].low <= v);
    CHECK(v <= b[0].high);
    CHECK(one.percentile(0.5) == v);  // clamped to [min, max]
  }
}

TEST_CASE("LogHistogram: merge equals recording everything in one", "[stats]") {
  LogHistogram a, b, all;
  std::vector<std::int64_t> values;
  const Dist d = Dist::lognormal(5000, 2.0);
  Rng rng(14);
  for (int i = 0; i < 30000; ++i) {
    const auto v = static_cast<std::int64_t>(d.sample(rng));
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
    values.push_back(v);
  }
  LogHistogram merged;
  merged.merge(a);
  merged.merge(b);
  merged.merge(LogHistogram());
  CHECK(merged.count() == all.count());
  CHECK(merged.min() == all.min());
  CHECK(merged.max() == all.max());
  CHECK(merged.mean() == Approx(all.mean()).epsilon(1e-15));
  for (const double q : kQuantiles) CHECK(merged.percentile(q) == all.percentile(q));
  check_against_sort(merged, values, false);

  merged.clear();
  CHECK(merged.count() == 0);
  CHECK(merged.buckets().empty());
  merged.record_n(7, 3);
  merged.record_n(9, 0);
  CHECK(merged.count() == 3);
  CHECK(merged.max() == 7);
  CHECK(merged.mean() == 7);
}

TEST_CASE("RunningStats: Welford agrees with two passes, merge with one stream", "[stats]") {
  std::vector<double> xs;
  Rng rng(21);
  // A large offset over a small spread: sum-of-squares formulas lose every digit here (E[x^2] = 1e12 + 9).
  for (int i = 0; i < 10000; ++i) xs.push_back(1e6 + 3.0 * standard_normal(rng));
  RunningStats s, left, right;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    s.add(xs[i]);
    (i < 3000 ? left : right).add(xs[i]);
  }
  double mean = 0;
  for (const double x : xs) mean += x;
  mean /= static_cast<double>(xs.size());
  double ss = 0;
  for (const double x : xs) ss += (x - mean) * (x - mean);
  const double var = ss / static_cast<double>(xs.size() - 1);
  CHECK(s.count() == xs.size());
  CHECK(s.mean() == Approx(mean).epsilon(1e-14));
  CHECK(s.variance() == Approx(var).epsilon(1e-10));
  CHECK(s.stddev() == Approx(std::sqrt(var)).epsilon(1e-10));
  CHECK(s.min() == *std::min_element(xs.begin(), xs.end()));
  CHECK(s.max() == *std::max_element(xs.begin(), xs.end()));

  RunningStats merged = left;
  merged.merge(right);
  merged.merge(RunningStats());
  CHECK(merged.count() == s.count());
  CHECK(merged.mean() == Approx(mean).epsilon(1e-14));
  CHECK(merged.variance() == Approx(var).epsilon(1e-10));
  CHECK(merged.min() == s.min());
  CHECK(merged.max() == s.max());
  RunningStats empty;
  empty.merge(s);
  CHECK(empty.variance() == s.variance());

  RunningStats one;
  CHECK(one.variance() == 0);
  one.add(5);
  CHECK(one.mean() == 5);
  CHECK(one.variance() == 0);
  CHECK(one.min() == 5);
  CHECK(one.max() == 5);
}

TEST_CASE("TimeWeighted: a hand-computed step function", "[stats]") {
  TimeWeighted tw;
  tw.reset(100, 2);
  CHECK(tw.average(100) == 2);  // empty window: the current value
  CHECK(tw.integral(100) == 0);
  tw.set(110, 4);   // 2 for 10 ns
  tw.add(130, -4);  // 4 for 20 ns, then 0
  CHECK(tw.value() == 0);
  CHECK(tw.integral(140) == 100);  // 20 + 80 + 0
  CHECK(tw.average(140) == 2.5);
  CHECK(tw.max() == 4);
  tw.set(150, 1);
  CHECK(tw.integral(160) == 110);
  CHECK(tw.average(160) == Approx(110.0 / 60));

  tw.reset(200, 1);  // a new window forgets the old one
  CHECK(tw.max() == 1);
  CHECK(tw.integral(210) == 10);
  CHECK(tw.average(250) == 1);
  tw.set(250, 3);
  CHECK(tw.average(300) == 2);
  CHECK(tw.max() == 3);
}

TEST_CASE("BatchMeans: batch count and size", "[stats]") {
  BatchMeans bm;
  ConfidenceInterval ci = bm.interval(0.9);
  CHECK(ci.batches == 0);
  CHECK(std::isinf(ci.half_width));
  bm.add(4);
  ci = bm.interval(0.9);
  CHECK(ci.batches == 1);
  CHECK(ci.mean == 4);
  CHECK(std::isinf(ci.half_width));

  Rng rng(31);
  for (std::uint64_t n = 2; n <= 100000; ++n) {
    bm.add(standard_normal(rng));
    if (n < 64 || n % 97 == 0 || (n & (n - 1)) == 0) {
      ci = bm.interval(0.9);
      INFO("after " << n << " observations");
      if (n >= BatchMeans::kMaxBatches) {
        REQUIRE(ci.batches >= BatchMeans::kMaxBatches);
        REQUIRE(ci.batches < 2 * BatchMeans::kMaxBatches);
      } else {
        REQUIRE(ci.batches == n);
      }
      REQUIRE(ci.observations == ci.batches * ci.batch_size);
      REQUIRE(ci.observations <= n);
      REQUIRE(n - ci.observations < ci.batch_size);
      REQUIRE((ci.batch_size & (ci.batch_size - 1)) == 0);
      REQUIRE(std::isfinite(ci.half_width));
    }
  }
  CHECK(bm.count() == 100000);
  CHECK_THROWS_AS(bm.interval(1.0), std::invalid_argument);
  CHECK_THROWS_AS(bm.interval(0.0), std::invalid_argument);
}

TEST_CASE("BatchMeans: the interval's mean and width are those of the batch means", "[stats]") {
  // 64 observations: 32 batches of 2 after the first doubling. With x_i = i, batch j holds 2j and 2j + 1.
  BatchMeans bm;
  for (int i = 0; i < 64; ++i) bm.add(i);
  const ConfidenceInterval ci = bm.interval(0.95);
  REQUIRE(ci.batches == 32);
  REQUIRE(ci.batch_size == 2);
  CHECK(ci.mean == Approx(31.5));
  // Batch means 0.5, 2.5, ..., 62.5: an arithmetic sequence with step 2, variance 4 * 32 * 33 / 12.
  const double sd = std::sqrt(4.0 * 32 * 33 / 12);
  CHECK(ci.half_width == Approx(student_t_quantile(0.975, 31) * sd / std::sqrt(32.0)));
  CHECK(ci.low() == Approx(ci.mean - ci.half_width));
  CHECK(ci.high() == Approx(ci.mean + ci.half_width));
  CHECK(ci.level == 0.95);
}

namespace {

// Fraction of `reps` replications whose 90% interval covers the true mean of the series `next`.
template <class Next>
double coverage(int reps, int n, double truth, Next next) {
  int covered = 0;
  for (int r = 0; r < reps; ++r) {
    Rng rng(static_cast<std::uint64_t>(5000 + r));
    BatchMeans bm;
    double state = 0;
    for (int i = 0; i < n; ++i) bm.add(next(rng, state, i));
    const ConfidenceInterval ci = bm.interval(0.9);
    covered += ci.low() <= truth && truth <= ci.high();
  }
  return covered / static_cast<double>(reps);
}

// AR(1): x_i = mu + phi (x_{i-1} - mu) + e_i, started in its stationary distribution.
constexpr double kPhi = 0.9, kMu = 7;
double ar1(Rng& rng, double& state, int i) {
  if (i == 0) {
    state = standard_normal(rng) / std::sqrt(1 - kPhi * kPhi);
  } else {
    state = kPhi * state + standard_normal(rng);
  }
  return kMu + state;
}

}  // namespace

TEST_CASE("BatchMeans: coverage of iid normal data is near nominal", "[stats]") {
  const double c = coverage(200, 2000, 3.0, [](Rng& rng, double&, int) { return 3.0 + standard_normal(rng); });
  INFO("coverage " << c);
  CHECK(c >= 0.82);
  CHECK(c <= 0.96);
}

TEST_CASE("BatchMeans: coverage of an AR(1) series stays reasonable", "[stats]") {
  const double c = coverage(200, 20000, kMu, ar1);
  INFO("coverage " << c);
  CHECK(c >= 0.78);
  CHECK(c <= 0.96);
}

TEST_CASE("BatchMeans: coverage over many replications", "[stats][long]") {
  const double iid = coverage(2000, 5000, 0.0, [](Rng& rng, double&, int) { return standard_normal(rng); });
  INFO("iid coverage " << iid);
  CHECK(iid == Approx(0.9).margin(0.025));  // sd 0.0067
  const double ar = coverage(1000, 100000, kMu, ar1);
  INFO("AR(1) coverage " << ar);
  CHECK(ar == Approx(0.9).margin(0.04));
}

TEST_CASE("student_t_quantile matches tables and closed forms", "[stats]") {
  CHECK(student_t_quantile(0.995, 1) == Approx(63.65674116).epsilon(1e-9));
  CHECK(student_t_quantile(0.995, 10) == Approx(3.169272673).epsilon(1e-9));
  CHECK(student_t_quantile(0.995, 31) == Approx(2.744041919).epsilon(1e-9));
  CHECK(student_t_quantile(0.975, 30) == Approx(2.042272456).epsilon(1e-9));
  CHECK(student_t_quantile(0.975, 2) == Approx(4.302652730).epsilon(1e-9));
  CHECK(student_t_quantile(0.9, 3) == Approx(1.637744354).epsilon(1e-9));
  CHECK(student_t_quantile(0.95, 63) == Approx(1.669402222).epsilon(1e-9));
  CHECK(student_t_quantile(0.995, 1e6) == Approx(2.575834).epsilon(1e-6));  // z = 2.5758293, + z(z^2+1)/4e6
  const double z995 = 2.5758293035489004;  // normal quantile; df = 1e9 adds z (z^2 + 1) / (4 df)
  CHECK(student_t_quantile(0.995, 1e9) == Approx(z995 + z995 * (z995 * z995 + 1) / 4e9).epsilon(1e-12));
  CHECK(student_t_quantile(0.995, std::numeric_limits<double>::infinity()) == Approx(z995).epsilon(1e-12));
  CHECK(student_t_quantile(0.5, 7) == 0);
  CHECK(student_t_quantile(0.005, 10) == Approx(-3.169272673).epsilon(1e-9));

  // df = 4 has a closed form (Hill 1970): t = sign * sqrt(4 cos(theta / 3) / sqrt(a) - 4), with
  // a = 4 p (1 - p) and theta = acos(sqrt(a)). It exercises the general (continued fraction) path.
  for (const double p : {1e-9, 0.001, 0.1, 0.3, 0.6, 0.9, 0.975, 0.999999}) {
    const double a = 4 * p * (1 - p);
    const double t = std::copysign(std::sqrt(4 * std::cos(std::acos(std::sqrt(a)) / 3) / std::sqrt(a) - 4), p - 0.5);
    INFO("p = " << p);
    CHECK(student_t_quantile(p, 4) == Approx(t).epsilon(1e-9));
  }
  // Monotone in df towards the normal quantile; symmetric in p.
  double prev = student_t_quantile(0.99, 1);
  for (const double df : {1.5, 2.0, 3.0, 5.5, 10.0, 30.0, 100.0, 1e4, 1e7, 2e7}) {
    const double t = student_t_quantile(0.99, df);
    CHECK(t < prev);
    CHECK(student_t_quantile(0.01, df) == Approx(-t).epsilon(1e-12));
    prev = t;
  }
  CHECK(prev > 2.3263478740);

  CHECK_THROWS_AS(student_t_quantile(0, 5), std::invalid_argument);
  CHECK_THROWS_AS(student_t_quantile(1, 5), std::invalid_argument);
  CHECK_THROWS_AS(student_t_quantile(0.5, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(student_t_quantile(std::numeric_limits<double>::quiet_NaN(), 5), std::invalid_argument);
}
