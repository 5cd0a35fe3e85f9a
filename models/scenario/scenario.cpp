// load_scenario: a scenario file, its --set overrides and the layers below it (model version profile,
// kernel profile, the table's defaults) resolved into one Scenario, every value checked against the
// parameter table and parsed once. The steps live in the files resolve.h lists.
#include "models/scenario/scenario.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "models/input/suggest.h"
#include "models/input/units.h"
#include "models/scenario/catalog.h"
#include "models/scenario/resolve.h"

namespace gmpsim::models {

using detail::kClassesPrefix;

Override parse_override(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw ScenarioError("--set", "expected key=value (e.g. run.duration=2s), got \"" + std::string(text) + "\"");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

const ResolvedValue* Scenario::find(std::string_view key) const {
  if (!index.empty()) {
    const auto it = index.find(std::string(key));
    return it == index.end() ? nullptr : &values[it->second];
  }
  for (const ResolvedValue& v : values) {
    if (v.key == key) return &v;
  }
  return nullptr;
}

Json Scenario::resolved_json() const {
  Json root = Json::object();
  for (const ResolvedValue& v : values) {
    Json* cur = &root;
    const auto segs = detail::split_key(v.key);
    for (std::size_t i = 0; i + 1 < segs.size(); ++i) cur = &(*cur)[segs[i]];
    Json value = yaml_to_json(v.node);
    // Keep quantities as the text that was written ("100us"), so the output loads again as a scenario.
    if (v.node.IsScalar() && v.type != ParamType::kInt && v.type != ParamType::kFloat && v.type != ParamType::kBool &&
        v.type != ParamType::kCpuSet) {
      value = v.node.Scalar();
    }
    (*cur)[segs.back()] = std::move(value);
  }
  return root;
}

Json Scenario::origin_json() const {
  Json out = Json::object();
  for (const ResolvedValue& v : values) out[v.key] = v.origin;
  return out;
}

YAML::Node parse_yaml_value(const std::string& text, const std::string& key) {
  if (text.size() > detail::kMaxYamlBytes) throw ScenarioError(key, "a value of " + std::to_string(text.size()) + " bytes is too large");
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(key, "--set value \"" + text + "\" is not valid YAML: " + e.msg);
  }
  detail::guard_yaml(value, "--set " + key, key);
  return value;
}

Scenario load_scenario_file(const std::string& path, const std::vector<Override>& sets) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw ScenarioError("SCENARIO", "\"" + path + "\" is a directory; give the path of a scenario file (e.g. examples/default.yaml)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError("", "cannot read scenario file \"" + path + "\"");
  // Read at most one byte past the limit: /dev/zero or a multi-gigabyte file is refused, not read whole.
  // In pieces, so that a scenario of a few kilobytes does not first zero (and fault in) the limit's worth.
  std::string text;
  char piece[65536];
  while (text.size() <= detail::kMaxYamlBytes && in) {
    in.read(piece, static_cast<std::streamsize>(std::min(sizeof piece, detail::kMaxYamlBytes + 1 - text.size())));
    text.append(piece, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw ScenarioError("", "cannot read scenario file \"" + path + "\"");
  if (text.size() > detail::kMaxYamlBytes) {
    throw ScenarioError("SCENARIO", "\"" + path + "\" is larger than " + std::to_string(detail::kMaxYamlBytes >> 20) +
                                        " MiB; a scenario file is a few kilobytes of YAML");
  }
  if (text.find('\0') != std::string::npos) {
    throw ScenarioError("SCENARIO", "\"" + path + "\" holds NUL bytes, so it is not a YAML text file");
  }
  return load_scenario(text, path, sets);
}

namespace {

// --set overrides go into the tree before anything is checked, so they are checked exactly like file
// values. Returns the keys set, for the origin each resolved value records.
std::vector<std::string> apply_overrides(YAML::Node& doc, const std::vector<Override>& sets) {
  std::vector<std::string> set_keys;
  for (const Override& o : sets) {
    if (o.key.empty() || o.key.front() == '.' || o.key.back() == '.' || o.key.find("..") != std::string::npos) {
      throw ScenarioError("--set", "malformed key \"" + o.key + "\"");
    }
    const YAML::Node value = parse_yaml_value(o.value, o.key);
    if (value.IsNull() && o.value.empty()) throw ScenarioError(o.key, "--set needs a value after `=`");
    detail::assign(doc, detail::split_key(o.key), 0, value, o.key);
    set_keys.push_back(o.key);
  }
  return set_keys;
}

// Resolves keys one at a time through the layers: the scenario tree (file and --set), then the layers
// below it (kernel profile, then model version profile), then the table's default.
class Resolver {
 public:
  Resolver(const YAML::Node& doc, const std::vector<std::string>& set_keys, std::vector<ResolvedValue>& out)
      : doc_(doc), set_keys_(set_keys), out_(out) {}

  void set_layers(std::vector<const detail::Layer*> layers) { layers_ = std::move(layers); }

  // Appends the resolved value of `key` (pattern `p`) to the output; nothing when it does not apply or
  // has no value anywhere and is optional.
  void resolve(const ParamSpec& p, const std::string& key) {
    const YAML::Node user = detail::find_node(doc_, detail::split_key(key));
    ResolvedValue rv{key, p.type, {}, ""};
    std::string why;
    if (!detail::applies(p, key, out_, &why)) {
      if (user.IsDefined()) throw ScenarioError(key, why);
      return;
    }
    if (user.IsDefined()) {
      rv.node.reset(user);
      rv.origin = origin_of(key);
    } else {
      for (const detail::Layer* l : layers_) {
        if (const YAML::Node* v = l->get(key)) {
          rv.node.reset(*v);
          rv.origin = l->origin;
          break;
        }
      }
      if (!rv.origin.empty()) {
      } else if (!p.default_text.empty()) {
        rv.node.reset(YAML::Load(std::string(p.default_text)));
        rv.origin = "default";
      } else if (p.required) {
        throw ScenarioError(key, "missing; " + std::string(p.doc) + " (required with " + std::string(p.only_when) + ")");
      } else {
        return;
      }
    }
    rv.value = detail::parse_value(p, rv.node, key);
    // An integer written another way (1e3, 0x10, +7) is recorded as the digits it was read as, so the
    // resolved scenario, summary.json and a sweep's seed all name the value the run used.
    if (const auto* i = std::get_if<std::int64_t>(&rv.value); i != nullptr && (p.type == ParamType::kInt || p.type == ParamType::kCpuSet) &&
                                                               rv.node.IsScalar() && rv.node.Scalar() != std::to_string(*i)) {
      rv.node.reset(YAML::Node(std::to_string(*i)));
    }
    out_.push_back(std::move(rv));
  }
  void resolve(std::string_view key) { resolve(*find_param(key), std::string(key)); }

 private:
  std::string origin_of(const std::string& key) const {
    for (const std::string& s : set_keys_) {
      if (key == s || key.rfind(s + ".", 0) == 0 || s.rfind(key + ".", 0) == 0) return "set";
    }
    return "scenario";
  }

  const YAML::Node& doc_;
  const std::vector<std::string>& set_keys_;
  std::vector<ResolvedValue>& out_;
  std::vector<const detail::Layer*> layers_;  // highest priority first
};

// The model's version profile: the one runtime.version names, or the newest when it is empty.
const Profile& version_profile(const ModelInfo& model, std::string& version) {
  for (const Profile& v : model.versions) {
    if (v.name == version) return v;
  }
  if (version.empty()) {
    version = std::string(model.versions.back().name);
    return model.versions.back();
  }
  std::vector<std::string> names;
  std::string list;
  for (const Profile& v : model.versions) names.emplace_back(v.name), list += (list.empty() ? "" : ", ") + std::string(v.name);
  throw ScenarioError("runtime.version", "model " + std::string(model.name) + " has no version \"" + version + "\"" +
                                             did_you_mean(version, names) + "; available: " + list);
}

// Values in table order (the order of the README and `gmpsim params`), classes last in file order.
void sort_in_table_order(std::vector<ResolvedValue>& values) {
  // Each value's rank computed once (class keys after every table key, in their order), not per
  // comparison: a scan of the table per comparison made loading a big scenario cost n log n table scans.
  const auto table = param_table();
  std::vector<std::size_t> rank(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].key.rfind(kClassesPrefix, 0) == 0) {
      rank[i] = table.size() + 1;
      continue;
    }
    const std::string pat = key_pattern(values[i].key);
    rank[i] = table.size();
    for (std::size_t t = 0; t < table.size(); ++t) {
      if (table[t].key == pat) {
        rank[i] = t;
        break;
      }
    }
  }
  // Sort indices, then copy-construct: assigning a YAML::Node overwrites the node it refers to, so the
  // ResolvedValues themselves must never be assigned or swapped.
  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return rank[x] < rank[y]; });
  std::vector<ResolvedValue> sorted;
  sorted.reserve(values.size());
  for (std::size_t i : order) sorted.push_back(values[i]);
  values.swap(sorted);
}

