#include "validation/validate/process.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "models/scenario/errors.h"

extern char** environ;

namespace gmpsim::validation {

ProcessResult run_process(const std::vector<std::string>& args, const ProcessOptions& options) {
  if (args.empty()) throw std::invalid_argument("run_process: empty argv");
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // The environment: ours, with options.env replacing or adding entries.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool replaced = false;
    for (const auto& [k, v] : options.env) replaced |= entry.rfind(k + "=", 0) == 0;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int pipe_fd[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.capture_stdout) {
    if (pipe(pipe_fd) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fd[0]);
    posix_spawn_file_actions_addclose(&actions, pipe_fd[1]);
  }
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (options.capture_stdout) close(pipe_fd[1]);
  if (rc != 0) {
    if (options.capture_stdout) close(pipe_fd[0]);
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  ProcessResult result;
  if (options.capture_stdout) {
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = read(pipe_fd[0], buf, sizeof buf);
      if (n > 0) {
        result.output.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
    close(pipe_fd[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  result.status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  return result;
}

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
    ProcessOptions o;
    o.capture_stdout = true;
    const ProcessResult r = run_process(argv, o);
    if (r.status != 0) return "";
    std::string line = r.output.substr(0, r.output.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace gmpsim::validation
