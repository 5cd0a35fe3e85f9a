#include "models/workload/program.h"

#include <algorithm>
#include <cmath>

#include "models/input/errors.h"
#include "models/input/suggest.h"
#include "models/input/units.h"

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

const std::vector<std::string> kSteps = {"compute", "spawn", "repeat", "span", "exit", "gosched", "wg_add",
                                         "wg_done", "wg_wait", "alloc", "stack", "make", "send", "recv",
                                         "close", "select", "lock", "unlock", "sleep", "net_wait",
                                         "tight_loop", "syscall", "cgo", "lock_thread", "unlock_thread", "gc",
                                         "touch", "file_read", "file_write"};

std::string step_list() {
  std::string list;
  for (const auto& s : kSteps) list += (list.empty() ? "" : ", ") + s;
  return list;
}

bool is_true_flag(const YAML::Node& body) {
  return body.IsNull() || (body.IsScalar() && body.Scalar() == "true") || (body.IsMap() && body.size() == 0);
}

class Compiler {
 public:
  Compiler(std::uint32_t class_index, const std::vector<std::string>& class_names, Workload& wl, const MadeNames& made)
      : class_index_(class_index), class_names_(class_names), wl_(wl), made_(made) {}

  Program compile(const YAML::Node& steps, const std::string& key) {
    block(steps, key, 0, 0);
    prog_.ops.push_back({OpCode::kExit});
    // Local objects live after the loop and span slots, which are known only now: nothing to patch,
    // ops refer to locals by index.
    return std::move(prog_);
  }

 private:
  void block(const YAML::Node& steps, const std::string& key, int loop_depth, int span_depth) {
    if (steps.IsNull()) return;
    if (!steps.IsSequence()) throw ScenarioError(key, "expected a list of steps, e.g. [{compute: 50us}]");
    for (std::size_t i = 0; i < steps.size(); ++i) step(steps[i], key + "." + std::to_string(i), loop_depth, span_depth);
  }

