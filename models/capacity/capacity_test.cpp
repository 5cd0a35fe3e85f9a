// The capacity planner: SLO parsing, the search on fifo's M/M/4 against Erlang C (a mean and a percentile
// objective, solved analytically here), determinism whatever the thread count, the goroutines mode on
// the go model (memory runs out, bytes per goroutine), and bad input.
#include <catch2/catch.hpp>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sys/wait.h>

#include "models/capacity/capacity.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;

namespace {

// M/M/4 with mean service 1 ms; sanitizer builds use shorter runs and a looser precision.
ScenarioSource mm4(double rate) {
  ScenarioSource src;
  src.text = "machine: {cpus: 4}\n"
             "workload: {classes: {request: {arrivals: {process: poisson, rate: " + std::to_string(rate) + "/s},\n"
             "  program: [{compute: {dist: exponential, mean: 1ms}}]}}}\n"
             "run: {duration: " + std::string(testing::kSanitized ? "8s" : "30s") + ", warmup: 1s, sample_interval: 1000s, seed: 3}\n";
  return src;
}

constexpr int kC = 4;
constexpr double kMu = 1000;  // per second

using testing::erlang_c;
double mean_sojourn_s(double lambda) { return erlang_c(kC, lambda / kMu) / (kC * kMu - lambda) + 1 / kMu; }
// P(T > t) for the M/M/c FCFS sojourn time: the wait is 0 with probability 1 - C, else Exp(theta) with
// theta = c mu - lambda; the service is Exp(mu) (a hypoexponential sum when the wait is positive).
double sojourn_tail(double lambda, double t) {
  const double cw = erlang_c(kC, lambda / kMu), theta = kC * kMu - lambda;
  const double sum_tail = std::fabs(theta - kMu) < 1e-9 ? (1 + kMu * t) * std::exp(-kMu * t)
                                                        : (theta * std::exp(-kMu * t) - kMu * std::exp(-theta * t)) / (theta - kMu);
  return (1 - cw) * std::exp(-kMu * t) + cw * sum_tail;
}
// The largest lambda with f(lambda) <= target, f increasing in lambda.
template <class F>
double solve(F f, double target) {
  double lo = 1, hi = kC * kMu - 1e-6;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    (f(mid) <= target ? lo : hi) = mid;
  }
  return lo;
}

// The analytic answer must lie in the reported bracket, widened by the statistical error a probe's
// interval allows (a few per cent of load near the bound), and the bracket must meet the precision.
void check_against(const Json& r, double analytic, double slack) {
  INFO(capacity_report_text(r));
  INFO("analytic " << analytic);
  REQUIRE(r["found"].get<bool>());
  REQUIRE(r["precision_met"].get<bool>());
  const double lo = r["bracket"]["low"].get<double>(), hi = r["bracket"]["high"].get<double>();
  CHECK((hi - lo) / lo <= r["precision"].get<double>());
  CHECK(analytic >= lo * (1 - slack));
  CHECK(analytic <= hi * (1 + slack));
  CHECK(r["limited_by"] == "latency");
}

}  // namespace

TEST_CASE("capacity: SLO parsing", "[capacity]") {
  CHECK(parse_slo("p99<50ms").quantile == Approx(0.99));
  CHECK(parse_slo("p99<50ms").bound_ns == 50'000'000);
  CHECK(parse_slo(" p999 <= 1s ").quantile == Approx(0.999));
  CHECK(parse_slo("p99.9<1s").quantile == Approx(0.999));
  CHECK(parse_slo("p50<1ms").quantile == Approx(0.5));
  CHECK(parse_slo("mean<2ms").quantile < 0);
  CHECK_THROWS_WITH(parse_slo("p99 50ms"), Catch::StartsWith("--slo: ") && Catch::Contains("no '<'"));
  CHECK_THROWS_WITH(parse_slo("max<2ms"), Catch::StartsWith("--slo: unknown statistic"));
  CHECK_THROWS_WITH(parse_slo("p99<50"), Catch::StartsWith("--slo: bound \"50\""));
}

TEST_CASE("capacity: fifo M/M/4 against Erlang C, mean sojourn under 2 ms", "[capacity]") {
  CapacityOptions o;
  o.slo = parse_slo("mean<2ms");
  o.precision = testing::kSanitized ? 0.05 : 0.02;
  const Json r = capacity_search(mm4(3000), o);
  const double analytic = solve(mean_sojourn_s, 0.002);  // 3339.4/s
  check_against(r, analytic, testing::kSanitized ? 0.05 : 0.02);
  CHECK(r["vary"] == "workload.classes.request.arrivals.rate");
  CHECK(r["class"] == "request");
  CHECK(r["at_max"]["cpu_utilization"].get<double>() == Approx(r["max_value"].get<double>() / 4000).epsilon(0.03));
}

TEST_CASE("capacity: fifo M/M/4 against the sojourn-time distribution, p90 under 3 ms", "[capacity]") {
  CapacityOptions o;
  o.slo = parse_slo("p90<3ms");
  o.precision = testing::kSanitized ? 0.05 : 0.02;
  const Json r = capacity_search(mm4(2000), o);
  const double analytic = solve([](double l) { return sojourn_tail(l, 0.003); }, 0.10);
  check_against(r, analytic, testing::kSanitized ? 0.05 : 0.02);
}

