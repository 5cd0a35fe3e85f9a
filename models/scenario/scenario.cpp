#include "models/scenario/scenario.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "models/registry.h"
#include "models/scenario/suggest.h"
#include "models/scenario/units.h"

namespace gmpsim::models {
namespace {

constexpr std::string_view kClassesPrefix = "workload.classes.";

std::vector<std::string> split_key(std::string_view key) {
  std::vector<std::string> segs;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    segs.emplace_back(key.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return segs;
}

bool parse_index(const std::string& seg, std::size_t& index) {
  if (seg.empty() || !std::all_of(seg.begin(), seg.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
  index = std::stoul(seg);
  return true;
}

// Looks up a dotted path in a YAML tree without modifying it. Returns an invalid node when absent.
YAML::Node find_node(const YAML::Node& root, const std::vector<std::string>& segs) {
  YAML::Node cur = root;
  for (const std::string& seg : segs) {
    const YAML::Node& c = cur;
    std::size_t idx;
    if (c.IsMap()) {
      const YAML::Node next = c[seg];
      if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
      cur.reset(next);
    } else if (c.IsSequence() && parse_index(seg, idx) && idx < c.size()) {
      cur.reset(c[idx]);
    } else {
      return YAML::Node(YAML::NodeType::Undefined);
    }
  }
  return cur;
}

// Applies one --set to the tree, creating maps along the way; list items are addressed by index.
void assign(YAML::Node node, const std::vector<std::string>& segs, std::size_t i, const YAML::Node& value,
            const std::string& full_key) {
  const std::string& seg = segs[i];
  const bool last = i + 1 == segs.size();
  std::string here;
  for (std::size_t j = 0; j <= i; ++j) here += (j ? "." : "") + segs[j];
  if (node.IsSequence()) {
    std::size_t idx;
    if (!parse_index(seg, idx) || idx >= node.size()) {
      throw ScenarioError(full_key, "`" + here + "` addresses a list of " + std::to_string(node.size()) +
                                        " items; use an index from 0 to " + std::to_string(node.size() - 1));
    }
    if (last) {
      node[idx] = value;
    } else {
      assign(node[idx], segs, i + 1, value, full_key);
    }
    return;
  }
  if (!node.IsMap() && !node.IsNull()) {
    throw ScenarioError(full_key, "cannot set below `" + here.substr(0, here.rfind('.')) + "`: it holds a single value, not a map");
  }
  if (last) {
    node[seg] = value;
    return;
  }
  const YAML::Node& cnode = node;
  if (!cnode[seg] || cnode[seg].IsNull()) node[seg] = YAML::Node(YAML::NodeType::Map);
  assign(node[seg], segs, i + 1, value, full_key);
}

std::string scalar_text(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) throw ScenarioError(key, "expected a single value, not a list or map");
  return n.Scalar();
}

double parse_number(const YAML::Node& n, const std::string& key, bool whole) {
  const std::string s = scalar_text(n, key);
  double v = 0;
  bool ok = false;
  try {
    std::size_t used = 0;
    v = std::stod(s, &used);
    ok = used == s.size() && std::isfinite(v);
  } catch (const std::exception&) {
  }
  if (!ok) throw ScenarioError(key, std::string("expected ") + (whole ? "a whole number" : "a number") + ", got \"" + s + "\"");
  if (whole && v != std::floor(v)) throw ScenarioError(key, "expected a whole number, got \"" + s + "\"");
  return v;
}

void check_bounds(const ParamSpec& p, double v, const std::string& key, const std::string& text) {
  if (v < p.min || v > p.max) {
    std::ostringstream os;
    os << "value " << text << " is out of range";
    if (p.min > -1e299 && p.max < 1e299) os << "; allowed: " << p.min << " to " << p.max;
    else if (p.min > -1e299) os << "; it must be at least " << p.min;
    else os << "; it must be at most " << p.max;
    if (p.type == ParamType::kDuration) os << " ns";
    if (p.type == ParamType::kBytes) os << " bytes";
    throw ScenarioError(key, os.str());
  }
}

std::vector<int> parse_cpu_list(const YAML::Node& n, const std::string& key) {
  std::vector<int> ids;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const double v = parse_number(n[i], key + "." + std::to_string(i), true);
    if (v < 0 || v > 65535) throw ScenarioError(key + "." + std::to_string(i), "CPU ids run from 0 to 65535");
    ids.push_back(static_cast<int>(v));
  }
  std::vector<int> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) throw ScenarioError(key, "a CPU id is listed twice");
  return ids;
}

// Validates a value against its table row; throws ScenarioError naming `key`.
void validate_value(const ParamSpec& p, const YAML::Node& n, const std::string& key) {
  if (n.IsNull() && p.type != ParamType::kString && p.type != ParamType::kProgram) {
    throw ScenarioError(key, "has no value; give a value of type " + std::string(param_type_name(p.type)) + " (default " +
                                 (p.default_text.empty() ? std::string("none") : std::string(p.default_text)) + ")");
  }
  try {
    switch (p.type) {
      case ParamType::kInt: {
        const std::string t = scalar_text(n, key);
        check_bounds(p, parse_number(n, key, true), key, t);
        break;
      }
      case ParamType::kFloat: {
        const std::string t = scalar_text(n, key);
        check_bounds(p, parse_number(n, key, false), key, t);
        break;
      }
      case ParamType::kBool: {
        const std::string t = scalar_text(n, key);
        if (t != "true" && t != "false") throw ScenarioError(key, "expected true or false, got \"" + t + "\"");
        break;
      }
      case ParamType::kString:
        if (!n.IsNull()) scalar_text(n, key);
        break;
      case ParamType::kEnum: {
        const std::string t = scalar_text(n, key);
        std::vector<std::string> choices;
        if (p.choices == "@models") {
          for (const ModelInfo& m : model_registry()) choices.push_back(m.name);
        } else {
          std::stringstream ss{std::string(p.choices)};
          for (std::string c; std::getline(ss, c, '|');) choices.push_back(c);
        }
        if (std::find(choices.begin(), choices.end(), t) == choices.end()) {
          std::string list;
          for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
          throw ScenarioError(key, "unknown value \"" + t + "\"" + did_you_mean(t, choices) + "; choose one of: " + list);
        }
        break;
      }
      case ParamType::kDuration: {
        const std::string t = scalar_text(n, key);
        check_bounds(p, static_cast<double>(parse_duration(t)), key, t);
        break;
      }
      case ParamType::kBytes: {
        const std::string t = scalar_text(n, key);
        check_bounds(p, static_cast<double>(parse_bytes(t)), key, t);
        break;
      }
      case ParamType::kRate: {
        const std::string t = scalar_text(n, key);
        check_bounds(p, parse_rate(t), key, t);
        break;
      }
      case ParamType::kFrequency: {
        const std::string t = scalar_text(n, key);
        check_bounds(p, parse_frequency(t), key, t);
        break;
      }
      case ParamType::kCpuSet:
        if (n.IsScalar()) {
          check_bounds(p, parse_number(n, key, true), key, n.Scalar());
        } else if (n.IsSequence()) {
          if (n.size() == 0) throw ScenarioError(key, "the list of CPUs is empty");
          check_bounds(p, static_cast<double>(parse_cpu_list(n, key).size()), key, std::to_string(n.size()) + " CPUs");
        } else {
          throw ScenarioError(key, "expected a CPU count (4) or a list of CPU ids ([0, 1, 2, 3])");
        }
        break;
      case ParamType::kNumaNodes:
        if (!n.IsSequence()) throw ScenarioError(key, "expected a list of CPU-id lists, e.g. [[0, 1], [2, 3]], or []");
        for (std::size_t i = 0; i < n.size(); ++i) {
          if (!n[i].IsSequence() || n[i].size() == 0) {
            throw ScenarioError(key + "." + std::to_string(i), "expected a non-empty list of CPU ids");
          }
          parse_cpu_list(n[i], key + "." + std::to_string(i));
        }
        break;
      case ParamType::kDist:
        parse_dist(n, key);
        break;
      case ParamType::kProgram:
        if (!n.IsSequence() && !n.IsNull()) throw ScenarioError(key, "expected a list of steps, e.g. [{compute: 50us}]");
        break;
      case ParamType::kChannels:
        if (!n.IsMap()) throw ScenarioError(key, "expected a map of channel names to capacities, e.g. {jobs: 0, results: 16}");
        for (const auto& kv : n) {
          const std::string ck = key + "." + kv.first.as<std::string>();
          if (!kv.second.IsScalar()) throw ScenarioError(ck, "expected a capacity (0 = unbuffered)");
          const double c = parse_number(kv.second, ck, true);
          if (c < 0 || c > 1e12) throw ScenarioError(ck, "capacity must be between 0 and 1e12");
        }
        break;
    }
  } catch (const UnitError& e) {
    throw ScenarioError(key, e.what());
  }
}

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << source << ":" << (e.mark.line + 1) << ":" << (e.mark.column + 1) << ": YAML syntax error: " << e.msg;
    throw ScenarioError("", os.str());
  }
}

