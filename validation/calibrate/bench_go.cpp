// The real-Go calibration runs of `gmpsim-calibrate --runtime go` (validation/calibrate/README.md, "The Go
// calibration"): builds the calibration-set probes of validation/go/ with the given toolchain into a
// temporary directory and runs each in fresh processes with -json (one gmpsim-real-run/1 object each), one
// sample per process and series (ns per operation of the measured phase).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "validation/calibrate/benchmarks.h"

extern char** environ;

namespace gmpsim::calibrate {

const std::vector<GoProbe>& go_probes() {
  // The calibration set: each isolates a few of the go model's costs at GOMAXPROCS=1, where the model's
  // counts per operation are exact (harness.cpp's go_cost_rows; measured from the simulator itself).
  // Held out, never fitted: pipeline, fanout, sleep, sleepspin, syscalldelay, syscallthreads (and idle,
  // a memory figure).
  static const std::vector<GoProbe> list = {
      // 200 per batch: runnext + 199 fit the local run queue (256), so creating never takes sched.lock.
      {"spawn", "spawn", {"-n", "200000", "-procs", "1", "-batch", "200"}, {"-n", "50000", "-procs", "1", "-batch", "200"},
       200000, 50000, {{"go.spawn_total", ""}, {"go.spawn_create", "create_ns"}}},
      {"gosched", "gosched", {"-k", "500000"}, {"-k", "100000"}, 1000000, 200000, {{"go.gosched", ""}}},
      {"pingpong", "pingpong", {"-n", "500000", "-procs", "1"}, {"-n", "100000", "-procs", "1"}, 500000, 100000,
       {{"go.chan_rtt", ""}}},
      {"stream4", "pingpong", {"-n", "1000000", "-procs", "1", "-stream", "4"},
       {"-n", "200000", "-procs", "1", "-stream", "4"}, 1000000, 200000, {{"go.chan_stream4", ""}}},
      {"stream64", "pingpong", {"-n", "1000000", "-procs", "1", "-stream", "64"},
       {"-n", "200000", "-procs", "1", "-stream", "64"}, 1000000, 200000, {{"go.chan_stream64", ""}}},
  };
  return list;
}

RunResult run_capture(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                      const std::string& cwd, int timeout_s) {
  RunResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    r.failure = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);  // go build's errors go into the failure text
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  for (const std::string& kv : extra_env) env_store.push_back(kv);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> store = args;
  std::vector<char*> argv;
  for (auto& a : store) argv.push_back(a.data());
  argv.push_back(nullptr);
  // posix_spawn has no portable chdir action: run through `cd DIR && exec` only when a directory is given.
  std::vector<std::string> shell;
  if (!cwd.empty()) {
    std::string cmd = "cd \"$0\" && exec \"$@\"";
    shell = {"/bin/sh", "-c", cmd, cwd};
    for (const std::string& a : args) shell.push_back(a);
    argv.clear();
    for (auto& a : shell) argv.push_back(a.data());
    argv.push_back(nullptr);
  }
  pid_t pid;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    r.failure = "cannot start " + args[0] + ": " + std::strerror(rc);
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool timed_out = false;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    r.failure = "timed out after " + std::to_string(timeout_s) + " s";
  } else if (WIFSIGNALED(status)) {
    r.failure = std::string("crashed: ") + strsignal(WTERMSIG(status));
  } else if (WEXITSTATUS(status) != 0) {
    std::string tail = r.output.size() > 600 ? r.output.substr(r.output.size() - 600) : r.output;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    r.failure = "exited with status " + std::to_string(WEXITSTATUS(status)) + (tail.empty() ? "" : ": " + tail);
  }
  return r;
}

std::vector<std::string> go_env() { return {"GOTOOLCHAIN=local", "GOFLAGS=-mod=mod"}; }

std::string go_toolchain_version(const std::string& go, std::string& version) {
  const RunResult r = run_capture({go, "env", "GOVERSION"}, go_env(), "", 60);
  if (!r.failure.empty()) return go + " env GOVERSION: " + r.failure;
  std::string v = r.output;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  if (v.rfind("go", 0) != 0) return go + " env GOVERSION printed \"" + v + "\", not a go version";
  version = v;
  return "";
}

std::string runtime_version_of(const std::string& go_version) {
  // go1.26.8 -> go1.26; go1.19 -> go1.19; a devel or rc suffix stays out.
  std::size_t i = 2, dots = 0;
  while (i < go_version.size() && (std::isdigit(static_cast<unsigned char>(go_version[i])) || go_version[i] == '.')) {
    if (go_version[i] == '.' && ++dots == 2) break;
    ++i;
  }
  std::string v = go_version.substr(0, i);
  while (!v.empty() && v.back() == '.') v.pop_back();
  for (std::size_t k = 2; k < v.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(v[k])) && v[k] != '.') return v.substr(0, k);
  }
  return v;
}

std::string go_build_probes(const std::string& go, const std::string& probes_dir, const std::string& bin_dir) {
  namespace fs = std::filesystem;
  if (!fs::exists(fs::path(probes_dir) / "go.mod")) {
    return "no Go probes at \"" + probes_dir + "\" (validation/go with its go.mod); give --probes DIR";
  }
  std::vector<std::string> built;
  for (const GoProbe& p : go_probes()) {
    bool done = false;
    for (const std::string& b : built) done = done || b == p.dir;
    if (done) continue;
    const RunResult r = run_capture({go, "build", "-o", bin_dir + "/" + p.dir, std::string("./") + p.dir}, go_env(), probes_dir, 300);
    if (!r.failure.empty()) return go + " build ./" + p.dir + " in " + probes_dir + ": " + r.failure;
    built.push_back(p.dir);
  }
  return "";
}

// The number after "key": in a probe's JSON object (the keys the calibration reads are unique in it).
double json_number(const std::string& text, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const auto at = text.find(needle);
  if (at == std::string::npos) return std::nan("");
  char* end = nullptr;
  const double v = std::strtod(text.c_str() + at + needle.size(), &end);
  return end == text.c_str() + at + needle.size() ? std::nan("") : v;
}

std::string go_run_probe(const GoProbe& p, const std::string& bin_dir, bool quick, BenchOutput& into) {
  std::vector<std::string> args = {bin_dir + "/" + p.dir};
  for (const std::string& a : quick ? p.quick_args : p.args) args.push_back(a);
  args.emplace_back("-json");
  const RunResult r = run_capture(args, {}, "", quick ? 30 : 120);
  if (!r.failure.empty()) return r.failure;
  if (r.output.find("\"makespan_ns\":") == std::string::npos) return "no gmpsim-real-run/1 object in its output";
  const double ops = quick ? p.quick_ops : p.ops;
  for (const auto& [series, counter] : p.series) {
    const double v = json_number(r.output, counter.empty() ? "makespan_ns" : counter);
    if (!std::isfinite(v) || v <= 0) return "no usable " + (counter.empty() ? std::string("makespan_ns") : counter);
    into.series[series].push_back(v / ops);
  }
  return "";
}

}  // namespace gmpsim::calibrate