// The machine, kernel and run sections as typed configuration.
void read_configuration(Scenario& sc) {
  sc.description = sc.text("description");
  const YAML::Node& cpus = sc.find("machine.cpus")->node;
  if (cpus.IsScalar()) {
    for (std::int64_t i = 0; i < sc.integer("machine.cpus"); ++i) sc.machine.cpus.push_back(static_cast<int>(i));
  } else {
    sc.machine.cpus = detail::parse_cpu_list(cpus, "machine.cpus");
  }
  sc.machine.memory_bytes = sc.bytes("machine.memory");
  const YAML::Node& nodes = sc.find("machine.numa.nodes")->node;
  if (nodes.size() == 0) {
    sc.machine.numa_nodes = {sc.machine.cpus};
  } else {
    std::vector<int> all;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      sc.machine.numa_nodes.push_back(detail::parse_cpu_list(nodes[i], "machine.numa.nodes." + std::to_string(i)));
      all.insert(all.end(), sc.machine.numa_nodes.back().begin(), sc.machine.numa_nodes.back().end());
    }
    std::vector<int> want = sc.machine.cpus;
    std::sort(all.begin(), all.end());
    std::sort(want.begin(), want.end());
    if (all != want) {
      throw ScenarioError("machine.numa.nodes", "the nodes must partition machine.cpus: every CPU in exactly one node");
    }
  }
  sc.kernel.hz = sc.number("kernel.hz");
  sc.kernel.timer_slack = sc.duration("kernel.timer_slack");
  sc.kernel.futex_wake = sc.duration("kernel.futex_wake");
  sc.kernel.thread_create = sc.duration("kernel.thread_create");
  sc.run.duration = sc.duration("run.duration");
  sc.run.warmup = sc.duration("run.warmup");
  sc.run.sample_interval = sc.duration("run.sample_interval");
  sc.run.wall_limit = sc.duration("run.wall_limit");
  sc.run.seed = static_cast<std::uint64_t>(sc.integer("run.seed"));
  sc.run.max_events = static_cast<std::uint64_t>(sc.integer("run.max_events"));
  sc.run.confidence = sc.number("run.confidence");
  sc.run.max_memory = sc.bytes("run.max_memory");
  if (sc.run.warmup >= sc.run.duration) {
    throw ScenarioError("run.warmup", "must be shorter than run.duration (" + format_duration(sc.run.duration) + ")");
  }
  // The time series is the one output whose size is known before the run: a row of doubles per sample.
  if (sc.run.max_memory > 0) {
    const double rows = static_cast<double>(sc.run.duration) / static_cast<double>(sc.run.sample_interval) + 1;
    const double bytes = rows * 8.0 * (8.0 + static_cast<double>(sc.machine.cpus.size()));
    if (bytes > static_cast<double>(sc.run.max_memory)) {
      throw ScenarioError("run.sample_interval", "the time series of a " + format_duration(sc.run.duration) + " run sampled every " +
                                                     format_duration(sc.run.sample_interval) + " needs about " +
                                                     format_bytes(static_cast<std::int64_t>(bytes)) + " of memory, over run.max_memory (" +
                                                     format_bytes(sc.run.max_memory) + "); sample less often or raise run.max_memory");
    }
  }
}

}  // namespace

