// Internal to models/scenario: the pieces load_scenario() is built from, one idea per file.
//   yaml_tree.cpp  dotted keys on a YAML tree: lookup, --set assignment, parsing with line numbers
//   keys.cpp       rejecting keys the parameter table does not describe, with suggestions
//   values.cpp     checking one value against its table row and parsing it once into its typed value
//   layers.cpp     the layers below the scenario file: model version profiles and kernel profiles (files too)
//   classes.cpp    the goroutine classes: arrival processes, arrival traces and compiled programs
//   scenario.cpp   load_scenario: overrides, resolution through the layers, the typed configuration
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "models/scenario/scenario.h"

namespace gmpsim::models::detail {

inline constexpr std::string_view kClassesPrefix = "workload.classes.";
inline constexpr std::string_view kProcessesPrefix = "machine.processes.";

// ---- yaml_tree.cpp ----
std::vector<std::string> split_key(std::string_view key);
// Looks up a dotted path without modifying the tree; an undefined node when absent.
YAML::Node find_node(const YAML::Node& root, const std::vector<std::string>& segs);
// Applies one --set to the tree, creating maps along the way; list items are addressed by index.
void assign(YAML::Node node, const std::vector<std::string>& segs, std::size_t i, const YAML::Node& value,
            const std::string& full_key);
// Bounds on what the loader accepts, so that no text makes it crash or exhaust memory (README, "Bad input").
inline constexpr std::size_t kMaxYamlBytes = 64 << 20;     // a scenario file or a --set value
inline constexpr std::size_t kMaxYamlNodes = 4'000'000;    // nodes once aliases are expanded
inline constexpr std::size_t kMaxYamlDepth = 64;           // nesting of maps and lists
inline constexpr std::size_t kMaxYamlScalar = 1 << 20;     // characters of one value
// Parses YAML text and checks it against those bounds, duplicate keys, keys that are not names and aliases
// that contain themselves; errors name `key` (a --set key) or, for a file, the path inside it.
YAML::Node parse_yaml(const std::string& text, const std::string& source, const std::string& key = "");
void guard_yaml(const YAML::Node& doc, const std::string& source, const std::string& key);

// ---- keys.cpp ----
// Rejects every key of the tree that the table does not describe.
void check_known_keys(const YAML::Node& node, const std::string& path);

// ---- values.cpp ----
// Checks a value against its table row and returns it parsed; throws ScenarioError naming `key`.
TypedValue parse_value(const ParamSpec& p, const YAML::Node& n, const std::string& key);
std::vector<int> parse_cpu_list(const YAML::Node& n, const std::string& key);
// Whether a key with an `only_when` condition applies, given the values resolved so far; `why` says why not.
bool applies(const ParamSpec& p, const std::string& key, const std::vector<ResolvedValue>& resolved, std::string* why);

// ---- layers.cpp ----
// One layer of values below the scenario file, with the origin every value it supplies records.
struct Layer {
  std::string origin;
  std::vector<std::pair<std::string, YAML::Node>> values;
  const YAML::Node* get(const std::string& key) const {
    for (const auto& [k, v] : values) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};
Layer profile_layer(const std::string& origin, const Profile& p);
// The scheduler policy and constants of a Linux version ("6.8"): CFS before 6.6, EEVDF from 6.6, the
// base slice 0.75 ms until 6.14 and 0.70 ms from 6.15. Throws a ScenarioError naming kernel.version.
Layer kernel_version_layer(const std::string& version);
// A kernel profile file, as `gmpsim calibrate` writes it; only the scenario's model's costs are read.
Layer kernel_file_layer(const std::string& path, const std::string& scenario_source, const std::string& model,
                        const std::string& version);

// ---- classes.cpp ----
// Builds sc.workload's channels and classes (arrivals, compiled programs) from the resolved values.
void build_workload(Scenario& sc, const std::vector<std::string>& class_names);

}  // namespace gmpsim::models::detail