  void step(const YAML::Node& s, const std::string& key, int loop_depth, int span_depth) {
    if (!s.IsMap() || s.size() != 1) throw ScenarioError(key, "a step is a map with exactly one key, one of: " + step_list());
    const std::string kind = s.begin()->first.as<std::string>();
    const YAML::Node body = s.begin()->second;
    const std::string k = key + "." + kind;
    if (kind == "compute") {
      if (body.IsMap() && body["memory"]) {  // {time: DIST, memory: {stall, data, working_set}}
        check_keys(body, k, {"time", "memory"});
        const std::uint32_t d = dist(required(body, k, "time"), k + ".time");
        prog_.ops.push_back({OpCode::kCompute, 0, d, 1 + memory(body["memory"], k + ".memory")});
      } else {
        prog_.ops.push_back({OpCode::kCompute, 0, dist(body, k)});
      }
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
      for (const SpanInfo& sp : wl_.spans) {
        if (sp.name == name) throw ScenarioError(k + ".name", "span `" + name + "` is defined twice; span names must be unique");
      }
      if (span_depth >= 255) throw ScenarioError(k, "span nested too deeply (limit 255)");
      const auto slot = static_cast<std::uint8_t>(span_depth);
      prog_.span_slots = std::max<std::uint8_t>(prog_.span_slots, static_cast<std::uint8_t>(slot + 1));
      wl_.spans.push_back({name, class_index_});
      const auto id = static_cast<std::uint32_t>(wl_.spans.size() - 1);
      prog_.ops.push_back({OpCode::kSpanBegin, slot, id});
      block(required(body, k, "steps"), k + ".steps", loop_depth, span_depth + 1);
      prog_.ops.push_back({OpCode::kSpanEnd, slot, id});
    } else if (kind == "gosched") {
      if (!is_true_flag(body)) throw ScenarioError(k, "write `gosched: true`");
      prog_.ops.push_back({OpCode::kGosched});
    } else if (kind == "wg_add") {
      if (!body.IsMap()) throw ScenarioError(k, "expected {wg: NAME, n: N}");
      check_keys(body, k, {"wg", "n"});
      const std::int64_t n = integer(required(body, k, "n"), k + ".n");
      if (n == 0) throw ScenarioError(k + ".n", "must not be 0");
      object_op(OpCode::kWgAdd, ObjKind::kWaitGroup, scalar(required(body, k, "wg"), k + ".wg"), k + ".wg", n);
    } else if (kind == "wg_done") {
      object_op(OpCode::kWgAdd, ObjKind::kWaitGroup, scalar(body, k), k, -1);
    } else if (kind == "wg_wait") {
      object_op(OpCode::kWgWait, ObjKind::kWaitGroup, scalar(body, k), k);
    } else if (kind == "alloc" && body.IsMap()) {
      alloc(body, k, span_depth);
    } else if (kind == "gc") {
      if (!is_true_flag(body)) throw ScenarioError(k, "write `gc: true`");
      prog_.ops.push_back({OpCode::kGc});
    } else if (kind == "touch" || kind == "file_read" || kind == "file_write") {
      std::int64_t bytes = 0;
      try {
        bytes = parse_bytes(scalar(body, k));
      } catch (const UnitError& e) {
        throw ScenarioError(k, e.what());
      }
      if (bytes <= 0) throw ScenarioError(k, "must be a positive size, e.g. 64KiB");
      const OpCode code = kind == "touch" ? OpCode::kTouch : kind == "file_read" ? OpCode::kFileRead : OpCode::kFileWrite;
      prog_.ops.push_back({code, 0, 0, bytes});
    } else if (kind == "alloc" || kind == "stack") {
      std::int64_t bytes = 0;
      try {
        bytes = parse_bytes(scalar(body, k));
      } catch (const UnitError& e) {
        throw ScenarioError(k, e.what());
      }
      if (bytes <= 0) throw ScenarioError(k, "must be a positive size, e.g. 4KiB");
      // runtime/proc.go: maxstacksize = 1e9 on 64-bit; deeper stacks are a fatal "stack overflow".
      if (kind == "stack" && bytes > 1'000'000'000) throw ScenarioError(k, "exceeds Go's 1 GB maximum stack (maxstacksize)");
      if (kind == "stack") {
        prog_.ops.push_back({OpCode::kStack, 0, 0, bytes});
        prog_.declares_stack = true;
      } else {
        prog_.allocs.push_back({bytes, 1, AllocSpec::Lives::kExit, 0});
        prog_.ops.push_back({OpCode::kAlloc, 0, static_cast<std::uint32_t>(prog_.allocs.size() - 1), bytes});
      }
    } else if (kind == "make") {
      make(body, k);
    } else if (kind == "send" || kind == "recv" || kind == "close") {
      const OpCode code = kind == "send" ? OpCode::kSend : kind == "recv" ? OpCode::kRecv : OpCode::kClose;
      object_op(code, ObjKind::kChannel, scalar(body, k), k);
    } else if (kind == "lock" || kind == "unlock") {
      object_op(kind == "lock" ? OpCode::kLock : OpCode::kUnlock, ObjKind::kMutex, scalar(body, k), k);
    } else if (kind == "sleep" || kind == "net_wait") {
      prog_.ops.push_back({kind == "sleep" ? OpCode::kSleep : OpCode::kNetWait, 0, dist(body, k)});
    } else if (kind == "select") {
      select(body, k, loop_depth, span_depth);
    } else if (kind == "tight_loop") {
      prog_.ops.push_back({OpCode::kTightLoop, 0, dist(body, k)});
    } else if (kind == "cgo") {
      prog_.ops.push_back({OpCode::kSyscall, static_cast<std::uint8_t>(SyscallKind::kCgo), dist(body, k)});
    } else if (kind == "syscall") {
      SyscallKind sk = SyscallKind::kBlocking;
      if (body.IsMap() && body["kind"]) {
        const std::string how = scalar(body["kind"], k + ".kind");
        if (how == "blocking") sk = SyscallKind::kBlocking;
        else if (how == "known_blocking") sk = SyscallKind::kKnownBlocking;
        else if (how == "raw") sk = SyscallKind::kRaw;
        else throw ScenarioError(k + ".kind", "unknown syscall kind `" + how + "`" + did_you_mean(how, {"blocking", "known_blocking", "raw"}) +
                                               "; one of blocking (entersyscall), known_blocking (entersyscallblock), raw (RawSyscall)");
        // The rest of the map is the duration's distribution; a constant is written {value: D}.
        YAML::Node d = YAML::Clone(body);
        d.remove("kind");
        if (d.size() == 1 && d["value"]) {
          prog_.dists.push_back(parse_dist(d["value"], k + ".value"));
        } else {
          prog_.dists.push_back(parse_dist(d, k));
        }
        prog_.ops.push_back({OpCode::kSyscall, static_cast<std::uint8_t>(sk), static_cast<std::uint32_t>(prog_.dists.size() - 1)});
      } else {
        prog_.ops.push_back({OpCode::kSyscall, static_cast<std::uint8_t>(sk), dist(body, k)});
      }

    } else if (kind == "lock_thread" || kind == "unlock_thread") {
      if (!is_true_flag(body)) throw ScenarioError(k, "write `" + kind + ": true`");
      prog_.ops.push_back({kind == "lock_thread" ? OpCode::kLockThread : OpCode::kUnlockThread});
    } else if (kind == "exit") {
      if (!is_true_flag(body)) throw ScenarioError(k, "write `exit: true`");
      prog_.ops.push_back({OpCode::kExit});
    } else {
      throw ScenarioError(k, "unknown step" + did_you_mean(kind, kSteps) + "; steps are " + step_list());
    }
  }

  std::uint32_t dist(const YAML::Node& body, const std::string& k) {
    prog_.dists.push_back(parse_dist(body, k));
    return static_cast<std::uint32_t>(prog_.dists.size() - 1);
  }

  // memory: {stall: 0..1, data: heap | stack, working_set: SIZE}
  std::int64_t memory(const YAML::Node& body, const std::string& k) {
    if (!body.IsMap()) throw ScenarioError(k, "expected {stall: 0.3, data: heap, working_set: 64KiB}");
    check_keys(body, k, {"stall", "data", "working_set"});
    MemorySpec m;
    const std::string stall = scalar(required(body, k, "stall"), k + ".stall");
    try {
      std::size_t pos = 0;
      m.stall = std::stod(stall, &pos);
      if (pos != stall.size()) throw std::invalid_argument(stall);
    } catch (const std::logic_error&) {
      throw ScenarioError(k + ".stall", "expected the fraction of the step's time spent waiting for memory, 0 to 1, not \"" + stall + "\"");
    }
    if (!(m.stall >= 0 && m.stall <= 1)) throw ScenarioError(k + ".stall", "must be between 0 and 1 (a fraction of the step's time), not " + stall);
    if (body["data"]) {
      const std::string d = scalar(body["data"], k + ".data");
      if (d == "heap") {
        m.data = MemorySpec::Data::kHeap;
      } else if (d == "stack") {
        m.data = MemorySpec::Data::kStack;
      } else {
        throw ScenarioError(k + ".data", "expected heap (the process's heap, placed as it grew) or stack (the goroutine's own), not \"" + d + "\"");
      }
    }
    if (body["working_set"]) {
      try {
        m.working_set = parse_bytes(scalar(body["working_set"], k + ".working_set"));
      } catch (const UnitError& e) {
        throw ScenarioError(k + ".working_set", e.what());
      }
    }
    prog_.memory.push_back(m);
    return static_cast<std::int64_t>(prog_.memory.size() - 1);
  }

  // alloc: {size: S, count: N, lives: exit | span | forever | DIST}
  void alloc(const YAML::Node& body, const std::string& k, int span_depth) {
    check_keys(body, k, {"size", "count", "lives"});
    AllocSpec a;
    std::int64_t size = 0;
    try {
      size = parse_bytes(scalar(required(body, k, "size"), k + ".size"));
    } catch (const UnitError& e) {
      throw ScenarioError(k + ".size", e.what());
    }
    if (size <= 0) throw ScenarioError(k + ".size", "must be a positive size, e.g. 1KiB");
    std::int64_t count = 1;
    if (body["count"]) count = integer(body["count"], k + ".count");
    if (count < 1 || count > 0xffffffffLL) throw ScenarioError(k + ".count", "must be between 1 and 4294967295 objects");
    if (size > (std::int64_t{1} << 50) / count) throw ScenarioError(k, "size x count exceeds 1 PiB");
    a.objects = static_cast<std::uint32_t>(count);
    a.bytes = size * count;
    if (const YAML::Node l = body["lives"]) {
      const std::string v = l.IsScalar() ? l.Scalar() : "";
      if (v == "exit") {
        a.lives = AllocSpec::Lives::kExit;
      } else if (v == "forever") {
        a.lives = AllocSpec::Lives::kForever;
      } else if (v == "span") {
        if (span_depth == 0) {
          throw ScenarioError(k + ".lives", "`span` frees the objects when the enclosing span ends, but this alloc step is in no span: put it inside a `span: {name: ..., steps: [...]}` step, or use exit, forever or a duration");
        }
        a.lives = AllocSpec::Lives::kSpan;
        a.span_slot = static_cast<std::uint8_t>(span_depth - 1);
      } else {
        a.lives = AllocSpec::Lives::kFor;
        a.dist = dist(l, k + ".lives");
      }
    }
    prog_.allocs.push_back(a);
    prog_.ops.push_back({OpCode::kAlloc, 0, static_cast<std::uint32_t>(prog_.allocs.size() - 1), a.bytes});
  }

  // make: {chan: C, capacity: N} | {mutex: M} | {wg: W}
  void make(const YAML::Node& body, const std::string& k) {
    if (!body.IsMap()) throw ScenarioError(k, "expected {chan: NAME, capacity: N}, {mutex: NAME} or {wg: NAME}");
    ObjKind kind;
    std::string field;
    if (body["chan"]) {
      check_keys(body, k, {"chan", "capacity"});
      kind = ObjKind::kChannel, field = "chan";
    } else if (body["mutex"]) {
      check_keys(body, k, {"mutex"});
      kind = ObjKind::kMutex, field = "mutex";
    } else if (body["wg"]) {
      check_keys(body, k, {"wg"});
      kind = ObjKind::kWaitGroup, field = "wg";
    } else {
      throw ScenarioError(k, "name what to make: {chan: NAME, capacity: N}, {mutex: NAME} or {wg: NAME}");
    }
    const std::string name = scalar(body[field], k + "." + field);
    std::int64_t capacity = 0;
    if (body["capacity"]) {
      capacity = integer(body["capacity"], k + ".capacity");
      if (capacity < 0) throw ScenarioError(k + ".capacity", "must be >= 0 (0 is an unbuffered channel)");
    }
    if (kind == ObjKind::kChannel) {
      for (const GlobalChannel& c : wl_.channels) {
        if (c.name == name) throw ScenarioError(k + ".chan", "`" + name + "` is a global channel (workload.channels); give the local one another name");
      }
    }
    prog_.ops.push_back({OpCode::kMake, static_cast<std::uint8_t>(kind), local(kind, name), capacity});
  }

  // select: a list of cases {recv: C, steps: [...]}, {send: C, steps: [...]}, {default: [...]}. Compiled as
  // kSelect, then each case body followed by a jump to the end.
  void select(const YAML::Node& body, const std::string& k, int loop_depth, int span_depth) {
    if (!body.IsSequence() || body.size() == 0) {
      throw ScenarioError(k, "expected a list of cases, e.g. [{recv: jobs, steps: [...]}, {send: out}, {default: []}]");
    }
    const auto index = static_cast<std::uint32_t>(prog_.selects.size());
    prog_.selects.emplace_back();
    prog_.ops.push_back({OpCode::kSelect, 0, index});
    std::vector<SelectCase> cases;
    std::vector<std::size_t> jumps;
    for (std::size_t i = 0; i < body.size(); ++i) {
      const std::string ck = k + "." + std::to_string(i);
      const YAML::Node c = body[i];
      if (!c.IsMap()) throw ScenarioError(ck, "a case is a map: {recv: C, steps: [...]}, {send: C} or {default: [...]}");
      SelectCase sc{};
      // Never assign one YAML::Node to another here: assignment rewrites the node referred to.
      const YAML::Node none;
      auto body_of = [&](const char* field) -> const YAML::Node {
        const YAML::Node b = c[field];
        return b && !is_true_flag(b) ? b : none;
      };
      const YAML::Node steps = c["default"] ? body_of("default") : body_of("steps");
      if (c["default"]) {
        check_keys(c, ck, {"default"});
        for (const SelectCase& other : cases) {
          if (other.kind == SelectCase::Kind::kDefault) throw ScenarioError(ck, "a select has at most one default case");
        }
        sc.kind = SelectCase::Kind::kDefault;
      } else {
        check_keys(c, ck, {"recv", "send", "steps"});
        const bool recv = static_cast<bool>(c["recv"]);
        if (recv == static_cast<bool>(c["send"])) throw ScenarioError(ck, "a case has exactly one of recv: C or send: C");
        const char* field = recv ? "recv" : "send";
        sc.kind = recv ? SelectCase::Kind::kRecv : SelectCase::Kind::kSend;
        const Ref r = ref(ObjKind::kChannel, scalar(c[field], ck + "." + field), ck + "." + field);
        sc.local = r.local;
        sc.obj = r.index;
      }
      sc.body = static_cast<std::uint32_t>(prog_.ops.size());
      block(steps, ck + ".steps", loop_depth, span_depth);
      jumps.push_back(prog_.ops.size());
      prog_.ops.push_back({OpCode::kJump});
      cases.push_back(sc);
    }
    for (std::size_t j : jumps) prog_.ops[j].a = static_cast<std::uint32_t>(prog_.ops.size());
    prog_.selects[index].cases = std::move(cases);
  }

  struct Ref {
    bool local;
    std::uint32_t index;
  };

  Ref ref(ObjKind kind, const std::string& name, const std::string& key) {
    if (name.empty()) throw ScenarioError(key, std::string("a ") + obj_kind_name(kind) + " needs a name");
    const auto& made = made_.of[static_cast<int>(kind)];
    if (std::find(made.begin(), made.end(), name) != made.end()) return {true, local(kind, name)};
    switch (kind) {
      case ObjKind::kChannel:
        for (std::size_t i = 0; i < wl_.channels.size(); ++i) {
          if (wl_.channels[i].name == name) return {false, static_cast<std::uint32_t>(i)};
        }
        {
          std::vector<std::string> known = made;
          for (const GlobalChannel& c : wl_.channels) known.push_back(c.name);
          throw ScenarioError(key, "no channel named `" + name + "`" + did_you_mean(name, known) +
                                       "; declare it under workload.channels ({" + name +
                                       ": CAPACITY}) or create it with a step {make: {chan: " + name + "}}");
        }
      case ObjKind::kWaitGroup: return {false, global(wl_.waitgroups, name)};
      case ObjKind::kMutex: return {false, global(wl_.mutexes, name)};
    }
    return {false, 0};
  }

  void object_op(OpCode code, ObjKind kind, const std::string& name, const std::string& key, std::int64_t count = 0) {
    const Ref r = ref(kind, name, key);
    prog_.ops.push_back({code, static_cast<std::uint8_t>(r.local ? 1 : 0), r.index, count});
  }

  std::uint32_t local(ObjKind kind, const std::string& name) {
    for (std::size_t i = 0; i < prog_.locals.size(); ++i) {
      if (prog_.locals[i].kind == kind && prog_.locals[i].name == name) return static_cast<std::uint32_t>(i);
    }
    prog_.locals.push_back({kind, name});
    return static_cast<std::uint32_t>(prog_.locals.size() - 1);
  }

  static std::uint32_t global(std::vector<std::string>& names, const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<std::uint32_t>(it - names.begin());
    names.push_back(name);
    return static_cast<std::uint32_t>(names.size() - 1);
  }

  std::uint32_t class_index_;
  const std::vector<std::string>& class_names_;
  Workload& wl_;
  const MadeNames& made_;
  Program prog_;
};

void collect_made(const YAML::Node& n, MadeNames& out) {
  if (n.IsSequence()) {
    for (const auto& item : n) collect_made(item, out);
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (kv.first.IsScalar() && kv.first.Scalar() == "make" && kv.second.IsMap()) {
        const char* fields[3] = {"wg", "chan", "mutex"};
        for (int kind = 0; kind < 3; ++kind) {
          const YAML::Node v = kv.second[fields[kind]];
          if (v && v.IsScalar()) {
            auto& list = out.of[kind];
            if (std::find(list.begin(), list.end(), v.Scalar()) == list.end()) list.push_back(v.Scalar());
          }
        }
      } else {
        collect_made(kv.second, out);
      }
    }
  }
}

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
      // Three forms: points of the CDF, the samples themselves, or a histogram of them.
      const int forms = (node["points"] ? 1 : 0) + (node["samples"] ? 1 : 0) + (node["histogram"] ? 1 : 0);
      if (forms != 1) {
        throw ScenarioError(key, "an empirical distribution needs exactly one of points: [[duration, cumulative probability], ...], "
                                 "samples: [duration, ...] or histogram: {edges: [duration, ...], counts: [n, ...]}");
      }
      if (node["samples"]) {
        check_keys(node, key, {"dist", "samples"});
        const YAML::Node smp = node["samples"];
        if (!smp.IsSequence() || smp.size() == 0) throw ScenarioError(key + ".samples", "expected a non-empty list of durations, e.g. [12us, 15us, 40us]");
        std::vector<double> samples;
        for (std::size_t i = 0; i < smp.size(); ++i) samples.push_back(duration_ns(smp[i], key + ".samples." + std::to_string(i)));
        return sim::Dist::empirical_samples(std::move(samples));
      }
      if (node["histogram"]) {
        check_keys(node, key, {"dist", "histogram"});
        const YAML::Node h = node["histogram"];
        const std::string hk = key + ".histogram";
        if (!h.IsMap()) throw ScenarioError(hk, "expected {edges: [duration, ...], counts: [n, ...]}");
        check_keys(h, hk, {"edges", "counts"});
        const YAML::Node edges = required(h, hk, "edges"), counts = required(h, hk, "counts");
        if (!edges.IsSequence()) throw ScenarioError(hk + ".edges", "expected a list of bucket edges as durations, e.g. [0us, 10us, 50us]");
        if (!counts.IsSequence()) throw ScenarioError(hk + ".counts", "expected a list of counts, one per bucket (one fewer than the edges)");
        std::vector<double> e, c;
        for (std::size_t i = 0; i < edges.size(); ++i) e.push_back(duration_ns(edges[i], hk + ".edges." + std::to_string(i)));
        for (std::size_t i = 0; i < counts.size(); ++i) c.push_back(number(counts[i], hk + ".counts." + std::to_string(i)));
        try {
          return sim::Dist::empirical_histogram(e, c);
        } catch (const std::invalid_argument& err) {
          throw ScenarioError(hk, err.what());
        }
      }
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

