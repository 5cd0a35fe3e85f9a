// Commands of the gmpsim CLI that live in their own files (main.cpp dispatches to them). Bad input
// throws ScenarioError (main prints it and exits 2).
#pragma once
#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
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

// Boost's message for a command line it rejected, which names the option. Never what() of the error the
// user's own arguments raised: Boost.Program_options 1.74 fills its message by replacing placeholders
// (%original_token%, ...) until none is left (error_with_option_name::replace_token), so an argument that
// contains its own placeholder loops forever, growing the message (found by models/fuzz). The same
// arguments with every '%' set aside raise the same error, whose message then has the '%' put back.
inline std::string command_line_error(std::vector<std::string> args, const boost::program_options::options_description& opts,
                                      const boost::program_options::positional_options_description& pos) {
  namespace po = boost::program_options;
  constexpr char kPercent = '\x1a';  // SUB: a stand-in no option name or value means as '%'
  for (std::string& a : args) std::replace(a.begin(), a.end(), '%', kPercent);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), kPercent, '%');
    return message;
  }
  return "the command line is not valid";  // the stand-in made it valid: no better message to give
}

// Parses a command's arguments; a usage error becomes a `Error` (ScenarioError for the commands, which
// exit 2 either way) with Boost's message.
template <class Error = ScenarioError>
boost::program_options::variables_map parse_command(const std::vector<std::string>& args,
                                                    const boost::program_options::options_description& opts,
                                                    const boost::program_options::positional_options_description& pos) {
  namespace po = boost::program_options;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error&) {
    if constexpr (std::is_same_v<Error, ScenarioError>) throw ScenarioError("", command_line_error(args, opts, pos));
    else throw Error(command_line_error(args, opts, pos));
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
