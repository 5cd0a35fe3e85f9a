// gmpsim validate: the statistics (KS distance, quantiles, errors and verdicts) on synthetic data with
// known answers, the manifests' error messages, the committed manifests, and (where the Boost.Fiber
// runner is built) a two-case validation end to end. Never wall-clock thresholds.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "models/input/errors.h"
#include "validation/common/cli_testing.h"
#include "validation/validate/validate.h"

using namespace gmpsim;
using namespace gmpsim::validation;

namespace {

std::vector<std::int64_t> exponential_samples(double mean_ns, int n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> d(1.0 / mean_ns);
  std::vector<std::int64_t> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<std::int64_t>(d(rng)));
  std::sort(v.begin(), v.end());
  return v;
}

sim::LogHistogram histogram_of(const std::vector<std::int64_t>& v) {
  sim::LogHistogram h;
  for (std::int64_t x : v) h.record(x);
  return h;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

TEST_CASE("KS distance: same distribution near 0, exp(1) vs exp(2) near 1/4", "[validate]") {
  const auto a = exponential_samples(100'000, 20'000, 1);
  const auto b = exponential_samples(100'000, 20'000, 2);
  const auto c = exponential_samples(200'000, 20'000, 3);
  // Two samples of 20 000: the 99.9 % KS critical value is about 1.95 * sqrt(2 / 20000) = 0.0195.
  CHECK(ks_distance(a, histogram_of(b)) < 0.02);
  // sup |exp(-x/2) - exp(-x)| is at x = 2 ln 2 (means 1 and 2): 1/2 - 1/4 = 1/4.
  CHECK(ks_distance(a, histogram_of(c)) == Approx(0.25).margin(0.02));
  // Disjoint supports: distance 1.
  std::vector<std::int64_t> low(1000, 1000), high(1000, 5000);
  CHECK(ks_distance(low, histogram_of(high)) == Approx(1.0).margin(1e-9));
  CHECK(std::isnan(ks_distance({}, histogram_of(high))));
}

TEST_CASE("sample quantiles use the nearest rank, as the simulator's histograms do", "[validate]") {
  std::vector<std::int64_t> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  CHECK(sample_quantile(v, 0.5) == 50);
  CHECK(sample_quantile(v, 0.99) == 99);
  CHECK(sample_quantile(v, 1.0) == 100);
  CHECK(sample_quantile(v, 0.0) == 1);
  const sim::LogHistogram h = histogram_of(v);
  CHECK(static_cast<double>(h.percentile(0.5)) == sample_quantile(v, 0.5));
}

TEST_CASE("compare_case: per-op errors, quantiles, verdicts against targets and spread", "[validate]") {
  Case c;
  c.name = "synthetic";
  c.runtime = "boost-fiber";
  c.family = "test";
  c.set = "held-out";
  MetricSpec per_op;
  per_op.kind = MetricSpec::Kind::kPerOp;
  per_op.name = "per_item";
  per_op.ops = 1000;
  per_op.quick_ops = 100;
  MetricSpec lat;
  lat.kind = MetricSpec::Kind::kLatency;
  lat.name = "work_latency";
  lat.class_name = "work";
  MetricSpec thr;
  thr.kind = MetricSpec::Kind::kThroughput;
  thr.name = "work_throughput";
  thr.class_name = "work";
  c.metrics = {per_op, lat, thr};

  CaseRuns runs;
  runs.c = &c;
  runs.version = "1.74";
  // Real: makespans 1.0, 1.1, 1.3 ms for 1000 ops (median 1.1 us per op); latency samples exp(100 us).
  for (int i = 0; i < 3; ++i) {
    RealRun r;
    r.makespan_ns = std::vector<std::int64_t>{1'000'000, 1'100'000, 1'300'000}[i];
    r.window_ns = 1'000'000'000;
    r.classes["work"].latency_ns = exponential_samples(100'000, 5000, 10 + i);
    r.classes["work"].completed = 900;
    runs.real.push_back(r);
  }
  // Simulated: 1.25 us per op (+13.6 %: outside 10 % but inside the real spread 1.0-1.3); the same latency
  // distribution; throughput 1000/s against 900/s (+11 %, a miss).
  for (int i = 0; i < 2; ++i) {
    models::RunResult s;
    s.simulated_ns = 1'250'000;
    s.window_ns = 1'000'000'000;
    models::ClassResult cl;
    cl.latency.name = "work";
    cl.latency.latency = histogram_of(exponential_samples(100'000, 5000, 20 + i));
    cl.completed = 1000;
    s.classes.push_back(cl);
    runs.sim.push_back(s);
  }
  const std::vector<Row> rows = compare_case(runs);
  REQUIRE(rows.size() == 5);  // per_op, p50, p99, ks, throughput
  CHECK(rows[0].stat == "per_op");
  CHECK(rows[0].real == Approx(1100));
  CHECK(rows[0].real_lo == Approx(1000));
  CHECK(rows[0].real_hi == Approx(1300));
  CHECK(rows[0].sim == Approx(1250));
  CHECK(rows[0].error == Approx(150.0 / 1100));
  CHECK(rows[0].verdict == "within spread");
  CHECK(rows[1].stat == "p50");
  CHECK(rows[1].real == Approx(100'000 * std::log(2.0)).epsilon(0.05));
  CHECK(std::fabs(rows[1].error) < 0.05);
  CHECK(rows[1].verdict == "ok");
  CHECK(rows[2].stat == "p99");
  CHECK(rows[2].real == Approx(100'000 * std::log(100.0)).epsilon(0.1));
  CHECK(rows[3].stat == "ks");
  CHECK(rows[3].error < 0.05);
  CHECK(rows[4].stat == "throughput");
  CHECK(rows[4].real == Approx(900));
  CHECK(rows[4].error == Approx(1000.0 / 900 - 1));
  CHECK(rows[4].verdict == "miss");

  runs.quick = true;  // quick_ops divides the same makespans
  CHECK(compare_case(runs)[0].real == Approx(11'000));

  // The outputs: one CSV line per row, and a report with the summary and the case's table.
  const std::string csv = metrics_csv(rows);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 6);
  ReportInfo info;
  info.command = "test";
  const std::string md = report_markdown(rows, info);
  CHECK(md.find("## Summary") != std::string::npos);
  CHECK(md.find("| synthetic | test | per_item |") != std::string::npos);
  CHECK(md.find("within spread") != std::string::npos);
  CHECK(md.find("3 / 4") != std::string::npos);  // per_op, p50, p99 on target (or spread); throughput missed
  // A class missing on one side is an error naming it, not a silent zero.
  runs.real[0].classes.clear();
  CHECK_THROWS_WITH(compare_case(runs), Catch::Contains("synthetic: the real run has no class work"));
}

TEST_CASE("compare_case: a counter zero on both sides is an exact match; zero on the real side only has no error", "[validate]") {
  Case c;
  c.name = "zeros";
  c.runtime = "go";
  c.family = "test";
  c.set = "held-out";
  MetricSpec thr;
  thr.kind = MetricSpec::Kind::kCounter;
  thr.name = "nr_throttled";
  thr.counter = "nr_throttled";
  thr.sim_counter = "cgroup.nr_throttled";
  c.metrics = {thr};
  CaseRuns runs;
  runs.c = &c;
  runs.version = "go1.26";
  for (int i = 0; i < 3; ++i) {
    RealRun r;
    r.makespan_ns = r.window_ns = 1'000'000'000;
    r.counters = Json::object();
    r.counters["nr_throttled"] = 0;
    runs.real.push_back(r);
  }
  models::RunResult s;
  s.simulated_ns = s.window_ns = 1'000'000'000;
  s.model_counters = Json::object();
  s.model_counters["cgroup"] = Json::object();
  s.model_counters["cgroup"]["nr_throttled"] = 0;
  runs.sim.push_back(s);
  std::vector<Row> rows = compare_case(runs);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].error == 0);
  runs.sim[0].model_counters["cgroup"]["nr_throttled"] = 3;
  rows = compare_case(runs);
  CHECK(std::isnan(rows[0].error));
  CHECK(metrics_csv(rows).find(",3,1,,0,") != std::string::npos);  // no error written, no verdict
  // A counter the model does not report: a row without a prediction, not an abort.
  runs.sim[0].model_counters.erase("cgroup");
  rows = compare_case(runs);
  REQUIRE(rows.size() == 1);
  CHECK(std::isnan(rows[0].sim));
  CHECK(rows[0].verdict == "no model counter");
  // A real run without its counter is still an error.
  runs.real[0].counters.erase("nr_throttled");
  CHECK_THROWS_WITH(compare_case(runs), Catch::Contains("the real run has no numeric counter nr_throttled"));
}

TEST_CASE("compare_case: an outcome metric compares the shares of runs that ended the expected way", "[validate]") {
  Case c;
  c.name = "oom";
  c.runtime = "go";
  c.family = "memory";
  c.set = "held-out";
  MetricSpec o;
  o.kind = MetricSpec::Kind::kOutcome;
  o.name = "ended_oom_killed";
  o.expect = "oom_killed";
  c.metrics = {o};
  CaseRuns runs;
  runs.c = &c;
  runs.version = "go1.26";
  for (const char* outcome : {"oom_killed", "oom_killed", ""}) {  // "": completed
    RealRun r;
    r.makespan_ns = r.window_ns = 1'000'000;
    r.outcome = outcome;
    runs.real.push_back(r);
  }
  models::RunResult s;
  s.simulated_ns = s.window_ns = 1'000'000;
  s.outcome.status = models::OutcomeStatus::kOomKilled;
  runs.sim.push_back(s);
  std::vector<Row> rows = compare_case(runs);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].stat == "outcome");
  CHECK(rows[0].real == Approx(2.0 / 3));
  CHECK(rows[0].real_lo == 0);
  CHECK(rows[0].real_hi == 1);
  CHECK(rows[0].sim == 1);
  CHECK(rows[0].error == Approx(1.0 / 3));
  CHECK(rows[0].verdict == "ok");
  runs.sim[0].outcome.status = models::OutcomeStatus::kCompleted;  // the model survives: a miss
  rows = compare_case(runs);
  CHECK(rows[0].sim == 0);
  CHECK(rows[0].verdict == "miss");
  o.expect = "completed";  // the same runs, asked the other way
  c.metrics = {o};
  rows = compare_case(runs);
  CHECK(rows[0].real == Approx(1.0 / 3));
  CHECK(rows[0].sim == 1);
  CHECK(rows[0].verdict == "miss");
}

TEST_CASE("case manifests: bad input names the case and field", "[validate]") {
  const std::string scen = std::string(GMPSIM_SOURCE_DIR) + "/validation/scenarios/fiber/pingpong.yaml";
  auto expect = [&](const std::string& body, const std::string& message) {
    const std::string path = write_temp("manifest", "cases:\n  - " + body + "\n");
    INFO(body);
    CHECK_THROWS_WITH(load_cases(path), Catch::Contains(message));
  };
  const std::string ok = "{name: a, runtime: boost-fiber, family: f, set: held-out, scenario: " + scen;
  expect(ok + ", metrics: [{kind: per_op, ops: 10}], colour: red}", "case a.colour: unknown key");
  expect("{name: a, runtime: java, family: f, set: held-out, scenario: " + scen + ", metrics: []}", "case a.runtime");
  expect("{name: a, runtime: go, family: f, set: training, scenario: " + scen + ", metrics: []}", "case a.set");
  expect(ok + ", metrics: []}", "case a.metrics: missing");
  expect(ok + ", metrics: [{kind: per_op, ops: 0}]}", "metrics[0].ops: must be a positive integer");
  expect(ok + ", metrics: [{kind: latency, class: x, span: y}]}", "exactly one of `class` and `span`");
  expect(ok + ", metrics: [{kind: p99}]}", "metrics[0].kind");
  expect(ok + ", metrics: [{kind: outcome}]}", "metrics[0].expect");
  expect(ok + ", metrics: [{kind: outcome, expect: oom_killed, sim: x}]}", "metrics[0].sim: unknown key");
  expect(ok + ", metrics: [{kind: per_op, ops: 1}], needs: [gpu]}", "case a.needs");
  expect("{name: a, runtime: boost-fiber, family: f, set: held-out, scenario: nowhere.yaml, metrics: [{kind: per_op, ops: 1}]}",
         "case a.scenario: no file");
  CHECK_THROWS_AS(load_cases("/nonexistent/cases.yaml"), models::ScenarioError);
  // Import cases: a go case with a probe and no scenario file.
  const std::string go = "{name: a, runtime: go, family: f, set: held-out, probe: {dir: httpserver, args: []}, metrics: [{kind: per_op, ops: 1}]";
  expect(go + ", scenario: " + scen + ", import: {args: []}}", "case a.scenario: an import case has no scenario file");
  expect(ok + ", metrics: [{kind: per_op, ops: 1}], import: {args: []}}", "case a.import: only a go case");
  expect(go + ", import: {args: [], trace: x}}", "case a.import.trace: unknown key");
  expect(go + "}", "case a.scenario");
  // A probe directory is found beside the manifest's folder: DIR/scenarios/m.yaml -> DIR/go/httpserver.
  namespace fs = std::filesystem;
  const fs::path root = fs::path(write_temp("import_root", "")).replace_extension("d");
  fs::create_directories(root / "scenarios");
  fs::create_directories(root / "go" / "httpserver");
  const fs::path path = root / "scenarios" / "m.yaml";
  std::ofstream(path) << "cases:\n  - " + go + ", import: {args: [-procs, '2']}}\n";
  const std::vector<Case> cs = load_cases(path.string());
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].import);
  CHECK(cs[0].scenario.empty());
  CHECK(cs[0].import_args == std::vector<std::string>{"-procs", "2"});
}

TEST_CASE("compare_case: a cpu metric compares CPU time; sim_class names the simulated class", "[validate]") {
  Case c;
  c.name = "imported";
  c.runtime = "go";
  c.family = "import";
  c.set = "held-out";
  MetricSpec cpu;
  cpu.kind = MetricSpec::Kind::kCpu;
  cpu.name = cpu.counter = "cpu_ns";
  MetricSpec thr;
  thr.kind = MetricSpec::Kind::kThroughput;
  thr.name = "worker_throughput";
  thr.class_name = "worker";
  thr.sim_class = "main_func1_1";
  c.metrics = {cpu, thr};
  CaseRuns runs;
  runs.c = &c;
  runs.version = "go1.26";
  RealRun r;
  r.makespan_ns = r.window_ns = 1'000'000'000;
  r.counters = Json::object();
  r.counters["cpu_ns"] = 1.2e9;
  r.classes["worker"].completed = 1000;
  runs.real.push_back(r);
  models::RunResult s;
  s.simulated_ns = s.window_ns = 1'000'000'000;
  s.scenario = Json::parse(R"({"machine": {"cpus": [0, 1]}})");
  s.cpu_utilization = 0.5;
  s.cpu_runtime = 0.1;
  models::ClassResult cl;
  cl.latency.name = "main_func1_1";
  cl.completed = 1100;
  s.classes.push_back(cl);
  runs.sim.push_back(s);
  const std::vector<Row> rows = compare_case(runs);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].stat == "cpu_time");
  CHECK(rows[0].real == Approx(1.2e9));
  CHECK(rows[0].sim == Approx((0.5 + 0.1) * 2 * 1e9));  // the busy share times the machine's 2 CPUs and 1 s
  CHECK(rows[0].error == Approx(0.0));
  CHECK(rows[1].sim == Approx(1100));
  CHECK(rows[1].error == Approx(0.1));
  runs.sim[0].classes[0].latency.name = "worker";
  CHECK_THROWS_WITH(compare_case(runs), Catch::Contains("the simulated run has no class main_func1_1"));
}

TEST_CASE("supplied runs: lines matching the case's select become real runs; bad input names the field", "[validate]") {
  const std::string data = write_temp("supplied_runs", std::string(
      "{\"exp\":\"spawn\",\"procs\":4,\"wall_ns\":600000000}\n"
      "{\"exp\":\"spawn\",\"procs\":8,\"wall_ns\":700000000}\n"
      "{\"exp\":\"pingpong\",\"procs\":4,\"ns_per_handoff\":220.5}\n"));
  const std::string scenario = std::string(GMPSIM_SOURCE_DIR) + "/validation/go/scenarios/spawn.yaml";
  auto manifest = [&](const std::string& supplied) {
    return write_temp("supplied_cases", "cases:\n  - name: s\n    runtime: go\n    family: spawn\n    set: supplied\n"
                                        "    scenario: " + scenario + "\n    supplied: " + supplied +
                                        "\n    metrics: [{kind: per_op, ops: 1000000}]\n");
  };
  const std::vector<Case> cs = load_cases(manifest("{file: " + data + ", select: {exp: spawn, procs: 4}, makespan: wall_ns, version: go1.19, host: test}"));
  REQUIRE(cs.size() == 1);
  const std::vector<RealRun> runs = load_supplied(cs[0]);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].makespan_ns == 600'000'000);
  CHECK(runs[0].counters["procs"] == 4);
  const std::vector<Case> pp = load_cases(manifest("{file: " + data + ", select: {exp: pingpong}, makespan: ns_per_handoff, scale: 2000000, version: go1.19, host: test}"));
  CHECK(load_supplied(pp[0])[0].makespan_ns == 441'000'000);
  const std::vector<Case> none = load_cases(manifest("{file: " + data + ", select: {exp: storm}, makespan: wall_ns, version: go1.19, host: test}"));
  CHECK_THROWS_WITH(load_supplied(none[0]), Catch::Contains("no line of"));
  CHECK_THROWS_WITH(load_cases(manifest("{file: /nonexistent.jsonl, makespan: wall_ns, version: go1.19, host: test}")),
                    Catch::Contains("supplied.file"));
  CHECK_THROWS_WITH(load_cases(manifest("{file: " + data + ", makespan: wall_ns, version: go1.19, host: test, scale: -1}")),
                    Catch::Contains("supplied.scale"));
}

