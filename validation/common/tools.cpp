#include "validation/common/tools.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "models/input/errors.h"
#include "validation/common/process.h"

namespace gmpsim::validation {

std::string find_tool(const std::string& name, const std::string& env_var, const std::string& build_subdir,
                      const std::string& how_to_build) {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv(env_var.c_str()); env != nullptr && *env != '\0') {
    if (access(env, X_OK) != 0) {
      throw models::ScenarioError(env_var, std::string("\"") + env + "\" is not an executable file");
    }
    return env;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& candidate : {self.parent_path() / name, self.parent_path().parent_path() / build_subdir / name}) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  throw std::runtime_error(name + " not found next to gmpsim or in the build tree; " + how_to_build + " or set " +
                           env_var);
}

std::string command_line_output(const std::vector<std::string>& argv) {
  try {
    process::Options o;
    o.capture_stdout = true;
    o.timeout_s = 60;
    const process::Result r = process::run(argv, o);
    if (!r.ok()) return "";
    std::string line = r.output.substr(0, r.output.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace gmpsim::validation
