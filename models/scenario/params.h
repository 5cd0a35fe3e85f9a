// The parameter table: one row per scenario key, with its type, unit, default, one-line doc and the
// source of the default. It is the single description of the scenario format: YAML validation, `--set`,
// `gmpsim params` and the reference models/scenario/parameters.md
// come from it, so they cannot drift apart.
//
// Values resolve in layers, each overriding the one before:
//   default (this table) -> model version profile -> kernel profile -> scenario file -> --set.
// The resolved scenario in every output records which layer supplied each value.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gmpsim::models {

enum class ParamType : std::uint8_t {
  kInt,        // integer
  kFloat,      // real number
  kBool,       // true / false
  kString,     // free text
  kEnum,       // one of `choices`
  kDuration,   // "100us"
  kBytes,      // "16GiB"
  kRate,       // "20000/s"
  kFrequency,  // "250Hz"
  kCpuSet,     // a CPU count (4) or a list of CPU ids ([0, 1, 2, 3])
  kNumaNodes,  // list of CPU-id lists, one per node; [] = one node holding all CPUs
  kDist,       // a distribution of durations: "80us" or {dist: exponential, mean: 1ms}
  kProgram,    // a workload program: a list of steps (see models/workload/program.h)
  kChannels,   // a map of channel names to capacities: {jobs: 0, results: 16}
};

const char* param_type_name(ParamType t);

struct ParamSpec {
  std::string_view key;            // dotted path; "*" stands for a user-chosen name (a goroutine class)
  ParamType type;
  std::string_view default_text;   // YAML text of the built-in default; empty = no default (required
                                   // where used, see `required_when`)
  std::string_view doc;            // one line
  std::string_view source;         // where the default comes from
  std::string_view used_by = "";   // comma-separated models that read it; "" = every model
  std::string_view choices = "";   // kEnum: values separated by '|'
  double min = -1e300;             // inclusive bounds in base units (ns, bytes, Hz, 1/s); checked on resolve
  double max = 1e300;
  std::string_view only_when = ""; // "sibling=value|value": the key applies only then (else it is an error)
  bool required = false;           // must be given when it applies
};

// All parameters, in the order the README and `gmpsim params` list them.
std::span<const ParamSpec> param_table();
const ParamSpec* find_param(std::string_view key_pattern);

// Turns a concrete key ("workload.classes.request.arrivals.rate") into its table pattern
// ("workload.classes.*.arrivals.rate"). Returns "" when the key has no pattern.
std::string key_pattern(std::string_view key);

// A named set of values for one layer: a model's version profile or a kernel profile.
struct Profile {
  std::string_view name;
  std::string_view doc;
  std::vector<std::pair<std::string_view, std::string_view>> values;  // key -> YAML text
};

// Built-in kernel profiles. A kernel profile may also be a YAML file (a calibration output).
std::span<const Profile> kernel_profiles();
const Profile* find_kernel_profile(std::string_view name);

// Markdown reference of every parameter (the README section), and a plain-text listing for the CLI.
std::string params_markdown();
std::string params_text(std::string_view model);  // model "" = every parameter

}  // namespace gmpsim::models
