// Commands of the gmpsim CLI that live in their own files (main.cpp dispatches to them). Bad input
// throws ScenarioError (main prints it and exits 2).
#pragma once
#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "models/input/errors.h"
#include "models/scenario/scenario.h"
#include "models/sweep/sweep.h"

namespace gmpsim::models::cli {

int cmd_capacity(const std::vector<std::string>& args);  // capacity_cmd.cpp
int cmd_sweep(const std::vector<std::string>& args);     // sweep_cmd.cpp
int cmd_validate(const std::vector<std::string>& args);  // validate_cmd.cpp
int cmd_report(const std::vector<std::string>& args);    // report_cmd.cpp
int cmd_import_trace(const std::vector<std::string>& args);  // importtrace_cmd.cpp

// Parses a command's arguments; a usage error becomes a ScenarioError with Boost's message, which names
// the option.
inline boost::program_options::variables_map parse_command(const std::vector<std::string>& args,
                                                           const boost::program_options::options_description& opts,
                                                           const boost::program_options::positional_options_description& pos) {
  namespace po = boost::program_options;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ScenarioError("", e.what());
  }
  return vm;
}

// --set and --seed, as every command that loads a scenario takes them.
inline void add_scenario_options(boost::program_options::options_description& opts) {
  namespace po = boost::program_options;
  opts.add_options()("set", po::value<std::vector<std::string>>()->composing(),
                     "override a key: --set path.to.key=value (value parsed as YAML; repeatable; list items by index)")(
      "seed", po::value<std::uint64_t>(), "master seed (same as --set run.seed=N)");
}
inline std::vector<Override> scenario_overrides(const boost::program_options::variables_map& vm) {
  std::vector<Override> sets;
  if (vm.count("set")) {
    for (const std::string& s : vm["set"].as<std::vector<std::string>>()) sets.push_back(parse_override(s));
  }
  if (vm.count("seed")) sets.push_back({"run.seed", std::to_string(vm["seed"].as<std::uint64_t>())});
  return sets;
}

// The SCENARIO argument and its --set/--seed overrides; `command` names the command for the message.
inline ScenarioSource scenario_source(const boost::program_options::variables_map& vm, const std::string& command) {
  if (!vm.count("scenario")) throw ScenarioError("SCENARIO", "missing (a YAML file); see `gmpsim " + command + " --help`");
  ScenarioSource src;
  src.path = vm["scenario"].as<std::string>();
  src.sets = scenario_overrides(vm);
  return src;
}

}  // namespace gmpsim::models::cli
