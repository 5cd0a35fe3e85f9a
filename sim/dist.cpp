#include "sim/dist.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace gmpsim::sim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Tolerance on empirical probabilities, so that cumulative sums of decimal fractions (0.7 + 0.2 + 0.1 =
// 0.9999999999999999) are accepted as ending at 1.
constexpr double kProbSlack = 1e-9;

// Shortest decimal that round-trips, so describe() neither loses digits nor pads them.
std::string num(double x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

// Six significant digits, for derived quantities such as normalised weights (1 - 0.3 is not 0.7).
std::string num6(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

[[noreturn]] void bad(const char* what, const std::string& requirement, double got) {
  throw std::invalid_argument(std::string(what) + ": " + requirement + " (got " + num(got) + ")");
}

// `what: name must be finite`; NaN fails every comparison below, so it is caught here too.
void require_finite(const char* what, const char* name, double x) {
  if (!std::isfinite(x)) bad(what, std::string(name) + " must be finite", x);
}
void require_positive(const char* what, const char* name, double x) {
  require_finite(what, name, x);
  if (!(x > 0)) bad(what, std::string(name) + " must be > 0", x);
}
void require_non_negative(const char* what, const char* name, double x) {
  require_finite(what, name, x);
  if (!(x >= 0)) bad(what, std::string(name) + " must be >= 0", x);
}

}  // namespace

// Box & Muller (1958). The second deviate of each pair is discarded so that no state lives in the Dist
// or the stream: a draw depends only on the two uniforms it consumes.
double standard_normal(Rng& rng) {
  const double u1 = rng.uniform_pos();  // (0, 1]: log is finite
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Marsaglia & Tsang, "A simple method for generating gamma variables", ACM TOMS 26(3), 2000. For shape
// < 1 they draw Gamma(shape + 1) and multiply by u^(1/shape) (their section 6).
double standard_gamma(Rng& rng, double shape) {
  if (shape < 1.0) {
    const double u = rng.uniform_pos();
    return standard_gamma(rng, shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform_pos();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;                            // squeeze
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;  // exact test
  }
}

Dist Dist::make(Kind kind, double p0, double p1) {
  Dist d;
  d.kind_ = kind;
  d.p0_ = p0;
  d.p1_ = p1;
  return d;
}

Dist Dist::constant(double value) {
  require_finite("constant", "value", value);
  return make(Kind::kConstant, value);
}

Dist Dist::exponential(double mean) {
  require_positive("exponential", "mean", mean);
  return make(Kind::kExponential, mean);
}

Dist Dist::uniform(double low, double high) {
  require_finite("uniform", "low", low);
  require_finite("uniform", "high", high);
  if (!(high >= low)) bad("uniform", "high must be >= low = " + num(low), high);
  return make(Kind::kUniform, low, high);
}

Dist Dist::normal(double mean, double stddev) {
  require_finite("normal", "mean", mean);
  require_non_negative("normal", "stddev", stddev);
  return make(Kind::kNormal, mean, stddev);
}

Dist Dist::lognormal(double median, double sigma) {
  require_positive("lognormal", "median", median);
  require_non_negative("lognormal", "sigma", sigma);
  return make(Kind::kLognormal, median, sigma);
}

// If X = median * exp(sigma Z): E[X] = median exp(sigma^2/2) and CV^2 = exp(sigma^2) - 1, hence
// sigma^2 = ln(1 + cv^2) and median = mean / sqrt(1 + cv^2).
Dist Dist::lognormal_mean_cv(double mean, double cv) {
  require_positive("lognormal_mean_cv", "mean", mean);
  require_non_negative("lognormal_mean_cv", "cv", cv);
  const double s2 = std::log1p(cv * cv);
  return lognormal(mean / std::sqrt(1.0 + cv * cv), std::sqrt(s2));
}

Dist Dist::gamma(double shape, double scale) {
  require_positive("gamma", "shape", shape);
  require_positive("gamma", "scale", scale);
  return make(Kind::kGamma, shape, scale);
}

Dist Dist::erlang(int k, double mean) {
  if (k < 1) bad("erlang", "k must be >= 1", k);
  require_positive("erlang", "mean", mean);
  return make(Kind::kErlang, k, mean);
}

Dist Dist::pareto(double scale, double alpha) {
  require_positive("pareto", "scale", scale);
  require_positive("pareto", "alpha", alpha);
  return make(Kind::kPareto, scale, alpha);
}

Dist Dist::mixture(std::vector<Dist> components, std::vector<double> weights) {
  if (components.empty()) throw std::invalid_argument("mixture: components must not be empty (got 0)");
  if (weights.size() != components.size()) {
    throw std::invalid_argument("mixture: weights must have one entry per component (got " +
                                std::to_string(weights.size()) + " weights for " +
                                std::to_string(components.size()) + " components)");
  }
  double total = 0;
  for (const double w : weights) {
    require_non_negative("mixture", "every weight", w);
    total += w;
  }
  if (!(total > 0) || !std::isfinite(total)) bad("mixture", "the weights' sum must be finite and > 0", total);
  Dist d;
  d.kind_ = Kind::kMixture;
  d.components_ = std::move(components);
  d.cumulative_.resize(weights.size());
  double acc = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    acc += weights[i];
    d.cumulative_[i] = acc / total;
  }
  // The last positive-weight component ends at exactly 1, so a uniform in [0, 1) always finds one.
  for (std::size_t i = weights.size(); i-- > 0;) {
    if (weights[i] > 0) {
      for (std::size_t j = i; j < weights.size(); ++j) d.cumulative_[j] = 1.0;
      break;
    }
  }
  return d;
}

Dist Dist::empirical(std::vector<std::pair<double, double>> points) {
  if (points.empty()) throw std::invalid_argument("empirical: points must not be empty (got 0)");
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto [v, p] = points[i];
    require_finite("empirical", "every value", v);
    require_finite("empirical", "every probability", p);
    if (!(p >= 0 && p <= 1 + kProbSlack)) bad("empirical", "probabilities must be in [0, 1]", p);
    if (i > 0 && v < points[i - 1].first) {
      bad("empirical", "values must be non-decreasing (previous " + num(points[i - 1].first) + ")", v);
    }
    if (i > 0 && p < points[i - 1].second) {
      bad("empirical", "probabilities must be non-decreasing (previous " + num(points[i - 1].second) + ")", p);
    }
  }
  if (!(std::abs(points.back().second - 1.0) <= kProbSlack)) {
    bad("empirical", "the last probability must be 1", points.back().second);
  }
  for (auto& pt : points) pt.second = std::min(pt.second, 1.0);
  points.back().second = 1.0;
  Dist d;
  d.kind_ = Kind::kEmpirical;
  const bool prepend = points.front().second != 0.0;  // an initial jump is a point mass at the first value
  d.values_.reserve(points.size() + prepend);
  d.cumulative_.reserve(points.size() + prepend);
  if (prepend) {
    d.values_.push_back(points.front().first);
    d.cumulative_.push_back(0.0);
  }
  for (const auto& [v, p] : points) {
    d.values_.push_back(v);
    d.cumulative_.push_back(p);
  }
  return d;
}

Dist Dist::empirical_samples(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("empirical: samples must not be empty (got 0)");
  for (const double v : samples) {
    require_finite("empirical", "every sample", v);
    if (v < 0) bad("empirical", "samples must be >= 0", v);
  }
  std::sort(samples.begin(), samples.end());
  // The ECDF as points: a jump of 1/n at each distinct value (k equal samples: k/n).
  const double n = static_cast<double>(samples.size());
  std::vector<std::pair<double, double>> points;
  points.reserve(2 * samples.size());
  for (std::size_t i = 0; i < samples.size();) {
    std::size_t j = i;
    while (j < samples.size() && samples[j] == samples[i]) ++j;
    points.emplace_back(samples[i], static_cast<double>(i) / n);
    points.emplace_back(samples[i], static_cast<double>(j) / n);
    i = j;
  }
  return empirical(std::move(points));
}

Dist Dist::empirical_histogram(const std::vector<double>& edges, const std::vector<double>& counts) {
  if (edges.size() < 2) bad("empirical", "a histogram needs at least 2 edges", static_cast<double>(edges.size()));
  if (counts.size() != edges.size() - 1) {
    bad("empirical", "a histogram needs one count per bucket, edges - 1 = " + num(static_cast<double>(edges.size() - 1)) +
                         " (counts given)", static_cast<double>(counts.size()));
  }
  double total = 0;
  for (std::size_t i = 0; i < edges.size(); ++i) {
    require_finite("empirical", "every edge", edges[i]);
    if (edges[i] < 0) bad("empirical", "edges must be >= 0", edges[i]);
    if (i > 0 && edges[i] < edges[i - 1]) {
      bad("empirical", "edges must be non-decreasing (previous " + num(edges[i - 1]) + ")", edges[i]);
    }
  }
  for (const double c : counts) {
    require_finite("empirical", "every count", c);
    if (c < 0) bad("empirical", "counts must be >= 0", c);
    total += c;
  }
  if (!(total > 0)) bad("empirical", "a histogram needs a positive count", total);
  // Bucket i is the segment (edges[i], cum before) .. (edges[i+1], cum after): linear inside, a jump when
  // the bucket has zero width.
  std::vector<std::pair<double, double>> points;
  points.reserve(2 * counts.size());
  double cum = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    points.emplace_back(edges[i], cum / total);
    cum += counts[i];
    points.emplace_back(edges[i + 1], cum / total);
  }
  points.back().second = 1.0;
  return empirical(std::move(points));
}

