// gmpsim capacity SCENARIO --slo "p99<50ms" [...]: the capacity planner (models/capacity/).
#include <filesystem>
#include <iostream>
#include <thread>

#include "models/capacity/capacity.h"
#include "models/cli/commands.h"
#include "models/output/output.h"
#include "models/input/units.h"

namespace gmpsim::models::cli {

namespace po = boost::program_options;

int cmd_capacity(const std::vector<std::string>& args) {
  po::options_description opts("gmpsim capacity SCENARIO [options]");
  opts.add_options()("help,h", "show this help")("scenario", po::value<std::string>(), "scenario YAML file")(
      "slo", po::value<std::string>(), "latency objective on the class's sojourn time: STAT<DURATION, e.g. p99<50ms, mean<2ms (STAT: mean, p50, p90, p99, p999)")(
      "class", po::value<std::string>(), "the SLO's class, and the class whose load is varied (default: the first open-loop class)")(
      "memory-limit", po::value<std::string>(), "largest runtime memory, e.g. 16GiB (default: machine.memory)")(
      "vary", po::value<std::string>(), "dotted key to vary (default: the class's arrivals.rate, or .clients, or .count with --mode goroutines)")(
      "mode", po::value<std::string>()->default_value("load"), "load: the largest load; goroutines: the largest population that fits the memory limit")(
      "precision", po::value<double>()->default_value(0.02), "stop when the answer is known within this relative width")(
      "confidence", po::value<double>()->default_value(0.95), "confidence level of each probe's interval")(
      "replications", po::value<int>()->default_value(3), "replications per probe at first (doubled while undecided)")(
      "max-replications", po::value<int>()->default_value(12), "most replications per probe")(
      "max-probes", po::value<int>()->default_value(60), "most probes (runs of the scenario at one value)")(
      "jobs,j", po::value<unsigned>(), "threads for a probe's replications (default: the host's cores; results do not depend on it)")(
      "out", po::value<std::string>(), "write capacity.json and capacity_trace.csv to DIR")(
      "quiet,q", "print nothing on success");
  add_scenario_options(opts);
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const po::variables_map vm = parse_command(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  const ScenarioSource src = scenario_source(vm, "capacity");
  CapacityOptions o;
  const std::string mode = vm["mode"].as<std::string>();
  if (mode == "goroutines") {
    o.mode = CapacityMode::kGoroutines;
  } else if (mode != "load") {
    throw ScenarioError("--mode", "\"" + mode + "\" is not a mode; use load or goroutines");
  }
  if (vm.count("slo")) o.slo = parse_slo(vm["slo"].as<std::string>());
  if (vm.count("class")) o.class_name = vm["class"].as<std::string>();
  if (vm.count("memory-limit")) {
    try {
      o.memory_limit = parse_bytes(vm["memory-limit"].as<std::string>());
    } catch (const UnitError& e) {
      throw ScenarioError("--memory-limit", e.what());
    }
    if (o.memory_limit <= 0) throw ScenarioError("--memory-limit", "must be positive");
  }
  if (vm.count("vary")) o.vary = vm["vary"].as<std::string>();
  o.precision = vm["precision"].as<double>();
  o.confidence = vm["confidence"].as<double>();
  o.min_replications = vm["replications"].as<int>();
  o.max_replications = vm["max-replications"].as<int>();
  o.max_probes = vm["max-probes"].as<int>();
  o.jobs = vm.count("jobs") ? vm["jobs"].as<unsigned>() : std::max(1u, std::thread::hardware_concurrency());
  const Json report = capacity_search(src, o);
  if (vm.count("out")) {
    const std::filesystem::path dir = vm["out"].as<std::string>();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw ScenarioError("--out", "cannot create \"" + dir.string() + "\": " + ec.message());
    AtomicFile trace(dir / "capacity_trace.csv", "--out"), json(dir / "capacity.json", "--out");
    trace.stream() << capacity_trace_csv(report);
    json.stream() << report.dump(2) << "\n";
    commit_all({&trace, &json});
  }
  if (!vm.count("quiet")) std::cout << capacity_report_text(report);
  return 0;
}

}  // namespace gmpsim::models::cli