Scenario load_scenario(const std::string& yaml_text, const std::string& source, const std::vector<Override>& sets) {
  YAML::Node doc = detail::parse_yaml(yaml_text, source);
  if (doc.IsNull() || !doc.IsDefined()) doc = YAML::Node(YAML::NodeType::Map);
  if (!doc.IsMap()) throw ScenarioError("", source + ": a scenario is a map with sections machine, runtime, kernel, run, workload");
  const std::vector<std::string> set_keys = apply_overrides(doc, sets);
  detail::check_known_keys(doc, "");

  Scenario sc;
  sc.source = source;
  Resolver resolver(doc, set_keys, sc.values);

  // The model and its version select the version-profile layer; the kernel profile comes next.
  resolver.resolve("runtime.model");
  sc.runtime.model = sc.values.back().node.Scalar();
  resolver.resolve("runtime.version");
  std::string version = sc.values.back().node.Scalar();
  const Profile& vprof = version_profile(*find_model(sc.runtime.model), version);
  sc.runtime.version = version;
  sc.values.back().node.reset(YAML::Node(version));  // record the version actually used, not ""
  sc.values.back().value = version;
  const detail::Layer version_layer = detail::profile_layer("version:" + sc.runtime.model + "/" + version, vprof);

  resolver.resolve("kernel.profile");
  sc.kernel.profile = sc.values.back().node.Scalar();
  const Profile* kprof = find_kernel_profile(sc.kernel.profile);
  const detail::Layer kernel_layer = kprof ? detail::profile_layer("kernel:" + sc.kernel.profile, *kprof)
                                           : detail::kernel_file_layer(sc.kernel.profile, source, sc.runtime.model, version);
  resolver.set_layers({&kernel_layer, &version_layer});

  // The kernel version (from the scenario or the kernel profile) selects the scheduler's policy and
  // constants, a layer under the kernel profile.
  resolver.resolve("kernel.version");
  const detail::Layer kversion_layer = detail::kernel_version_layer(sc.values.back().node.Scalar());
  resolver.set_layers({&kernel_layer, &kversion_layer, &version_layer});

  // Every other fixed key, in table order.
  for (const ParamSpec& p : param_table()) {
    if (p.key.find('*') != std::string_view::npos) continue;
    if (p.key == "runtime.model" || p.key == "runtime.version" || p.key == "kernel.profile" || p.key == "kernel.version") continue;
    resolver.resolve(p, std::string(p.key));
  }

  // Background processes: every pattern key once per process.
  if (const YAML::Node procs = detail::find_node(doc, {"machine", "processes"}); procs && !procs.IsNull()) {
    if (!procs.IsMap()) {
      throw ScenarioError("machine.processes", "expected a map of process names to settings, e.g. "
                                               "{neighbour: {threads: 1, burst: 1s, sleep: 0ns}}");
    }
    for (const auto& kv : procs) {
      const std::string name = kv.first.as<std::string>();
      for (const ParamSpec& p : param_table()) {
        std::string key(p.key);
        if (key.rfind(detail::kProcessesPrefix, 0) != 0) continue;
        key.replace(key.find('*'), 1, name);
        resolver.resolve(p, key);
      }
      sc.machine.processes.push_back(name);
    }
  }

  // Goroutine classes: every pattern key once per class.
  const YAML::Node classes = detail::find_node(doc, {"workload", "classes"});
  if (!classes || !classes.IsMap() || classes.size() == 0) {
    throw ScenarioError("workload.classes", "define at least one goroutine class, e.g. "
                                            "{request: {arrivals: {process: poisson, rate: 1000/s}, program: [{compute: 100us}]}}");
  }
  std::vector<std::string> class_names;
  for (const auto& kv : classes) class_names.push_back(kv.first.as<std::string>());
  // A goroutine record holds its class in 16 bits.
  if (class_names.size() > 65535) {
    throw ScenarioError("workload.classes", std::to_string(class_names.size()) + " classes; a scenario holds at most 65535");
  }
  for (const std::string& cls : class_names) {
    for (const ParamSpec& p : param_table()) {
      std::string key(p.key);
      const auto star = key.find('*');
      if (star == std::string::npos || key.rfind(detail::kClassesPrefix, 0) != 0) continue;
      key.replace(star, 1, cls);
      resolver.resolve(p, key);
    }
  }

  sort_in_table_order(sc.values);
  for (std::size_t i = 0; i < sc.values.size(); ++i) sc.index.emplace(sc.values[i].key, i);
  read_configuration(sc);
  detail::build_workload(sc, class_names);
  return sc;
}