double Dist::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::kConstant:
      return p0_;
    case Kind::kExponential:
      return -p0_ * std::log(rng.uniform_pos());
    case Kind::kUniform:
      return p0_ + (p1_ - p0_) * rng.uniform01();
    case Kind::kNormal:
      return p0_ + p1_ * standard_normal(rng);
    case Kind::kLognormal:
      return p0_ * std::exp(p1_ * standard_normal(rng));
    case Kind::kGamma:
      return p1_ * standard_gamma(rng, p0_);
    case Kind::kErlang:
      return (p1_ / p0_) * standard_gamma(rng, p0_);
    case Kind::kPareto:
      // Inverse CDF with u in (0, 1]: x = scale * u^(-1/alpha) >= scale.
      return p0_ / std::pow(rng.uniform_pos(), 1.0 / p1_);
    case Kind::kMixture: {
      const double u = rng.uniform01();
      std::size_t i;
      if (cumulative_.size() <= 8) {
        i = 0;
        while (i + 1 < cumulative_.size() && u >= cumulative_[i]) ++i;
      } else {
        i = static_cast<std::size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) -
                                     cumulative_.begin());
        if (i >= cumulative_.size()) i = cumulative_.size() - 1;
      }
      return components_[i].sample(rng);
    }
    case Kind::kEmpirical: {
      // Inverse CDF: the segment (i-1, i) with cum[i-1] <= u < cum[i]; cum[0] = 0 and cum.back() = 1,
      // so 1 <= i < size and the segment has positive probability (jumps are point masses).
      const double u = rng.uniform01();
      auto i = static_cast<std::size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) -
                                        cumulative_.begin());
      if (i >= cumulative_.size()) i = cumulative_.size() - 1;
      if (i == 0) i = 1;
      const double c0 = cumulative_[i - 1], c1 = cumulative_[i];
      const double v0 = values_[i - 1], v1 = values_[i];
      if (!(c1 > c0)) return v1;
      return v0 + (v1 - v0) * ((u - c0) / (c1 - c0));
    }
  }
  return p0_;
}

