#include "validation/common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gmpsim::process {

std::string self_executable() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : p.string();
}

std::string Result::failure() const {
  if (timed_out) return "timed out after " + std::to_string(timeout_s) + " s";
  if (signal != 0) return std::string("crashed: ") + strsignal(signal);
  if (exit_status != 0) return "exited with status " + std::to_string(exit_status);
  return "";
}

Result run(const std::vector<std::string>& args, const Options& o) {
  if (args.empty()) throw std::invalid_argument("process::run: empty argv");
  std::vector<std::string> store = args;
  std::vector<char*> argv;
  for (std::string& a : store) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Our environment, with o.env's entries replacing those of the same key.
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool replaced = false;
    for (const std::string& kv : o.env) replaced |= entry.compare(0, kv.find('=') + 1, kv, 0, kv.find('=') + 1) == 0;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), o.env.begin(), o.env.end());
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2] = {-1, -1};
  if (o.capture_stdout && pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (o.capture_stdout) {
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    if (o.merge_stderr) posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
  }
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, o.cwd.c_str());
  Result r;
  r.timeout_s = o.timeout_s;
  const int rc = posix_spawnp(&r.pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (o.capture_stdout) close(fds[1]);
  if (rc != 0) {
    if (o.capture_stdout) close(fds[0]);
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  auto ms_left = [&]() -> long long {
    if (o.timeout_s <= 0) return -1;  // poll's "forever"
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  };
  if (o.capture_stdout) {
    for (;;) {
      const long long left = ms_left();
      if (o.timeout_s > 0 && left <= 0) {
        r.timed_out = true;
        break;
      }
      pollfd pfd{fds[0], POLLIN, 0};
      const int ready = poll(&pfd, 1, static_cast<int>(left < 0 ? -1 : std::min<long long>(left, 1'000'000)));
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      char buf[65536];
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      r.output.append(buf, static_cast<std::size_t>(n));
    }
    close(fds[0]);
  } else if (o.timeout_s > 0) {
    // Nothing to read: look at the child every few milliseconds until it ends or the deadline passes.
    int status = 0;
    for (;;) {
      const pid_t w = waitpid(r.pid, &status, WNOHANG);
      if (w == r.pid) {
        r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
        r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        return r;
      }
      if (ms_left() <= 0) {
        r.timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (r.timed_out) kill(r.pid, SIGKILL);
  int status = 0;
  while (waitpid(r.pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  r.signal = WIFSIGNALED(status) && !r.timed_out ? WTERMSIG(status) : 0;
  return r;
}

}  // namespace gmpsim::process
