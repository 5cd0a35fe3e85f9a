#include "sim/stats.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include "sim/check.h"

namespace gmpsim::sim {

// ---------------------------------------------------------------------------------------------------------
// LogHistogram. The layout follows HdrHistogram (Tene): index = exact value below 2^B (B =
// kSubBucketBits); a value v with highest set bit k >= B goes to sub-bucket (v >> (k - B + 1)) - 2^(B-1)
// of its power-of-two range, i.e. 2^(B-1) buckets of width 2^(k-B+1) per range, up to k = 62.

namespace {

constexpr int kB = LogHistogram::kSubBucketBits;
constexpr std::uint64_t kExact = std::uint64_t{1} << kB;          // values [0, kExact) are exact
constexpr std::uint64_t kHalf = std::uint64_t{1} << (kB - 1);     // linear sub-buckets per range
constexpr std::size_t kBucketCount = kExact + (63 - kB) * kHalf;  // ranges k = B .. 62
static_assert(kB != 8 || kBucketCount == 7296, "update the bucket count in stats.h");

std::size_t bucket_index(std::uint64_t v) {
  if (v < kExact) return static_cast<std::size_t>(v);
  const int k = 63 - std::countl_zero(v);  // highest set bit, >= B
  const int shift = k - kB + 1;
  return static_cast<std::size_t>(kExact + static_cast<std::uint64_t>(k - kB) * kHalf + ((v >> shift) - kHalf));
}

struct Bounds { std::uint64_t low, high; };

Bounds bucket_bounds(std::size_t index) {
  if (index < kExact) return {index, index};
  const std::uint64_t j = index - kExact;
  const int k = kB + static_cast<int>(j / kHalf);
  const int shift = k - kB + 1;
  const std::uint64_t low = (kHalf + j % kHalf) << shift;
  return {low, low + ((std::uint64_t{1} << shift) - 1)};
}

// Rank ceil(q * n), treating a product within a relative 1e-9 of an integer as that integer: 0.07 * 100
// is 7.000000000000001 in binary floating point and must still mean the 7th value, not the 8th.
std::uint64_t rank_of(double q, std::uint64_t n) {
  const double r = q * static_cast<double>(n);
  const double nearest = std::nearbyint(r);
  const double rank = std::abs(r - nearest) <= 1e-9 * std::max(1.0, r) ? nearest : std::ceil(r);
  if (rank < 1) return 1;
  if (rank >= static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(rank);
}

}  // namespace

LogHistogram::LogHistogram() : counts_(kBucketCount, 0) {}

void LogHistogram::record(std::int64_t value) { record_n(value, 1); }

void LogHistogram::record_n(std::int64_t value, std::uint64_t n) {
  if (n == 0) return;
  if (value < 0) value = 0;
  counts_[bucket_index(static_cast<std::uint64_t>(value))] += n;
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += n;
  sum_ += static_cast<Uint128>(value) * n;
}

void LogHistogram::merge(const LogHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
}

void LogHistogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = max_ = 0;
  sum_ = 0;
}

std::int64_t LogHistogram::min() const { return min_; }
std::int64_t LogHistogram::max() const { return max_; }

double LogHistogram::mean() const {
  if (count_ == 0) return 0.0;
  // Whole part exactly, then the remainder: the mean is correct to the last bit of a double.
  const Uint128 q = sum_ / count_, r = sum_ % count_;
  return static_cast<double>(q) + static_cast<double>(r) / static_cast<double>(count_);
}

std::int64_t LogHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) return min_;  // also NaN
  if (q >= 1) return max_;
  const std::uint64_t rank = rank_of(q, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = bucket_index(static_cast<std::uint64_t>(min_)); i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const Bounds b = bucket_bounds(i);
      const auto mid = static_cast<std::int64_t>(b.low + (b.high - b.low) / 2);
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;  // unreachable: the counts sum to count_
}

