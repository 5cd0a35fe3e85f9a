// gmpsim-fiberrun: runs a gmpsim scenario (runtime.model: boost-fiber-ws) on the real Boost.Fiber 1.74
// work_stealing runtime and writes what happened as JSON (format gmpsim-real-run/1, README.md), for
// `gmpsim validate` to set beside the model's run of the same file.
//
//   gmpsim-fiberrun SCENARIO [--set key=value]... [--seed N] [--repeats R] [--out FILE] [--warm-stacks N]
//
// Each repeat runs in a fresh process (this executable again, with the hidden --child flag): Boost 1.74
// keeps one work_stealing pool per process (boostorg/fiber#217) and its teardown races (boostorg/fiber#260), so a child
// prints its run as one JSON line on stdout and ends with _exit. Exit codes: 0 done, 2 bad input (one
// message naming the key and the fix), 1 a run failed.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "models/scenario/scenario.h"
#include "validation/common/process.h"
#include "validation/fiberrun/runner.h"


namespace {

using gmpsim::models::Json;

constexpr int kExitOk = 0, kExitFailed = 1, kExitBadInput = 2;

const char* const kUsage =
    "usage: gmpsim-fiberrun SCENARIO [--set key=value]... [--seed N] [--repeats R] [--out FILE]\n"
    "                       [--warm-stacks N]\n"
    "Runs SCENARIO (runtime.model: boost-fiber-ws) on real Boost.Fiber 1.74 fibers with work_stealing, R times\n"
    "(default 5), each in a fresh process with seed N+i (N defaults to the scenario's run.seed), and writes\n"
    "one JSON object (format gmpsim-real-run/1) to FILE or stdout. --warm-stacks N pre-faults N fiber stacks\n"
    "before time zero, so that spawns reuse mapped stacks (default 0: every new stack is fresh memory).\n";

struct Options {
  std::string scenario;
  std::vector<std::string> sets;  // as given, key=value
  bool has_seed = false;
  std::uint64_t seed = 0;
  int repeats = 5;
  std::int64_t warm_stacks = 0;
  std::string out;
  bool child = false;
};

[[noreturn]] void bad_usage(const std::string& msg) {
  std::cerr << "gmpsim-fiberrun: " << msg << "\n" << kUsage;
  std::exit(kExitBadInput);
}

std::uint64_t parse_count(const std::string& opt, const std::string& v, std::uint64_t min) {
  try {
    std::size_t used = 0;
    const unsigned long long n = std::stoull(v, &used);
    if (used == v.size() && n >= min && v[0] != '-') return n;
  } catch (const std::exception&) {
  }
  bad_usage(opt + ": expected an integer >= " + std::to_string(min) + ", got \"" + v + "\"");
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    const bool takes_value = a == "--set" || a == "--seed" || a == "--repeats" || a == "--out" || a == "--warm-stacks";
    if (takes_value) {
      if (i + 1 >= argc) bad_usage(a + " needs a value");
      value = argv[++i];
    } else if (const auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      if (a != "--set" && a != "--seed" && a != "--repeats" && a != "--out" && a != "--warm-stacks") bad_usage("unknown option " + a);
    }
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(kExitOk);
    } else if (a == "--child") {
      o.child = true;
    } else if (a == "--set") {
      o.sets.push_back(value);
    } else if (a == "--seed") {
      o.seed = parse_count(a, value, 0);
      o.has_seed = true;
    } else if (a == "--repeats") {
      o.repeats = static_cast<int>(parse_count(a, value, 1));
    } else if (a == "--warm-stacks") {
      o.warm_stacks = static_cast<std::int64_t>(parse_count(a, value, 0));
    } else if (a == "--out") {
      o.out = value;
    } else if (a.rfind("-", 0) == 0) {
      bad_usage("unknown option " + a);
    } else if (o.scenario.empty()) {
      o.scenario = a;
    } else {
      bad_usage("one SCENARIO file expected, got \"" + o.scenario + "\" and \"" + a + "\"");
    }
  }
  if (o.scenario.empty()) bad_usage("SCENARIO missing");
  return o;
}

