// Running the tools gmpsim drives (the calibration harness, the Boost.Fiber runner, Go toolchains and
// probes) as child processes, and finding the ones built beside gmpsim.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace gmpsim::validation {

struct ProcessResult {
  int status = 0;       // exit status; 128 + signal when killed
  std::string output;   // stdout when captured
};

struct ProcessOptions {
  bool capture_stdout = false;                            // else stdout is inherited
  std::string cwd;                                        // "" = inherit
  std::vector<std::pair<std::string, std::string>> env;   // added to (or replacing in) the environment
};

// Runs argv[0] (a path, or a name looked up on PATH) and waits. Throws std::runtime_error when it cannot
// start; a non-zero exit is returned, not thrown.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// An executable built beside gmpsim: $ENV_VAR, else next to the running executable, else at
// BUILD/<build_subdir>/<name> seen from models/gmpsim in the build tree. Throws a runtime_error naming
// what to build or set when none is found.
std::string find_tool(const std::string& name, const std::string& env_var, const std::string& build_subdir,
                      const std::string& how_to_build);

// The first line of a command's output, trimmed ("" when it cannot run).
std::string command_line_output(const std::vector<std::string>& argv);

}  // namespace gmpsim::validation