bool is_prefix_of_param(const std::string& pattern) {
  for (const ParamSpec& p : param_table()) {
    if (p.key.size() > pattern.size() && p.key.substr(0, pattern.size()) == pattern && p.key[pattern.size()] == '.') return true;
  }
  return false;
}

// Concrete keys that a user could have meant at `key`'s level, for suggestions.
std::vector<std::string> candidate_keys(const std::string& key) {
  std::string cls;
  if (key.rfind(kClassesPrefix, 0) == 0) {
    const std::string rest = key.substr(kClassesPrefix.size());
    cls = rest.substr(0, rest.find('.'));
  }
  std::vector<std::string> out;
  for (const ParamSpec& p : param_table()) {
    std::string k(p.key);
    if (const auto star = k.find('*'); star != std::string::npos) {
      if (cls.empty()) continue;
      k.replace(star, 1, cls);
    }
    // Offer the full key and each of its prefixes, so a typo in a section name is caught too.
    for (std::size_t dot = k.find('.'); dot != std::string::npos; dot = k.find('.', dot + 1)) out.push_back(k.substr(0, dot));
    out.push_back(k);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool valid_class_name(const std::string& n) {
  if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// Rejects every key of the tree that the table does not describe.
void check_known_keys(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) {
    throw ScenarioError(path.empty() ? "(top level)" : path,
                        "expected a map of keys" + std::string(path.empty() ? " (machine, runtime, kernel, run, workload)" : ""));
  }
  for (const auto& kv : node) {
    const std::string name = kv.first.as<std::string>();
    const std::string key = path.empty() ? name : path + "." + name;
    if (path == "workload.classes" && !valid_class_name(name)) {
      throw ScenarioError(key, "class names start with a letter or _ and contain letters, digits, _ and -");
    }
    const std::string pattern = key_pattern(key);
    if (find_param(pattern) != nullptr) continue;  // a leaf: its value is validated on resolve
    if (is_prefix_of_param(pattern)) {
      if (kv.second.IsNull()) continue;  // an empty section
      check_known_keys(kv.second, key);
      continue;
    }
    throw ScenarioError(key, "unknown key" + did_you_mean(key, candidate_keys(key)) +
                                 "; `gmpsim params` lists every valid key");
  }
}

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

Layer profile_layer(const std::string& origin, const Profile& p) {
  Layer l{origin, {}};
  for (const auto& [k, v] : p.values) l.values.emplace_back(std::string(k), YAML::Load(std::string(v)));
  return l;
}

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

// Loads a kernel profile file, which `gmpsim calibrate` writes (validation/calibrate/README.md):
//   kernel: {key: value, ...}                   kernel keys (without `kernel.`)
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
    if (top != "kernel" && top != "host" && top != "runtime" && top != "measurements" && top != "notes" && top != "fit") {
      throw ScenarioError("kernel.profile", "profile file " + p.string() + ": unknown top-level key `" + top +
                                                "` (expected kernel, runtime, host, measurements, notes, fit)");
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
    validate_value(*spec, value, key + " (in " + p.string() + ")");
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

// Whether a key with an `only_when` condition applies, given the values resolved so far.
bool applies(const ParamSpec& p, const std::string& key, const std::vector<ResolvedValue>& resolved, std::string* why) {
  if (p.only_when.empty()) return true;
  const auto eq = p.only_when.find('=');
  const std::string sibling(p.only_when.substr(0, eq));
  const std::string allowed(p.only_when.substr(eq + 1));
  const std::string sibling_key = key.substr(0, key.rfind('.') + 1) + sibling;
  for (const ResolvedValue& v : resolved) {
    if (v.key != sibling_key) continue;
    const std::string value = v.node.Scalar();
    std::stringstream ss(allowed);
    for (std::string a; std::getline(ss, a, '|');) {
      if (a == value) return true;
    }
    if (why) *why = "it is not used with " + sibling + " " + value + " (only with " + sibling + " " + allowed + ")";
    return false;
  }
  return false;
}

std::int64_t as_int(const YAML::Node& n) { return static_cast<std::int64_t>(std::stod(n.Scalar())); }
sim::Time as_duration(const YAML::Node& n) { return parse_duration(n.Scalar()); }

Json scalar_to_json(const std::string& s) {
  if (s == "true") return true;
  if (s == "false") return false;
  if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
    try {
      std::size_t used = 0;
      const long long i = std::stoll(s, &used);
      if (used == s.size()) return i;
      const double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (const std::exception&) {
    }
  }
  return s;
}

}  // namespace

Json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return scalar_to_json(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node) arr.push_back(yaml_to_json(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return obj;
    }
    default: return nullptr;
  }
}

Override parse_override(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw ScenarioError("--set", "expected key=value (e.g. run.duration=2s), got \"" + std::string(text) + "\"");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

const ResolvedValue* Scenario::find(std::string_view key) const {
  for (const ResolvedValue& v : values) {
    if (v.key == key) return &v;
  }
  return nullptr;
}

Json Scenario::resolved_json() const {
  Json root = Json::object();
  for (const ResolvedValue& v : values) {
    Json* cur = &root;
    const auto segs = split_key(v.key);
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

Scenario load_scenario_file(const std::string& path, const std::vector<Override>& sets) {
  std::ifstream in(path);
  if (!in) throw ScenarioError("", "cannot read scenario file \"" + path + "\"");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_scenario(ss.str(), path, sets);
}

Scenario load_scenario(const std::string& yaml_text, const std::string& source, const std::vector<Override>& sets) {
  YAML::Node doc = parse_yaml(yaml_text, source);
  if (doc.IsNull() || !doc.IsDefined()) doc = YAML::Node(YAML::NodeType::Map);
  if (!doc.IsMap()) throw ScenarioError("", source + ": a scenario is a map with sections machine, runtime, kernel, run, workload");

  // --set overrides are applied to the tree first, so they are checked exactly like file values.
  std::vector<std::string> set_keys;
  for (const Override& o : sets) {
    if (o.key.empty() || o.key.front() == '.' || o.key.back() == '.' || o.key.find("..") != std::string::npos) {
      throw ScenarioError("--set", "malformed key \"" + o.key + "\"");
    }
    YAML::Node value;
    try {
      value = YAML::Load(o.value);
    } catch (const YAML::Exception& e) {
      throw ScenarioError(o.key, "--set value \"" + o.value + "\" is not valid YAML: " + e.msg);
    }
    if (value.IsNull() && o.value.empty()) throw ScenarioError(o.key, "--set needs a value after `=`");
    assign(doc, split_key(o.key), 0, value, o.key);
    set_keys.push_back(o.key);
  }
  check_known_keys(doc, "");

  auto origin_of = [&](const std::string& key) -> std::string {
    for (const std::string& s : set_keys) {
      if (key == s || key.rfind(s + ".", 0) == 0 || s.rfind(key + ".", 0) == 0) return "set";
    }
    return "scenario";
  };

  Scenario sc;
  sc.source = source;
  std::vector<ResolvedValue>& out = sc.values;

  // Resolution of one key through the layers, lowest last.
  std::vector<const Layer*> layers;  // highest priority first: kernel profile, then model version
  auto resolve = [&](const ParamSpec& p, const std::string& key) {
    const YAML::Node user = find_node(doc, split_key(key));
    ResolvedValue rv{key, p.type, {}, ""};
    std::string why;
    if (!applies(p, key, out, &why)) {
      if (user.IsDefined()) throw ScenarioError(key, why);
      return;
    }
    if (user.IsDefined()) {
      rv.node.reset(user);
      rv.origin = origin_of(key);
    } else {
      for (const Layer* l : layers) {
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
    validate_value(p, rv.node, key);
    out.push_back(std::move(rv));
  };

  // The model and its version select the version-profile layer; the kernel profile comes next.
  const ParamSpec* model_spec = find_param("runtime.model");
  resolve(*model_spec, "runtime.model");
  sc.runtime.model = out.back().node.Scalar();
  const ModelInfo* model = find_model(sc.runtime.model);
  resolve(*find_param("runtime.version"), "runtime.version");
  std::string version = out.back().node.Scalar();
  const Profile* vprof = nullptr;
  for (const Profile& v : model->versions) {
    if (v.name == version) vprof = &v;
  }
  if (version.empty()) {
    vprof = &model->versions.back();
    version = std::string(vprof->name);
  } else if (vprof == nullptr) {
    std::vector<std::string> names;
    std::string list;
    for (const Profile& v : model->versions) names.emplace_back(v.name), list += (list.empty() ? "" : ", ") + std::string(v.name);
    throw ScenarioError("runtime.version", "model " + sc.runtime.model + " has no version \"" + version + "\"" +
                                               did_you_mean(version, names) + "; available: " + list);
  }
  sc.runtime.version = version;
  out.back().node.reset(YAML::Node(version));  // record the version actually used, not ""

  const Layer version_layer = profile_layer("version:" + sc.runtime.model + "/" + version, *vprof);

  resolve(*find_param("kernel.profile"), "kernel.profile");
  sc.kernel.profile = out.back().node.Scalar();
  const Profile* kprof = find_kernel_profile(sc.kernel.profile);
  const Layer kernel_layer = kprof ? profile_layer("kernel:" + sc.kernel.profile, *kprof) : kernel_file_layer(sc.kernel.profile, source, sc.runtime.model, version);
  layers = {&kernel_layer, &version_layer};

  // Every other fixed key, in table order.
  for (const ParamSpec& p : param_table()) {
    if (p.key.find('*') != std::string_view::npos) continue;
    if (p.key == "runtime.model" || p.key == "runtime.version" || p.key == "kernel.profile") continue;
    resolve(p, std::string(p.key));
  }

  // Goroutine classes.
  const YAML::Node classes = find_node(doc, {"workload", "classes"});
  if (!classes || !classes.IsMap() || classes.size() == 0) {
    throw ScenarioError("workload.classes", "define at least one goroutine class, e.g. "
                                            "{request: {arrivals: {process: poisson, rate: 1000/s}, program: [{compute: 100us}]}}");
  }
  std::vector<std::string> class_names;
  for (const auto& kv : classes) class_names.push_back(kv.first.as<std::string>());
  for (const std::string& cls : class_names) {
    for (const ParamSpec& p : param_table()) {
      std::string key(p.key);
      const auto star = key.find('*');
      if (star == std::string::npos) continue;
      key.replace(star, 1, cls);
      resolve(p, key);
    }
  }

  // Present values in table order (the order of the README and `gmpsim params`), classes in file order.
  auto table_index = [](const ResolvedValue& v) {
    const std::string pat = key_pattern(v.key);
    const auto table = param_table();
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (table[i].key == pat) return i;
    }
    return table.size();
  };
  // Sort indices, then copy-construct: assigning a YAML::Node overwrites the node it refers to, so the
  // ResolvedValues themselves must never be assigned or swapped.
  std::vector<std::size_t> order(out.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const ResolvedValue &a = out[x], &b = out[y];
    const bool ca = a.key.rfind(kClassesPrefix, 0) == 0, cb = b.key.rfind(kClassesPrefix, 0) == 0;
    if (ca || cb) return !ca && cb;  // classes last, keeping their file order
    return table_index(a) < table_index(b);
  });
  std::vector<ResolvedValue> sorted;
  sorted.reserve(out.size());
  for (std::size_t i : order) sorted.push_back(out[i]);
  out.swap(sorted);

  // Typed views of the resolved values.
  auto val = [&](const std::string& key) -> const YAML::Node& { return sc.find(key)->node; };
  sc.description = val("description").Scalar();
  const YAML::Node& cpus = val("machine.cpus");
  if (cpus.IsScalar()) {
    for (int i = 0; i < as_int(cpus); ++i) sc.machine.cpus.push_back(i);
  } else {
    sc.machine.cpus = parse_cpu_list(cpus, "machine.cpus");
  }
  sc.machine.memory_bytes = parse_bytes(val("machine.memory").Scalar());
  const YAML::Node& nodes = val("machine.numa.nodes");
  if (nodes.size() == 0) {
    sc.machine.numa_nodes = {sc.machine.cpus};
  } else {
    std::vector<int> all;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      sc.machine.numa_nodes.push_back(parse_cpu_list(nodes[i], "machine.numa.nodes." + std::to_string(i)));
      all.insert(all.end(), sc.machine.numa_nodes.back().begin(), sc.machine.numa_nodes.back().end());
    }
    std::vector<int> want = sc.machine.cpus;
    std::sort(all.begin(), all.end());
    std::sort(want.begin(), want.end());
    if (all != want) {
      throw ScenarioError("machine.numa.nodes", "the nodes must partition machine.cpus: every CPU in exactly one node");
    }
  }
  sc.kernel.hz = parse_frequency(val("kernel.hz").Scalar());
  sc.kernel.timer_slack = as_duration(val("kernel.timer_slack"));
  sc.kernel.futex_wake = as_duration(val("kernel.futex_wake"));
  sc.kernel.thread_create = as_duration(val("kernel.thread_create"));
  sc.run.duration = as_duration(val("run.duration"));
  sc.run.warmup = as_duration(val("run.warmup"));
  sc.run.sample_interval = as_duration(val("run.sample_interval"));
  sc.run.wall_limit = as_duration(val("run.wall_limit"));
  sc.run.seed = static_cast<std::uint64_t>(std::stoull(val("run.seed").Scalar()));
  sc.run.max_events = static_cast<std::uint64_t>(as_int(val("run.max_events")));
  sc.run.confidence = std::stod(val("run.confidence").Scalar());
  if (sc.run.warmup >= sc.run.duration) {
    throw ScenarioError("run.warmup", "must be shorter than run.duration (" + format_duration(sc.run.duration) + ")");
  }

  for (const auto& kv : val("workload.channels")) {
    sc.workload.channels.push_back({kv.first.as<std::string>(), static_cast<std::int64_t>(as_int(kv.second))});
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
    const std::string process = val(base + ".arrivals.process").Scalar();
    using P = Arrivals::Process;
    a.process = process == "none" ? P::kNone : process == "initial" ? P::kInitial : process == "poisson" ? P::kPoisson
              : process == "constant" ? P::kConstant : process == "onoff" ? P::kOnOff : process == "trace" ? P::kTrace : P::kClosed;
    if (a.process == P::kInitial) a.count = as_int(val(base + ".arrivals.count"));
    if (a.process == P::kPoisson || a.process == P::kConstant || a.process == P::kOnOff) {
      a.rate_per_s = parse_rate(val(base + ".arrivals.rate").Scalar());
      if (a.rate_per_s <= 0) throw ScenarioError(base + ".arrivals.rate", "must be positive");
    }
    if (a.process == P::kOnOff) {
      a.on = parse_dist(val(base + ".arrivals.on"), base + ".arrivals.on");
      a.off = parse_dist(val(base + ".arrivals.off"), base + ".arrivals.off");
    }
    if (a.process == P::kTrace) a.trace = load_arrival_trace(val(base + ".arrivals.file").Scalar(), source, base + ".arrivals.file");
    if (a.process == P::kClosed) {
      a.clients = as_int(val(base + ".arrivals.clients"));
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
  return sc;
}

}  // namespace gmpsim::models
