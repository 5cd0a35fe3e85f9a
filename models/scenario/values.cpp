// One value against its table row: type, unit, bounds and choices are checked, and the value is parsed
// once into its TypedValue, which is what models read (Scenario::integer, duration, ...).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "models/input/suggest.h"
#include "models/input/units.h"
#include "models/scenario/catalog.h"
#include "models/scenario/resolve.h"

namespace gmpsim::models::detail {
namespace {

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

}  // namespace

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

namespace {

// An integer written as digits is read exactly (a seed above 2^53 keeps every digit); other forms ("1e6")
// go through the checked real-number parse.
std::int64_t parse_whole(const YAML::Node& n, const std::string& key) {
  const std::string& s = n.Scalar();
  if (!s.empty() && std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
    }
  }
  return static_cast<std::int64_t>(parse_number(n, key, true));
}

}  // namespace

TypedValue parse_value(const ParamSpec& p, const YAML::Node& n, const std::string& key) {
  if (n.IsNull() && p.type != ParamType::kString && p.type != ParamType::kProgram) {
    throw ScenarioError(key, "has no value; give a value of type " + std::string(param_type_name(p.type)) + " (default " +
                                 (p.default_text.empty() ? std::string("none") : std::string(p.default_text)) + ")");
  }
  try {
    switch (p.type) {
      case ParamType::kInt: {
        const std::string t = scalar_text(n, key);
        check_bounds(p, parse_number(n, key, true), key, t);
        return parse_whole(n, key);
      }
      case ParamType::kFloat: {
        const std::string t = scalar_text(n, key);
        const double v = parse_number(n, key, false);
        check_bounds(p, v, key, t);
        return v;
      }
      case ParamType::kBool: {
        const std::string t = scalar_text(n, key);
        if (t != "true" && t != "false") throw ScenarioError(key, "expected true or false, got \"" + t + "\"");
        return t == "true";
      }
      case ParamType::kString:
        return n.IsNull() ? std::string() : scalar_text(n, key);
      case ParamType::kEnum: {
        const std::string t = scalar_text(n, key);
        std::vector<std::string> choices;
        if (p.choices == "@models") {
          for (const ModelInfo& m : model_catalog()) choices.emplace_back(m.name);
        } else {
          std::stringstream ss{std::string(p.choices)};
          for (std::string c; std::getline(ss, c, '|');) choices.push_back(c);
        }
        if (std::find(choices.begin(), choices.end(), t) == choices.end()) {
          std::string list;
          for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
          throw ScenarioError(key, "unknown value \"" + t + "\"" + did_you_mean(t, choices) + "; choose one of: " + list);
        }
        return t;
      }
      case ParamType::kDuration: {
        const std::string t = scalar_text(n, key);
        const sim::Time v = parse_duration(t);
        check_bounds(p, static_cast<double>(v), key, t);
        return std::int64_t{v};
      }
      case ParamType::kBytes: {
        const std::string t = scalar_text(n, key);
        const std::int64_t v = parse_bytes(t);
        check_bounds(p, static_cast<double>(v), key, t);
        return v;
      }
      case ParamType::kRate: {
        const std::string t = scalar_text(n, key);
        const double v = parse_rate(t);
        check_bounds(p, v, key, t);
        return v;
      }
      case ParamType::kFrequency: {
        const std::string t = scalar_text(n, key);
        const double v = parse_frequency(t);
        check_bounds(p, v, key, t);
        return v;
      }
      case ParamType::kCpuSet:
        if (n.IsScalar()) {
          check_bounds(p, parse_number(n, key, true), key, n.Scalar());
          return parse_whole(n, key);
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
  return {};  // lists and maps: the loader builds their typed form
}

// Whether a key with an `only_when` condition applies, given the values resolved so far.
bool applies(const ParamSpec& p, const std::string& key, const std::vector<ResolvedValue>& resolved, std::string* why) {
  if (p.only_when.empty()) return true;
  const auto eq = p.only_when.find('=');
  const std::string sibling(p.only_when.substr(0, eq));
  const std::string allowed(p.only_when.substr(eq + 1));
  const std::string sibling_key = key.substr(0, key.rfind('.') + 1) + sibling;
  // Newest first: the sibling was resolved moments ago, so this stays O(1) with thousands of classes.
  for (auto it = resolved.rbegin(); it != resolved.rend(); ++it) {
    const ResolvedValue& v = *it;
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

}  // namespace gmpsim::models::detail
