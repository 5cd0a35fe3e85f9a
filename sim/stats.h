// Statistics used by every model: latency histograms, streaming moments, time-weighted averages and
// confidence intervals by batch means. All are fixed-size or amortised: recording never allocates.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace gmpsim::sim {

__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang extension: exact sums of latencies

// Log-bucketed histogram of non-negative integers (nanoseconds), HdrHistogram-style: values below
// 2^kSubBucketBits are exact (unit buckets); above, each power-of-two range [2^k, 2^(k+1)) is split into
// 2^(kSubBucketBits-1) linear sub-buckets of width 2^(k-kSubBucketBits+1), up to k = 62, so the whole
// int64 range is covered by a fixed 7296 buckets (allocated once, in the constructor). A percentile is
// reported as its bucket's midpoint, hence within kRelativeError of the true sample value of that rank.
// Count, min, max and sum are exact.
class LogHistogram {
 public:
  static constexpr int kSubBucketBits = 8;                 // 128 linear sub-buckets per power of two >= 256
  // Bound on |reported - true| / true: half a bucket width, 2^(k-kSubBucketBits), over a value >= 2^k.
  // (The bound is strict; values below 2^kSubBucketBits are reported exactly.)
  static constexpr double kRelativeError = 1.0 / (1 << kSubBucketBits);

  LogHistogram();
  void record(std::int64_t value);            // negative values are clamped to 0
  void record_n(std::int64_t value, std::uint64_t n);
  void merge(const LogHistogram& other);
  void clear();

  std::uint64_t count() const { return count_; }
  std::int64_t min() const;                   // 0 when empty
  std::int64_t max() const;                   // 0 when empty
  double mean() const;                        // exact (sum / count), 0 when empty
  // Value at quantile q in [0, 1]: the smallest recorded bucket whose cumulative count reaches
  // rank ceil(q * count) (at least 1; a product within 1e-9 relative of an integer counts as that integer,
  // so 0.07 * 100 is rank 7), reported as that bucket's midpoint (rounded down) clamped to [min, max].
  // q >= 1 gives max exactly, q <= 0 min exactly; 0 when empty.
  std::int64_t percentile(double q) const;

  // Non-empty buckets in increasing order, for CSV output: [low, high] inclusive bounds and count.
  struct Bucket { std::int64_t low, high; std::uint64_t count; };
  std::vector<Bucket> buckets() const;

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::int64_t min_ = 0, max_ = 0;
  Uint128 sum_ = 0;  // exact: 64-bit values times 64-bit counts fit (x87 long double was slow)
};

// Welford's streaming mean and variance.
class RunningStats {
 public:
  void add(double x);
  void merge(const RunningStats& o);  // Chan et al. parallel combination
  std::uint64_t count() const { return n_; }
  double mean() const { return mean_; }
  double variance() const;            // sample variance (n - 1), 0 when n < 2
  double stddev() const;
  double min() const { return min_; }
  double max() const { return max_; }

 private:
  std::uint64_t n_ = 0;
  double mean_ = 0, m2_ = 0, min_ = 0, max_ = 0;
};

// Time-weighted average of a piecewise-constant quantity (queue length, busy CPUs).
class TimeWeighted {
 public:
  void reset(Time now, double value);            // starts (or restarts, e.g. after warm-up) the window
  void set(Time now, double value);              // the quantity changes to `value` at `now`
  void add(Time now, double delta) { set(now, value_ + delta); }
  double value() const { return value_; }
  double average(Time now) const;                // over [window start, now]
  double integral(Time now) const;               // value * time (unit: value * ns)
  double max() const { return max_; }

 private:
  Time start_ = 0, last_ = 0;
  double value_ = 0, area_ = 0, max_ = 0;
};

struct ConfidenceInterval {
  double mean = 0;
  double half_width = 0;     // +inf when fewer than 2 batches
  double level = 0;          // e.g. 0.99
  std::uint64_t batches = 0;
  std::uint64_t batch_size = 0;
  std::uint64_t observations = 0;  // in complete batches (a trailing partial batch is excluded)
  double low() const { return mean - half_width; }
  double high() const { return mean + half_width; }
};

// Batch means with automatic doubling: observations fill batches of `size`; when 2*kMaxBatches batches
// exist, neighbours are merged pairwise and the size doubles. So the final number of batches lies in
// [kMaxBatches, 2*kMaxBatches) once there is enough data, and batches grow with the run length, which is
// what makes their means nearly independent for autocorrelated output such as successive waiting times.
class BatchMeans {
 public:
  static constexpr std::size_t kMaxBatches = 32;
  void add(double x);
  // Student-t interval over the batch means; level in (0, 1), else std::invalid_argument.
  ConfidenceInterval interval(double level) const;
  std::uint64_t count() const { return n_; }

 private:
  std::vector<double> sums_;       // complete batches, each the sum of batch_size_ observations
  double current_ = 0;
  std::uint64_t in_current_ = 0;
  std::uint64_t batch_size_ = 1;
  std::uint64_t n_ = 0;
};

// Quantile of Student's t distribution with `df` degrees of freedom (df >= 1, not necessarily an
// integer; +inf gives the normal quantile), p in (0, 1); otherwise std::invalid_argument. Relative error
// below 1e-9.
double student_t_quantile(double p, double df);

}  // namespace gmpsim::sim
