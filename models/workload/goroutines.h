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
};

// What the interpreter stopped at.
enum class StepKind : std::uint8_t {
  kCompute,  // compute_ns is set
  kExit,
  kGosched,  // runtime.Gosched: the model requeues the goroutine
  kWgWait,   // the goroutine waits on WaitGroup `*wg` (set by advance), whose counter is not zero
  kRunaway,
};

// Runs goroutine `id` from its pc through zero-time steps. Returns kCompute with `compute_ns` set,
// kExit when the goroutine is done, or kRunaway when it executed `budget` steps without needing the
// CPU (a `repeat: forever` loop with no compute step), which models report as a run outcome.
// Hooks: on_spawn(class, count), on_span(span_id, begin_time), on_wg_add(wg, delta) (the model readies
// waiters), wg_counter(wg) (waiting on a zero counter does not block), on_alloc(bytes).
template <class Hooks>
StepKind advance(const Workload& wl, GoroutineTable& gt, std::uint32_t id, sim::Time now, sim::Rng& rng,
                 sim::Time& compute_ns, Hooks& hooks, std::uint32_t* wg = nullptr, std::uint64_t budget = 10'000'000) {
  const Program& prog = wl.classes[gt[id].cls].program;
  for (std::uint64_t n = 0; n < budget; ++n) {
    Goroutine& g = gt[id];  // re-read every step: on_spawn may grow the table and move records
    const Op& op = prog.ops[g.pc];
    switch (op.code) {
      case OpCode::kCompute: {
        ++g.pc;
        const double d = prog.dists[op.a].sample(rng);
        compute_ns = d > 0 ? static_cast<sim::Time>(std::llround(d)) : 0;
        return StepKind::kCompute;
      }
      case OpCode::kSpawn:
        ++g.pc;
        hooks.on_spawn(static_cast<std::uint16_t>(op.a), op.count);
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
        gt.frame(id)[prog.loop_slots + op.slot] = now;
        ++g.pc;
        break;
      case OpCode::kSpanEnd:
        hooks.on_span(op.a, gt.frame(id)[prog.loop_slots + op.slot]);
        ++g.pc;
        break;
      case OpCode::kExit:
        return StepKind::kExit;
      case OpCode::kGosched:
        ++g.pc;
        return StepKind::kGosched;
      case OpCode::kWgAdd:
        ++g.pc;
        hooks.on_wg_add(op.a, op.count);
        break;
      case OpCode::kAlloc:
        ++g.pc;
        hooks.on_alloc(op.count);
        break;
      case OpCode::kWgWait:
        ++g.pc;
        if (hooks.wg_counter(op.a) == 0) break;
        if (wg) *wg = op.a;
        return StepKind::kWgWait;
    }
  }
  return StepKind::kRunaway;
}

}  // namespace gmpsim::models