// ---- typed access ----

namespace {

[[noreturn]] void wrong_access(std::string_view key, const char* what, const ResolvedValue* v) {
  throw std::logic_error("scenario key " + std::string(key) + (v == nullptr ? " is not resolved" : std::string(" is a ") +
                         param_type_name(v->type) + ", not " + what) + " (a model reads a key it should not)");
}

template <class T>
const T& typed(const Scenario& sc, std::string_view key, const char* what, std::initializer_list<ParamType> types) {
  const ResolvedValue* v = sc.find(key);
  if (v == nullptr || std::find(types.begin(), types.end(), v->type) == types.end()) wrong_access(key, what, v);
  const T* value = std::get_if<T>(&v->value);
  if (value == nullptr) wrong_access(key, what, v);
  return *value;
}

}  // namespace

std::int64_t Scenario::integer(std::string_view key) const {
  return typed<std::int64_t>(*this, key, "an integer", {ParamType::kInt, ParamType::kCpuSet});
}
double Scenario::number(std::string_view key) const {
  const ResolvedValue* v = find(key);
  if (v != nullptr && v->type == ParamType::kInt) return static_cast<double>(integer(key));
  return typed<double>(*this, key, "a number", {ParamType::kFloat, ParamType::kRate, ParamType::kFrequency});
}
bool Scenario::flag(std::string_view key) const { return typed<bool>(*this, key, "true/false", {ParamType::kBool}); }
const std::string& Scenario::text(std::string_view key) const {
  return typed<std::string>(*this, key, "text", {ParamType::kString, ParamType::kEnum});
}
sim::Time Scenario::duration(std::string_view key) const {
  return typed<std::int64_t>(*this, key, "a duration", {ParamType::kDuration});
}
std::int64_t Scenario::bytes(std::string_view key) const { return typed<std::int64_t>(*this, key, "a size", {ParamType::kBytes}); }

}  // namespace gmpsim::models