// Loads and checks the scenario; bad input ends the process with exit code 2 and the loader's message
// (which names the key and the fix).
gmpsim::models::Scenario load(const Options& o) {
  try {
    std::vector<gmpsim::models::Override> sets;
    for (const std::string& s : o.sets) sets.push_back(gmpsim::models::parse_override(s));
    gmpsim::models::Scenario sc = gmpsim::models::load_scenario_file(o.scenario, sets);
    gmpsim::fiberrun::check_runnable(sc);
    return sc;
  } catch (const gmpsim::models::ScenarioError& e) {
    std::cerr << "gmpsim-fiberrun: " << o.scenario << ": " << e.what() << "\n";
    std::exit(kExitBadInput);
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs one repeat in a child process and returns its JSON; throws std::runtime_error saying why it failed.
Json run_repeat(const std::string& exe, const Options& o, std::uint64_t seed, int timeout_s) {
  std::vector<std::string> args = {exe, "--child", o.scenario, "--seed", std::to_string(seed), "--warm-stacks",
                                   std::to_string(o.warm_stacks)};
  for (const std::string& s : o.sets) {
    args.emplace_back("--set");
    args.push_back(s);
  }
  gmpsim::process::Options po;
  po.capture_stdout = true;
  po.timeout_s = timeout_s;
  const gmpsim::process::Result r = gmpsim::process::run(args, po);
  const std::string which = "repeat with seed " + std::to_string(seed);
  if (!r.ok()) throw std::runtime_error(which + " " + r.failure());
  try {
    Json j = Json::parse(r.output);
    j["pid"] = r.pid;  // each repeat is a process of its own
    return j;
  } catch (const std::exception& e) {
    throw std::runtime_error(which + " printed no valid JSON (" + e.what() + ")");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  const gmpsim::models::Scenario sc = load(o);
  const std::uint64_t seed = o.has_seed ? o.seed : sc.run.seed;
  if (o.child) gmpsim::fiberrun::run_child(sc, seed, o.warm_stacks);

  Json out;
  out["format"] = "gmpsim-real-run/1";
  out["runtime"] = "boost-fiber-1.74";
  out["scenario"] = o.scenario;
  out["threads"] = gmpsim::fiberrun::worker_threads(sc);
  out["idle"] = gmpsim::fiberrun::idle_suspend(sc) ? "suspend" : "spin";
  Json load = Json::array();
  {
    std::istringstream in(read_text_file("/proc/loadavg"));
    for (int i = 0; i < 3; ++i) {
      double v = 0;
      if (in >> v) load.push_back(v);
    }
  }
  out["host"] = {{"cpus", sysconf(_SC_NPROCESSORS_ONLN)}, {"loadavg", load}};
  out["gmpsim"] = std::string(GMPSIM_VERSION) + (std::string(GMPSIM_GIT_REV).empty() ? "" : "+" + std::string(GMPSIM_GIT_REV));
  // A child ends by itself at 11 x run.duration at the latest (arrivals, then 10 x for in-flight work).
  const double duration_s = static_cast<double>(sc.run.duration) / 1e9;
  const int timeout_s = static_cast<int>(std::min(11.0 * duration_s + 60.0, 86400.0));
  const std::string exe = gmpsim::process::self_executable();
  Json repeats = Json::array();
  for (int i = 0; i < o.repeats; ++i) {
    try {
      repeats.push_back(run_repeat(exe, o, seed + static_cast<std::uint64_t>(i), timeout_s));
    } catch (const std::exception& e) {
      std::cerr << "gmpsim-fiberrun: " << e.what() << "\n";
      return kExitFailed;
    }
  }
  out["repeats"] = std::move(repeats);
  const std::string text = out.dump(1) + "\n";
  if (o.out.empty()) {
    std::cout << text;
  } else {
    std::ofstream f(o.out);
    f << text;
    if (!f) {
      std::cerr << "gmpsim-fiberrun: cannot write " << o.out << "\n";
      return kExitFailed;
    }
  }
  return kExitOk;
}
