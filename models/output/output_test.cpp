// Outputs: files appear complete or not at all (atomic.h), and names cannot break the CSV files.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/input/errors.h"
#include "models/output/output.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim::models;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("gmpsim_output_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("output: an AtomicFile appears only when committed, never as a .tmp", "[output]") {
  const fs::path dir = fresh_dir("atomic");
  {
    AtomicFile f(dir / "a.txt", "--out");
    f.stream() << "never committed";
  }
  CHECK(fs::is_empty(dir));  // dropped: nothing at the path, no temporary left
  std::ofstream(dir / "b.txt") << "old";
  {
    AtomicFile f(dir / "b.txt", "--out");
    f.stream() << std::string(1 << 20, 'x');
    CHECK(read(dir / "b.txt") == "old");  // until commit the old file is intact
    f.commit();
  }
  CHECK(read(dir / "b.txt").size() == std::size_t{1} << 20);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  CHECK_THROWS_WITH(AtomicFile(dir / "no" / "such" / "c.txt", "--trace"), Catch::StartsWith("--trace: cannot write in"));
  fs::remove_all(dir);
}

TEST_CASE("output: write_outputs replaces a whole set and leaves nothing else", "[output]") {
  const fs::path dir = fresh_dir("set");
  const std::string yaml = "machine: {cpus: 1}\nworkload: {classes: {r: {arrivals: {process: poisson, rate: 100/s}, program: [{compute: 1ms}]}}}\n"
                           "run: {duration: 1s, sample_interval: 100ms}\n";
  write_outputs(testing::run_yaml(yaml, {{"run.seed", "1"}}), dir.string());
  write_outputs(testing::run_yaml(yaml, {{"run.seed", "2"}}), dir.string());
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"latency.csv", "summary.json", "timeseries.csv"});
  CHECK_THAT(read(dir / "summary.json"), Catch::Contains("\"seed\": 2"));
  fs::remove_all(dir);
}

TEST_CASE("output: span names with commas, quotes and newlines are quoted in latency.csv", "[output]") {
  const std::string yaml = "machine: {cpus: 1}\nworkload: {classes: {r: {arrivals: {process: poisson, rate: 100/s}, program: "
                           "[{span: {name: \"db, \\\"main\\\"\\nread\", steps: [{compute: 1ms}]}}]}}}\nrun: {duration: 1s}\n";
  const std::string csv = latency_csv(testing::run_yaml(yaml));
  CHECK_THAT(csv, Catch::Contains("span,\"db, \"\"main\"\"\nread\",r,"));
  CHECK(csv_quote("plain") == "plain");
}
