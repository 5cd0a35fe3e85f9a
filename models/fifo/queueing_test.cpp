// The fifo model against queueing theory: M/M/1, M/M/c (Erlang C), M/D/1 and M/G/1 (Pollaczek-Khinchine)
// at rho in {0.5, 0.8, 0.95}. With fixed seeds the tests are deterministic; each asserts that the analytic
// mean wait lies inside the simulated 99 % batch-means confidence interval and that the interval's
// half-width is at most 5 % of the analytic value (so the test has teeth), plus Little's law.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;

namespace {

enum class Service { kExponential, kDeterministic, kLognormalCv2 };

using testing::erlang_c;

// Analytic mean wait in queue (seconds) for mean service 1 ms.
double analytic_wait_s(Service s, int c, double rho) {
  const double es = 1e-3, lambda = rho * c / es;
  switch (s) {
    case Service::kExponential: return erlang_c(c, lambda * es) / (c / es - lambda);
    case Service::kDeterministic: return rho * es / (2 * (1 - rho));                 // M/D/1
    case Service::kLognormalCv2: return lambda * (1 + 4.0) * es * es / (2 * (1 - rho));  // M/G/1, E[S^2]=(1+cv^2)E[S]^2
  }
  return 0;
}

std::string scenario(Service s, int c, double rho, double customers) {
  const double lambda = rho * c / 1e-3;
  const double duration_s = std::ceil(customers / lambda);
  std::ostringstream os;
  os << "machine: {cpus: " << c << "}\n"
     << "workload:\n  classes:\n    job:\n"
     << "      arrivals: {process: poisson, rate: " << lambda << "/s}\n"
     << "      program:\n        - compute: ";
  switch (s) {
    case Service::kExponential: os << "{dist: exponential, mean: 1ms}\n"; break;
    case Service::kDeterministic: os << "1ms\n"; break;
    case Service::kLognormalCv2: os << "{dist: lognormal, mean: 1ms, cv: 2}\n"; break;
  }
  os << "run: {duration: " << duration_s << "s, warmup: " << std::ceil(duration_s / 100) << "s, sample_interval: 1000s, seed: 7}\n";
  return os.str();
}

struct Case {
  const char* name;
  Service service;
  int c;
  double rho;
  double customers;  // quick tier; sized so the half-width lands near 3-4 % of the analytic wait
};

void check_case(const Case& k, double scale, double max_rel_half_width) {
  const RunResult r = testing::run_yaml(scenario(k.service, k.c, k.rho, k.customers * scale));
  const double expected_ns = analytic_wait_s(k.service, k.c, k.rho) * 1e9;
  const auto& ci = r.classes[0].wait.mean_ci;
  INFO(k.name << " rho=" << k.rho << ": analytic " << expected_ns / 1e3 << " us, simulated " << ci.mean / 1e3 << " +- "
               << ci.half_width / 1e3 << " us (" << 100 * ci.half_width / expected_ns << " %), " << ci.observations
               << " observations in " << ci.batches << " batches");
  CHECK(ci.level == Approx(0.99));
  CHECK(ci.low() <= expected_ns);
  CHECK(expected_ns <= ci.high());
  CHECK(ci.half_width <= max_rel_half_width * expected_ns);
  // Little's law over the measured window: mean number in system = throughput x mean sojourn time.
  const double sojourn_s = r.classes[0].latency.latency.mean() * 1e-9;
  const double little = r.throughput_per_s * sojourn_s;
  INFO("Little: L = " << r.mean_live << ", lambda W = " << little);
  // Finite-horizon tolerance: goroutines in flight at the window's edges are counted by L but not by
  // lambda*W; their share is about (L at the edge) / (throughput x window), far below 1 % here.
  CHECK(r.mean_live == Approx(little).epsilon(0.01));
}

const Case kCases[] = {
    {"M/M/1", Service::kExponential, 1, 0.5, 4e5},       {"M/M/1", Service::kExponential, 1, 0.8, 1.5e6},
    {"M/M/1", Service::kExponential, 1, 0.95, 8e6},      {"M/M/2", Service::kExponential, 2, 0.5, 6e5},
    {"M/M/2", Service::kExponential, 2, 0.8, 1.5e6},     {"M/M/2", Service::kExponential, 2, 0.95, 8e6},
    {"M/M/4", Service::kExponential, 4, 0.5, 1.5e6},     {"M/M/4", Service::kExponential, 4, 0.8, 2e6},
    {"M/M/4", Service::kExponential, 4, 0.95, 8e6},      {"M/M/16", Service::kExponential, 16, 0.5, 2e7},
    {"M/M/16", Service::kExponential, 16, 0.8, 4e6},     {"M/M/16", Service::kExponential, 16, 0.95, 8e6},
    {"M/D/1", Service::kDeterministic, 1, 0.5, 3e5},     {"M/D/1", Service::kDeterministic, 1, 0.8, 1e6},
    {"M/D/1", Service::kDeterministic, 1, 0.95, 6e6},    {"M/G/1", Service::kLognormalCv2, 1, 0.5, 3e6},
    {"M/G/1", Service::kLognormalCv2, 1, 0.8, 8e6},      {"M/G/1", Service::kLognormalCv2, 1, 0.95, 2.4e7},
};

}  // namespace

// One test case per family, so ctest runs them in parallel.
static void check_family(const std::string& family, bool long_tier) {
  // Under sanitizers the samples shrink 20-fold: the interval must still cover the answer, but is wider.
  const double scale = long_tier ? 4.0 : testing::kSanitized ? 0.05 : 1.0;
  const double max_half = long_tier ? 0.025 : testing::kSanitized ? 0.25 : 0.05;
  for (const Case& k : kCases) {
    if (family != k.name) continue;
    DYNAMIC_SECTION(k.name << " rho=" << k.rho) { check_case(k, scale, max_half); }
  }
}

#define GMPSIM_QUEUEING_FAMILY(FAMILY)                                                              \
  TEST_CASE("fifo matches " FAMILY " mean wait", "[fifo][queueing]") { check_family(FAMILY, false); } \
  TEST_CASE("fifo matches " FAMILY " mean wait, long samples", "[fifo][queueing][long]") { check_family(FAMILY, true); }

GMPSIM_QUEUEING_FAMILY("M/M/1")
GMPSIM_QUEUEING_FAMILY("M/M/2")
GMPSIM_QUEUEING_FAMILY("M/M/4")
GMPSIM_QUEUEING_FAMILY("M/M/16")
GMPSIM_QUEUEING_FAMILY("M/D/1")
GMPSIM_QUEUEING_FAMILY("M/G/1")

TEST_CASE("Erlang C reference values", "[fifo][queueing]") {
  // Textbook values: C(2, 1) = 1/3; C(4, 3.2) = 0.5964.
  CHECK(erlang_c(2, 1.0) == Approx(1.0 / 3));
  CHECK(erlang_c(4, 3.2) == Approx(0.5964).epsilon(1e-3));
  CHECK(erlang_c(1, 0.8) == Approx(0.8));
}
