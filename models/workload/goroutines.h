// Goroutine state shared by every model: a compact record per goroutine, frames for loop counters and
// span start times, and the interpreter that advances a goroutine through its compiled program.
//
// A goroutine record is 32 bytes; frames come from per-size arenas with free lists, so creating and
// destroying goroutines reuses memory and never allocates in steady state. The interpreter executes
// zero-time steps (spawn, loop control, span marks) immediately and stops at the first step that needs
// the CPU (compute) or at exit; the model decides what running means.
#pragma once
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <string>
#include <vector>

#include "models/workload/program.h"
#include "sim/check.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace gmpsim::models {

inline constexpr std::uint32_t kNone32 = 0xffffffffu;

struct Goroutine {
  sim::Time start = 0;        // latency origin: the arrival's scheduled time, or the spawn time
  sim::Time ready_at = 0;     // when it last became runnable
  std::uint32_t pc = 0;       // next op of its class's program
  std::uint32_t frame = kNone32;
  std::uint32_t client = kNone32;  // closed-loop client that submitted it
  std::uint16_t cls = 0;
  std::uint16_t flags = 0;    // model-specific
};
static_assert(sizeof(Goroutine) == 32, "keep the goroutine record compact");

class GoroutineTable {
 public:
  explicit GoroutineTable(const Workload& wl);

  std::uint32_t create(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32);
  void destroy(std::uint32_t id);
  // For runtimes that keep dead goroutines on free lists of their own (Go's gFree): retire ends a
  // goroutine without giving its id back to this table; revive starts a new goroutine in a retired id.
  void retire(std::uint32_t id);
  std::uint32_t revive(std::uint32_t id, std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32);
  Goroutine& operator[](std::uint32_t id) { return gs_[id]; }
  const Goroutine& operator[](std::uint32_t id) const { return gs_[id]; }
  std::int64_t* frame(std::uint32_t id) {
    const Goroutine& g = gs_[id];
    return &arenas_[arena_of_class_[g.cls]].words[std::size_t{g.frame} * arenas_[arena_of_class_[g.cls]].width];
  }

  std::uint64_t live() const { return live_; }
  // Ids ever handed out (live or free); is_live tells them apart (O(1): free records have start < 0).
  std::uint32_t capacity() const { return static_cast<std::uint32_t>(gs_.size()); }
  bool is_live(std::uint32_t id) const { return gs_[id].start >= 0; }
  std::uint64_t created() const { return created_; }
  std::uint64_t peak_live() const { return peak_; }
  // Bytes of simulator memory held for goroutines (records and frames, including free capacity).
  std::uint64_t memory_bytes() const;
  // The most memory_bytes() may reach (run.max_memory; 0 = no limit): a growth that would pass it throws
  // SimMemoryLimit. Checked only when a vector must grow, so never per goroutine.
  void set_memory_limit(std::uint64_t bytes) { limit_ = bytes; }

 private:
  struct Arena {
    std::uint32_t width = 0;  // words per frame
    std::vector<std::int64_t> words;
    std::vector<std::uint32_t> free;
  };
  std::vector<Goroutine> gs_;
  std::vector<std::uint32_t> free_;
  std::vector<Arena> arenas_;
  std::vector<std::uint32_t> arena_of_class_;  // kNone32 when the class needs no frame
  std::uint64_t live_ = 0, created_ = 0, peak_ = 0;
  std::uint64_t limit_ = 0;
  void check_growth(std::uint64_t extra_bytes) const;
};

// What the interpreter stopped at.
enum class StepKind : std::uint8_t {
  kCompute,  // compute_ns is set (work, or a mutex spin before the lock is retried)
  kTightCompute,  // compute_ns is set: work without preemption points (tight_loop)
  kSyscall,  // compute_ns is the call's duration; on_syscall(kind) said which kind
  kExit,
  kGosched,  // runtime.Gosched: the model requeues the goroutine
  kPark,     // the goroutine parked (a hook recorded what it waits for)
  kYield,    // goyield: stays runnable, behind the current P's queue (a starving mutex's hand-off)
  kSpawn,    // a spawn step whose `go` statements take CPU time: on_spawn returned true, and the model
             // runs them one after another on the spawner's thread, then calls advance() again
  kRunaway,
};

