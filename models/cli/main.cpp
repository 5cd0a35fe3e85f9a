// gmpsim command line. Exit codes (cli/exit_status.h): 0 completed; 3 the simulated program ended abnormally
// (deadlock, starvation, thread exhaustion, out of memory, time limit; the summary is still written); 2 bad
// input (one message naming the key, nothing written); 1 internal error.
#include <boost/program_options.hpp>
#include <cstdlib>
#include <memory>
#include <iostream>
#include <string>
#include <vector>

#include "models/cli/commands.h"
#include "models/cli/exit_status.h"
#include "models/output/output.h"
#include "models/output/perfetto.h"
#include "models/registry.h"
#include "models/scenario/catalog.h"
#include "models/result.h"
#include "models/input/errors.h"
#include "models/scenario/scenario.h"
#include "sim/check.h"

namespace gmpsim::models {
int cmd_calibrate(const std::vector<std::string>& args);  // calibrate_cmd.cpp
}

namespace po = boost::program_options;
using namespace gmpsim::models;

namespace {

using cli::BadUsage;
using cli::kExitAbnormal;
using cli::kExitBadInput;
using cli::kExitOk;

const char* kUsage =
    "usage: gmpsim COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO     simulate a scenario and print a summary (--out DIR writes files)\n"
    "  check SCENARIO   validate a scenario and print it fully resolved, without running it\n"
    "  models           list the scheduler models\n"
    "  params [MODEL]   list scenario parameters (those MODEL reads; all without MODEL)\n"
    "  calibrate        measure this host and write a host profile (--out FILE, --quick)\n"
    "  capacity SCENARIO --slo 'p99<50ms'   the largest load meeting an SLO and a memory limit\n"
    "  sweep SCENARIO --grid 'key=[v1, v2]' --out DIR   run a parameter grid into one CSV\n"
    "  report OUT_DIR   write OUT_DIR/report.html from what run, capacity or sweep --out wrote\n"
    "  validate         real runtimes vs the simulator on the validation cases (writes validation/report.md)\n"
    "  import-trace TRACE.out [-o FILE]   a scenario from a real Go execution trace\n"
    "\n"
    "`gmpsim COMMAND --help` shows a command's options.\n";

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& opts,
                        const po::positional_options_description& pos) {
  return cli::parse_command<BadUsage>(args, opts, pos);
}

// --set and --seed, plus run's shorthands for schedtrace.
std::vector<Override> overrides(const po::variables_map& vm) {
  std::vector<Override> sets = cli::scenario_overrides(vm);
  if (vm.count("schedtrace")) sets.push_back({"runtime.schedtrace", vm["schedtrace"].as<std::string>()});
  if (vm.count("scheddetail")) sets.push_back({"runtime.scheddetail", "true"});
  return sets;
}

