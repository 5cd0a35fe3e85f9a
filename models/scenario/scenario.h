// Scenario: the one configuration type. The CLI, the Python bindings and validation all build a Scenario
// with load_scenario() and hand it to a model; the model returns the one result type (RunResult).
//
// A scenario file has five sections: machine, runtime, kernel, run, workload (plus an optional
// description). Every key is described by the parameter table (params.h); values resolve in layers
// (default -> model version profile -> kernel profile -> scenario file -> --set) and each resolved value
// remembers its layer. Bad input throws ScenarioError naming the key, before anything runs.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "models/input/errors.h"
#include "models/scenario/params.h"
#include "models/workload/program.h"
#include "sim/time.h"

namespace gmpsim::models {

using Json = nlohmann::ordered_json;

struct MachineConfig {
  std::vector<int> cpus;                    // CPU ids
  std::vector<std::vector<int>> numa_nodes; // partition of cpus; one node holding all when not given
  std::vector<std::string> processes;      // background processes (machine.processes.NAME), in file order
  std::int64_t memory_bytes = 0;
};

struct RuntimeConfig {
  std::string model;
  std::string version;
};

struct KernelConfig {
  std::string profile;
  double hz = 0;
  sim::Time timer_slack = 0;
  sim::Time futex_wake = 0;
  sim::Time thread_create = 0;
};

struct RunConfig {
  sim::Time duration = 0;
  sim::Time warmup = 0;
  sim::Time sample_interval = 0;
  sim::Time wall_limit = 0;      // host time; 0 = none
  std::uint64_t seed = 0;
  std::uint64_t max_events = 0;  // 0 = none
  std::int64_t max_memory = 0;   // bytes of the simulator's own memory (run.max_memory)
  double confidence = 0;
};

// A scalar value parsed once, when the scenario is loaded, in base units: an integer for kInt, kDuration
// (ns), kBytes and a CPU count; a real number for kFloat, kRate (1/s) and kFrequency (Hz); true/false;
// text for kString and kEnum. Lists and maps (CPU lists, NUMA nodes, distributions, programs, channels)
// are monostate: the loader turns them into the typed configuration below.
using TypedValue = std::variant<std::monostate, std::int64_t, double, bool, std::string>;

// One resolved key: the value as written (YAML), the same value parsed, and the layer it came from.
struct ResolvedValue {
  std::string key;
  ParamType type;
  YAML::Node node;
  std::string origin;  // default | version:<model>/<v> | kernel:<profile> | scenario | set
  TypedValue value;

  ResolvedValue(std::string k, ParamType t, YAML::Node n, std::string o, TypedValue v = {})
      : key(std::move(k)), type(t), node(n), origin(std::move(o)), value(std::move(v)) {}
  ResolvedValue(const ResolvedValue&) = default;
  // Assigning a YAML::Node writes through to the node it refers to; forbid it so no one corrupts a value.
  ResolvedValue& operator=(const ResolvedValue&) = delete;
};

struct Scenario {
  std::string source;       // file path, or "<text>"
  std::string description;
  MachineConfig machine;
  RuntimeConfig runtime;
  KernelConfig kernel;
  RunConfig run;
  Workload workload;
  std::vector<ResolvedValue> values;  // every resolved key, in table order
  std::unordered_map<std::string, std::size_t> index;  // key -> position in values, once loaded (find is O(1))

  // The fully resolved scenario as nested JSON (loadable again as YAML), and key -> layer.
  Json resolved_json() const;
  Json origin_json() const;
  const ResolvedValue* find(std::string_view key) const;

  // A resolved value by key, parsed at load time: what models read when they build their parameters.
  // Asking for a key the scenario does not hold, or with the wrong type, is a programming error
  // (std::logic_error), not bad input: the loader has already checked every value against the table.
  std::int64_t integer(std::string_view key) const;  // kInt, kCpuSet given as a count
  double number(std::string_view key) const;          // kFloat, kRate, kFrequency, and kInt
  bool flag(std::string_view key) const;              // kBool
  const std::string& text(std::string_view key) const;  // kString, kEnum
  sim::Time duration(std::string_view key) const;     // kDuration, in ns
  std::int64_t bytes(std::string_view key) const;     // kBytes
};

// One `--set key=value` override; the value is parsed as YAML, so a list is `[1, 2]`.
struct Override {
  std::string key;
  std::string value;
};
Override parse_override(std::string_view text);
// A --set (or sweep grid) value parsed as YAML and held to the loader's bounds (no self-referencing alias,
// no alias bomb, no duplicate keys); throws ScenarioError naming `key`.
YAML::Node parse_yaml_value(const std::string& text, const std::string& key);

Scenario load_scenario(const std::string& yaml_text, const std::string& source, const std::vector<Override>& sets = {});
Scenario load_scenario_file(const std::string& path, const std::vector<Override>& sets = {});

// A Linux version "MAJOR.MINOR" (kernel.version) as MAJOR * 1000 + MINOR, e.g. 6015 for 6.15; throws a
// ScenarioError naming kernel.version when it is not one.
int linux_version_code(const std::string& version);

// YAML value -> JSON, guessing scalar types the way YAML 1.2's core schema would (ints, floats, bools).
Json yaml_to_json(const YAML::Node& node);

}  // namespace gmpsim::models
