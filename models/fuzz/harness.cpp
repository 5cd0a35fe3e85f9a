#include "models/fuzz/harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "models/cli/commands.h"
#include "models/cli/exit_status.h"
#include "models/output/output.h"
#include "models/registry.h"
#include "models/scenario/scenario.h"

namespace gmpsim::models::fuzz {
namespace {

// What `gmpsim run --out` and `gmpsim check` would produce, rendered in memory (no files: the fuzzer
// runs thousands of inputs a second, and the atomic writes are tested in models/output).
void render(const Scenario& sc, const RunResult& r) {
  std::ostringstream sink;
  sink << sc.resolved_json().dump(2) << sc.origin_json().dump(2);
  sink << summary_json(r).dump(2) << latency_csv(r) << timeseries_csv(r);
  print_report(r, sink);
}

int run_checked(const std::string& yaml, const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description opts;
  cli::add_scenario_options(opts);
  std::vector<Override> sets = cli::scenario_overrides(cli::parse_command(args, opts, {}));
  // As the CLI loads it: every layer, every check, the workload compiled.
  const Scenario as_given = load_scenario(yaml, "<fuzz>", sets);
  // The same scenario under the caps; its own limits are kept where they are tighter.
  const std::uint64_t events = as_given.run.max_events == 0 ? kMaxEvents : std::min<std::uint64_t>(as_given.run.max_events, kMaxEvents);
  const std::int64_t memory = as_given.run.max_memory == 0 ? kMaxMemory : std::min(as_given.run.max_memory, kMaxMemory);
  sets.push_back({"run.max_events", std::to_string(events)});
  sets.push_back({"run.max_memory", std::to_string(memory)});
  const Scenario sc = load_scenario(yaml, "<fuzz>", sets);
  const RunResult r = run_scenario(sc);
  render(sc, r);
  return r.outcome.abnormal() ? cli::kExitAbnormal : cli::kExitOk;
}

}  // namespace

int run_input(const std::string& yaml, const std::vector<std::string>& args) {
  int status = cli::kExitInternal;
  std::ostringstream message;
  try {
    status = run_checked(yaml, args);
  } catch (...) {
    status = cli::exit_status_of_current_exception(message);
  }
  if (status == cli::kExitBadInput || status == cli::kExitOk || status == cli::kExitAbnormal) return status;
  std::cerr << "fuzz finding: the CLI would exit " << status << ": " << message.str();
  std::abort();
}

}  // namespace gmpsim::models::fuzz
