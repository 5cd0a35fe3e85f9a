#include "models/workload/program.h"

#include <algorithm>
#include <cmath>

#include "models/scenario/errors.h"
#include "models/scenario/suggest.h"
#include "models/scenario/units.h"

namespace gmpsim::models {
namespace {

std::vector<std::string> map_keys(const YAML::Node& n) {
  std::vector<std::string> keys;
  for (const auto& kv : n) keys.push_back(kv.first.as<std::string>());
  return keys;
}

// Rejects keys of map `n` that are not in `allowed`.
void check_keys(const YAML::Node& n, const std::string& key, const std::vector<std::string>& allowed) {
  for (const std::string& k : map_keys(n)) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ScenarioError(key + "." + k, "unknown key" + did_you_mean(k, allowed) + "; valid keys here: " + list);
    }
  }
}

const YAML::Node required(const YAML::Node& n, const std::string& key, const char* field) {
  const YAML::Node v = n[field];
  if (!v) throw ScenarioError(key, std::string("missing `") + field + "`");
  return v;
}

std::string scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) throw ScenarioError(key, "expected a single value, not a list or map");
  return n.Scalar();
}

double duration_ns(const YAML::Node& n, const std::string& key) {
  try {
    return static_cast<double>(parse_duration(scalar(n, key)));
  } catch (const UnitError& e) {
    throw ScenarioError(key, e.what());
  }
}