TEST_CASE("capacity: the report does not depend on the number of threads", "[capacity]") {
  CapacityOptions o;
  o.slo = parse_slo("p99<20ms");
  o.precision = 0.05;
  ScenarioSource src = mm4(3000);
  src.sets.push_back({"run.duration", "4s"});
  o.jobs = 1;
  const Json one = capacity_search(src, o);
  o.jobs = 3;
  const Json three = capacity_search(src, o);
  CHECK(one.dump() == three.dump());
  CHECK(one["trace"].size() >= 3);
}

TEST_CASE("capacity: goroutines mode on the go model runs out of memory, with bytes per goroutine", "[capacity]") {
  ScenarioSource src;
  src.text = R"(
machine: {cpus: 2, memory: 32MiB}
runtime: {model: go}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program:
        - wg_add: {wg: hold, n: 1}
        - repeat: {count: 1000, steps: [{spawn: parked}]}
        - compute: 1ms
        - wg_done: hold
    parked:
      program: [{wg_wait: hold}]
run: {duration: 1s}
)";
  CapacityOptions o;
  o.mode = CapacityMode::kGoroutines;
  o.vary = "workload.classes.main.program.1.repeat.count";
  o.precision = 0.01;
  const Json r = capacity_search(src, o);
  INFO(capacity_report_text(r));
  REQUIRE(r["found"].get<bool>());
  CHECK(r["limited_by"] == "memory");
  const Json& b = r["memory_breakdown"];
  REQUIRE(b.is_object());
  const double per_g = b["per_goroutine_total_bytes"].get<double>();
  CHECK(per_g >= 2048);  // at least a minimum stack
  // The answer fills what the kernel lets the process have: RAM less the min watermark (on 32 MiB with THP,
  // khugepaged's recommendation capped at 5 % of RAM: 1636 kB); one more bracket step would not fit.
  const double n = r["max_value"].get<double>();
  CHECK(n * per_g <= 32.0 * 1024 * 1024);
  CHECK(n * per_g * (1 + 2 * o.precision) + b["fixed_bytes"].get<double>() >= 32.0 * 1024 * 1024 * 0.93);
  CHECK_THAT(r["memory_note"].get<std::string>(), Catch::Contains("heap's resident pages"));
}

TEST_CASE("capacity: bad input names the option", "[capacity]") {
  CapacityOptions o;
  CHECK_THROWS_WITH(capacity_search(mm4(3000), o), Catch::StartsWith("--slo: required"));
  o.slo = parse_slo("p99<50ms");
  o.class_name = "nope";
  CHECK_THROWS_WITH(capacity_search(mm4(3000), o), Catch::StartsWith("--class: no class \"nope\""));
  o.class_name = "";
  o.vary = "run.durration";
  CHECK_THROWS_WITH(capacity_search(mm4(3000), o), Catch::StartsWith("--vary: no key"));
  o.vary = "runtime.model";
  CHECK_THROWS_WITH(capacity_search(mm4(3000), o), Catch::StartsWith("--vary: runtime.model is \"fifo\""));
  o.vary = "";
  o.precision = 2;
  CHECK_THROWS_WITH(capacity_search(mm4(3000), o), Catch::StartsWith("--precision:"));
  o.precision = 0.02;
  o.mode = CapacityMode::kGoroutines;
  o.slo.reset();
  CHECK_THROWS_WITH(capacity_search(mm4(3000), o), Catch::StartsWith("--vary: no class has arrivals.process: initial"));
}

namespace {
int cli_status(const std::string& args, std::string& out) {
  const std::string cmd = std::string(GMPSIM_CLI_PATH) + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p.get())) out += buf.data();
  const int raw = pclose(p.release());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}
}  // namespace

TEST_CASE("capacity: the CLI prints the report, writes its files, and exits 2 on bad input", "[capacity][cli]") {
  const std::string mm4_path = std::string(GMPSIM_SOURCE_DIR) + "/examples/mm4.yaml";
  const auto dir = std::filesystem::temp_directory_path() / ("gmpsim_capacity_test_" + std::to_string(::getpid()));
  std::string out;
  REQUIRE(cli_status("capacity " + mm4_path + " --slo 'p99<20ms' --precision 0.1 --set run.duration=3s --jobs 2 --out " + dir.string(), out) == 0);
  CHECK_THAT(out, Catch::Contains("max load: ") && Catch::Contains("limited by: "));
  CHECK(std::filesystem::exists(dir / "capacity.json"));
  CHECK(std::filesystem::exists(dir / "capacity_trace.csv"));
  std::filesystem::remove_all(dir);
  out.clear();
  CHECK(cli_status("capacity " + mm4_path + " --slo 'p99=20ms'", out) == 2);
  CHECK_THAT(out, Catch::StartsWith("gmpsim: error: --slo: "));
  out.clear();
  CHECK(cli_status("capacity " + mm4_path + " --slo 'p99<20ms' --memory-limit 16", out) == 2);
  CHECK_THAT(out, Catch::StartsWith("gmpsim: error: --memory-limit: "));
}