// What a hook decided for a step on a synchronisation object.
struct SyncStep {
  enum Kind : std::uint8_t {
    kContinue,    // done without blocking: go on with the next step
    kPark,        // parked; when readied it continues after the step
    kParkRetry,   // parked; when readied it executes the step again (a woken mutex waiter)
    kSpin,        // spin for spin_ns on the CPU, then execute the step again (sync.Mutex active spinning)
    kYield,       // done; the goroutine yields (goyield)
    kJump,        // continue at pc (the chosen select case)
  };
  Kind kind = kContinue;
  sim::Time spin_ns = 0;
  std::uint32_t pc = 0;
};

// A local object slot that no make step has filled yet.
inline constexpr std::int64_t kNoObject = -1;

// Fills the local-object slots of goroutine `child` (class `child_cls`), copying those its spawner
// `parent` holds (kNone32: spawned from outside, nothing to inherit). Calls retain(kind, id) for each.
template <class Retain>
void init_locals(const Workload& wl, GoroutineTable& gt, std::uint32_t child, std::uint32_t parent, Retain&& retain) {
  const Goroutine& c = gt[child];
  const Program& cp = wl.classes[c.cls].program;
  if (cp.locals.empty()) return;
  std::int64_t* cf = gt.frame(child) + cp.local_base();
  const std::vector<std::int32_t>* map = nullptr;
  std::int64_t* pf = nullptr;
  if (parent != kNone32) {
    const std::uint16_t pcls = gt[parent].cls;
    map = &wl.inherit[pcls * wl.classes.size() + c.cls];
    pf = gt.frame(parent) + wl.classes[pcls].program.local_base();
  }
  for (std::size_t i = 0; i < cp.locals.size(); ++i) {
    cf[i] = kNoObject;
    if (map != nullptr && (*map)[i] >= 0 && pf[(*map)[i]] != kNoObject) {
      cf[i] = pf[(*map)[i]];
      retain(cp.locals[i].kind, static_cast<std::uint32_t>(cf[i]));
    }
  }
}

// Calls release(kind, id) for every local object goroutine `id` holds (at exit).
template <class Release>
void release_locals(const Workload& wl, GoroutineTable& gt, std::uint32_t id, Release&& release) {
  const Program& p = wl.classes[gt[id].cls].program;
  if (p.locals.empty()) return;
  std::int64_t* f = gt.frame(id) + p.local_base();
  for (std::size_t i = 0; i < p.locals.size(); ++i) {
    if (f[i] != kNoObject) release(p.locals[i].kind, static_cast<std::uint32_t>(f[i]));
    f[i] = kNoObject;
  }
}


// The object a select case names, for goroutine g (a local slot, or a global object).
inline std::uint32_t case_object(const Workload& wl, GoroutineTable& gt, std::uint32_t g, const SelectCase& c) {
  if (c.kind == SelectCase::Kind::kDefault || !c.local) return c.obj;
  const std::int64_t v = gt.frame(g)[wl.classes[gt[g].cls].program.local_base() + c.obj];
  if (v == kNoObject) throw ProgramPanic("a select case uses a channel that no make step created (a nil channel)");
  return static_cast<std::uint32_t>(v);
}

// selectgo's set-up: each case's channel, and a random order to poll the cases in (pollorder).
inline void select_setup(const Workload& wl, GoroutineTable& gt, std::uint32_t g, const Select& sel, sim::Rng& rng,
                         std::vector<std::uint32_t>& objects, std::vector<std::uint32_t>& order) {
  const auto n = static_cast<std::uint32_t>(sel.cases.size());
  objects.resize(n);
  order.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    objects[i] = case_object(wl, gt, g, sel.cases[i]);
    order[i] = i;
  }
  for (std::uint32_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.next_u64() % i]);
}

