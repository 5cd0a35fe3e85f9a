// Sweeps: seeds derived from the point (not from the order or the executor), grid parsing and product
// order, identical rows whatever the thread count or task slicing, and failing points kept as rows.
#include <catch2/catch.hpp>
#include <algorithm>
#include <set>

#include "models/sweep/sweep.h"

using namespace gmpsim::models;

namespace {

ScenarioSource small() {
  ScenarioSource src;
  src.text = "machine: {cpus: 2}\n"
             "workload: {classes: {r: {arrivals: {process: poisson, rate: 1000/s}, program: [{compute: {dist: exponential, mean: 1ms}}]}}}\n"
             "run: {duration: 1s, sample_interval: 100ms, seed: 11}\n";
  return src;
}

}  // namespace

TEST_CASE("sweep: point seeds depend on master, point and repeat only", "[sweep]") {
  const PointParams a{{"machine.cpus", "4"}, {"run.duration", "2s"}};
  const PointParams same_reordered{{"run.duration", "2s"}, {"machine.cpus", "4"}};
  const PointParams same_spelled{{"machine.cpus", "'4'"}, {"run.duration", "2s"}};  // scalars are typed as --set types them
  CHECK(point_seed(1, a, 0) == point_seed(1, same_reordered, 0));
  CHECK(point_seed(1, a, 0) == point_seed(1, same_spelled, 0));
  CHECK(point_seed(1, a, 0) != point_seed(1, a, 1));
  CHECK(point_seed(1, a, 0) != point_seed(2, a, 0));
  CHECK(point_seed(1, {{"machine.cpus", "4"}}, 0) == point_seed(1, {{"machine.cpus", " 4 "}}, 0));
  CHECK(point_seed(1, a, 0) <= 9'200'000'000'000'000'000ull);  // run.seed's range
  CHECK(canonical_point(a) == "machine.cpus=4\nrun.duration=\"2s\"\n");
}

TEST_CASE("sweep: grid axes and their product", "[sweep]") {
  const GridAxis cpus = parse_grid_axis("machine.cpus=[1, 2, 4]");
  CHECK(cpus.key == "machine.cpus");
  CHECK(cpus.values == std::vector<std::string>{"1", "2", "4"});
  CHECK(parse_grid_axis("run.duration=2s").values == std::vector<std::string>{"2s"});
  CHECK(parse_grid_axis("x=[{dist: exponential, mean: 1ms}]").values.size() == 1);
  CHECK_THROWS_WITH(parse_grid_axis("[1, 2]"), Catch::StartsWith("--grid: expected key="));
  CHECK_THROWS_WITH(parse_grid_axis("a=[1, 2"), Catch::StartsWith("--grid a: "));
  CHECK_THROWS_WITH(parse_grid_axis("a=[]"), Catch::StartsWith("--grid a: the list of values is empty"));
  const auto points = grid_points({cpus, parse_grid_axis("run.seed=[5, 6]")});
  REQUIRE(points.size() == 6);
  REQUIRE(points[1].size() == 2);  // the first axis varies slowest
  CHECK(points[1][0].value == "1");
  CHECK(points[1][1].key == "run.seed");
  CHECK(points[1][1].value == "6");
  CHECK(points[2][0].value == "2");
}

TEST_CASE("sweep: rows do not depend on the thread count, and task slices partition them", "[sweep]") {
  const ScenarioSource src = small();
  const auto points = grid_points({parse_grid_axis("machine.cpus=[1, 2]"), parse_grid_axis("workload.classes.r.arrivals.rate=[500/s, 800/s]")});
  SweepOptions o;
  o.repeats = 2;
  o.jobs = 1;
  const auto one = run_sweep(src, points, 11, o);
  o.jobs = 3;
  const auto three = run_sweep(src, points, 11, o);
  REQUIRE(one.size() == 8);
  CHECK(sweep_csv(one) == sweep_csv(three));
  CHECK(one[3]["point"] == 1);
  CHECK(one[3]["repeat"] == 1);
  CHECK(one[3]["machine.cpus"] == "1");
  CHECK(one[3]["outcome"] == "completed");
  CHECK(one[3]["seed"] == point_seed(11, points[1], 1));
  std::set<std::string> fingerprints;
  for (const Json& r : one) fingerprints.insert(r["fingerprint"].get<std::string>());
  CHECK(fingerprints.size() == 8);  // every run has its own seed
  std::vector<Json> sliced;
  o.task_count = 3;
  for (o.task_index = 0; o.task_index < 3; ++o.task_index) {
    for (const Json& r : run_sweep(src, points, 11, o)) sliced.push_back(r);
  }
  std::sort(sliced.begin(), sliced.end(), [](const Json& a, const Json& b) {
    return std::make_pair(a["point"].get<int>(), a["repeat"].get<int>()) < std::make_pair(b["point"].get<int>(), b["repeat"].get<int>());
  });
  CHECK(sweep_csv(sliced) == sweep_csv(one));
}

TEST_CASE("sweep: a point that does not load is a row with its error", "[sweep]") {
  const auto points = grid_points({parse_grid_axis("machine.cpus=[2, 0]")});
  const auto rows = run_sweep(small(), points, 1, {});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["outcome"] == "completed");
  CHECK(rows[1]["outcome"] == "error");
  CHECK_THAT(rows[1]["detail"].get<std::string>(), Catch::StartsWith("machine.cpus: "));
  const std::string csv = sweep_csv(rows);
  CHECK_THAT(csv, Catch::StartsWith("point,repeat,machine.cpus,seed,outcome,detail,simulated_s,"));
}

TEST_CASE("sweep: CSV fields are quoted when they must be", "[sweep]") {
  Json row = Json::object();
  row["a"] = "x,y";
  row["b"] = "say \"hi\"";
  row["c"] = nullptr;
  row["d"] = 0.1;
  CHECK(sweep_csv({row}) == "a,b,c,d\n\"x,y\",\"say \"\"hi\"\"\",,0.10000000000000001\n");
}
