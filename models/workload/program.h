// The workload language: goroutine classes, their arrival processes, and programs of steps.
//
// A program is written as a YAML list of steps and compiled here into flat bytecode (Op), so a goroutine's
// whole control state is a program counter plus a few loop counters and span start times: compact enough
// for millions of goroutines. Steps (each a one-key map):
//   compute: DIST                       run on a CPU for a sampled duration (work, not a timer)
//   spawn: CLASS | {class: C, count: N} start N goroutines of class C (`go f()`)
//   repeat: {count: N | forever, steps: [...]}
//   span: {name: S, steps: [...]}       latency of the enclosed steps is recorded under span S
//   exit: true                          the goroutine exits now (the end of the program exits too)
//   gosched: true                       runtime.Gosched(): yield the CPU, stay runnable
//   wg_add: {wg: W, n: N}               WaitGroup W's counter += N (W is a global, named WaitGroup)
//   wg_done: W                          WaitGroup W's counter -= 1; at zero its waiters are readied
//   wg_wait: W                          park until W's counter is zero (no wait if it already is)
//   alloc: SIZE | {size: S, count: N, lives: exit | span | forever | DIST}
//                                       allocate N objects of S bytes on the heap, reachable until the
//                                       goroutine exits (default), until the innermost enclosing span
//                                       ends, for ever (a growing cache), or for a sampled time; the go
//                                       model's collector scans and frees them
//   gc: true                            runtime.GC(): start a cycle and wait until it has finished
//   stack: SIZE                         the goroutine's stack depth from here on (Go grows its stack by
//                                       doubling to fit it; memory and copy cost follow)
//   make: {chan: C, capacity: N} | {mutex: M} | {wg: W}
//                                       a new channel/mutex/WaitGroup owned by this goroutine and shared by
//                                       name with the goroutines it spawns (per-request fan-out/fan-in)
//   send: C | recv: C | close: C        channel operations (buffered or unbuffered, Go semantics)
//   select: [{recv: C, steps: [...]}, {send: D, steps: [...]}, {default: [...]}]
//                                       wait for the first ready case (random among ready ones), run its steps
//   lock: M | unlock: M                 sync.Mutex
//   sleep: DIST                         time.Sleep
//   net_wait: DIST                      wait for network I/O that becomes ready after DIST (netpoller)
//   tight_loop: DIST                    CPU work in a loop without calls: only asynchronous preemption stops it
//   syscall: DIST | {dist: ..., kind: blocking | known_blocking | raw}
//                                       a system call that blocks the thread for DIST
//   cgo: DIST                           a C call running on the CPU for DIST (treated as a syscall)
//   lock_thread: true | unlock_thread: true   runtime.LockOSThread / UnlockOSThread
// DIST is a duration ("80us", a constant) or a map {dist: KIND, ...}; see parse_dist().
// Names of channels, mutexes and WaitGroups are global unless a `make` step of some class creates them:
// global channels are declared in workload.channels {name: capacity}; global mutexes and WaitGroups
// exist by being used. A name made by a class is local to each goroutine of that class and is passed
// by name to the goroutines it spawns (and they to theirs).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/dist.h"
#include "sim/time.h"