double number(const YAML::Node& n, const std::string& key) {
  const std::string s = scalar(n, key);
  try {
    std::size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw ScenarioError(key, "expected a plain number, got \"" + s + "\"");
}

std::int64_t integer(const YAML::Node& n, const std::string& key) {
  const double v = number(n, key);
  if (v != std::floor(v) || std::fabs(v) > 9e18) throw ScenarioError(key, "expected a whole number, got " + n.Scalar());
  return static_cast<std::int64_t>(v);
}

class Compiler {
 public:
  Compiler(std::uint32_t class_index, const std::vector<std::string>& class_names, std::vector<SpanInfo>& spans,
           std::vector<std::string>& waitgroups)
      : class_index_(class_index), class_names_(class_names), spans_(spans), waitgroups_(waitgroups) {}

  Program compile(const YAML::Node& steps, const std::string& key) {
    block(steps, key, 0, 0);
    prog_.ops.push_back({OpCode::kExit});
    return std::move(prog_);
  }

 private:
  void block(const YAML::Node& steps, const std::string& key, int loop_depth, int span_depth) {
    if (steps.IsNull()) return;
    if (!steps.IsSequence()) throw ScenarioError(key, "expected a list of steps, e.g. [{compute: 50us}]");
    for (std::size_t i = 0; i < steps.size(); ++i) step(steps[i], key + "." + std::to_string(i), loop_depth, span_depth);
  }

  void step(const YAML::Node& s, const std::string& key, int loop_depth, int span_depth) {
    static const std::vector<std::string> kSteps = {"compute", "spawn", "repeat", "span", "exit", "gosched",
                                                    "wg_add", "wg_done", "wg_wait", "alloc"};
    if (!s.IsMap() || s.size() != 1) {
      throw ScenarioError(key, "a step is a map with exactly one key, one of: compute, spawn, repeat, span, exit, "
                               "gosched, wg_add, wg_done, wg_wait, alloc");
    }
    const std::string kind = s.begin()->first.as<std::string>();
    const YAML::Node body = s.begin()->second;
    const std::string k = key + "." + kind;
    if (kind == "compute") {
      prog_.dists.push_back(parse_dist(body, k));
      prog_.ops.push_back({OpCode::kCompute, 0, static_cast<std::uint32_t>(prog_.dists.size() - 1)});
    } else if (kind == "spawn") {
      std::string cls;
      std::int64_t count = 1;
      if (body.IsScalar()) {
        cls = body.Scalar();
      } else if (body.IsMap()) {
        check_keys(body, k, {"class", "count"});
        cls = scalar(required(body, k, "class"), k + ".class");
        if (body["count"]) count = integer(body["count"], k + ".count");
        if (count < 1) throw ScenarioError(k + ".count", "must be at least 1");
      } else {
        throw ScenarioError(k, "expected a class name or {class: NAME, count: N}");
      }
      const auto it = std::find(class_names_.begin(), class_names_.end(), cls);
      if (it == class_names_.end()) {
        throw ScenarioError(k, "no goroutine class named `" + cls + "`" + did_you_mean(cls, class_names_) +
                                   "; define it under workload.classes");
      }
      prog_.ops.push_back({OpCode::kSpawn, 0, static_cast<std::uint32_t>(it - class_names_.begin()), count});
    } else if (kind == "repeat") {
      if (!body.IsMap()) throw ScenarioError(k, "expected {count: N or forever, steps: [...]}");
      check_keys(body, k, {"count", "steps"});
      const YAML::Node c = required(body, k, "count");
      std::int64_t count;
      if (c.IsScalar() && c.Scalar() == "forever") {
        count = -1;
      } else {
        count = integer(c, k + ".count");
        if (count < 0) throw ScenarioError(k + ".count", "must be >= 0 or `forever`");
      }
      if (loop_depth >= 255) throw ScenarioError(k, "repeat nested too deeply (limit 255)");
      const auto slot = static_cast<std::uint8_t>(loop_depth);
      prog_.loop_slots = std::max<std::uint8_t>(prog_.loop_slots, static_cast<std::uint8_t>(slot + 1));
      const std::size_t begin = prog_.ops.size();
      prog_.ops.push_back({OpCode::kLoopBegin, slot, 0, count});
      block(required(body, k, "steps"), k + ".steps", loop_depth + 1, span_depth);
      prog_.ops.push_back({OpCode::kLoopEnd, slot, static_cast<std::uint32_t>(begin + 1)});
      prog_.ops[begin].a = static_cast<std::uint32_t>(prog_.ops.size());
    } else if (kind == "span") {
      if (!body.IsMap()) throw ScenarioError(k, "expected {name: NAME, steps: [...]}");
      check_keys(body, k, {"name", "steps"});
      const std::string name = scalar(required(body, k, "name"), k + ".name");
      for (const SpanInfo& sp : spans_) {
        if (sp.name == name) throw ScenarioError(k + ".name", "span `" + name + "` is defined twice; span names must be unique");
      }
      if (span_depth >= 255) throw ScenarioError(k, "span nested too deeply (limit 255)");
      const auto slot = static_cast<std::uint8_t>(span_depth);
      prog_.span_slots = std::max<std::uint8_t>(prog_.span_slots, static_cast<std::uint8_t>(slot + 1));
      spans_.push_back({name, class_index_});
      const auto id = static_cast<std::uint32_t>(spans_.size() - 1);
      prog_.ops.push_back({OpCode::kSpanBegin, slot, id});
      block(required(body, k, "steps"), k + ".steps", loop_depth, span_depth + 1);
      prog_.ops.push_back({OpCode::kSpanEnd, slot, id});
    } else if (kind == "gosched") {
      if (!(body.IsNull() || (body.IsScalar() && body.Scalar() == "true"))) throw ScenarioError(k, "write `gosched: true`");
      prog_.ops.push_back({OpCode::kGosched});
    } else if (kind == "wg_add") {
      if (!body.IsMap()) throw ScenarioError(k, "expected {wg: NAME, n: N}");
      check_keys(body, k, {"wg", "n"});
      const std::int64_t n = integer(required(body, k, "n"), k + ".n");
      if (n == 0) throw ScenarioError(k + ".n", "must not be 0");
      prog_.ops.push_back({OpCode::kWgAdd, 0, waitgroup(scalar(required(body, k, "wg"), k + ".wg"), k + ".wg"), n});
    } else if (kind == "wg_done") {
      prog_.ops.push_back({OpCode::kWgAdd, 0, waitgroup(scalar(body, k), k), -1});
    } else if (kind == "wg_wait") {
      prog_.ops.push_back({OpCode::kWgWait, 0, waitgroup(scalar(body, k), k)});
    } else if (kind == "alloc") {
      std::int64_t bytes = 0;
      try {
        bytes = parse_bytes(scalar(body, k));
      } catch (const UnitError& e) {
        throw ScenarioError(k, e.what());
      }
      if (bytes <= 0) throw ScenarioError(k, "must be a positive size, e.g. 4KiB");
      prog_.ops.push_back({OpCode::kAlloc, 0, 0, bytes});
    } else if (kind == "exit") {
      if (!(body.IsNull() || (body.IsScalar() && body.Scalar() == "true") || (body.IsMap() && body.size() == 0))) {
        throw ScenarioError(k, "write `exit: true`");
      }
      prog_.ops.push_back({OpCode::kExit});
    } else {
      throw ScenarioError(k, "unknown step" + did_you_mean(kind, kSteps) +
                                 "; steps are compute, spawn, repeat, span, exit, gosched, wg_add, wg_done, wg_wait, alloc");
    }
  }

  std::uint32_t waitgroup(const std::string& name, const std::string& key) {
    if (name.empty()) throw ScenarioError(key, "a WaitGroup needs a name");
    const auto it = std::find(waitgroups_.begin(), waitgroups_.end(), name);
    if (it != waitgroups_.end()) return static_cast<std::uint32_t>(it - waitgroups_.begin());
    waitgroups_.push_back(name);
    return static_cast<std::uint32_t>(waitgroups_.size() - 1);
  }

  std::uint32_t class_index_;
  const std::vector<std::string>& class_names_;
  std::vector<SpanInfo>& spans_;
  std::vector<std::string>& waitgroups_;
  Program prog_;
};

}  // namespace

