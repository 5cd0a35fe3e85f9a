// The HTML report: its sections and the data its plots draw (the latency CDF against M/M/1's exponential
// sojourn time), the go model's timeseries columns it plots (CPU split, threads, Ps held) against the
// summary, output folders of run, capacity and sweep, and bad folders. The page in a browser:
// python/tests/test_report.py (headless Chromium).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "models/capacity/capacity.h"
#include "models/input/errors.h"
#include "models/output/output.h"
#include "models/report/report.h"
#include "models/sweep/sweep.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim::models;
namespace fs = std::filesystem;

namespace {

// The JSON the page's script reads (#gmpsim-data).
Json page_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"gmpsim-data\">";
  const std::size_t a = html.find(open);
  REQUIRE(a != std::string::npos);
  const std::size_t b = html.find("</script>", a);
  REQUIRE(b != std::string::npos);
  return Json::parse(html.substr(a + open.size(), b - a - open.size()));
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("gmpsim_report_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// The CDF's value at x (µs), interpolated between the grid points.
double cdf_at(const Json& plot, std::size_t series, double x) {
  const Json& xs = plot["x"];
  const Json& ys = plot["series"][series]["y"];
  for (std::size_t i = 1; i < xs.size(); ++i) {
    if (xs[i].get<double>() < x || ys[i].is_null() || ys[i - 1].is_null()) continue;
    const double x0 = xs[i - 1].get<double>(), x1 = xs[i].get<double>();
    const double y0 = ys[i - 1].get<double>(), y1 = ys[i].get<double>();
    return x1 > x0 ? y0 + (y1 - y0) * (x - x0) / (x1 - x0) : y1;
  }
  return std::nan("");
}

const char* kFifoMm1 = "machine: {cpus: 1}\nruntime: {model: fifo}\n"
                       "workload: {classes: {job: {arrivals: {process: poisson, rate: 500/s}, program: [{compute: {dist: exponential, mean: 1ms}}]}}}\n"
                       "run: {duration: 20s, warmup: 200ms, sample_interval: 100ms, seed: 3}\n";

}  // namespace

TEST_CASE("report: a run's page has its sections, inlined scripts, and M/M/1's latency CDF", "[report]") {
  const RunResult r = testing::run_yaml(kFifoMm1);
  const std::string html = report_html(report_inputs(r));
  CHECK(html.find("<title>gmpsim report: run</title>") != std::string::npos);
  for (const char* id : {"summary", "latency", "timeseries", "utilisation", "scenario", "trace"}) {
    CHECK(html.find(std::string("<section id=\"") + id + "\"") != std::string::npos);
  }
  // Self-contained: scripts and styles inline, nothing loaded from elsewhere.
  CHECK(html.find("https://github.com/leeoniya/uPlot (v1.6.32)") != std::string::npos);
  CHECK(html.find("<script src") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("--perfetto") != std::string::npos);
  CHECK(html.find("ui.perfetto.dev") != std::string::npos);

  const Json data = page_data(html);
  const Json& cdf = data["cdf"]["latency"];
  REQUIRE(cdf["series"].size() == 1);
  CHECK(cdf["series"][0]["label"] == "job");
  // Non-decreasing in [0, 1], from 0 to 1.
  double last = 0;
  for (const Json& y : cdf["series"][0]["y"]) {
    if (y.is_null()) continue;
    CHECK(y.get<double>() >= last - 1e-12);
    CHECK(y.get<double>() <= 1 + 1e-12);
    last = y.get<double>();
  }
  CHECK(last == Approx(1.0));
  // M/M/1 at rho = 0.5: the sojourn time is exponential with mean 1 ms / (1 - 0.5) = 2 ms.
  for (const double x_us : {500.0, 2000.0, 6000.0}) {
    INFO("x = " << x_us << " us");
    CHECK(cdf_at(cdf, 0, x_us) == Approx(1 - std::exp(-x_us / 2000)).margin(0.015));
  }
  // The timeseries is passed whole; the per-CPU bars read cpu.busy.
  CHECK(data["timeseries"]["columns"][0] == "t_s");
  CHECK(data["timeseries"]["data"][0].size() == r.timeseries.rows());
  CHECK(data["cpu_busy"].size() == 1);
  CHECK(data["warmup_s"].get<double>() == Approx(0.2));
}

TEST_CASE("report: text from the scenario cannot end the page's scripts", "[report]") {
  const RunResult r = testing::run_yaml(std::string(kFifoMm1) + "description: \"</script><script>alert(1)</script>\"\n",
                                        {{"run.duration", "1s"}});
  const std::string html = report_html(report_inputs(r));
  CHECK(count(html, "</script>") == 3);  // the data, uPlot, the report's script
  CHECK(html.find("&lt;/script&gt;&lt;script&gt;alert(1)") != std::string::npos);
  CHECK(page_data(html).contains("cdf"));
}

TEST_CASE("report: the go model samples the CPU split, threads and each P held, consistent with the summary", "[report][go]") {
  const RunResult r = testing::run_yaml(
      "machine: {cpus: 2}\nruntime: {model: go, gomaxprocs: 2}\n"
      "workload: {classes: {req: {arrivals: {process: poisson, rate: 4000/s}, program: [{compute: {dist: exponential, mean: 200us}}, "
      "{net_wait: 1ms}, {compute: 50us}]}}}\n"
      "run: {duration: 2s, warmup: 100ms, sample_interval: 50ms, seed: 5}\n");
  const TimeSeries& ts = r.timeseries;
  auto col = [&](const std::string& name) -> const std::vector<double>& {
    const auto it = std::find(ts.columns.begin(), ts.columns.end(), name);
    REQUIRE(it != ts.columns.end());
    return ts.data[static_cast<std::size_t>(it - ts.columns.begin())];
  };
  const std::vector<double>& t = col("t_s");
  // Over the samples after the warm-up (it falls on a sample), the interval-weighted means are the summary's.
  double runtime = 0, spinning = 0, work = 0, window = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double dt = t[i] - (i ? t[i - 1] : 0);
    const double held = col("p0_held")[i] + col("p1_held")[i];
    const double busy = col("cpu0_busy")[i] + col("cpu1_busy")[i];
    CHECK(col("threads")[i] >= 1);
    CHECK(col("threads_idle")[i] <= col("threads")[i]);
    for (const char* p : {"p0_held", "p1_held"}) {
      CHECK(col(p)[i] >= -1e-9);
      CHECK(col(p)[i] <= 1 + 1e-9);
    }
    // A goroutine runs only on an M that holds a P: Ps are held at least as long as goroutines work.
    CHECK(held >= busy - 1e-9);
    if (t[i] <= 0.1 + 1e-9) continue;
    runtime += col("cpu_runtime")[i] * dt;
    spinning += col("cpu_spinning")[i] * dt;
    work += busy / 2 * dt;
    window += dt;
  }
  REQUIRE(window == Approx(1.9));
  CHECK(runtime / window == Approx(r.cpu_runtime).epsilon(1e-6));
  CHECK(spinning / window == Approx(r.cpu_spinning).epsilon(1e-6));
  CHECK(work / window == Approx(r.cpu_utilization).epsilon(1e-6));
  CHECK(r.cpu_runtime > 0);
}