const char* obj_kind_name(ObjKind k) {
  switch (k) {
    case ObjKind::kWaitGroup: return "WaitGroup";
    case ObjKind::kChannel: return "channel";
    case ObjKind::kMutex: return "mutex";
  }
  return "?";
}

bool Program::has(OpCode code) const {
  return std::any_of(ops.begin(), ops.end(), [&](const Op& op) { return op.code == code; });
}

std::string Workload::first_unsupported(bool (*supported)(OpCode)) const {
  static const char* kNames[] = {"compute", "spawn", "repeat", "repeat", "span", "span", "exit", "gosched",
                                 "wg_add", "wg_wait", "alloc", "stack", "make", "send", "recv", "close",
                                 "select", "select", "lock", "unlock", "sleep", "net_wait", "tight_loop",
                                 "syscall", "lock_thread", "unlock_thread", "gc", "touch", "file_read", "file_write"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<std::size_t>(OpCode::kFileWrite) + 1);
  for (const GoroutineClass& c : classes) {
    for (const Op& op : c.program.ops) {
      if (!supported(op.code)) return std::string(kNames[static_cast<int>(op.code)]) + "` (class `" + c.name;
    }
  }
  return "";
}

MadeNames collect_made_names(const std::vector<YAML::Node>& programs) {
  MadeNames out;
  for (const YAML::Node& p : programs) collect_made(p, out);
  return out;
}