TEST_CASE("the committed manifests load, and every case's scenario runs in the simulator", "[validate]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(GMPSIM_SOURCE_DIR) / "validation" / "scenarios";
  std::size_t held_out = 0, calibration = 0, supplied = 0;
  std::size_t imports = 0;
  for (const char* file : {"fiber-cases.yaml", "go-cases.yaml", "supplied-cases.yaml", "manycore-cases.yaml", "import-cases.yaml"}) {
    if (!fs::exists(dir / file)) continue;
    for (const Case& c : load_cases((dir / file).string())) {
      INFO(c.name);
      (c.set == "held-out" ? held_out : c.set == "supplied" ? supplied : calibration)++;
      CHECK(!c.metrics.empty());
      if (c.set == "supplied") {
        // Every supplied case finds its runs, with a positive makespan.
        const std::vector<RealRun> runs = load_supplied(c);
        CHECK(!runs.empty());
        for (const RealRun& r : runs) CHECK(r.makespan_ns > 0);
      } else if (c.runtime == "go") {
        CHECK(fs::is_directory(c.probe_dir));
        imports += c.import;
      }
    }
  }
  CHECK(imports >= 4);
  CHECK(held_out >= 8);
  CHECK(calibration >= 2);
  CHECK(supplied >= 10);
}