TEST_CASE("capacity: the collector's heap and CPU decide the answer: limited by memory with the heap goal, or by GC CPU", "[capacity][gc]") {
  // A 200 MiB cache at GOGC=100 wants a heap goal of ~400 MiB: over a 256 MiB limit at any load.
  ScenarioSource heavy;
  heavy.text = R"(
machine: {cpus: 2, memory: 16GiB}
runtime: {model: go}
workload:
  heap: {live: 200MiB}
  classes:
    req:
      arrivals: {process: poisson, rate: 500/s}
      program: [{alloc: {size: 1KiB, count: 256}}, {compute: 100us}]
run: {duration: 1s}
)";
  CapacityOptions o;
  o.slo = parse_slo("p99<50ms");
  o.memory_limit = 256LL << 20;
  o.precision = 0.1;
  const Json m = capacity_search(heavy, o);
  INFO(capacity_report_text(m));
  CHECK(m["limited_by"] == "memory");
  CHECK_THAT(m["limit_detail"].get<std::string>(), Catch::Contains("heap goal") && Catch::Contains("exceeds the limit"));
  // A pointer-rich 64 MiB heap at GOGC=25 on 2 CPUs and requests with little work of their own: the
  // collector uses most of the program's CPU, and its workers and assists are what delay the requests.
  ScenarioSource busy;
  busy.text = R"(
machine: {cpus: 2, memory: 16GiB}
runtime: {model: go, gogc: 25}
workload:
  heap: {live: 64MiB}
  classes:
    req:
      arrivals: {process: poisson, rate: 500/s}
      program: [{alloc: {size: 1KiB, count: 256}}, {compute: 100us}]
run: {duration: 2s}
)";
  CapacityOptions g;
  g.slo = parse_slo("p99<20ms");
  g.precision = 0.1;
  const Json c = capacity_search(busy, g);
  INFO(capacity_report_text(c));
  CHECK(c["limited_by"] == "gc-cpu");
  CHECK_THAT(c["limit_detail"].get<std::string>(), Catch::Contains("the GC taking"));
  // Memory-bound requests on 8 CPUs of one node whose memory serves 30 GB/s: past ~4 busy CPUs of streaming,
  // steps wait for bandwidth, and that is what breaks the SLO long before the CPUs are all busy.
  ScenarioSource stream;
  stream.text = R"(
machine: {cpus: 8, numa: {bandwidth: 30GB}}
runtime: {model: go}
workload:
  classes:
    req:
      arrivals: {process: poisson, rate: 1000/s}
      program: [{compute: {time: 200us, memory: {stall: 0.9, data: heap}}}]
run: {duration: 1s}
)";
  CapacityOptions b;
  b.slo = parse_slo("p99<1ms");
  b.precision = 0.1;
  const Json bw = capacity_search(stream, b);
  INFO(capacity_report_text(bw));
  CHECK(bw["limited_by"] == "memory-bandwidth");
  CHECK_THAT(bw["limit_detail"].get<std::string>(), Catch::Contains("memory bandwidth"));
}

namespace {

// A search on M/M/4 from `rate`, with runs of `duration`.
Json search_mm4(const char* slo, double rate, const char* duration, double precision) {
  CapacityOptions o;
  o.slo = parse_slo(slo);
  o.precision = precision;
  ScenarioSource src = mm4(rate);
  src.sets.push_back({"run.duration", duration});
  return capacity_search(src, o);
}

}  // namespace

TEST_CASE("capacity: an SLO that always holds stops at the load the machine serves", "[capacity][hazards]") {
  // M/M/4 serves at most 4000/s; a 100 s bound holds at any load within a 10 s run, so only the served
  // load can stop the doubling (once it reported 2^40 times the rate, "limited by: none").
  const Json r = search_mm4("p99<100s", 1000, "10s", 0.05);
  INFO(r.dump(2));
  REQUIRE(r["found"].get<bool>());
  CHECK(r["limited_by"] == "throughput");
  CHECK(r["max_value"].get<double>() <= 4000 * 1.05);
  CHECK(r["max_value"].get<double>() >= 4000 * 0.85);
  CHECK_THAT(r["limit_detail"].get<std::string>(), Catch::StartsWith("served "));
}

TEST_CASE("capacity: an SLO that no load meets says the lowest load misses it", "[capacity][hazards]") {
  // Each request computes 1 ms: a p99 under 100 us is out of reach at any load.
  const Json r = search_mm4("p99<100us", 1000, "4s", 0.02);
  INFO(r.dump(2));
  CHECK_FALSE(r["found"].get<bool>());
  CHECK(r["limited_by"] == "latency");
  CHECK_THAT(r["limit_detail"].get<std::string>(), Catch::StartsWith("even the lowest load probed, ") && Catch::Contains("over 100us"));
  CHECK(r["trace"].size() < 20);  // halving stops where nothing finishes in the window, not at 2^-30 of the load
  CHECK_THAT(capacity_report_text(r), Catch::Contains("no value meets the objectives: even the lowest load probed"));
}
