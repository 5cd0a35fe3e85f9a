// The goroutine classes of a resolved scenario: their arrival processes (a trace of arrival times read
// from its file) and their programs compiled to bytecode (models/workload/program.h).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>

#include "models/input/units.h"
#include "models/scenario/resolve.h"

namespace gmpsim::models::detail {
namespace {

// Reads a trace of arrival times (workload.classes.*.arrivals.file): one time from t = 0 per line, a duration
// with a unit or integer nanoseconds, ascending; blank lines and # comments are skipped. A relative path
// that does not exist from the working directory is looked up beside the scenario file, as profiles are.
std::shared_ptr<const std::vector<sim::Time>> load_arrival_trace(const std::string& path, const std::string& scenario_source,
                                                                 const std::string& key) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (!fs::exists(p) && p.is_relative() && scenario_source != "<text>") p = fs::path(scenario_source).parent_path() / path;
  std::ifstream in(p);
  if (!in) throw ScenarioError(key, "cannot read \"" + path + "\"; give the path of a file of arrival times, one per line");
  auto times = std::make_shared<std::vector<sim::Time>>();
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    const auto b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const std::string text = line.substr(b, e - b + 1);
    sim::Time t = 0;
    try {
      t = std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }) ? std::stoll(text) : parse_duration(text);
    } catch (const std::exception&) {
      throw ScenarioError(key, p.string() + ":" + std::to_string(n) + ": \"" + text + "\" is not a time (1500us, or integer ns)");
    }
    if (!times->empty() && t < times->back()) {
      throw ScenarioError(key, p.string() + ":" + std::to_string(n) + ": times must be ascending (" + text + " after " +
                                   std::to_string(times->back()) + " ns)");
    }
    times->push_back(t);
  }
  if (times->empty()) throw ScenarioError(key, p.string() + " holds no arrival times");
  return times;
}

}  // namespace


void build_workload(Scenario& sc, const std::vector<std::string>& class_names) {
  auto val = [&](const std::string& key) -> const YAML::Node& { return sc.find(key)->node; };
  for (const auto& kv : val("workload.channels")) {
    sc.workload.channels.push_back({kv.first.as<std::string>(), static_cast<std::int64_t>(std::stod(kv.second.Scalar()))});
  }
  std::vector<YAML::Node> programs;
  for (const std::string& cls : class_names) programs.push_back(val(std::string(kClassesPrefix) + cls + ".program"));
  const MadeNames made = collect_made_names(programs);
  bool any_arrivals = false;
  for (std::uint32_t ci = 0; ci < class_names.size(); ++ci) {
    const std::string base = std::string(kClassesPrefix) + class_names[ci];
    GoroutineClass gc;
    gc.name = class_names[ci];
    Arrivals& a = gc.arrivals;
    const std::string& process = sc.text(base + ".arrivals.process");
    using P = Arrivals::Process;
    a.process = process == "none" ? P::kNone : process == "initial" ? P::kInitial : process == "poisson" ? P::kPoisson
              : process == "constant" ? P::kConstant : process == "onoff" ? P::kOnOff : process == "trace" ? P::kTrace : P::kClosed;
    if (a.process == P::kInitial) a.count = sc.integer(base + ".arrivals.count");
    if (a.process == P::kPoisson || a.process == P::kConstant || a.process == P::kOnOff) {
      a.rate_per_s = sc.number(base + ".arrivals.rate");
      if (a.rate_per_s <= 0) throw ScenarioError(base + ".arrivals.rate", "must be positive");
    }
    if (a.process == P::kOnOff) {
      a.on = parse_dist(val(base + ".arrivals.on"), base + ".arrivals.on");
      a.off = parse_dist(val(base + ".arrivals.off"), base + ".arrivals.off");
    }
    if (a.process == P::kTrace) a.trace = load_arrival_trace(sc.text(base + ".arrivals.file"), sc.source, base + ".arrivals.file");
    if (a.process == P::kClosed) {
      a.clients = sc.integer(base + ".arrivals.clients");
      // Each client holds a pending event and, while its request runs, a goroutine record.
      if (constexpr std::int64_t kPerClient = 128; sc.run.max_memory > 0 && a.clients > sc.run.max_memory / kPerClient) {
        throw ScenarioError(base + ".arrivals.clients", std::to_string(a.clients) + " clients need about " +
                                                            format_bytes(a.clients * kPerClient) + " of simulator memory, over run.max_memory (" +
                                                            format_bytes(sc.run.max_memory) + "); use fewer clients or raise run.max_memory");
      }
      a.think = parse_dist(val(base + ".arrivals.think"), base + ".arrivals.think");
    }
    any_arrivals = any_arrivals || a.process != P::kNone;
    gc.program = compile_program(val(base + ".program"), base + ".program", ci, class_names, sc.workload, made);
    sc.workload.classes.push_back(std::move(gc));
  }
  link_locals(sc.workload);
  if (!any_arrivals) {
    throw ScenarioError("workload.classes", "no class has arrivals, so nothing would run; set "
                                            "workload.classes." + class_names.front() + ".arrivals.process");
  }
}

}  // namespace gmpsim::models::detail
