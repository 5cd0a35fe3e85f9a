// Rejects every key of a scenario tree that the parameter table does not describe, suggesting the key the
// user probably meant (a typo in a section name is caught too).
#include <algorithm>
#include <cctype>

#include "models/input/suggest.h"
#include "models/scenario/resolve.h"

namespace gmpsim::models::detail {
namespace {

bool is_prefix_of_param(const std::string& pattern) {
  for (const ParamSpec& p : param_table()) {
    if (p.key.size() > pattern.size() && p.key.substr(0, pattern.size()) == pattern && p.key[pattern.size()] == '.') return true;
  }
  return false;
}

// Concrete keys that a user could have meant at `key`'s level, for suggestions.
std::vector<std::string> candidate_keys(const std::string& key) {
  // The named level (a class, a process) the key is under, and the table's prefix for it.
  std::string name, prefix;
  for (std::string_view pre : {kClassesPrefix, kProcessesPrefix}) {
    if (key.rfind(pre, 0) == 0) {
      const std::string rest = key.substr(pre.size());
      name = rest.substr(0, rest.find('.'));
      prefix = pre;
    }
  }
  std::vector<std::string> out;
  for (const ParamSpec& p : param_table()) {
    std::string k(p.key);
    if (const auto star = k.find('*'); star != std::string::npos) {
      if (name.empty() || k.rfind(prefix, 0) != 0) continue;
      const std::string& cls = name;
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

}  // namespace

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
    if (path == "machine.processes" && !valid_class_name(name)) {
      throw ScenarioError(key, "process names start with a letter or _ and contain letters, digits, _ and -");
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

}  // namespace gmpsim::models::detail