TEST_CASE("report: folders written by run, capacity and sweep", "[report]") {
  SECTION("run --out") {
    const fs::path dir = temp_dir("run");
    write_outputs(testing::run_yaml(kFifoMm1, {{"run.duration", "2s"}}), dir.string());
    const std::string path = write_report(dir.string());
    CHECK(path == (dir / "report.html").string());
    std::ifstream in(path);
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(html.find("<section id=\"latency\"") != std::string::npos);
    CHECK(html.find(dir.string()) != std::string::npos);  // the page names its folder
    CHECK_FALSE(fs::exists(dir / "report.html.tmp"));
  }
  SECTION("capacity --out") {
    ScenarioSource src;
    src.text = kFifoMm1;
    src.sets = {{"run.duration", "2s"}};
    CapacityOptions o;
    o.slo = parse_slo("mean<4ms");
    o.precision = 0.1;
    const Json cap = capacity_search(src, o);
    const fs::path dir = temp_dir("capacity");
    write_file_atomically(dir / "capacity.json", cap.dump(2));
    std::ifstream in(write_report(dir.string()));
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(html.find("<title>gmpsim report: capacity search of &lt;text&gt;</title>") != std::string::npos);
    CHECK(html.find("<section id=\"capacity\"") != std::string::npos);
    CHECK(html.find("<section id=\"summary\"") == std::string::npos);
    const Json data = page_data(html);
    CHECK(data["capacity"]["value"].size() == cap["trace"].size());
    CHECK(data["capacity"]["bound_us"] == 4000.0);
    CHECK(count(html, "<tr class=\"pass\">") + count(html, "<tr class=\"fail\">") == cap["trace"].size());
  }
  SECTION("sweep --out, whole or in task slices") {
    ScenarioSource src;
    src.text = kFifoMm1;
    src.sets = {{"run.duration", "1s"}};
    const std::vector<PointParams> points = grid_points({parse_grid_axis("workload.classes.job.arrivals.rate=[200/s, 400/s, 600/s]")});
    SweepOptions o;
    o.repeats = 2;
    const fs::path dir = temp_dir("sweep");
    for (std::uint64_t task = 0; task < 2; ++task) {
      o.task_index = task;
      o.task_count = 2;
      write_file_atomically(dir / ("sweep.task-" + std::to_string(task) + "-of-2.csv"), sweep_csv(run_sweep(src, points, 3, o)));
    }
    std::ifstream in(write_report(dir.string()));
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const Json data = page_data(html);
    REQUIRE(data["sweep"]["rows"].size() == 6);
    CHECK(data["sweep"]["params"] == Json::array({"workload.classes.job.arrivals.rate"}));
    const auto& cols = data["sweep"]["columns"];
    const auto point = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), "point") - cols.begin());
    const auto repeat = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), "repeat") - cols.begin());
    for (std::size_t i = 0; i < 6; ++i) {  // the slices' rows back in (point, repeat) order
      CHECK(data["sweep"]["rows"][i][point] == std::to_string(i / 2));
      CHECK(data["sweep"]["rows"][i][repeat] == std::to_string(i % 2));
    }
    CHECK(html.find("sweep.task-0-of-2.csv, sweep.task-1-of-2.csv") != std::string::npos);
  }
}

