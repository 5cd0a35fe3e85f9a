// The layers below the scenario file: a model's version profile and the kernel profile, built in or read
// from a file that `gmpsim calibrate` wrote (validation/calibrate/README.md).
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "models/input/suggest.h"
#include "models/scenario/resolve.h"

namespace gmpsim::models {

int linux_version_code(const std::string& version) {
  int major = 0, minor = 0;
  char dot = 0, extra = 0;
  std::istringstream in(version);
  if (!(in >> major >> dot >> minor) || dot != '.' || (in >> extra) || major < 3 || minor < 0) {
    throw ScenarioError("kernel.version", "expected a Linux version as MAJOR.MINOR, e.g. 5.15, 6.1, 6.8 or 6.18, not \"" +
                                              version + "\"");
  }
  return major * 1000 + minor;
}

}  // namespace gmpsim::models

namespace gmpsim::models::detail {

Layer profile_layer(const std::string& origin, const Profile& p) {
  Layer l{origin, {}};
  for (const auto& [k, v] : p.values) l.values.emplace_back(std::string(k), YAML::Load(std::string(v)));
  return l;
}

Layer kernel_version_layer(const std::string& version) {
  const int v = linux_version_code(version);
  Layer l{"kernel-version:" + version, {}};
  // kernel/sched/fair.c: EEVDF replaced CFS's pick in 6.6 (commit 147f3efaa241, "sched/fair: Implement an
  // EEVDF-like scheduling policy"); sysctl_sched_base_slice went from 0.75 ms to 0.70 ms in 6.15
  // (commit 2ae891b82695, "sched: Reduce the default slice to avoid tasks getting an extra tick").
  l.values.emplace_back("kernel.sched_policy", YAML::Node(v < 6006 ? "cfs" : "eevdf"));
  l.values.emplace_back("kernel.base_slice", YAML::Node(v < 6015 ? "750us" : "700us"));
  // DELAY_DEQUEUE and DELAY_ZERO from 6.12 ("sched/fair: Implement delayed dequeue" and the series with it).
  l.values.emplace_back("kernel.delay_dequeue", YAML::Node(v < 6012 ? "false" : "true"));
  // SIS_UTIL from 5.19 (commit 70fb5ccf2ebb, "sched/fair: Introduce SIS_UTIL to search idle CPU based on sum
  // of util_avg"); before it SIS_PROP, which the model does not have: the scan is then unlimited.
  l.values.emplace_back("kernel.sis_util", YAML::Node(v < 5019 ? "false" : "true"));
  return l;
}

// Loads a kernel profile file, which `gmpsim calibrate` writes (validation/calibrate/README.md):
//   kernel: {key: value, ...}                   kernel keys (without `kernel.`)
//   vm: {key: value, thp: {...}, swap: {...}}   the host's memory settings (vm.* keys, nested)
//   runtime: {MODEL: {full.key: value, ...}}    cost parameters per model; only the scenario's model is read
//   host, measurements, notes, fit: ...         the record of the calibration; not read
// Every value read becomes part of one layer whose origin names the file.
Layer kernel_file_layer(const std::string& path, const std::string& scenario_source, const std::string& model,
                        const std::string& version) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (!fs::exists(p) && p.is_relative() && scenario_source != "<text>") p = fs::path(scenario_source).parent_path() / path;
  std::ifstream in(p);
  if (!in) {
    throw ScenarioError("kernel.profile", "no built-in profile or file named \"" + path +
                                              "\"; built-in profiles are host-vm and bare-metal, or give a profile file's path");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const YAML::Node doc = parse_yaml(ss.str(), p.string());
  Layer l{"kernel:" + path, {}};
  if (!doc.IsMap() || !doc["kernel"] || !doc["kernel"].IsMap()) {
    throw ScenarioError("kernel.profile", "profile file " + p.string() + " must hold a `kernel:` map of kernel keys");
  }
  for (const auto& kv : doc) {
    const std::string top = kv.first.as<std::string>();
    if (top != "kernel" && top != "vm" && top != "host" && top != "runtime" && top != "measurements" && top != "notes" && top != "fit") {
      throw ScenarioError("kernel.profile", "profile file " + p.string() + ": unknown top-level key `" + top +
                                                "` (expected kernel, vm, runtime, host, measurements, notes, fit)");
    }
  }
  // Checks one key of the file against the table and adds it to the layer; `allowed` says which keys the
  // section may hold, `family` names them in the message.
  auto add = [&](const std::string& key, const YAML::Node& value, auto allowed, const std::string& family) {
    const ParamSpec* spec = find_param(key);
    if (spec == nullptr || !allowed(key)) {
      std::vector<std::string> keys;
      for (const ParamSpec& q : param_table()) {
        if (allowed(std::string(q.key))) keys.emplace_back(q.key);
      }
      throw ScenarioError("kernel.profile", "profile file " + p.string() + ": unknown key `" + key + "`" + did_you_mean(key, keys) +
                                                (spec != nullptr ? " (" + family + ")" : ""));
    }
    parse_value(*spec, value, key + " (in " + p.string() + ")");
    l.values.emplace_back(key, value);
  };
  // A profile calibrated against one version of a real runtime (`gmpsim calibrate --runtime go` writes
  // host.runtime: go and host.runtime_version: go1.26) holds that version's costs: refuse it for another.
  if (const YAML::Node host = doc["host"]; host && host.IsMap() && host["runtime"] && host["runtime_version"] &&
                                            host["runtime"].Scalar() == model && host["runtime_version"].Scalar() != version) {
    throw ScenarioError("kernel.profile", "profile file " + p.string() + " was calibrated for " + model + " " +
                                              host["runtime_version"].Scalar() + " (host.runtime_version) but the scenario runs " +
                                              model + " " + version + "; set runtime.version: " + host["runtime_version"].Scalar() +
                                              " or use a profile calibrated with that version's toolchain");
  }
  const auto kernel_key = [](const std::string& k) { return k.rfind("kernel.", 0) == 0 && k != "kernel.profile"; };
  for (const auto& kv : doc["kernel"]) add("kernel." + kv.first.as<std::string>(), kv.second, kernel_key, "kernel keys");
  // The host's memory settings (vm.*, nested as in a scenario: thp: {enabled: ...}).
  if (const YAML::Node vm = doc["vm"]; vm) {
    if (!vm.IsMap()) throw ScenarioError("kernel.profile", "profile file " + p.string() + ": `vm:` must be a map of vm.* keys");
    const auto vm_key = [](const std::string& k) { return k.rfind("vm.", 0) == 0; };
    const std::function<void(const std::string&, const YAML::Node&)> walk = [&](const std::string& prefix, const YAML::Node& node) {
      for (const auto& kv : node) {
        const std::string key = prefix + "." + kv.first.as<std::string>();
        if (kv.second.IsMap()) {
          walk(key, kv.second);
        } else {
          add(key, kv.second, vm_key, "vm keys");
        }
      }
    };
    walk("vm", vm);
  }
  if (const YAML::Node runtime = doc["runtime"]; runtime) {
    if (!runtime.IsMap()) {
      throw ScenarioError("kernel.profile", "profile file " + p.string() + ": `runtime:` must map model names to maps of cost keys");
    }
    // A model's costs: its runtime.* keys except the model choice itself, and fiber.* for boost-fiber-ws.
    const auto cost_key = [](const std::string& k) {
      return (k.rfind("runtime.", 0) == 0 && k != "runtime.model" && k != "runtime.version") || k.rfind("fiber.", 0) == 0;
    };
    for (const auto& section : runtime) {
      const std::string name = section.first.as<std::string>();
      if (!section.second.IsMap()) {
        throw ScenarioError("kernel.profile", "profile file " + p.string() + ": runtime." + name + " must be a map of cost keys");
      }
      if (name != model) continue;  // other models' costs (possibly of models this build does not have)
      for (const auto& kv : section.second) add(kv.first.as<std::string>(), kv.second, cost_key, "runtime." + name + " holds runtime.* and fiber.* keys");
    }
  }
  return l;
}

}  // namespace gmpsim::models::detail