double Dist::mean() const {
  switch (kind_) {
    case Kind::kConstant:
      return p0_;
    case Kind::kExponential:
      return p0_;
    case Kind::kUniform:
      return 0.5 * (p0_ + p1_);
    case Kind::kNormal:
      return p0_;
    case Kind::kLognormal:
      return p0_ * std::exp(0.5 * p1_ * p1_);
    case Kind::kGamma:
      return p0_ * p1_;
    case Kind::kErlang:
      return p1_;
    case Kind::kPareto:
      return p1_ > 1 ? p1_ * p0_ / (p1_ - 1) : kInf;
    case Kind::kMixture: {
      double m = 0, prev = 0;
      for (std::size_t i = 0; i < components_.size(); ++i) {
        const double w = cumulative_[i] - prev;
        prev = cumulative_[i];
        if (w > 0) m += w * components_[i].mean();  // a zero weight must not turn an infinite mean into NaN
      }
      return m;
    }
    case Kind::kEmpirical: {
      // Uniform within each segment of the inverse CDF: its mean is the segment's midpoint.
      double m = 0;
      for (std::size_t i = 1; i < values_.size(); ++i) {
        m += (cumulative_[i] - cumulative_[i - 1]) * 0.5 * (values_[i - 1] + values_[i]);
      }
      return m;
    }
  }
  return 0;
}

