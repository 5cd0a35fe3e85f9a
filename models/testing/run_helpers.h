// Helpers shared by the model tests: run a scenario given as YAML text, with --set style overrides.
#pragma once
#include <string>
#include <vector>

#include "models/registry.h"
#include "models/result.h"
#include "models/scenario/scenario.h"
#include "sim/trace.h"

namespace gmpsim::models::testing {

inline RunResult run_yaml(const std::string& yaml, const std::vector<Override>& sets = {}) {
  const Scenario sc = load_scenario(yaml, "<text>", sets);
  return run_scenario(sc);
}

// Keeps every trace record of a run (GoCreate, GoStart, ...), for tests of where goroutines ran.
struct Recorder final : sim::TraceObserver {
  std::vector<sim::TraceRecord> records;
  void on_trace(const sim::TraceRecord& r) override { records.push_back(r); }
};

// True in sanitizer builds, where statistical tests use smaller samples.
inline constexpr bool kSanitized =
#if defined(GMPSIM_SANITIZED)
    true;
#else
    false;
#endif

}  // namespace gmpsim::models::testing
