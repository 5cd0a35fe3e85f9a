// The real-Go calibration runs of `gmpsim-calibrate --runtime go` (validation/calibrate/README.md, "The Go
// calibration"): builds the calibration-set probes of validation/go/ with the given toolchain into a
// temporary directory and runs each in fresh processes with -json (one gmpsim-real-run/1 object each), one
// sample per process and series (ns per operation of the measured phase).
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "validation/calibrate/benchmarks.h"
#include "validation/common/process.h"


namespace gmpsim::calibrate {

const std::vector<GoProbe>& go_probes() {
  // The calibration set: each isolates a few of the go model's costs at GOMAXPROCS=1, where the model's
  // counts per operation are exact (cost_model.cpp's go_cost_rows; measured from the simulator itself).
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
      // Goroutines out of cache (runtime.cost.g_cold, kernel.cache_reach): the same program with B
      // goroutines made before any runs, so each G's lines wait behind B others' (main is also preempted
      // every 10 ms, which bounds that to what it makes in a slice). An untimed batch first (-warm) makes the
      // g structs and stacks the timed ones reuse, and GOGC=off keeps the collector out: what is left over
      // the 200 batch is the refetching. spawn_cold is the fitted row; the sweep locates the knee.
      {"spawn_cold", "spawn", {"-n", "400000", "-procs", "1", "-batch", "100000", "-warm"},
       {"-n", "200000", "-procs", "1", "-batch", "100000", "-warm"}, 400000, 200000, {{"go.spawn_cold", ""}}, {"GOGC=off"}},
      {"spawn_b200", "spawn", {"-n", "200000", "-procs", "1", "-batch", "200", "-warm"},
       {"-n", "50000", "-procs", "1", "-batch", "200", "-warm"}, 200000, 50000, {{"go.spawn_batch.200", ""}}, {"GOGC=off"}},
      {"spawn_b2000", "spawn", {"-n", "200000", "-procs", "1", "-batch", "2000", "-warm"},
       {"-n", "50000", "-procs", "1", "-batch", "2000", "-warm"}, 200000, 50000, {{"go.spawn_batch.2000", ""}}, {"GOGC=off"}},
      {"spawn_b8000", "spawn", {"-n", "200000", "-procs", "1", "-batch", "8000", "-warm"},
       {"-n", "64000", "-procs", "1", "-batch", "8000", "-warm"}, 200000, 64000, {{"go.spawn_batch.8000", ""}}, {"GOGC=off"}},
      {"spawn_b32000", "spawn", {"-n", "320000", "-procs", "1", "-batch", "32000", "-warm"},
       {"-n", "128000", "-procs", "1", "-batch", "32000", "-warm"}, 320000, 128000, {{"go.spawn_batch.32000", ""}}, {"GOGC=off"}},
  };
  return list;
}

RunResult run_capture(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                      const std::string& cwd, int timeout_s) {
  process::Options po;
  po.capture_stdout = true;
  po.merge_stderr = true;  // go build's errors go into the failure text
  po.cwd = cwd;
  po.env = extra_env;
  po.timeout_s = timeout_s;
  RunResult r;
  process::Result p;
  try {
    p = process::run(args, po);
  } catch (const std::exception& e) {
    r.failure = e.what();
    return r;
  }
  r.output = std::move(p.output);
  r.failure = p.failure();
  if (p.exit_status != 0 && !p.timed_out && p.signal == 0) {
    std::string tail = r.output.size() > 600 ? r.output.substr(r.output.size() - 600) : r.output;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    if (!tail.empty()) r.failure += ": " + tail;
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
  const RunResult r = run_capture(args, p.env, "", quick ? 30 : 120);
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
