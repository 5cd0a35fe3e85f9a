// gmpsim sweep SCENARIO --grid 'key=[v1, v2]' ... --out DIR: every grid point, --repeats times each, on
// local threads (or one slice of them for a job array), into one tidy CSV (models/sweep/).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "models/cli/commands.h"
#include "models/sweep/sweep.h"

namespace gmpsim::models::cli {

namespace po = boost::program_options;

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description opts("gmpsim sweep SCENARIO --grid KEY=[V1, V2] ... --out DIR [options]");
  opts.add_options()("help,h", "show this help")("scenario", po::value<std::string>(), "scenario YAML file")(
      "grid", po::value<std::vector<std::string>>()->composing(), "an axis: KEY=[V1, V2, ...] (a YAML list; repeatable; points are the product)")(
      "repeats", po::value<std::uint64_t>()->default_value(1), "runs per point, each with its own derived seed")(
      "out", po::value<std::string>(), "write sweep.csv (sweep.task-I-of-N.csv with --task-count) to DIR")(
      "jobs,j", po::value<unsigned>(), "threads (default: the host's cores; the rows do not depend on it)")(
      "task-index", po::value<std::uint64_t>()->default_value(0), "job arrays: run the runs i with i % task-count == task-index")(
      "task-count", po::value<std::uint64_t>()->default_value(1), "job arrays: the number of tasks")(
      "quiet,q", "print nothing on success");
  add_scenario_options(opts);
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const po::variables_map vm = parse_command(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  const ScenarioSource src = scenario_source(vm, "sweep");
  if (!vm.count("out")) throw ScenarioError("--out", "missing: the folder for sweep.csv");
  std::vector<GridAxis> axes;
  if (vm.count("grid")) {
    for (const std::string& g : vm["grid"].as<std::vector<std::string>>()) axes.push_back(parse_grid_axis(g));
  }
  SweepOptions o;
  o.repeats = vm["repeats"].as<std::uint64_t>();
  if (o.repeats == 0) throw ScenarioError("--repeats", "must be at least 1");
  o.task_index = vm["task-index"].as<std::uint64_t>();
  o.task_count = vm["task-count"].as<std::uint64_t>();
  if (o.task_count == 0) throw ScenarioError("--task-count", "must be at least 1");
  if (o.task_index >= o.task_count) throw ScenarioError("--task-index", "must be below --task-count");
  o.jobs = vm.count("jobs") ? vm["jobs"].as<unsigned>() : std::max(1u, std::thread::hardware_concurrency());
  const std::vector<PointParams> points = grid_points(axes);
  // Every point must load before anything runs: bad input is one message and exit 2, as for `run`.
  const std::uint64_t master = src.load().run.seed;
  for (const PointParams& p : points) src.load(p);

  const std::filesystem::path dir = vm["out"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw ScenarioError("--out", "cannot create \"" + dir.string() + "\": " + ec.message());
  const std::string name = o.task_count == 1 ? "sweep.csv"
                                             : "sweep.task-" + std::to_string(o.task_index) + "-of-" + std::to_string(o.task_count) + ".csv";
  const bool quiet = vm.count("quiet") > 0;
  std::size_t done = 0;
  const std::size_t total = (points.size() * o.repeats + o.task_count - 1 - o.task_index) / o.task_count;
  const std::vector<Json> rows = run_sweep(src, points, master, o, [&](const Json& row) {
    ++done;
    if (!quiet) {
      std::cerr << "[" << done << "/" << total << "] point " << row["point"] << " repeat " << row["repeat"] << ": "
                << row["outcome"].get<std::string>() << "\n";
    }
  });
  const std::filesystem::path path = dir / name, tmp = dir / (name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!(out << sweep_csv(rows)).flush()) throw ScenarioError("--out", "cannot write \"" + tmp.string() + "\"");
  }
  std::filesystem::rename(tmp, path);
  std::size_t abnormal = 0;
  for (const Json& r : rows) abnormal += r["outcome"] != "completed";
  if (!quiet) {
    std::cout << "wrote " << path.string() << ": " << rows.size() << " runs (" << points.size() << " points x " << o.repeats
              << " repeats" << (o.task_count > 1 ? ", this task's slice" : "") << "), " << abnormal << " ended abnormally\n";
  }
  return 0;
}

}  // namespace gmpsim::models::cli
