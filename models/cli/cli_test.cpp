// The CLI as users run it: exit codes, files written (or not), help and listings. Runs the real binary.
#include <catch2/catch.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct Output {
  int status;
  std::string text;  // stdout and stderr together
};

Output gmpsim(const std::string& args) {
  const std::string cmd = std::string(GMPSIM_CLI_PATH) + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p.get())) out += buf.data();
  const int raw = pclose(p.release());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("gmpsim_cli_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

fs::path write_scenario(const std::string& name, const std::string& yaml) {
  const fs::path p = fs::temp_directory_path() / ("gmpsim_cli_test_" + name + "_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(p) << yaml;
  return p;
}

const char* kGood = R"(
machine: {cpus: 2}
workload: {classes: {r: {arrivals: {process: poisson, rate: 1000/s}, program: [{compute: {dist: exponential, mean: 1ms}}]}}}
run: {duration: 2s, sample_interval: 100ms}
)";

}  // namespace

TEST_CASE("cli: run writes summary, latency and timeseries files and exits 0", "[cli]") {
  const fs::path dir = temp_dir("run");
  const fs::path sc = write_scenario("good", kGood);
  const Output o = gmpsim("run " + sc.string() + " --out " + dir.string() + " --seed 5");
  INFO(o.text);
  REQUIRE(o.status == 0);
  CHECK_THAT(o.text, Catch::Contains("outcome: completed") && Catch::Contains("latency (us)"));
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  for (const char* key : {"gmpsim_version", "model", "seed", "scenario", "scenario_origin", "sim", "goroutines",
                          "throughput_per_s", "latency_us", "cpu", "outcome"}) {
    CHECK(summary.contains(key));
  }
  CHECK(summary["seed"] == 5);
  CHECK(summary["scenario_origin"]["run.seed"] == "set");
  CHECK(summary["outcome"]["status"] == "completed");
  for (const char* key : {"events", "wall_s", "events_per_s", "simulated_ns"}) CHECK(summary["sim"].contains(key));
  for (const char* key : {"count", "mean", "p50", "p90", "p99", "p999", "max"}) CHECK(summary["latency_us"]["r"].contains(key));
  std::string header;
  std::getline(std::ifstream(dir / "timeseries.csv"), header);
  CHECK(header == "t_s,runnable,running,live,cpu0_busy,cpu1_busy");
  std::getline(std::ifstream(dir / "latency.csv"), header);
  CHECK(header == "kind,name,class,low_ns,high_ns,count");
  CHECK_FALSE(fs::exists(dir / "summary.json.tmp"));
  const Output traced = gmpsim("run " + sc.string() + " --quiet --trace " + (dir / "trace.csv").string());
  CHECK(traced.status == 0);
  std::ifstream trace(dir / "trace.csv");
  std::string line;
  std::getline(trace, header);
  CHECK(header == "t_ns,event,g,class,cpu");
  std::getline(trace, line);
  CHECK_THAT(line, Catch::Matches("[0-9]+,GoCreate,0,r,"));
  fs::remove_all(dir);
  fs::remove(sc);
}

TEST_CASE("cli: --quiet prints nothing on success", "[cli]") {
  const fs::path sc = write_scenario("quiet", kGood);
  const Output o = gmpsim("run " + sc.string() + " --quiet");
  CHECK(o.status == 0);
  CHECK(o.text.empty());
  fs::remove(sc);
}

TEST_CASE("cli: bad input exits 2 with one message and writes nothing", "[cli]") {
  const fs::path dir = temp_dir("bad");
  const fs::path sc = write_scenario("bad", kGood);
  const Output o = gmpsim("run " + sc.string() + " --out " + dir.string() + " --set run.duraton=1s");
  CHECK(o.status == 2);
  CHECK(o.text == "gmpsim: error: run.duraton: unknown key (did you mean `run.duration`?); `gmpsim params` lists every valid key\n");
  CHECK_FALSE(fs::exists(dir));
  CHECK(gmpsim("run /nonexistent.yaml").status == 2);
  CHECK(gmpsim("run").status == 2);
  CHECK(gmpsim("frobnicate").status == 2);
  CHECK(gmpsim("run " + sc.string() + " --bogus-flag").status == 2);
  CHECK(gmpsim("check " + sc.string() + " --set machine.cpus=-1").status == 2);
  fs::remove(sc);
}

TEST_CASE("cli: an argument holding Boost's own message placeholder is reported, not looped on", "[cli]") {
  // Boost.Program_options 1.74 substitutes %original_token% until none is left: a bad option containing
  // it used to hang the CLI with a growing message (models/fuzz/regressions/set/percent-placeholder-in-argument).
  const fs::path sc = write_scenario("percent", kGood);
  for (const char* cmd : {"run", "check", "sweep", "capacity"}) {
    INFO(cmd);
    const Output o = gmpsim(std::string(cmd) + " " + sc.string() + " '--x%original_token%' '-%value%'");
    CHECK(o.status == 2);
    CHECK_THAT(o.text, Catch::Contains("%original_token%") || Catch::Contains("%value%"));
  }
  fs::remove(sc);
}