namespace gmpsim::models {

// A goroutine did what panics or hangs in Go: used a local object before any make step created it (a
// nil channel), closed a closed channel, sent on a closed channel, unlocked an unlocked mutex. The
// model ends the run with this as its outcome.
struct ProgramPanic : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The simulator's own memory would grow past run.max_memory (a goroutine table or event queue that
// outgrew what the scenario allowed): the run stops with outcome sim_memory_limit instead of the host
// running out of memory.
struct SimMemoryLimit : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class OpCode : std::uint8_t {
  kCompute,    // a = index into Program::dists, count = 1 + index into Program::memory (0: all CPU)
  kSpawn,      // a = class index, count = goroutines
  kLoopBegin,  // slot = loop counter slot, a = pc after the matching kLoopEnd, count = iterations (-1 forever)
  kLoopEnd,    // slot = loop counter slot, a = pc of the first body op
  kSpanBegin,  // slot = span slot in the goroutine's frame, a = span id (Workload::spans)
  kSpanEnd,    // slot, a as kSpanBegin
  kExit,       // the goroutine exits; also appended at the end of every program
  kGosched,    // runtime.Gosched
  kWgAdd,      // a = WaitGroup index (Workload::waitgroups), count = delta (wg_done: -1)
  kWgWait,     // a = WaitGroup index
  kAlloc,      // count = bytes in all, a = index into Program::allocs
  kStack,      // count = stack depth in bytes
  kMake,       // slot = ObjKind, a = local slot, count = channel capacity
  kSend,       // a = object reference (see Op::local), channel
  kRecv,       // channel
  kClose,      // channel
  kSelect,     // a = index into Program::selects
  kJump,       // a = target pc (end of a select case)
  kLock,       // mutex
  kUnlock,     // mutex
  kSleep,      // a = index into Program::dists
  kNetWait,    // a = index into Program::dists
  kTightLoop,  // a = dist: CPU work without preemption points (only asynchronous preemption stops it)
  kSyscall,    // a = dist, slot = SyscallKind: a system call or cgo call lasting the sampled time
  kLockThread,    // runtime.LockOSThread
  kUnlockThread,  // runtime.UnlockOSThread
  kGc,            // runtime.GC
  kTouch,         // count = bytes of the long-lived heap read at random pages
  kFileRead,      // count = bytes read(2) from the program's files (workload.files) at a random offset
  kFileWrite,     // count = bytes write(2) appended to a file: dirty page cache
};

// An alloc step: `objects` objects of `bytes / objects` bytes each, reachable for `lives`.
struct AllocSpec {
  enum class Lives : std::uint8_t { kExit, kForever, kFor, kSpan };
  std::int64_t bytes = 0;       // in all
  std::uint32_t objects = 1;
  Lives lives = Lives::kExit;
  std::uint32_t dist = 0;       // kFor: index into Program::dists (the lifetime)
  std::uint8_t span_slot = 0;   // kSpan: the slot of the innermost enclosing span
};

// A compute step's memory behaviour (`compute: {time: DIST, memory: {...}}`): `stall` of its duration (as
// stated: data local, memory uncontended) is spent waiting for DRAM; its data is the goroutine's own stack or
// the process's heap; `working_set` bytes stay cached while the goroutine keeps its CPU and are fetched
// again after it moves. Used by the NUMA model (models/kernel/numa.h); a step without one is all CPU.
struct MemorySpec {
  enum class Data : std::uint8_t { kHeap, kStack };
  double stall = 0;
  Data data = Data::kHeap;
  std::int64_t working_set = 0;
};

// How a syscall step enters the kernel (proc.go): entersyscall (P kept for sysmon to retake),
// entersyscallblock (P handed off at once), RawSyscall (no runtime involvement: P held), or a cgo call
// (entersyscall, and the thread runs C code on a CPU meanwhile).
enum class SyscallKind : std::uint8_t { kBlocking = 0, kKnownBlocking = 1, kRaw = 2, kCgo = 3 };

// Objects goroutines synchronise on.
enum class ObjKind : std::uint8_t { kWaitGroup = 0, kChannel = 1, kMutex = 2 };
const char* obj_kind_name(ObjKind k);

// For ops on objects (kWgAdd, kWgWait, kSend..kClose, kLock, kUnlock) `slot` is 1 when `a` is a local
// slot of the goroutine's frame (an object made by it or an ancestor) and 0 when `a` is a global object.
struct Op {
  OpCode code;
  std::uint8_t slot = 0;
  std::uint32_t a = 0;
  std::int64_t count = 0;
};

struct SelectCase {
  enum class Kind : std::uint8_t { kRecv, kSend, kDefault };
  Kind kind;
  bool local = false;
  std::uint32_t obj = 0;  // object reference as in Op
  std::uint32_t body = 0; // pc of the case's first step
};
struct Select {
  std::vector<SelectCase> cases;  // in source order; at most one kDefault
};

struct LocalVar {
  ObjKind kind;
  std::string name;
};

struct Program {
  std::vector<Op> ops;           // always ends with kExit
  std::vector<sim::Dist> dists;  // durations in ns
  std::vector<Select> selects;
  std::vector<AllocSpec> allocs;
  std::vector<MemorySpec> memory;  // compute steps' memory behaviour (Op::count - 1)
  std::vector<LocalVar> locals;  // objects this class's goroutines make or inherit, by frame slot
  std::uint8_t loop_slots = 0;   // deepest nesting of repeat
  std::uint8_t span_slots = 0;   // spans open at once, at most
  bool declares_stack = false;   // has a stack step
  // Frame words a goroutine of this program needs: loop counters, span start times, local objects.
  std::uint32_t local_base() const { return loop_slots + span_slots; }
  std::uint32_t frame_words() const { return local_base() + static_cast<std::uint32_t>(locals.size()); }
  bool has(OpCode code) const;
  // The memory behaviour of the compute step a goroutine at `pc` is in (advance() leaves pc past it), or null.
  const MemorySpec* compute_memory(std::uint32_t pc) const {
    if (pc == 0) return nullptr;
    const Op& op = ops[pc - 1];
    return op.code == OpCode::kCompute && op.count > 0 ? &memory[static_cast<std::size_t>(op.count - 1)] : nullptr;
  }
};

struct Arrivals {
  enum class Process : std::uint8_t { kNone, kInitial, kPoisson, kConstant, kOnOff, kClosed, kTrace };
  Process process = Process::kNone;
  std::int64_t count = 0;     // kInitial
  double rate_per_s = 0;      // kPoisson, kConstant, kOnOff (rate while on)
  sim::Dist on, off;          // kOnOff period lengths (ns)
  std::int64_t clients = 0;   // kClosed
  sim::Dist think;            // kClosed think time (ns)
  std::shared_ptr<const std::vector<sim::Time>> trace;  // kTrace: arrival times (ns), ascending
  // Arrivals at times of their own, independent of the system: what a load generator sends.
  bool open_loop() const {
    return process == Process::kPoisson || process == Process::kConstant || process == Process::kOnOff || process == Process::kTrace;
  }
};

struct GoroutineClass {
  std::string name;
  Arrivals arrivals;
  Program program;
};

struct SpanInfo {
  std::string name;
  std::uint32_t class_index;
};

struct GlobalChannel {
  std::string name;
  std::int64_t capacity = 0;
};

struct Workload {
  std::vector<GoroutineClass> classes;  // in scenario order
  std::vector<SpanInfo> spans;          // every span of every class, in order of appearance
  std::vector<std::string> waitgroups;  // global WaitGroups, by name, in order of first use
  std::vector<std::string> mutexes;     // global mutexes, by name, in order of first use
  std::vector<GlobalChannel> channels;  // global channels (workload.channels)
  // inherit[parent * classes + child][i]: the parent's local slot that the child's local i copies at
  // spawn, or -1 (the child makes it itself).
  std::vector<std::vector<std::int32_t>> inherit;
  int find_class(std::string_view name) const;
  // The first step kind in any program that `supported` rejects, or "" (models that lack blocking steps
  // name what they cannot run).
  std::string first_unsupported(bool (*supported)(OpCode)) const;
  // Some compute step states its memory behaviour (`compute: {time, memory}`): the NUMA costs apply.
  bool memory_bound() const {
    for (const GoroutineClass& c : classes) {
      if (!c.program.memory.empty()) return true;
    }
    return false;
  }
};

// Names of objects that any class makes, per kind, collected before compiling (a reference to one of
// them is local). Scans the raw programs.
struct MadeNames {
  std::vector<std::string> of[3];
};
MadeNames collect_made_names(const std::vector<YAML::Node>& programs);

// Parses a distribution of durations at `key` (for error messages). Forms:
//   "80us"                                           constant
//   {dist: constant, value: 80us}
//   {dist: exponential, mean: 1ms}
//   {dist: uniform, low: 10us, high: 20us}
//   {dist: normal, mean: 1ms, stddev: 100us}        negative draws are clamped to 0 by the caller
//   {dist: lognormal, median: 50us, sigma: 0.5}   or {dist: lognormal, mean: 50us, cv: 2}
//   {dist: gamma, shape: 2, scale: 25us}          {dist: erlang, k: 4, mean: 1ms}
//   {dist: pareto, scale: 10us, alpha: 1.5}
//   {dist: mixture, of: [{weight: 0.9, dist: ...}, {weight: 0.1, dist: ...}]}   (bimodal: two entries)
//   {dist: empirical, points: [[10us, 0], [50us, 0.5], [2ms, 1]]}   (value, cumulative probability)
//   {dist: empirical, samples: [12us, 15us, 40us]}                  (each drawn with probability 1/n)
//   {dist: empirical, histogram: {edges: [0us, 10us, 50us], counts: [30, 70]}}   (uniform inside a bucket)
sim::Dist parse_dist(const YAML::Node& node, const std::string& key);

// Compiles the program at `key` for class `class_index`. Class names for spawn are looked up in
// `class_names`; span names are appended to `spans`.
// Global objects are appended to `wl` (waitgroups, mutexes; channels must already be declared there).
Program compile_program(const YAML::Node& steps, const std::string& key, std::uint32_t class_index,
                        const std::vector<std::string>& class_names, Workload& wl, const MadeNames& made);

// After every class is compiled: checks that each local object a class uses is made by it or by every
// class that spawns it (transitively), and fills Workload::inherit. `key_of(class)` names the class's
// program key for messages.
void link_locals(Workload& wl);

}  // namespace gmpsim::models
