// `gmpsim validate`: real runtimes against the simulator on the validation cases (validation/README.md).
#include <iostream>

#include "models/cli/commands.h"
#include "validation/validate/run.h"

namespace gmpsim::models::cli {

int cmd_validate(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description opts(
      "gmpsim validate [options]\n"
      "  Calibrates this host (unless profiles are given), runs every validation case on the real runtime\n"
      "  (Boost.Fiber through gmpsim-fiberrun, Go through the probes) and in the simulator with the\n"
      "  calibrated profile, and writes OUT/report.md, OUT/results/metrics.csv and OUT/results/cdf.csv\n"
      "  (`make validate` then draws the plots)");
  opts.add_options()("help,h", "this text")(
      "runtime", po::value<std::string>()->default_value("all"), "boost-fiber, go or all")(
      "cases", po::value<std::vector<std::string>>()->composing(),
      "a case manifest (repeatable; default validation/scenarios/fiber-cases.yaml, go-cases.yaml, supplied-cases.yaml and import-cases.yaml)")(
      "only", po::value<std::vector<std::string>>()->composing(), "run only this case (repeatable, or comma-separated)")(
      "quick", po::bool_switch(), "quick calibration and the cases' smaller quick settings (CI)")(
      "repeats", po::value<int>()->default_value(5), "real repeats per case, and as many simulated replications")(
      "seed", po::value<std::uint64_t>()->default_value(1), "first seed of the repeats")(
      "out", po::value<std::string>()->default_value("validation"), "directory of report.md and results/")(
      "profile", po::value<std::string>(), "Boost.Fiber host profile to use instead of calibrating")(
      "go-profile", po::value<std::vector<std::string>>()->composing(),
      "Go profile (from `gmpsim calibrate --runtime go`) to use instead of calibrating that version (repeatable)")(
      "go", po::value<std::vector<std::string>>()->composing(),
      "Go toolchain binary (repeatable; default `go` on PATH and /usr/lib/go-1.19/bin/go when installed)")(
      "real-only", po::bool_switch(),
      "on another host: calibrate it and run the real side only, saving the runs to OUT/real/ (no report)")(
      "real-from", po::value<std::string>(),
      "compare the real runs --real-only saved in DIR (and DIR/results' profiles) with the simulator here");
  const po::variables_map vm = parse_command(args, opts, po::positional_options_description());
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  validation::ValidateOptions o;
  o.runtime = vm["runtime"].as<std::string>();
  if (vm.count("cases")) {
    o.manifests = vm["cases"].as<std::vector<std::string>>();
  } else {
    o.manifests = {"validation/scenarios/fiber-cases.yaml", "validation/scenarios/go-cases.yaml",
                   "validation/scenarios/supplied-cases.yaml", "validation/scenarios/import-cases.yaml"};
  }
  if (vm.count("only")) {
    for (const std::string& s : vm["only"].as<std::vector<std::string>>()) {
      std::size_t start = 0;
      while (start <= s.size()) {
        const std::size_t comma = s.find(',', start);
        const std::string name = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!name.empty()) o.only.push_back(name);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  o.quick = vm["quick"].as<bool>();
  o.repeats = vm["repeats"].as<int>();
  o.seed = vm["seed"].as<std::uint64_t>();
  o.out_dir = vm["out"].as<std::string>();
  if (vm.count("profile")) o.profile = vm["profile"].as<std::string>();
  if (vm.count("go-profile")) o.go_profiles = vm["go-profile"].as<std::vector<std::string>>();
  if (vm.count("go")) o.go_toolchains = vm["go"].as<std::vector<std::string>>();
  o.real_only = vm["real-only"].as<bool>();
  if (vm.count("real-from")) o.real_from = vm["real-from"].as<std::string>();
  o.command_line = "gmpsim validate";
  for (const std::string& a : args) o.command_line += " " + a;
  return validation::run_validation(o);
}

}  // namespace gmpsim::models::cli