TEST_CASE("report: a folder without gmpsim output is bad input naming OUT_DIR, and nothing is written", "[report]") {
  const fs::path dir = temp_dir("bad");
  const auto key_of = [](const std::string& d) {
    try {
      write_report(d);
    } catch (const ScenarioError& e) {
      return e.key() + " | " + e.what();
    }
    return std::string("no error");
  };
  CHECK_THAT(key_of((dir / "missing").string()), Catch::StartsWith("OUT_DIR | ") && Catch::Contains("is not a folder"));
  CHECK_THAT(key_of(dir.string()), Catch::StartsWith("OUT_DIR | ") && Catch::Contains("summary.json"));
  std::ofstream(dir / "summary.json") << "{\"half\": ";
  CHECK_THAT(key_of(dir.string()), Catch::StartsWith("OUT_DIR | ") && Catch::Contains("is not valid JSON"));
  CHECK_FALSE(fs::exists(dir / "report.html"));
}

TEST_CASE("report: a claims.json folder renders one row per claim with its verdict, figures and mechanism", "[report][claims]") {
  const fs::path dir = temp_dir("claims");
  const Json claims = {
      {"format", "gmpsim-claims/1"},
      {"title", "claims of <an> article"},
      {"source", "notebooks/claims.ipynb"},
      {"claims",
       Json::array({{{"id", 1}, {"claim", "a million goroutines in a few seconds"}, {"verdict", "supported"}, {"claimed", "few s, < 200 MB"},
                     {"predicted", "0.41 s, 180 MiB"}, {"real", "0.38 s"}, {"mechanism", "newproc costs 300 ns"}, {"scenario", "examples/claims/c1.yaml"}},
                    {{"id", 3}, {"claim", "ulimit caps concurrency"}, {"verdict", "supported only when"}, {"condition", "Go's raise is undone"},
                     {"claimed", "1024"}, {"predicted", "EMFILE at 1017 connections"}, {"mechanism", "accept4 fails"}},
                    {{"id", 4}, {"claim", "GPM weight"}, {"verdict", "contradicted"}, {"mechanism", "no such field"},
                     {"source", "include/linux/sched.h struct sched_entity"}},
                    {{"id", 7}, {"claim", "io_uring"}, {"verdict", "outside the model"}, {"mechanism", "io_uring is not modelled"}}})}};
  write_file_atomically(dir / "claims.json", claims.dump(2));
  std::ifstream in(write_report(dir.string()));
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.find("<title>gmpsim report: claims</title>") != std::string::npos);
  CHECK(html.find("<section id=\"claims\"") != std::string::npos);
  CHECK(html.find("<a href=\"#claims\">Claims</a>") != std::string::npos);
  CHECK(html.find("claims of &lt;an&gt; article") != std::string::npos);  // escaped
  CHECK(count(html, "<tr class=\"verdict-") == 4);
  CHECK(count(html, "<tr class=\"verdict-supported\">") == 1);
  CHECK(html.find("supported only when <span class=\"condition\">Go&#39;s raise is undone</span>") != std::string::npos);
  CHECK(html.find("<section id=\"trace\"") == std::string::npos);  // nothing ran: no trace to point to
  CHECK(html.find("<th>real Go</th>") != std::string::npos);
  CHECK(html.find("<td>0.41 s, 180 MiB</td><td>0.38 s</td>") != std::string::npos);
  CHECK(html.find("Source: include/linux/sched.h struct sched_entity") != std::string::npos);
  CHECK(html.find("<code>examples/claims/c1.yaml</code>") != std::string::npos);
  // The tally of verdicts: one of each.
  CHECK(count(html, "<div class=\"value\">1</div><div class=\"note\">claims</div>") == 4);

  // A run's folder with a claims.json shows both.
  write_outputs(testing::run_yaml(kFifoMm1, {{"run.duration", "1s"}}), dir.string());
  std::ifstream in2(write_report(dir.string()));
  const std::string both((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>());
  CHECK(both.find("<title>gmpsim report: run and claims</title>") != std::string::npos);
  CHECK(both.find("<section id=\"summary\"") != std::string::npos);
  CHECK(both.find("<section id=\"claims\"") != std::string::npos);
}