double Dist::variance() const {
  switch (kind_) {
    case Kind::kConstant:
      return 0;
    case Kind::kExponential:
      return p0_ * p0_;
    case Kind::kUniform:
      return (p1_ - p0_) * (p1_ - p0_) / 12.0;
    case Kind::kNormal:
      return p1_ * p1_;
    case Kind::kLognormal: {
      const double s2 = p1_ * p1_;
      return p0_ * p0_ * std::exp(s2) * std::expm1(s2);
    }
    case Kind::kGamma:
      return p0_ * p1_ * p1_;
    case Kind::kErlang:
      return p1_ * p1_ / p0_;
    case Kind::kPareto: {
      const double a = p1_;
      return a > 2 ? p0_ * p0_ * a / ((a - 1) * (a - 1) * (a - 2)) : kInf;
    }
    case Kind::kMixture: {
      // Law of total variance: E[Var(X|C)] + Var(E[X|C]).
      const double m = mean();
      if (!std::isfinite(m)) return kInf;
      double v = 0, prev = 0;
      for (std::size_t i = 0; i < components_.size(); ++i) {
        const double w = cumulative_[i] - prev;
        prev = cumulative_[i];
        if (w > 0) {
          const double d = components_[i].mean() - m;
          v += w * (components_[i].variance() + d * d);
        }
      }
      return v;
    }
    case Kind::kEmpirical: {
      // Total variance over segments: each is uniform on [v0, v1], variance (v1 - v0)^2 / 12.
      const double m = mean();
      double v = 0;
      for (std::size_t i = 1; i < values_.size(); ++i) {
        const double w = cumulative_[i] - cumulative_[i - 1];
        const double width = values_[i] - values_[i - 1];
        const double d = 0.5 * (values_[i - 1] + values_[i]) - m;
        v += w * (d * d + width * width / 12.0);
      }
      return v;
    }
  }
  return 0;
}

std::string Dist::describe() const {
  switch (kind_) {
    case Kind::kConstant:
      return "constant(" + num(p0_) + ")";
    case Kind::kExponential:
      return "exponential(mean=" + num(p0_) + ")";
    case Kind::kUniform:
      return "uniform(low=" + num(p0_) + ", high=" + num(p1_) + ")";
    case Kind::kNormal:
      return "normal(mean=" + num(p0_) + ", stddev=" + num(p1_) + ")";
    case Kind::kLognormal:
      return "lognormal(median=" + num(p0_) + ", sigma=" + num(p1_) + ")";
    case Kind::kGamma:
      return "gamma(shape=" + num(p0_) + ", scale=" + num(p1_) + ")";
    case Kind::kErlang:
      return "erlang(k=" + num(p0_) + ", mean=" + num(p1_) + ")";
    case Kind::kPareto:
      return "pareto(scale=" + num(p0_) + ", alpha=" + num(p1_) + ")";
    case Kind::kMixture: {
      std::string s = "mixture(";
      double prev = 0;
      for (std::size_t i = 0; i < components_.size(); ++i) {
        if (i > 0) s += ", ";
        s += num6(cumulative_[i] - prev) + "*" + components_[i].describe();
        prev = cumulative_[i];
      }
      return s + ")";
    }
    case Kind::kEmpirical:
      return "empirical(" + std::to_string(values_.size()) + " points, min=" + num(values_.front()) +
             ", max=" + num(values_.back()) + ")";
  }
  return "?";
}

}  // namespace gmpsim::sim