std::vector<LogHistogram::Bucket> LogHistogram::buckets() const {
  std::vector<Bucket> out;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const Bounds b = bucket_bounds(i);
    out.push_back({static_cast<std::int64_t>(b.low), static_cast<std::int64_t>(b.high), counts_[i]});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// RunningStats: Welford (1962), "Note on a method for calculating corrected sums of squares and
// products"; merge by Chan, Golub & LeVeque (1979), "Updating formulae and a pairwise algorithm for
// computing sample variances".

void RunningStats::add(double x) {
  ++n_;
  if (n_ == 1) {
    mean_ = min_ = max_ = x;
    m2_ = 0;
    return;
  }
  const double d = x - mean_;
  mean_ += d / static_cast<double>(n_);
  m2_ += d * (x - mean_);
  min_ = std::min(min_, x);
  max_ = std::max(max_, x);
}

void RunningStats::merge(const RunningStats& o) {
  if (o.n_ == 0) return;
  if (n_ == 0) {
    *this = o;
    return;
  }
  const double na = static_cast<double>(n_), nb = static_cast<double>(o.n_);
  const double n = na + nb;
  const double d = o.mean_ - mean_;
  mean_ += d * (nb / n);
  m2_ += o.m2_ + d * d * (na * nb / n);
  n_ += o.n_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

double RunningStats::variance() const { return n_ < 2 ? 0.0 : m2_ / static_cast<double>(n_ - 1); }
double RunningStats::stddev() const { return std::sqrt(variance()); }

// ---------------------------------------------------------------------------------------------------------
// TimeWeighted

void TimeWeighted::reset(Time now, double value) {
  start_ = last_ = now;
  value_ = max_ = value;
  area_ = 0;
}

void TimeWeighted::set(Time now, double value) {
  GMPSIM_CHECK(now >= last_, "TimeWeighted::set: time went backwards");
  area_ += value_ * static_cast<double>(now - last_);
  last_ = now;
  value_ = value;
  max_ = std::max(max_, value);
}

double TimeWeighted::integral(Time now) const { return area_ + value_ * static_cast<double>(now - last_); }

double TimeWeighted::average(Time now) const {
  if (now <= start_) return value_;
  return integral(now) / static_cast<double>(now - start_);
}

// ---------------------------------------------------------------------------------------------------------
// BatchMeans: a fixed number of batches whose size doubles with the run length, as in the FNB rule of
// Fishman & Yarberry (1997), "An implementation of the batch means method", INFORMS J. Computing 9(3).

void BatchMeans::add(double x) {
  if (sums_.capacity() < 2 * kMaxBatches) sums_.reserve(2 * kMaxBatches);  // once: add() never allocates again
  current_ += x;
  ++in_current_;
  ++n_;
  if (in_current_ < batch_size_) return;
  sums_.push_back(current_);
  current_ = 0;
  in_current_ = 0;
  if (sums_.size() == 2 * kMaxBatches) {
    for (std::size_t i = 0; i < kMaxBatches; ++i) sums_[i] = sums_[2 * i] + sums_[2 * i + 1];
    sums_.resize(kMaxBatches);
    batch_size_ *= 2;
  }
}

ConfidenceInterval BatchMeans::interval(double level) const {
  if (!(level > 0 && level < 1)) {
    throw std::invalid_argument("BatchMeans::interval: level must be in (0, 1) (got " + std::to_string(level) + ")");
  }
  ConfidenceInterval ci;
  ci.level = level;
  ci.batches = sums_.size();
  ci.batch_size = batch_size_;
  ci.observations = ci.batches * batch_size_;
  ci.half_width = std::numeric_limits<double>::infinity();
  if (sums_.empty()) return ci;
  const auto k = static_cast<double>(sums_.size());
  const auto b = static_cast<double>(batch_size_);
  double total = 0;
  for (const double s : sums_) total += s / b;
  ci.mean = total / k;
  if (sums_.size() < 2) return ci;
  double ss = 0;  // two passes: the batch means are few, and this avoids cancellation
  for (const double s : sums_) {
    const double d = s / b - ci.mean;
    ss += d * d;
  }
  const double var = ss / (k - 1);
  ci.half_width = student_t_quantile(0.5 + 0.5 * level, k - 1) * std::sqrt(var / k);
  return ci;
}

// ---------------------------------------------------------------------------------------------------------
// Student's t quantile: safeguarded Newton on the upper tail P(T > t) = 0.5 I_{df/(df+t^2)}(df/2, 1/2),
// with the regularised incomplete beta evaluated by the continued fraction of Numerical Recipes 6.4
// (modified Lentz, Thompson & Barnett 1986). Closed forms for df = 1 and 2; for df > 1e7 the
// Cornish-Fisher expansion around the normal quantile (Abramowitz & Stegun 26.7.5) is exact to double
// precision and avoids the continued fraction's O(sqrt(df)) iterations.

namespace {

// Lanczos (1964) log-gamma, g = 7, n = 9 (the coefficients of Godfrey / Numerical Recipes 3rd ed.),
// relative error ~1e-15. Written out rather than std::lgamma, which writes the global `signgam` and so is
// not safe to call from concurrently running simulations.
double log_gamma(double x) {
  static constexpr double c[9] = {0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
                                  771.32342877765313,   -176.61502916214059,   12.507343278686905,
                                  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
  if (x < 0.5) return log_gamma(x + 1) - std::log(x);  // only x > 0 occurs here
  x -= 1;
  double a = c[0];
  const double t = x + 7.5;
  for (int i = 1; i < 9; ++i) a += c[i] / (x + i);
  return 0.5 * std::log(2 * std::numbers::pi) + (x + 0.5) * std::log(t) - t + std::log(a);
}

double beta_cf(double a, double b, double x) {
  constexpr double kTiny = 1e-300, kEps = 1e-16;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 100000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) < kEps) break;
  }
  return h;
}

// I_x(a, b), given x and y = 1 - x separately so that neither loses digits near 1.
double inc_beta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double ln_x = x < 0.5 ? std::log(x) : std::log1p(-y);
  const double ln_y = y < 0.5 ? std::log(y) : std::log1p(-x);
  const double front = std::exp(a * ln_x + b * ln_y - (log_gamma(a) + log_gamma(b) - log_gamma(a + b)));
  if (x < (a + 1) / (a + b + 2)) return front * beta_cf(a, b, x) / a;
  return 1 - front * beta_cf(b, a, y) / b;
}