TEST_CASE("report: a bad claims.json is bad input naming OUT_DIR and the row's field", "[report][claims]") {
  const fs::path dir = temp_dir("badclaims");
  const auto error_of = [&](const Json& j) {
    write_file_atomically(dir / "claims.json", j.dump());
    try {
      write_report(dir.string());
    } catch (const ScenarioError& e) {
      return e.key() + " | " + e.what();
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of(Json::array()), Catch::StartsWith("OUT_DIR | ") && Catch::Contains("\"claims\" array"));
  CHECK_THAT(error_of({{"claims", Json::array({{{"claim", "x"}, {"verdict", "maybe"}, {"mechanism", "m"}}})}}),
             Catch::StartsWith("OUT_DIR | ") && Catch::Contains("claims[0].verdict \"maybe\" is not one of"));
  CHECK_THAT(error_of({{"claims", Json::array({{{"claim", "x"}, {"verdict", "supported"}, {"mechanism", "m"}},
                                               {{"claim", "y"}, {"verdict", "contradicted"}}})}}),
             Catch::Contains("claims[1].mechanism is missing"));
  CHECK_THAT(error_of({{"claims", Json::array({{{"claim", "x"}, {"verdict", "supported only when"}, {"mechanism", "m"}}})}}),
             Catch::Contains("claims[0].condition is missing"));
  CHECK_FALSE(fs::exists(dir / "report.html"));
}
