// The tools gmpsim drives (the calibration harness, the Boost.Fiber runner, Go toolchains): finding the
// ones built beside gmpsim, and reading a one-line answer. Running them: validation/common/process.h.
#pragma once
#include <string>
#include <vector>

namespace gmpsim::validation {

// An executable built beside gmpsim: $ENV_VAR, else next to the running executable, else at
// BUILD/<build_subdir>/<name> seen from models/gmpsim in the build tree. Throws a runtime_error naming
// what to build or set when none is found (a ScenarioError when $ENV_VAR names no executable).
std::string find_tool(const std::string& name, const std::string& env_var, const std::string& build_subdir,
                      const std::string& how_to_build);

// The first line of a command's output, trimmed ("" when it cannot run or fails).
std::string command_line_output(const std::vector<std::string>& argv);

}  // namespace gmpsim::validation