int cmd_run(const std::vector<std::string>& args, bool check_only) {
  po::options_description opts(check_only ? "gmpsim check SCENARIO [options]" : "gmpsim run SCENARIO [options]");
  opts.add_options()("help,h", "show this help")("scenario", po::value<std::string>(), "scenario YAML file");
  po::options_description scenario("scenario options");
  cli::add_scenario_options(scenario);
  opts.add(scenario);
  if (!check_only) {
    opts.add_options()("out", po::value<std::string>(), "write summary.json, latency.csv, timeseries.csv to DIR")(
        "trace", po::value<std::string>(), "write every trace record (GoCreate, GoStart, GoEnd, ...) to FILE as CSV")(
        "perfetto", po::value<std::string>(), "write a Perfetto trace (protobuf; ui.perfetto.dev opens it) to FILE (go model)")(
        "perfetto-window", po::value<std::string>(), "with --perfetto: only START:END of the run (e.g. 1s:1.5s, :200ms, 2s:)")(
        "perfetto-classes", po::value<std::string>(), "with --perfetto: only these classes' goroutines (a,b)")(
        "perfetto-sample", po::value<std::int64_t>(), "with --perfetto: only goroutines whose id is a multiple of N")(
        "schedtrace", po::value<std::string>(), "print GODEBUG=schedtrace lines every DUR (go model; same as --set runtime.schedtrace=DUR)")(
        "scheddetail", "with --schedtrace, the scheddetail=1 variant")(
        "quiet,q", "print nothing on success (errors still go to stderr)");
  }
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const po::variables_map vm = parse(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  if (!vm.count("scenario")) throw BadUsage("missing SCENARIO (a YAML file); see `gmpsim " + std::string(check_only ? "check" : "run") + " --help`");
  const Scenario sc = load_scenario_file(vm["scenario"].as<std::string>(), overrides(vm));
  if (check_only) {
    std::cout << "ok: " << sc.source << " (model " << sc.runtime.model << " " << sc.runtime.version << ", "
              << sc.workload.classes.size() << " goroutine classes)\n";
    Json j = Json::object();
    j["scenario"] = sc.resolved_json();
    j["scenario_origin"] = sc.origin_json();
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  RunOptions options;
  // The trace grows as the run goes (hundreds of MB for a busy run) in an unnamed file that appears at
  // --trace only when the run is over: an interrupted or killed run leaves no partial trace.
  std::unique_ptr<AtomicFile> trace_file;
  std::unique_ptr<CsvTraceWriter> trace;
  if (vm.count("trace")) {
    trace_file = std::make_unique<AtomicFile>(vm["trace"].as<std::string>(), "--trace");
    trace = std::make_unique<CsvTraceWriter>(trace_file->stream(), sc);
    options.observers.push_back(trace.get());
  }
  std::unique_ptr<PerfettoFile> perfetto;
  if (vm.count("perfetto")) {
    auto str = [&](const char* k) { return vm.count(k) ? vm[k].as<std::string>() : std::string(); };
    const std::int64_t sample = vm.count("perfetto-sample") ? vm["perfetto-sample"].as<std::int64_t>() : 1;
    perfetto = std::make_unique<PerfettoFile>(vm["perfetto"].as<std::string>(), sc,
                                              perfetto_options(sc, str("perfetto-window"), str("perfetto-classes"), sample));
    options.observers.push_back(perfetto->observer());
    options.scheduler_trace = true;
  } else {
    for (const char* k : {"perfetto-window", "perfetto-classes", "perfetto-sample"}) {
      if (vm.count(k)) throw ScenarioError(std::string("--") + k, "applies to a Perfetto trace; add --perfetto FILE");
    }
  }
  const RunResult r = run_scenario(sc, options);
  if (perfetto) perfetto->commit(r.simulated_ns);
  for (const std::string& line : r.schedtrace) std::cerr << line;  // where GODEBUG=schedtrace writes
  for (const std::string& line : r.gctrace) std::cerr << line;     // and gctrace
  if (trace_file) trace_file->commit();
  if (vm.count("out")) write_outputs(r, vm["out"].as<std::string>());
  if (!vm.count("quiet")) print_report(r, std::cout);
  if (r.outcome.abnormal()) {
    std::cerr << "gmpsim: the simulated program ended abnormally: " << outcome_name(r.outcome.status) << ": "
              << r.outcome.detail << "\n";
    return kExitAbnormal;
  }
  return kExitOk;
}

int cmd_models(const std::vector<std::string>& args) {
  po::options_description opts("gmpsim models");
  opts.add_options()("help,h", "show this help");
  if (parse(args, opts, {}).count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  for (const ModelInfo& m : model_catalog()) {
    std::cout << m.name << "  " << m.description << "\n    source: " << m.source << "\n    versions:";
    for (const Profile& v : m.versions) std::cout << " " << v.name;
    std::cout << " (default " << m.versions.back().name << ")\n    parameters: gmpsim params " << m.name << "\n";
  }
  return kExitOk;
}

int cmd_params(const std::vector<std::string>& args) {
  po::options_description opts("gmpsim params [MODEL] [options]");
  opts.add_options()("help,h", "show this help")("model", po::value<std::string>(), "model name")(
      "markdown", "print the reference table (models/scenario/parameters.md) instead");
  po::positional_options_description pos;
  pos.add("model", 1);
  const po::variables_map vm = parse(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return kExitOk;
  }
  if (vm.count("markdown")) {
    std::cout << params_markdown();
    return kExitOk;
  }
  std::string model;
  if (vm.count("model")) {
    model = vm["model"].as<std::string>();
    if (find_model(model) == nullptr) throw ScenarioError("MODEL", "unknown model \"" + model + "\"; `gmpsim models` lists them");
  }
  std::cout << params_text(model);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << kUsage;
      return args.empty() ? kExitBadInput : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "gmpsim " << gmpsim_version() << "\n";
      return kExitOk;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    // An interrupt ends the command at once; outputs not yet committed vanish with it (models/output/atomic.h).
    if (cmd == "run" || cmd == "sweep" || cmd == "capacity") {
      install_interrupt_handler("no output of this run was written: files it would have replaced are unchanged, new ones absent");
    }
    if (cmd == "run") return cmd_run(args, false);
    if (cmd == "check") return cmd_run(args, true);
    if (cmd == "models") return cmd_models(args);
    if (cmd == "params") return cmd_params(args);
    if (cmd == "calibrate") return cmd_calibrate(args);
    if (cmd == "capacity") return cli::cmd_capacity(args);
    if (cmd == "sweep") return cli::cmd_sweep(args);
    if (cmd == "validate") return cli::cmd_validate(args);
    if (cmd == "report") return cli::cmd_report(args);
    if (cmd == "import-trace") return cli::cmd_import_trace(args);
    throw BadUsage("unknown command \"" + cmd + "\"\n" + kUsage);
  } catch (...) {
    return cli::exit_status_of_current_exception(std::cerr);
  }
}