TEST_CASE("cli: an abnormal end exits 3 and still writes the summary", "[cli]") {
  const fs::path dir = temp_dir("abnormal");
  const fs::path sc = write_scenario("abnormal", kGood);
  const Output o = gmpsim("run " + sc.string() + " --out " + dir.string() + " --set run.max_events=100");
  CHECK(o.status == 3);
  CHECK_THAT(o.text, Catch::Contains("time_limit"));
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  CHECK(summary["outcome"]["status"] == "time_limit");
  fs::remove_all(dir);
  fs::remove(sc);
}

TEST_CASE("cli: check, models, params and help", "[cli]") {
  const fs::path sc = write_scenario("check", kGood);
  const Output check = gmpsim("check " + sc.string());
  CHECK(check.status == 0);
  CHECK_THAT(check.text, Catch::Contains("\"scenario_origin\"") && Catch::Contains("\"run.duration\": \"scenario\""));
  fs::remove(sc);
  const Output models = gmpsim("models");
  CHECK(models.status == 0);
  CHECK_THAT(models.text, Catch::StartsWith("fifo  "));
  const Output params = gmpsim("params fifo");
  CHECK(params.status == 0);
  CHECK_THAT(params.text, Catch::Contains("run.duration  (duration, default 10s)"));
  CHECK_THAT(params.text, !Catch::Contains("kernel.hz"));  // fifo reads no kernel parameter
  CHECK(gmpsim("params nosuchmodel").status == 2);
  CHECK(gmpsim("--help").status == 0);
  const Output run_help = gmpsim("run --help");
  CHECK(run_help.status == 0);
  CHECK_THAT(run_help.text, Catch::Contains("--set") && Catch::Contains("--out") && Catch::Contains("--seed"));
}

TEST_CASE("models/scenario/parameters.md is the reference the parameter table generates", "[cli][docs]") {
  // The file is this header line, a blank line, then exactly the output of `gmpsim params --markdown`.
  const std::string header =
      "*Generated by `gmpsim params --markdown` from models/scenario/params.cpp; do not edit. Regenerate: "
      "`sed -i '3,$d' models/scenario/parameters.md && build/models/gmpsim params --markdown >> "
      "models/scenario/parameters.md`*\n\n";
  std::ifstream in(std::string(GMPSIM_SOURCE_DIR) + "/models/scenario/parameters.md");
  REQUIRE(in);
  std::stringstream file;
  file << in.rdbuf();
  const Output md = gmpsim("params --markdown");
  REQUIRE(md.status == 0);
  INFO("regenerate it with `sed -i '3,$d' models/scenario/parameters.md && build/models/gmpsim params --markdown >> "
       "models/scenario/parameters.md`");
  CHECK(file.str() == header + md.text);
}

TEST_CASE("every example scenario runs", "[cli][examples]") {
  for (const auto& entry : fs::directory_iterator(std::string(GMPSIM_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    DYNAMIC_SECTION(entry.path().filename().string()) {
      const Output o = gmpsim("run " + entry.path().string() + " --quiet");
      INFO(o.text);
      CHECK(o.status == 0);
    }
  }
}

TEST_CASE("cli: report writes report.html for a run folder; a missing or empty folder exits 2", "[cli][report]") {
  const fs::path dir = temp_dir("report");
  const fs::path sc = write_scenario("report", kGood);
  REQUIRE(gmpsim("run " + sc.string() + " --quiet --out " + dir.string()).status == 0);
  const Output o = gmpsim("report " + dir.string());
  INFO(o.text);
  CHECK(o.status == 0);
  CHECK(o.text == "wrote " + (dir / "report.html").string() + "\n");
  std::ifstream in(dir / "report.html");
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<title>gmpsim report: run</title>") != std::string::npos);

  const Output missing = gmpsim("report");
  CHECK(missing.status == 2);
  CHECK(missing.text.find("OUT_DIR: missing") != std::string::npos);
  const fs::path empty = temp_dir("report_empty");
  fs::create_directories(empty);
  const Output none = gmpsim("report " + empty.string());
  CHECK(none.status == 2);
  CHECK(none.text.find("holds no gmpsim output") != std::string::npos);
  CHECK_FALSE(fs::exists(empty / "report.html"));
}

TEST_CASE("cli: import-trace runs gmpsim-importtrace; bad input exits 2 and writes nothing", "[cli][importtrace]") {
  const fs::path importer = fs::path(GMPSIM_CLI_PATH).parent_path() / "gmpsim-importtrace";
  if (!fs::exists(importer)) {
    WARN("gmpsim-importtrace is not built (no Go): only the message is checked");
    const Output o = gmpsim("import-trace /nonexistent.trace");
    CHECK(o.status != 0);
    CHECK(o.text.find("gmpsim-importtrace") != std::string::npos);
    return;
  }
  const Output help = gmpsim("import-trace --help");
  CHECK(help.status == 0);
  CHECK(help.text.find("--cpu-time") != std::string::npos);
  const fs::path out = temp_dir("import") / "scenario.yaml";
  const Output missing = gmpsim("import-trace /nonexistent.trace -o " + out.string());
  CHECK(missing.status == 2);
  CHECK(missing.text.find("gmpsim: error: import-trace: /nonexistent.trace: cannot open") != std::string::npos);
  const fs::path bad = write_scenario("not_a_trace", "hello: world\n");
  const Output notrace = gmpsim("import-trace " + bad.string() + " -o " + out.string());
  CHECK(notrace.status == 2);
  CHECK(notrace.text.find("not a Go execution trace") != std::string::npos);
  CHECK(!fs::exists(out));
}
