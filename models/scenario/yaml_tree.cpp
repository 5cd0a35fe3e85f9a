// Dotted keys on a YAML tree: lookup without modifying it, --set assignment, parsing with the line and
// column of a syntax error, and YAML -> JSON with YAML 1.2 core-schema scalars.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "models/scenario/resolve.h"

namespace gmpsim::models {
namespace detail {
namespace {

bool parse_index(const std::string& seg, std::size_t& index) {
  if (seg.empty() || !std::all_of(seg.begin(), seg.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
  index = std::stoul(seg);
  return true;
}

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

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << source << ":" << (e.mark.line + 1) << ":" << (e.mark.column + 1) << ": YAML syntax error: " << e.msg;
    throw ScenarioError("", os.str());
  }
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
