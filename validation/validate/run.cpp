#include "validation/validate/run.h"

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "models/output/output.h"
#include "models/registry.h"
#include "models/input/errors.h"
#include "models/scenario/scenario.h"
#include "validation/common/process.h"
#include "validation/common/tools.h"
#include "validation/validate/validate.h"

namespace gmpsim::validation {
namespace {

namespace fs = std::filesystem;
using models::ScenarioError;

// A path for the report: relative to the working directory when under it, else absolute.
std::string display_path(const std::string& p) {
  const fs::path rel = fs::relative(fs::absolute(p));
  return rel.empty() || *rel.begin() == ".." ? fs::absolute(p).lexically_normal().string() : rel.string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string today() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

// "go version go1.26.1 linux/amd64" -> "go1.26"
std::string go_profile_version(const std::string& go) {
  const std::string line = command_line_output({go, "version"});
  const auto at = line.find(" go1.");
  if (at == std::string::npos) return "";
  std::string v = line.substr(at + 1, line.find(' ', at + 1) - at - 1);
  const auto dot2 = v.find('.', 4);
  return dot2 == std::string::npos ? v : v.substr(0, dot2);
}

// The profile's `host` section as JSON (its fingerprint; a Go profile's go_version is in it).
Json profile_host(const std::string& path) {
  try {
    const YAML::Node n = YAML::LoadFile(path);
    return n["host"] ? models::yaml_to_json(n["host"]) : Json();
  } catch (const YAML::Exception& e) {
    throw ScenarioError(path, std::string("not a readable profile: ") + e.what());
  }
}

// The last of the given Go profiles calibrated with `version` (go1.26 matches go1.26.8); "" when none.
std::string given_go_profile(const std::vector<std::string>& profiles, const std::string& version) {
  std::string found;
  for (const std::string& p : profiles) {
    const std::string v = profile_host(p).value("go_version", "");
    if (v == version || v.rfind(version + ".", 0) == 0) found = p;
  }
  return found;
}

void calibrate(const std::vector<std::string>& extra, const std::string& out, bool quick) {
  std::vector<std::string> argv = {process::self_executable(), "calibrate", "--out", out};
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (quick) argv.push_back("--quick");
  std::cerr << "validate: calibrating: gmpsim calibrate";
  for (std::size_t i = 2; i < argv.size(); ++i) std::cerr << " " << argv[i];
  std::cerr << "\n";
  // A calibration refuses to write a profile its measurements cannot support; on a busy host that can be
  // one disturbed run, so try three times before giving up.
  for (int attempt = 1;; ++attempt) {
    const process::Result r = process::run(argv);
    if (r.ok()) return;
    if (attempt == 3) {
      throw std::runtime_error("the calibration refused three times (" + r.failure() +
                               "; its messages are above): calibrate on a quieter machine, or pass profiles with "
                               "--profile / --go-profile");
    }
    std::cerr << "validate: the calibration refused (attempt " << attempt << " of 3); measuring again\n";
  }
}

// The CPUs this process may run on (its affinity mask): `{cores}` in a case's probe arguments and values.
int host_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return CPU_COUNT(&set);
}

// A case's strings may say {cores} or {cores*N}: the real host's CPU count, or N times it (many-core cases
// scale their threads and rates with the machine).
std::string with_cores(std::string s, int cores) {
  for (std::size_t at; (at = s.find("{cores")) != std::string::npos;) {
    const std::size_t end = s.find('}', at);
    if (end == std::string::npos) break;
    const std::string inner = s.substr(at + 6, end - at - 6);  // "" or "*N"
    long long times = 1;
    if (!inner.empty()) {
      char* rest = nullptr;
      times = inner[0] == '*' ? std::strtoll(inner.c_str() + 1, &rest, 10) : 0;
      if (inner[0] != '*' || rest == nullptr || *rest != '\0' || times <= 0) {
        throw ScenarioError(s, "{cores" + inner + "}: write {cores} or {cores*N} with a positive integer N");
      }
    }
    s.replace(at, end - at + 1, std::to_string(times * cores));
  }
  return s;
}

std::vector<models::Override> overrides(const Case& c, bool quick, int cores) {
  std::vector<models::Override> sets;
  for (const std::string& s : c.sets) sets.push_back(models::parse_override(with_cores(s, cores)));
  if (quick) {
    for (const std::string& s : c.quick_sets) sets.push_back(models::parse_override(with_cores(s, cores)));
  }
  return sets;
}

// Raw real runs of one case and runtime version, as --real-only saves them and --real-from reads them.
struct SavedRuns {
  std::string version;
  int cores = 0;
  std::vector<Json> repeats;
  bool quick = false;  // made with the cases' quick settings (their ops and values)
};

fs::path saved_path(const fs::path& dir, const Case& c, const std::string& version) {
  return dir / "real" / (c.name + "." + version + ".json");
}

void save_runs(const fs::path& dir, const Case& c, const SavedRuns& s) {
  fs::create_directories(dir / "real");
  Json j = {{"format", "gmpsim-saved-real-runs/1"}, {"case", c.name}, {"runtime", c.runtime}, {"version", s.version},
            {"cores", s.cores}, {"quick", s.quick}, {"repeats", s.repeats}};
  models::write_file_atomically(saved_path(dir, c, s.version), j.dump() + "\n");
}

// Every version of a case saved under dir/real (a go case may have one per toolchain).
std::vector<SavedRuns> load_saved(const fs::path& dir, const Case& c) {
  std::vector<SavedRuns> out;
  if (!fs::is_directory(dir / "real")) return out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "real")) {
    const std::string name = e.path().filename().string();
    if (name.rfind(c.name + ".", 0) == 0 && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    Json j;
    try {
      j = Json::parse(read_file(f.string()));
    } catch (const Json::exception& e) {
      throw std::runtime_error(f.string() + ": not JSON: " + e.what());
    }
    if (j.value("format", "") != "gmpsim-saved-real-runs/1" || j.value("case", "") != c.name) continue;
    SavedRuns s;
    s.version = j.at("version").get<std::string>();
    s.cores = j.value("cores", 0);
    s.quick = j.value("quick", false);
    for (const Json& r : j.at("repeats")) s.repeats.push_back(r);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<models::RunResult> simulate(const Case& c, std::vector<models::Override> sets, int n, std::uint64_t seed) {
  std::vector<models::RunResult> out;
  const std::string expected = c.runtime == "go" ? "go" : "boost-fiber-ws";
  for (int i = 0; i < n; ++i) {
    std::vector<models::Override> s = sets;
    s.push_back({"run.seed", std::to_string(seed + static_cast<std::uint64_t>(i))});
    const models::Scenario sc = models::load_scenario_file(c.scenario, s);
    if (sc.runtime.model != expected) {
      throw ScenarioError(c.name + ".scenario", "runs model " + sc.runtime.model + "; a " + c.runtime + " case needs runtime.model: " + expected);
    }
    out.push_back(models::run_scenario(sc));
    // A case with an outcome metric compares how runs end; any other case expects a completed run.
    const bool compares_outcome = std::any_of(c.metrics.begin(), c.metrics.end(), [](const MetricSpec& m) { return m.kind == MetricSpec::Kind::kOutcome; });
    if (out.back().outcome.abnormal() && !compares_outcome) {
      throw std::runtime_error(c.name + ": the simulated run ended " + models::outcome_name(out.back().outcome.status) + ": " +
                               out.back().outcome.detail);
    }
  }
  return out;
}

struct FiberRuns {
  std::string version;
  std::vector<Json> raw;
};

FiberRuns run_fiber(const Case& c, const std::vector<models::Override>& sets, int repeats, std::uint64_t seed) {
  const std::string runner = find_tool("gmpsim-fiberrun", "GMPSIM_FIBERRUN", "validation/fiberrun",
                                       "build it (`make build`; it needs libboost-fiber-dev)");
  std::vector<std::string> argv = {runner, c.scenario, "--repeats", std::to_string(repeats), "--seed", std::to_string(seed)};
  for (const models::Override& o : sets) argv.insert(argv.end(), {"--set", o.key + "=" + o.value});
  process::Options po;
  po.capture_stdout = true;
  const process::Result r = process::run(argv, po);
  if (!r.ok()) throw std::runtime_error(c.name + ": gmpsim-fiberrun " + r.failure());
  const Json j = Json::parse(r.output);
  FiberRuns out;
  const std::string rt = j.value("runtime", "boost-fiber");
  out.version = rt.rfind("boost-fiber-", 0) == 0 ? rt.substr(12) : rt;
  for (const Json& run : j.at("repeats")) out.raw.push_back(run);
  return out;
}

struct Toolchain {
  std::string go, version;
  fs::path bin_dir;
};

const std::vector<std::string> kGoEnv = {"GOTOOLCHAIN=local", "GOFLAGS=-mod=mod"};

// The probe's binary for this toolchain, built once per validation.
fs::path build_probe(const Case& c, const Toolchain& tc) {
  const std::string dir_name = fs::path(c.probe_dir).filename().string();
  const fs::path bin = tc.bin_dir / dir_name;
  if (!fs::exists(bin)) {
    process::Options po;
    po.cwd = fs::path(c.probe_dir).parent_path().string();
    po.env = kGoEnv;
    const process::Result b = process::run({tc.go, "build", "-o", bin.string(), "./" + dir_name}, po);
    if (!b.ok()) throw std::runtime_error(c.name + ": `go build` of " + c.probe_dir + " with " + tc.go + " " + b.failure());
  }
  return bin;
}

// One run of the probe with args (and -json); its JSON.
Json run_probe(const Case& c, const fs::path& bin, const std::vector<std::string>& args, int cores) {
  std::vector<std::string> argv = {bin.string()};
  for (const std::string& a : args) argv.push_back(with_cores(a, cores));
  argv.push_back("-json");
  process::Options po;
  po.capture_stdout = true;
  po.env = kGoEnv;
  const process::Result r = process::run(argv, po);
  if (!r.ok()) throw std::runtime_error(c.name + ": the probe " + bin.string() + " " + r.failure());
  return Json::parse(r.output);
}

std::vector<Json> run_go(const Case& c, const Toolchain& tc, bool quick, int repeats, int cores) {
  const fs::path bin = build_probe(c, tc);
  const auto& args = quick && !c.quick_args.empty() ? c.quick_args : c.probe_args;
  std::vector<Json> runs;
  for (int i = 0; i < repeats; ++i) runs.push_back(run_probe(c, bin, args, cores));
  return runs;
}

// An import case's scenario: one more run of the probe with the import arguments and -trace, then
// `gmpsim import-trace` of that trace into results/imported/CASE.VERSION.yaml (kept, to be read).
std::string import_scenario(const Case& c, const Toolchain& tc, bool quick, int cores, const fs::path& results) {
  const fs::path bin = build_probe(c, tc);
  const fs::path dir = results / "imported";
  fs::create_directories(dir);
  const fs::path trace = tc.bin_dir / (c.name + ".trace");
  const fs::path scenario = dir / (c.name + "." + tc.version + ".yaml");
  std::vector<std::string> args = quick && !c.import_quick_args.empty() ? c.import_quick_args : c.import_args;
  args.insert(args.end(), {"-trace", trace.string()});
  run_probe(c, bin, args, cores);
  const std::string tool = find_tool("gmpsim-importtrace", "GMPSIM_IMPORTTRACE", "models",
                                     "`make build` builds it with the installed Go (models/importtrace/)");
  process::Options po;
  po.capture_stdout = true;
  po.merge_stderr = true;
  const process::Result r = process::run({tool, trace.string(), "-o", scenario.string()}, po);
  if (!r.ok()) throw std::runtime_error(c.name + ": gmpsim-importtrace " + r.failure() + ": " + r.output);
  fs::remove(trace);
  return fs::absolute(scenario).string();
}

std::string lateness_note(const Case& c, const std::string& version, const std::vector<RealRun>& runs) {
  std::vector<double> p50, p99, mx, cpu_share;
  std::int64_t arrivals = 0, window = 0;
  for (const RealRun& r : runs) {
    if (!r.generator.is_object() || !r.generator.contains("lateness_ns")) continue;
    const Json& l = r.generator["lateness_ns"];
    p50.push_back(l.value("p50", 0.0));
    p99.push_back(l.value("p99", 0.0));
    mx.push_back(l.value("max", 0.0));
    arrivals += r.generator.value("arrivals", std::int64_t{0});
    window = std::max(window, r.generator.value("batch_window_ns", std::int64_t{0}));
    if (r.generator.contains("cpu_ns") && r.makespan_ns > 0) cpu_share.push_back(r.generator["cpu_ns"].get<double>() / r.makespan_ns);
  }
  if (p50.empty() || arrivals == 0) return "";
  std::sort(p50.begin(), p50.end());
  std::sort(p99.begin(), p99.end());
  std::ostringstream s;
  s.precision(3);
  s << c.name << " (" << version << "): the arrival generator's lateness (hand-over minus intended time), median over "
    << p50.size() << " repeats: p50 " << p50[p50.size() / 2] / 1e3 << " µs, p99 " << p99[p99.size() / 2] / 1e3 << " µs, max "
    << *std::max_element(mx.begin(), mx.end()) / 1e3 << " µs, " << arrivals << " arrivals";
  if (window > 0) s << "; it woke at most every " << window / 1e3 << " µs (no CPU to spare) and handed over what was due";
  if (!cpu_share.empty()) {
    std::sort(cpu_share.begin(), cpu_share.end());
    s << "; its CPU time: " << 100 * cpu_share[cpu_share.size() / 2] << " % of one CPU";
  }
  return s.str();
}

}  // namespace

int run_validation(const ValidateOptions& o) {
  if (o.runtime != "all" && o.runtime != "boost-fiber" && o.runtime != "go") {
    throw ScenarioError("--runtime", "\"" + o.runtime + "\": use boost-fiber, go or all");
  }
  if (o.repeats < 1) throw ScenarioError("--repeats", "must be at least 1 (the report wants 5 or more)");
  std::vector<Case> cases;
  for (const std::string& m : o.manifests) {
    for (Case& c : load_cases(m)) {
      if (o.runtime != "all" && c.runtime != o.runtime) continue;
      if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), c.name) == o.only.end()) continue;
      cases.push_back(std::move(c));
    }
  }
  for (const std::string& name : o.only) {
    bool found = false;
    for (const Case& c : cases) found |= c.name == name;
    if (!found) throw ScenarioError("--only", "no case \"" + name + "\" for runtime " + o.runtime + " in the manifests");
  }
  if (cases.empty()) throw ScenarioError("--only", "no cases selected");

  const fs::path out_dir = o.out_dir, results = out_dir / "results";
  fs::create_directories(results);
  ReportInfo info;
  info.command = o.command_line;
  info.date = today();
  info.gmpsim_version = models::gmpsim_version();

  bool need_fiber = false, need_go = false;
  for (const Case& c : cases) {
    if (c.set != "supplied") (c.runtime == "go" ? need_go : need_fiber) = true;
  }
  if (o.real_only && !o.real_from.empty()) {
    throw ScenarioError("--real-only", "runs the real side here and --real-from compares runs made elsewhere: use one of them");
  }
  const fs::path from = o.real_from.empty() ? fs::path() : fs::absolute(o.real_from);
  if (!from.empty() && !fs::is_directory(from / "real")) {
    throw ScenarioError("--real-from", "\"" + o.real_from + "\" has no real/ folder: run `gmpsim validate --real-only --out DIR` on "
                                       "the other host and copy DIR here");
  }
  const int cores_here = host_cores();

  // Profiles: the given ones; with --real-from, the other host's (its results/); else a fresh calibration.
  std::string fiber_profile = o.profile;
  if (need_fiber && fiber_profile.empty() && !from.empty()) {
    fiber_profile = (from / "results" / "host.yaml").string();
    if (!fs::exists(fiber_profile)) throw ScenarioError("--real-from", "no results/host.yaml in " + o.real_from + "; pass --profile");
  }
  if (need_fiber && fiber_profile.empty()) {
    fiber_profile = (results / "host.yaml").string();
    calibrate({}, fiber_profile, o.quick);
  }
  if (need_fiber) {
    fiber_profile = fs::absolute(fiber_profile).string();
    info.host = profile_host(fiber_profile);
    info.profiles["boost-fiber"] = display_path(fiber_profile);
  }
  std::vector<Toolchain> toolchains;
  fs::path tmp;
  if (need_go && from.empty()) {
    std::vector<std::string> gos = o.go_toolchains;
    if (gos.empty()) {
      if (!command_line_output({"go", "version"}).empty()) gos.push_back("go");
      if (access("/usr/lib/go-1.19/bin/go", X_OK) == 0) gos.push_back("/usr/lib/go-1.19/bin/go");
      if (gos.empty()) throw std::runtime_error("no Go toolchain found (`go` on PATH or /usr/lib/go-1.19/bin/go); pass --go PATH or --runtime boost-fiber");
    }
    tmp = fs::temp_directory_path() / ("gmpsim-validate-" + std::to_string(getpid()));
    for (const std::string& go : gos) {
      Toolchain tc{go, go_profile_version(go), {}};
      if (tc.version.empty()) throw ScenarioError("--go", "\"" + go + "\" does not run as a Go toolchain (`" + go + " version`)");
      tc.bin_dir = tmp / tc.version;
      fs::create_directories(tc.bin_dir);
      std::string profile = given_go_profile(o.go_profiles, tc.version);
      if (profile.empty()) {
        profile = (results / (tc.version + ".yaml")).string();
        calibrate({"--runtime", "go", "--go", go}, profile, o.quick);
      }
      info.profiles[tc.version] = display_path(profile);
      toolchains.push_back(tc);
    }
  }
  // --real-from: a Go version's profile is a given one, else the other host's results/<version>.yaml.
  auto go_profile_for = [&](const std::string& version) {
    if (!info.profiles.count(version)) {
      std::string profile = given_go_profile(o.go_profiles, version);
      if (profile.empty() && !from.empty() && fs::exists(from / "results" / (version + ".yaml"))) {
        profile = (from / "results" / (version + ".yaml")).string();
      }
      if (profile.empty()) throw ScenarioError("--go-profile", "no profile for " + version + " (the other host's results/ has none)");
      info.profiles[version] = display_path(profile);
    }
    return fs::absolute(info.profiles[version]).string();
  };

  std::vector<Row> rows;
  std::string cdf = "runtime,version,case,metric,side,x_ns,cdf\n";
  auto finish_case = [&](const Case& c, CaseRuns& runs) {
    for (const RealRun& r : runs.real) {
      if (!r.outcome.empty() && r.outcome != "completed") info.notes.push_back(c.name + " (" + runs.version + "): a real run ended " + r.outcome);
      for (const std::string& n : r.notes) {
        const std::string note = c.name + " (" + runs.version + "): " + n;
        if (std::find(info.notes.begin(), info.notes.end(), note) == info.notes.end()) info.notes.push_back(note);
      }
    }
    if (const std::string late = lateness_note(c, runs.version, runs.real); !late.empty()) info.notes.push_back(late);
    std::vector<Row> case_rows = compare_case(runs);
    for (const Row& r : case_rows) {
      if (r.stat == "ks") continue;
      std::cerr << "  " << r.metric << " " << r.stat << ": real " << r.real << ", predicted " << r.sim << " (";
      if (std::isnan(r.error)) {
        std::cerr << "no error: nothing measured";
      } else {
        std::cerr << std::showpos << std::lround(100 * r.error) << std::noshowpos << " %";
      }
      std::cerr << ") " << r.verdict << "\n";
    }
    rows.insert(rows.end(), case_rows.begin(), case_rows.end());
    cdf += cdf_csv_rows(runs);
  };
  for (const Case& c : cases) {
    // A case whose real run needs root (it creates a cgroup) is skipped, with a note, without it.
    if (std::find(c.needs.begin(), c.needs.end(), "root") != c.needs.end() && geteuid() != 0 && from.empty()) {
      std::cerr << "validate: " << c.name << ": skipped (its real run needs root)\n";
      info.notes.push_back(c.name + ": skipped: its real run needs root");
      continue;
    }
    if (c.set == "supplied") {
      if (o.real_only) continue;  // nothing to run on the other host
      const std::vector<models::Override> sets = overrides(c, false, cores_here);
      // Real runs from another host: read, not run; the case's set_values give the simulator that host.
      std::cerr << "validate: " << c.name << " (supplied, " << c.supplied.version << "): runs from " << display_path(c.supplied.file)
                << ", then " << o.repeats << " simulated\n";
      CaseRuns runs;
      runs.c = &c;
      runs.quick = false;  // the supplied runs are what they are: their ops, not the quick ones
      runs.version = c.supplied.version;
      runs.real = load_supplied(c);
      std::vector<models::Override> sim_sets = sets;
      if (c.runtime == "go") sim_sets.push_back({"runtime.version", c.supplied.version});
      runs.sim = simulate(c, sim_sets, o.repeats, o.seed);
      const std::string note = "supplied real runs (" + display_path(c.supplied.file) + "): " + c.supplied.host;
      if (std::find(info.notes.begin(), info.notes.end(), note) == info.notes.end()) info.notes.push_back(note);
      finish_case(c, runs);
      continue;
    }
    // The real side: run here, or read what --real-only saved on the other host (one entry per version).
    std::vector<SavedRuns> real_runs;
    std::map<std::string, std::string> imported;  // an import case: version -> its imported scenario
    if (c.import && (!from.empty() || o.real_only)) {
      // The trace is made beside the real runs and imported where the simulator runs: both here.
      std::cerr << "validate: " << c.name << ": skipped (an import case runs its real side and the import on one host)\n";
      info.notes.push_back(c.name + ": skipped: an import case runs its real side and the import on one host");
      continue;
    }
    if (!from.empty()) {
      real_runs = load_saved(from, c);
      if (real_runs.empty()) {
        std::cerr << "validate: " << c.name << ": skipped (no real runs of it in " << o.real_from << "/real)\n";
        info.notes.push_back(c.name + ": skipped: no real runs of it in " + o.real_from + "/real");
        continue;
      }
    } else if (c.runtime == "boost-fiber") {
      std::cerr << "validate: " << c.name << " (" << c.set << "): " << o.repeats << " real runs of Boost.Fiber\n";
      FiberRuns real = run_fiber(c, overrides(c, o.quick, cores_here), o.repeats, o.seed);
      real_runs.push_back({real.version, cores_here, std::move(real.raw), o.quick});
    } else {
      for (const Toolchain& tc : toolchains) {
        std::cerr << "validate: " << c.name << " (" << c.set << ", " << tc.version << "): " << o.repeats << " real runs\n";
        real_runs.push_back({tc.version, cores_here, run_go(c, tc, o.quick, o.repeats, cores_here), o.quick});
        if (c.import) {
          imported[tc.version] = import_scenario(c, tc, o.quick, cores_here, results);
          std::cerr << "validate: " << c.name << " (" << tc.version << "): imported " << display_path(imported[tc.version]) << "\n";
        }
      }
    }
    for (SavedRuns& saved : real_runs) {
      if (o.real_only) {
        save_runs(out_dir, c, saved);
        continue;
      }
      // The simulator sees the host the runs were made on: its {cores}, its profile, and the settings the
      // runs were made with (quick or not).
      const std::vector<models::Override> sets = overrides(c, saved.quick, saved.cores > 0 ? saved.cores : cores_here);
      CaseRuns runs;
      runs.c = &c;
      runs.quick = saved.quick;
      runs.version = saved.version;
      for (const Json& raw : saved.repeats) runs.real.push_back(parse_real_run(raw, c.name));
      std::cerr << "validate: " << c.name << " (" << c.set << ", " << saved.version << "): " << o.repeats << " simulated\n";
      if (c.runtime == "go") {
        std::vector<models::Override> sim_sets = sets;
        sim_sets.push_back({"runtime.version", saved.version});
        sim_sets.push_back({"kernel.profile", go_profile_for(saved.version)});
        Case sim_case = c;
        if (c.import) sim_case.scenario = imported.at(saved.version);
        runs.sim = simulate(sim_case, sim_sets, o.repeats, o.seed);
        finish_case(c, runs);
        continue;
      }
      std::vector<models::Override> sim_sets = sets;
      sim_sets.push_back({"kernel.profile", fiber_profile});
      bool replayed = false;
      for (const RealRun& r : runs.real) replayed |= !r.handover_ns.empty();
      if (!replayed) {
        runs.sim = simulate(c, sim_sets, o.repeats, o.seed);
      } else {
        // Open loop: replication i replays the arrivals real repeat i had (its generator's hand-over times),
        // so both sides see the same input, bursts of a late generator included.
        for (std::size_t i = 0; i < runs.real.size(); ++i) {
          std::vector<models::Override> s = sim_sets;
          for (const auto& [cls, times] : runs.real[i].handover_ns) {
            const fs::path trace = results / ("trace-" + c.name + "-" + cls + "-" + std::to_string(i) + ".txt");
            std::string text;
            text.reserve(times.size() * 12);
            for (const std::int64_t t : times) text += std::to_string(t) + "\n";
            models::write_file_atomically(trace, text);
            s.push_back({"workload.classes." + cls + ".arrivals", "{process: trace, file: \"" + fs::absolute(trace).string() + "\"}"});
          }
          // The generator's CPU per hand-over in that run: the model's listener thread spends as much.
          const Json& g = runs.real[i].generator;
          const double arrivals = g.value("arrivals", 0.0);
          if (g.contains("cpu_ns") && arrivals > 0) {
            s.push_back({"fiber.listener_cost", std::to_string(std::llround(g["cpu_ns"].get<double>() / arrivals)) + "ns"});
          }
          std::vector<models::RunResult> one = simulate(c, s, 1, o.seed + i);
          runs.sim.push_back(std::move(one.front()));
          for (const auto& [cls, times] : runs.real[i].handover_ns) {
            fs::remove(results / ("trace-" + c.name + "-" + cls + "-" + std::to_string(i) + ".txt"));
          }
        }
        const std::string note = "open-loop cases: each simulated replication replays the arrival times of one real repeat "
                                 "(the generator's hand-over times), so both sides see the same arrivals, and its "
                                 "listener thread (fiber.listener_cost) spends the CPU per hand-over the real generator did";
        if (std::find(info.notes.begin(), info.notes.end(), note) == info.notes.end()) info.notes.insert(info.notes.begin(), note);
      }
      finish_case(c, runs);
    }
  }
  if (!tmp.empty()) fs::remove_all(tmp);

  if (o.real_only) {
    // Given profiles travel with the runs (a calibration here wrote its own into results/ already).
    for (const auto& [key, path] : info.profiles) {
      const fs::path dest = results / (key == "boost-fiber" ? std::string("host.yaml") : key + ".yaml");
      if (!fs::exists(dest) || !fs::equivalent(fs::absolute(path), dest)) fs::copy_file(path, dest, fs::copy_options::overwrite_existing);
    }
    std::cerr << "validate: wrote the real runs to " << (out_dir / "real").string() << " and this host's profiles to "
              << results.string() << "; copy " << out_dir.string() << " to the machine with gmpsim and run "
              << "`gmpsim validate --real-from " << out_dir.string() << " --out REPORT_DIR`\n";
    return 0;
  }
  if (!from.empty()) info.notes.insert(info.notes.begin(), "real runs read from " + display_path(from.string()) +
                                                              " (made there by `gmpsim validate --real-only`); profiles from its results/");

  // Hand-written discussion beside the first manifest, when there is one.
  if (!o.manifests.empty()) {
    const fs::path notes = fs::path(o.manifests.front()).parent_path() / "NOTES.md";
    if (fs::exists(notes)) info.discussion = read_file(notes.string());
  }
  models::write_file_atomically(results / "metrics.csv", metrics_csv(rows));
  models::write_file_atomically(results / "cdf.csv", cdf);
  models::write_file_atomically(out_dir / "report.md", report_markdown(rows, info));
  std::cerr << "validate: wrote " << (out_dir / "report.md").string() << ", " << (results / "metrics.csv").string() << " and "
            << (results / "cdf.csv").string() << "\n";
  return 0;
}

}  // namespace gmpsim::validation