int Workload::find_class(std::string_view name) const {
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

sim::Dist parse_dist(const YAML::Node& node, const std::string& key) {
  if (!node || node.IsNull()) throw ScenarioError(key, "missing distribution; write a duration like 50us or {dist: exponential, mean: 1ms}");
  if (node.IsScalar()) return sim::Dist::constant(duration_ns(node, key));
  if (!node.IsMap()) throw ScenarioError(key, "expected a duration or a map {dist: KIND, ...}");
  static const std::vector<std::string> kKinds = {"constant", "exponential", "uniform", "normal", "lognormal",
                                                  "gamma", "erlang", "pareto", "mixture", "empirical"};
  const std::string kind = scalar(required(node, key, "dist"), key + ".dist");
  auto dur = [&](const char* f) { return duration_ns(required(node, key, f), key + "." + f); };
  auto num = [&](const char* f) { return number(required(node, key, f), key + "." + f); };
  try {
    if (kind == "constant") {
      check_keys(node, key, {"dist", "value"});
      return sim::Dist::constant(dur("value"));
    }
    if (kind == "exponential") {
      check_keys(node, key, {"dist", "mean"});
      return sim::Dist::exponential(dur("mean"));
    }
    if (kind == "uniform") {
      check_keys(node, key, {"dist", "low", "high"});
      return sim::Dist::uniform(dur("low"), dur("high"));
    }
    if (kind == "normal") {
      check_keys(node, key, {"dist", "mean", "stddev"});
      return sim::Dist::normal(dur("mean"), dur("stddev"));
    }
    if (kind == "lognormal") {
      if (node["cv"]) {
        check_keys(node, key, {"dist", "mean", "cv"});
        return sim::Dist::lognormal_mean_cv(dur("mean"), num("cv"));
      }
      check_keys(node, key, {"dist", "median", "sigma"});
      return sim::Dist::lognormal(dur("median"), num("sigma"));
    }
    if (kind == "gamma") {
      check_keys(node, key, {"dist", "shape", "scale"});
      return sim::Dist::gamma(num("shape"), dur("scale"));
    }
    if (kind == "erlang") {
      check_keys(node, key, {"dist", "k", "mean"});
      return sim::Dist::erlang(static_cast<int>(integer(required(node, key, "k"), key + ".k")), dur("mean"));
    }
    if (kind == "pareto") {
      check_keys(node, key, {"dist", "scale", "alpha"});
      return sim::Dist::pareto(dur("scale"), num("alpha"));
    }
    if (kind == "mixture") {
      check_keys(node, key, {"dist", "of"});
      const YAML::Node of = required(node, key, "of");
      if (!of.IsSequence() || of.size() == 0) throw ScenarioError(key + ".of", "expected a non-empty list of {weight: W, dist: ...}");
      std::vector<sim::Dist> comps;
      std::vector<double> weights;
      for (std::size_t i = 0; i < of.size(); ++i) {
        const std::string ik = key + ".of." + std::to_string(i);
        if (!of[i].IsMap()) throw ScenarioError(ik, "expected {weight: W, dist: ...}");
        // A component is a weight plus either a nested `dist` map/duration or inline dist keys.
        YAML::Node comp = YAML::Clone(of[i]);
        weights.push_back(number(required(of[i], ik, "weight"), ik + ".weight"));
        comp.remove("weight");
        const YAML::Node inner = comp["dist"];
        if (comp.size() == 1 && inner && (inner.IsMap() || (inner.IsScalar() && !std::isalpha(static_cast<unsigned char>(inner.Scalar()[0]))))) {
          comps.push_back(parse_dist(inner, ik + ".dist"));
        } else {
          comps.push_back(parse_dist(comp, ik));
        }
      }
      return sim::Dist::mixture(std::move(comps), std::move(weights));
    }
    if (kind == "empirical") {
      check_keys(node, key, {"dist", "points"});
      const YAML::Node pts = required(node, key, "points");
      if (!pts.IsSequence()) throw ScenarioError(key + ".points", "expected a list of [duration, cumulative probability]");
      std::vector<std::pair<double, double>> points;
      for (std::size_t i = 0; i < pts.size(); ++i) {
        const std::string ik = key + ".points." + std::to_string(i);
        if (!pts[i].IsSequence() || pts[i].size() != 2) throw ScenarioError(ik, "expected [duration, cumulative probability]");
        points.emplace_back(duration_ns(pts[i][0], ik + ".0"), number(pts[i][1], ik + ".1"));
      }
      return sim::Dist::empirical(std::move(points));
    }
  } catch (const std::invalid_argument& e) {  // a Dist factory rejected a parameter value
    throw ScenarioError(key, e.what());
  }
  throw ScenarioError(key + ".dist", "unknown distribution `" + kind + "`" + did_you_mean(kind, kKinds) +
                                         "; one of constant, exponential, uniform, normal, lognormal, gamma, erlang, pareto, mixture, empirical");
}

Program compile_program(const YAML::Node& steps, const std::string& key, std::uint32_t class_index,
                        const std::vector<std::string>& class_names, std::vector<SpanInfo>& spans,
                        std::vector<std::string>& waitgroups) {
  return Compiler(class_index, class_names, spans, waitgroups).compile(steps, key);
}

}  // namespace gmpsim::models