// A goroutine parked in a select (its pc just past the kSelect op) continues in the case that fired.
inline void resume_select_case(const Workload& wl, GoroutineTable& gt, std::uint32_t g, std::uint16_t select_case) {
  const Program& p = wl.classes[gt[g].cls].program;
  const Select& sel = p.selects[p.ops[gt[g].pc - 1].a];
  gt[g].pc = sel.cases[select_case].body;
}

// Runs goroutine `id` from its pc through zero-time steps. Returns kCompute with `compute_ns` set,
// kExit when the goroutine is done, kGosched/kPark/kYield when it leaves the CPU, or kRunaway when it
// executed `budget` steps without needing the CPU (a `repeat: forever` loop with no compute step),
// which models report as a run outcome.
// Hooks (the model's semantics of each step):
//   on_spawn(class, count) -> bool (true: the model creates them on the CPU; advance returns kSpawn)
//   on_span(span_id, begin_time, slot)  on_alloc(bytes, spec, lifetime)  on_stack(depth_bytes)  on_gc()
//   owes_cpu() -> bool (runtime CPU the goroutine's steps incurred and not yet paid: a span boundary waits
//                       for it, advance returning kCompute of 0 ns first)
//   on_make(kind, capacity) -> object id          on_release(kind, id)   (a make replacing an object)
//   on_wg_add(wg, delta)                          (the model readies waiters at zero)
//   on_sync(goroutine, code, object) -> SyncStep  (wg_wait, send, recv, close, lock, unlock)
//   on_select(goroutine, select_index) -> SyncStep
//   on_sleep(goroutine, ns), on_net_wait(goroutine, ns)   (the goroutine parks)
//   on_syscall(kind)  on_lock_thread(lock)
template <class Hooks>
StepKind advance(const Workload& wl, GoroutineTable& gt, std::uint32_t id, sim::Time now, sim::Rng& rng,
                 sim::Time& compute_ns, Hooks& hooks, std::uint64_t budget = 10'000'000) {
  const Program& prog = wl.classes[gt[id].cls].program;
  auto object = [&](const Op& op) -> std::uint32_t {
    if (op.slot == 0) return op.a;
    const std::int64_t v = gt.frame(id)[prog.local_base() + op.a];
    if (v == kNoObject) {
      const LocalVar& lv = prog.locals[op.a];
      throw ProgramPanic(std::string("a goroutine of class `") + wl.classes[gt[id].cls].name + "` used " +
                           obj_kind_name(lv.kind) + " `" + lv.name + "` before any make step created it (a nil " +
                           obj_kind_name(lv.kind) + " in Go)");
    }
    return static_cast<std::uint32_t>(v);
  };
  auto sample = [&](std::uint32_t dist) {
    return sim::draw_to_time(prog.dists[dist].sample(rng));
  };
  for (std::uint64_t n = 0; n < budget; ++n) {
    Goroutine& g = gt[id];  // re-read every step: on_spawn may grow the table and move records
    const Op& op = prog.ops[g.pc];
    switch (op.code) {
      case OpCode::kCompute:
        ++g.pc;
        compute_ns = sample(op.a);
        return StepKind::kCompute;
      case OpCode::kSpawn:
        ++g.pc;
        if (hooks.on_spawn(static_cast<std::uint16_t>(op.a), op.count)) return StepKind::kSpawn;
        break;
      case OpCode::kLoopBegin:
        if (op.count == 0) {
          g.pc = op.a;
        } else {
          gt.frame(id)[op.slot] = op.count;
          ++g.pc;
        }
        break;
      case OpCode::kLoopEnd: {
        std::int64_t& left = gt.frame(id)[op.slot];
        if (left < 0 || --left > 0) {
          g.pc = op.a;
        } else {
          ++g.pc;
        }
        break;
      }
      case OpCode::kSpanBegin:
      case OpCode::kSpanEnd:
        // A span measures the goroutine's time: runtime work its zero-time steps incurred (an allocation's
        // malloc and assist, a channel operation) is paid before the boundary, not after it.
        if (hooks.owes_cpu()) {
          compute_ns = 0;
          return StepKind::kCompute;
        }
        if (op.code == OpCode::kSpanBegin) {
          gt.frame(id)[prog.loop_slots + op.slot] = now;
        } else {
          hooks.on_span(op.a, gt.frame(id)[prog.loop_slots + op.slot], op.slot);
        }
        ++g.pc;
        break;
      case OpCode::kExit:
        return StepKind::kExit;
      case OpCode::kGosched:
        ++g.pc;
        return StepKind::kGosched;
      case OpCode::kWgAdd:
        ++g.pc;
        hooks.on_wg_add(object(op), op.count);
        break;
      case OpCode::kAlloc:
        ++g.pc;
        {
          const AllocSpec& spec = prog.allocs[op.a];
          hooks.on_alloc(op.count, spec, spec.lives == AllocSpec::Lives::kFor ? sample(spec.dist) : sim::Time{0});
        }
        break;
      case OpCode::kGc:
        ++g.pc;
        if (hooks.on_gc()) return StepKind::kPark;
        break;
      case OpCode::kStack:
        ++g.pc;
        hooks.on_stack(op.count);
        break;
      case OpCode::kTouch:
        ++g.pc;
        hooks.on_touch(op.count);
        break;
      case OpCode::kFileRead:
      case OpCode::kFileWrite:  // read(2) / write(2): a blocking system call as long as the kernel makes it
        ++g.pc;
        compute_ns = hooks.on_file(op.code == OpCode::kFileWrite, op.count);
        hooks.on_syscall(SyscallKind::kBlocking);
        return StepKind::kSyscall;
      case OpCode::kMake: {
        ++g.pc;
        const auto kind = static_cast<ObjKind>(op.slot);
        const std::uint32_t obj = hooks.on_make(kind, op.count);
        std::int64_t& slot = gt.frame(id)[prog.local_base() + op.a];
        if (slot != kNoObject) hooks.on_release(kind, static_cast<std::uint32_t>(slot));
        slot = obj;
        break;
      }
      case OpCode::kJump:
        g.pc = op.a;
        break;
      case OpCode::kTightLoop:
        ++g.pc;
        compute_ns = sample(op.a);
        return StepKind::kTightCompute;
      case OpCode::kSyscall:
        ++g.pc;
        compute_ns = sample(op.a);
        hooks.on_syscall(static_cast<SyscallKind>(op.slot));
        return StepKind::kSyscall;
      case OpCode::kLockThread:
      case OpCode::kUnlockThread:
        ++g.pc;
        hooks.on_lock_thread(op.code == OpCode::kLockThread);
        break;
      case OpCode::kSleep:
      case OpCode::kNetWait: {
        ++g.pc;
        const sim::Time d = sample(op.a);
        // Nothing to wait for: time.Sleep(0) returns at once (runtime/time.go timeSleep: `if ns <= 0
        // { return }`), and a read whose data is there returns without parking (internal/poll
        // fd.Read parks in waitRead only on EAGAIN). Imported traces hold many such zero waits.
        if (d <= 0) break;
        if (op.code == OpCode::kSleep) hooks.on_sleep(id, d); else hooks.on_net_wait(id, d);
        return StepKind::kPark;
      }
      case OpCode::kWgWait:
      case OpCode::kSend:
      case OpCode::kRecv:
      case OpCode::kClose:
      case OpCode::kLock:
      case OpCode::kUnlock:
      case OpCode::kSelect: {
        const std::uint32_t at = g.pc;
        const SyncStep r = op.code == OpCode::kSelect ? hooks.on_select(id, op.a) : hooks.on_sync(id, op.code, object(op));
        Goroutine& g2 = gt[id];
        switch (r.kind) {
          case SyncStep::kContinue: g2.pc = at + 1; break;
          case SyncStep::kJump: g2.pc = r.pc; break;
          case SyncStep::kPark: g2.pc = at + 1; return StepKind::kPark;
          case SyncStep::kParkRetry: g2.pc = at; return StepKind::kPark;
          case SyncStep::kSpin:
            g2.pc = at;
            compute_ns = r.spin_ns;
            return StepKind::kCompute;
          case SyncStep::kYield: g2.pc = at + 1; return StepKind::kYield;
        }
        break;
      }
    }
  }
  return StepKind::kRunaway;
}

}  // namespace gmpsim::models
