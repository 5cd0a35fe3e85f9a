// gmpsim sweep SCENARIO --grid 'key=[v1, v2]' ... --out DIR: every grid point, --repeats times each, on
// local threads (or one slice of them for a job array), into one tidy CSV (models/sweep/).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "models/cli/commands.h"
#include "models/output/atomic.h"
#include "models/sweep/sweep.h"

namespace gmpsim::models::cli {

namespace po = boost::program_options;

namespace {

// The finished rows of an interrupted sweep's journal, when it belongs to the sweep `id` describes; a line
// cut short by a kill is skipped. A journal of another sweep is refused rather than mixed in.
std::vector<Json> read_journal(const std::filesystem::path& journal, const Json& id) {
  std::vector<Json> rows;
  std::ifstream in(journal);
  if (!in) return rows;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    if (first) {
      first = false;
      if (!j.contains("sweep") || j["sweep"] != id) {
        throw ScenarioError("--out", journal.string() + " is the journal of another sweep (another scenario, grid, repeats, seed or "
                                     "task); use another --out folder or delete it");
      }
      continue;
    }
    if (j.contains("point") && j.contains("repeat") && j.contains("outcome")) rows.push_back(j);
  }
  return rows;
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description opts("gmpsim sweep SCENARIO --grid KEY=[V1, V2] ... --out DIR [options]");
  opts.add_options()("help,h", "show this help")("scenario", po::value<std::string>(), "scenario YAML file")(
      "grid", po::value<std::vector<std::string>>()->composing(), "an axis: KEY=[V1, V2, ...] (a YAML list; repeatable; points are the product)")(
      "repeats", po::value<std::uint64_t>()->default_value(1), "runs per point, each with its own derived seed")(
      "out", po::value<std::string>(), "write sweep.csv (sweep.task-I-of-N.csv with --task-count) to DIR")(
      "jobs,j", po::value<unsigned>(), "threads (default: the host's cores; the rows do not depend on it)")(
      "task-index", po::value<std::uint64_t>()->default_value(0), "job arrays: run the runs i with i % task-count == task-index")(
      "task-count", po::value<std::uint64_t>()->default_value(1), "job arrays: the number of tasks")(
      "resume", "finish an interrupted sweep: run only what DIR's journal (sweep.partial.jsonl) lacks")(
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
  const std::string name = o.task_count == 1 ? "sweep"
                                             : "sweep.task-" + std::to_string(o.task_index) + "-of-" + std::to_string(o.task_count);
  const std::filesystem::path path = dir / (name + ".csv");
  // The journal: every finished run as a JSON line, flushed as it finishes, so an interrupted or killed
  // sweep loses nothing; --resume runs only what it lacks. Its first line names the sweep it belongs to.
  const std::filesystem::path journal = dir / (name + ".partial.jsonl");
  Json id = Json::object();
  id["scenario"] = src.path;
  for (const Override& s : src.sets) id["sets"].push_back(s.key + "=" + s.value);
  for (const PointParams& p : points) id["points"].push_back(canonical_point(p));
  id["repeats"] = o.repeats;
  id["seed"] = master;
  id["task"] = std::to_string(o.task_index) + "/" + std::to_string(o.task_count);
  const bool resume = vm.count("resume") > 0;
  o.finished = read_journal(journal, id);
  if (!o.finished.empty() && !resume) {
    throw ScenarioError("--resume", journal.string() + " holds " + std::to_string(o.finished.size()) +
                                        " finished runs of this sweep, interrupted; add --resume to run only the rest, or delete the file to start over");
  }
  std::ofstream log;
  {  // a fresh journal with only its whole lines (a line cut short by a kill is dropped), then appended to
    AtomicFile fresh(journal, "--out");
    fresh.stream() << Json{{"sweep", id}}.dump() << "\n";
    for (const Json& row : o.finished) fresh.stream() << row.dump() << "\n";
    fresh.commit();
    log.open(journal, std::ios::app);
  }
  set_interrupt_note("the runs finished so far are kept in " + journal.string() + "; run the same command with --resume to finish the sweep (" +
                     path.string() + " is written only when it is complete)");
  const bool quiet = vm.count("quiet") > 0;
  std::size_t done = 0;
  const std::size_t total = (points.size() * o.repeats + o.task_count - 1 - o.task_index) / o.task_count;
  if (!quiet && !o.finished.empty()) std::cerr << "resuming: " << o.finished.size() << " of " << total << " runs already done\n";
  const std::vector<Json> rows = run_sweep(src, points, master, o, [&](const Json& row) {
    ++done;
    if (!(log << row.dump() << "\n").flush()) throw ScenarioError("--out", "cannot append to " + journal.string());
    if (!quiet) {
      std::cerr << "[" << done + o.finished.size() << "/" << total << "] point " << row["point"] << " repeat " << row["repeat"] << ": "
                << row["outcome"].get<std::string>() << "\n";
    }
  });
  write_file_atomically(path, sweep_csv(rows), "--out");
  std::filesystem::remove(journal, ec);
  std::size_t abnormal = 0;
  for (const Json& r : rows) abnormal += r["outcome"] != "completed";
  if (!quiet) {
    std::cout << "wrote " << path.string() << ": " << rows.size() << " runs (" << points.size() << " points x " << o.repeats
              << " repeats" << (o.task_count > 1 ? ", this task's slice" : "") << "), " << abnormal << " ended abnormally\n";
  }
  return 0;
}

}  // namespace gmpsim::models::cli