#if defined(GMPSIM_FIBERRUN_PATH) && defined(GMPSIM_CALIBRATE_HARNESS)
TEST_CASE("gmpsim validate --quick on two Boost.Fiber cases writes a complete report", "[validate][cli]") {
  namespace fs = std::filesystem;
  const fs::path out = fs::temp_directory_path() / ("gmpsim_validate_test_" + std::to_string(getpid()));
  fs::remove_all(out);
  setenv("GMPSIM_CALIBRATE_HARNESS", GMPSIM_CALIBRATE_HARNESS, 1);
  setenv("GMPSIM_FIBERRUN", GMPSIM_FIBERRUN_PATH, 1);
  const std::string cases = std::string(GMPSIM_SOURCE_DIR) + "/validation/scenarios/fiber-cases.yaml";
  // The quick calibration may refuse on a loaded host (cli_testing.h).
  const gmpsim::testing::CliRun run = gmpsim::testing::run_cli_retrying(
      GMPSIM_CLI_PATH, {"validate", "--quick", "--repeats", "2", "--cases", cases, "--only",
                        "fiber-pingpong,fiber-open-0.6-t1", "--out", out.string()});
  INFO(run.output);
  if (run.refused()) {
    WARN("the quick calibration refused three times (a loaded host); the report is not checked this run");
    return;
  }
  REQUIRE(run.status == 0);
  std::stringstream report, csv;
  report << std::ifstream(out / "report.md").rdbuf();
  csv << std::ifstream(out / "results" / "metrics.csv").rdbuf();
  CHECK(report.str().find("fiber-pingpong") != std::string::npos);
  CHECK(report.str().find("fiber-open-0.6-t1") != std::string::npos);
  CHECK(report.str().find("arrival generator's lateness") != std::string::npos);
  // Rows: pingpong round_trip; open loop p50, p99, ks, throughput. Each real and simulated value is
  // positive and finite, and every error finite.
  std::string line;
  std::getline(csv, line);
  int rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    REQUIRE(f.size() >= 15);
    INFO(line);
    CHECK(std::stod(f[8]) > 0);   // real
    CHECK(std::stod(f[12]) > 0);  // sim
    CHECK(std::isfinite(std::stod(f[14])));
  }
  CHECK(rows == 5);
  CHECK(fs::exists(out / "results" / "cdf.csv"));
  CHECK(fs::exists(out / "results" / "host.yaml"));
  fs::remove_all(out);
}

