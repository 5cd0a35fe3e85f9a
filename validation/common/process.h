// Child processes for the tools around the simulator: the calibration harness's fresh-process benchmarks,
// Go builds and probes, the Boost.Fiber runner's repeats, and the CLI's calls of those tools. One
// implementation (posix_spawn, a pipe for stdout, a deadline) so that every caller handles timeouts,
// crashes and exit codes alike. Plain POSIX: it links into the static harness and runner.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace gmpsim::process {

struct Options {
  bool capture_stdout = false;    // else the child writes to our stdout
  bool merge_stderr = false;      // with capture_stdout: the child's stderr goes into the output too
  std::string cwd;                // "" = ours
  std::vector<std::string> env;   // "KEY=VALUE" entries added to (or replacing) our environment
  int timeout_s = 0;              // 0 = wait as long as it takes; else the child is killed (SIGKILL) then
};

struct Result {
  pid_t pid = 0;
  int exit_status = 0;            // when it exited
  int signal = 0;                 // when a signal ended it (0 otherwise)
  bool timed_out = false;
  int timeout_s = 0;
  std::string output;             // stdout (and stderr) when captured
  bool ok() const { return !timed_out && signal == 0 && exit_status == 0; }
  // "" when ok(), else "timed out after N s", "crashed: <signal>" or "exited with status N".
  std::string failure() const;
};

// The path of the running executable (/proc/self/exe resolved), for a tool that restarts itself in a
// fresh process; "/proc/self/exe" itself when it cannot be resolved.
std::string self_executable();

// Runs argv[0] (a path, or a name looked up on PATH) and waits for it. Throws std::runtime_error when it
// cannot be started; how it ended is in the result.
Result run(const std::vector<std::string>& argv, const Options& options = {});

}  // namespace gmpsim::process
