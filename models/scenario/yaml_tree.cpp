// Dotted keys on a YAML tree: lookup without modifying it, --set assignment, parsing with the line and
// column of a syntax error, and YAML -> JSON with YAML 1.2 core-schema scalars.
#include <algorithm>
#include <cctype>
#include <limits>
#include <sstream>
#include <unordered_set>

#include <yaml-cpp/depthguard.h>

#include "models/scenario/resolve.h"

namespace gmpsim::models {
namespace detail {
namespace {

// A list index of at most 9 digits (no list in a scenario is longer): a longer run of digits is an index
// past the end, never a number stoul cannot hold.
bool parse_index(const std::string& seg, std::size_t& index) {
  if (seg.empty() || !std::all_of(seg.begin(), seg.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
  index = seg.size() > 9 ? std::numeric_limits<std::size_t>::max() : std::stoul(seg);
  return true;
}

// Walks a parsed tree once, through aliases, and refuses what would make any later walk crash or blow
// up: an alias that refers to a node containing it (a cycle: every recursive walk overflows the stack),
// a tree that aliases expand past kMaxYamlNodes (the "billion laughs" bomb: a kilobyte of text that is
// gigabytes once expanded), nesting past kMaxYamlDepth, scalars past kMaxYamlScalar, keys that are not
// scalars (`? [a, b]`), and a key given twice in one map (yaml-cpp would silently keep the first).
class TreeGuard {
 public:
  explicit TreeGuard(std::string source) : source_(std::move(source)) {}

  void walk(const YAML::Node& n, const std::string& path) {
    if (++nodes_ > kMaxYamlNodes) {
      fail(path, "expands to more than " + std::to_string(kMaxYamlNodes) +
                     " nodes (aliases repeating aliases?); write the scenario out without nested aliases");
    }
    if (stack_.size() >= kMaxYamlDepth) fail(path, "nested deeper than " + std::to_string(kMaxYamlDepth) + " levels");
    for (const YAML::Node& up : stack_) {
      if (up.is(n)) fail(path, "an alias refers to a node that contains it, so the value would be infinite; copy the steps instead");
    }
    if (n.IsScalar()) {
      if (n.Scalar().size() > kMaxYamlScalar) {
        fail(path, "a value of " + std::to_string(n.Scalar().size()) + " characters; values are at most " +
                       std::to_string(kMaxYamlScalar) + " (arrival traces go in a file: arrivals.file)");
      }
      return;
    }
    if (!n.IsMap() && !n.IsSequence()) return;
    stack_.push_back(n);
    if (n.IsSequence()) {
      std::size_t i = 0;
      for (const YAML::Node& item : n) walk(item, join(path, std::to_string(i++)));
    } else {
      std::unordered_set<std::string> keys;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) fail(path, "a key that is a list or map (`? [a, b]`); keys are names");
        const std::string& k = kv.first.Scalar();
        if (!keys.insert(k).second) fail(join(path, k), "given twice in the same map; keep one (YAML allows each key once)");
        walk(kv.second, join(path, k));
      }
    }
    stack_.pop_back();
  }

 private:
  static std::string join(const std::string& path, const std::string& seg) { return path.empty() ? seg : path + "." + seg; }
  [[noreturn]] void fail(const std::string& path, const std::string& why) const {
    throw ScenarioError(path.empty() ? source_ : path, why);
  }

  std::string source_;
  std::vector<YAML::Node> stack_;
  std::size_t nodes_ = 0;
};

}  // namespace

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

YAML::Node parse_yaml(const std::string& text, const std::string& source, const std::string& key) {
  if (text.size() > kMaxYamlBytes) {
    throw ScenarioError(key, source + " holds " + std::to_string(text.size()) + " bytes; a scenario is at most " +
                                 std::to_string(kMaxYamlBytes >> 20) + " MiB");
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw ScenarioError(key, source + ":" + std::to_string(e.mark.line + 1) + ": nested deeper than yaml-cpp's limit of " +
                                 std::to_string(e.depth()) + " levels; a scenario needs a few dozen at most");
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << source << ":" << (e.mark.line + 1) << ":" << (e.mark.column + 1) << ": YAML syntax error: " << e.msg;
    throw ScenarioError(key, os.str());
  }
  guard_yaml(doc, source, key);
  return doc;
}

void guard_yaml(const YAML::Node& doc, const std::string& source, const std::string& key) {
  TreeGuard(key.empty() ? source : key).walk(doc, key);
}

}  // namespace detail

namespace {

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

}  // namespace gmpsim::models