Program compile_program(const YAML::Node& steps, const std::string& key, std::uint32_t class_index,
                        const std::vector<std::string>& class_names, Workload& wl, const MadeNames& made) {
  return Compiler(class_index, class_names, wl, made).compile(steps, key);
}

void link_locals(Workload& wl) {
  const std::size_t n = wl.classes.size();
  // available[c]: names (kind, name) a goroutine of class c may hold: those it makes, and those every
  // ancestor along some spawn chain made. Grown to a fixed point over the spawn graph.
  auto makes = [](const Program& p, const LocalVar& v) {
    for (const Op& op : p.ops) {
      if (op.code == OpCode::kMake && p.locals[op.a].kind == v.kind && p.locals[op.a].name == v.name) return true;
    }
    return false;
  };
  std::vector<std::vector<LocalVar>> available(n);
  for (std::size_t c = 0; c < n; ++c) {
    for (const LocalVar& v : wl.classes[c].program.locals) {
      if (makes(wl.classes[c].program, v)) available[c].push_back(v);
    }
  }
  auto holds = [](const std::vector<LocalVar>& vs, const LocalVar& v) {
    return std::any_of(vs.begin(), vs.end(), [&](const LocalVar& w) { return w.kind == v.kind && w.name == v.name; });
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t parent = 0; parent < n; ++parent) {
      for (const Op& op : wl.classes[parent].program.ops) {
        if (op.code != OpCode::kSpawn) continue;
        for (const LocalVar& v : available[parent]) {
          if (holds(wl.classes[op.a].program.locals, v) && !holds(available[op.a], v)) {
            available[op.a].push_back(v);
            changed = true;
          }
        }
      }
    }
  }
  for (std::size_t c = 0; c < n; ++c) {
    for (const LocalVar& v : wl.classes[c].program.locals) {
      if (!holds(available[c], v)) {
        throw ScenarioError("workload.classes." + wl.classes[c].name + ".program",
                            std::string("uses ") + obj_kind_name(v.kind) + " `" + v.name + "`, which another class makes, but neither this class nor any class that spawns it makes it; add {make: {" +
                                (v.kind == ObjKind::kChannel ? "chan" : v.kind == ObjKind::kMutex ? "mutex" : "wg") + ": " + v.name + "}} to a spawning class");
      }
    }
  }
  wl.inherit.assign(n * n, {});
  for (std::size_t parent = 0; parent < n; ++parent) {
    const Program& pp = wl.classes[parent].program;
    for (std::size_t child = 0; child < n; ++child) {
      const Program& cp = wl.classes[child].program;
      std::vector<std::int32_t>& map = wl.inherit[parent * n + child];
      for (const LocalVar& v : cp.locals) {
        std::int32_t from = -1;
        for (std::size_t i = 0; i < pp.locals.size(); ++i) {
          if (pp.locals[i].kind == v.kind && pp.locals[i].name == v.name) from = static_cast<std::int32_t>(i);
        }
        map.push_back(from);
      }
    }
  }
}

}  // namespace gmpsim::models