// Finds t >= 0 with tail(t) = q for a decreasing tail with derivative -pdf, q in (0, 0.5).
template <class Tail, class Pdf>
double solve_upper(double q, Tail tail, Pdf pdf) {
  double lo = 0, hi = 1;
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return std::numeric_limits<double>::infinity();
  }
  double t = 0.5 * (lo + hi);
  for (int it = 0; it < 300; ++it) {
    const double f = tail(t) - q;
    if (f == 0) return t;
    if (f > 0) lo = t; else hi = t;
    double next = t + f / pdf(t);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::abs(next - t) <= 1e-14 * t || hi - lo <= 1e-15 * hi) return next;
    t = next;
  }
  return t;
}

double normal_upper_quantile(double q) {
  return solve_upper(
      q, [](double t) { return 0.5 * std::erfc(t / std::numbers::sqrt2); },
      [](double t) { return std::exp(-0.5 * t * t) / std::sqrt(2 * std::numbers::pi); });
}

}  // namespace

double student_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1)) {
    throw std::invalid_argument("student_t_quantile: p must be in (0, 1) (got " + std::to_string(p) + ")");
  }
  if (!(df >= 1)) {
    throw std::invalid_argument("student_t_quantile: df must be >= 1 (got " + std::to_string(df) + ")");
  }
  if (p == 0.5) return 0;
  const double q = p < 0.5 ? p : 1 - p;  // upper-tail probability; 1 - p is exact for p > 0.5
  const double sign = p < 0.5 ? -1 : 1;
  double t;
  if (df == 1) {
    t = 1 / std::tan(std::numbers::pi * q);  // Cauchy
  } else if (df == 2) {
    t = (1 - 2 * q) / std::sqrt(2 * q * (1 - q));
  } else if (df > 1e7) {
    const double z = normal_upper_quantile(q), z2 = z * z;
    t = z + z * (z2 + 1) / (4 * df) + z * ((5 * z2 + 16) * z2 + 3) / (96 * df * df);
  } else {
    const double a = 0.5 * df;
    const double log_norm = log_gamma(0.5 * (df + 1)) - log_gamma(a) - 0.5 * std::log(df * std::numbers::pi);
    const auto tail = [&](double x) {
      const double r2 = x * x / df;
      if (r2 > 1e300) return 0.5 * inc_beta(a, 0.5, 1 / r2, 1.0);
      return 0.5 * inc_beta(a, 0.5, 1 / (1 + r2), r2 / (1 + r2));
    };
    const auto pdf = [&](double x) { return std::exp(log_norm - 0.5 * (df + 1) * std::log1p(x * x / df)); };
    t = solve_upper(q, tail, pdf);
  }
  return sign * t;
}

}  // namespace gmpsim::sim