TEST_CASE("gmpsim validate --real-only saves the real side; --real-from compares it here", "[validate][cli]") {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / ("gmpsim_realfrom_test_" + std::to_string(getpid()));
  const fs::path remote = base / "remote", report = base / "report";
  fs::remove_all(base);
  setenv("GMPSIM_FIBERRUN", GMPSIM_FIBERRUN_PATH, 1);
  const std::string src = GMPSIM_SOURCE_DIR;
  const std::string cases = src + "/validation/scenarios/fiber-cases.yaml", profile = src + "/validation/results/host.yaml";
  // "The other host": real runs and its profile (given here, so no calibration), no report.
  const gmpsim::testing::CliRun real = gmpsim::testing::run_cli_retrying(
      GMPSIM_CLI_PATH, {"validate", "--quick", "--repeats", "2", "--cases", cases, "--only", "fiber-pingpong", "--profile",
                        profile, "--real-only", "--out", remote.string()});
  INFO(real.output);
  REQUIRE(real.status == 0);
  CHECK(fs::exists(remote / "real" / "fiber-pingpong.1.74.json"));
  CHECK(fs::exists(remote / "results" / "host.yaml"));
  CHECK(!fs::exists(remote / "report.md"));
  // Here: the saved runs against the simulator, with that host's profile and the quick settings they were
  // made with (recorded with them: no --quick needed here).
  const gmpsim::testing::CliRun cmp = gmpsim::testing::run_cli_retrying(
      GMPSIM_CLI_PATH, {"validate", "--repeats", "2", "--cases", cases, "--only", "fiber-pingpong", "--real-from",
                        remote.string(), "--out", report.string()});
  INFO(cmp.output);
  REQUIRE(cmp.status == 0);
  std::stringstream md;
  md << std::ifstream(report / "report.md").rdbuf();
  CHECK(md.str().find("real runs read from") != std::string::npos);
  CHECK(md.str().find("fiber-pingpong") != std::string::npos);
  // The saved repeats are what the report's real side is: two of them, per quick round trip (20 000 ops).
  CHECK(md.str().find("n=2") != std::string::npos);
  std::stringstream csv;
  csv << std::ifstream(report / "results" / "metrics.csv").rdbuf();
  const std::string rows = csv.str();
  const std::size_t at = rows.find("fiber-pingpong");
  REQUIRE(at != std::string::npos);
  std::vector<std::string> f;
  std::stringstream ls(rows.substr(at, rows.find('\n', at) - at));
  for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
  REQUIRE(f.size() >= 13);
  CHECK(std::stod(f[6]) > 50);   // real ns per round trip: a makespan of 20 000, not 100 000, round trips
  CHECK(std::stod(f[6]) < 5000);
  CHECK(std::stod(f[10]) > 50);  // simulated, with the same quick count
  CHECK(std::stod(f[10]) < 5000);
  // Bad input: both modes at once, or a folder without real/, is one message and exit 2.
  const gmpsim::testing::CliRun both = gmpsim::testing::run_cli_retrying(
      GMPSIM_CLI_PATH, {"validate", "--cases", cases, "--real-only", "--real-from", remote.string(), "--out", report.string()});
  CHECK(both.status == 2);
  CHECK(both.output.find("--real-only") != std::string::npos);
  const gmpsim::testing::CliRun empty = gmpsim::testing::run_cli_retrying(
      GMPSIM_CLI_PATH, {"validate", "--cases", cases, "--real-from", base.string(), "--out", report.string()});
  CHECK(empty.status == 2);
  CHECK(empty.output.find("has no real/ folder") != std::string::npos);
  fs::remove_all(base);
}
#endif
