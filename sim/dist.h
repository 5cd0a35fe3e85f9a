// Distributions, implemented here rather than taken from <random> so that a seed gives the same draws on
// every standard library. A Dist is a plain value (parameters only); sampling takes the stream as an
// argument and never allocates. Samples are doubles in the caller's unit (the workload layer uses
// nanoseconds for durations); callers round to their integer unit.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/rng.h"

namespace gmpsim::sim {

class Dist {
 public:
  enum class Kind : std::uint8_t {
    kConstant,     // value
    kExponential,  // mean
    kUniform,      // [low, high)
    kNormal,       // mean, stddev; truncated at 0 by callers that need non-negative values
    kLognormal,    // median = exp(mu), sigma (of the underlying normal)
    kGamma,        // shape k > 0, scale theta (mean = k*theta)
    kErlang,       // integer shape k, mean of the whole (k phases of mean/k each)
    kPareto,       // scale x_m (minimum), shape alpha > 0
    kMixture,      // weighted components (e.g. bimodal)
    kEmpirical,    // piecewise-linear inverse CDF through (value, cumulative probability) points
  };

  // Factories. They validate parameters and throw std::invalid_argument with a readable message.
  static Dist constant(double value);
  static Dist exponential(double mean);
  static Dist uniform(double low, double high);
  static Dist normal(double mean, double stddev);
  static Dist lognormal(double median, double sigma);
  static Dist lognormal_mean_cv(double mean, double cv);  // the same family, parameterised by moments
  static Dist gamma(double shape, double scale);
  static Dist erlang(int k, double mean);
  static Dist pareto(double scale, double alpha);
  // Weights need not sum to 1; they are normalised. Components may themselves be any Dist.
  static Dist mixture(std::vector<Dist> components, std::vector<double> weights);
  // Points (value, cumulative probability), values non-decreasing, probabilities non-decreasing from
  // a first point with p = 0 (added at the first value if missing) to a last with p = 1 (within 1e-9, so
  // sums of decimal fractions are accepted). A jump in p at one value is a point mass there.
  static Dist empirical(std::vector<std::pair<double, double>> points);
  // The empirical distribution of samples (any order, at least one, finite and >= 0): each drawn with
  // probability 1/n, as resampling them would (the points form with a point mass per sample).
  static Dist empirical_samples(std::vector<double> samples);
  // A histogram: bucket edges (non-decreasing, finite, >= 0) and one count (>= 0, not all 0) per bucket;
  // a draw picks a bucket by its count and is uniform inside it. A zero-width bucket (an edge repeated)
  // is a point mass at that value.
  static Dist empirical_histogram(const std::vector<double>& edges, const std::vector<double>& counts);

  double sample(Rng& rng) const;
  double mean() const;       // exact, +inf where it does not exist (Pareto alpha <= 1)
  double variance() const;   // exact, +inf where it does not exist
  Kind kind() const { return kind_; }
  // Short human description, e.g. "lognormal(median=50000, sigma=0.5)".
  std::string describe() const;

 private:
  static Dist make(Kind kind, double p0, double p1 = 0);  // factories validate, then build through this

  Kind kind_ = Kind::kConstant;
  double p0_ = 0, p1_ = 0, p2_ = 0;          // parameters, meaning set by kind_
  std::vector<Dist> components_;            // kMixture
  std::vector<double> cumulative_;          // kMixture: cumulative weights; kEmpirical: cumulative probs
  std::vector<double> values_;              // kEmpirical
};

// Standard normal deviate (Box–Muller, one value per call so no state is cached in the Dist).
double standard_normal(Rng& rng);
// Gamma(shape, 1) deviate, Marsaglia & Tsang (2000), with the shape < 1 boost u^(1/shape).
double standard_gamma(Rng& rng, double shape);

}  // namespace gmpsim::sim
