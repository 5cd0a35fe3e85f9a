// The bytecode interpreter of a workload fiber: models/workload/goroutines.h `advance()`'s control flow
// (program counter, loop counters, span start times), each step done for real on Boost.Fiber.
#include <sys/prctl.h>

#include <chrono>
#include <cmath>

#include "validation/fiberrun/run.h"

namespace gmpsim::fiberrun {

// The object an op names: a global one, or a local slot of the fiber (slot == 1), as advance() resolves it.
Object& Run::object(const FiberArgs& f, const models::Program& prog, const Op& op, ObjKind kind) {
  if (op.slot == 0) {
    const std::vector<ObjectPtr>& g = kind == ObjKind::kChannel ? chans_ : kind == ObjKind::kMutex ? mutexes_ : wgs_;
    return *g[op.a];
  }
  const ObjectPtr& p = f.locals[op.a];
  if (!p) {
    const models::LocalVar& lv = prog.locals[op.a];
    throw ProgramPanic(std::string("a fiber of class `") + wl_.classes[f.cls].name + "` used " + models::obj_kind_name(lv.kind) +
                       " `" + lv.name + "` before any make step created it (a nil " + models::obj_kind_name(lv.kind) + " in Go)");
  }
  return *p;
}

std::string Run::object_name(const models::Program& prog, const Op& op, ObjKind kind) const {
  if (op.slot == 1) return prog.locals[op.a].name;
  return kind == ObjKind::kChannel ? wl_.channels[op.a].name : kind == ObjKind::kMutex ? wl_.mutexes[op.a] : wl_.waitgroups[op.a];
}

std::int64_t Run::sample(const models::Program& prog, std::uint32_t dist) {
  const double d = prog.dists[dist].sample(current()->rng);
  return d > 0 ? static_cast<std::int64_t>(std::llround(d)) : 0;
}

// The interpreter: the same control flow as models/workload/goroutines.h advance(), each step done for real.
void Run::interpret(FiberArgs& f) {
  const models::Program& prog = wl_.classes[f.cls].program;
  std::vector<std::int64_t> words(prog.local_base(), 0);  // loop counters, then span start times
  std::uint32_t pc = 0;
  for (;;) {
    const Op& op = prog.ops[pc];
    switch (op.code) {
      case OpCode::kCompute:
      case OpCode::kTightLoop:
        ++pc;
        busy_wait(sample(prog, op.a));
        break;
      case OpCode::kSpawn:
        ++pc;
        for (std::int64_t i = 0; i < op.count; ++i) spawn(f, static_cast<std::uint16_t>(op.a));
        break;
      case OpCode::kLoopBegin:
        if (op.count == 0) {
          pc = op.a;
        } else {
          words[op.slot] = op.count;
          ++pc;
        }
        break;
      case OpCode::kLoopEnd: {
        std::int64_t& left = words[op.slot];
        if (left < 0 || --left > 0) pc = op.a; else ++pc;
        break;
      }
      case OpCode::kSpanBegin:
        words[prog.loop_slots + op.slot] = now();
        ++pc;
        break;
      case OpCode::kSpanEnd: {
        ++pc;
        const std::int64_t begin = words[prog.loop_slots + op.slot];
        if (begin >= warmup_) {
          const std::int64_t t = now();
          ThreadState* ts = current();
          std::lock_guard lk(ts->mu);
          ts->span_latency[op.a].push_back(t - begin);
        }
        break;
      }
      case OpCode::kExit:
        return;
      case OpCode::kGosched:
        ++pc;
        boost::this_fiber::yield();
        break;
      case OpCode::kWgAdd: {
        ++pc;
        WaitGroup& wg = *object(f, prog, op, ObjKind::kWaitGroup).wg;
        std::unique_lock lk(wg.mu);
        wg.counter += op.count;
        if (wg.counter < 0) {
          throw ProgramPanic("sync: negative WaitGroup counter (WaitGroup `" + object_name(prog, op, ObjKind::kWaitGroup) +
                             "`): more wg_done than wg_add");
        }
        if (wg.counter == 0) wg.cv.notify_all();
        break;
      }
      case OpCode::kWgWait: {
        ++pc;
        WaitGroup& wg = *object(f, prog, op, ObjKind::kWaitGroup).wg;
        std::unique_lock lk(wg.mu);
        wg.cv.wait(lk, [&] { return wg.counter == 0; });
        break;
      }
      case OpCode::kAlloc:
      case OpCode::kStack:
      case OpCode::kGc:  // Boost.Fiber has no collector: the model's `gc` does nothing either
      case OpCode::kTouch:  // nor a memory model: `touch` does nothing there
      case OpCode::kFileRead:   // refused when the scenario loads (models/fiber/params.cpp)
      case OpCode::kFileWrite:
        ++pc;  // no-ops on real fibers (noted in the run's notes)
        break;
      case OpCode::kMake:
        ++pc;
        f.locals[op.a] = std::make_shared<Object>(static_cast<ObjKind>(op.slot), op.count);
        break;
      case OpCode::kSend:
        ++pc;
        if (object(f, prog, op, ObjKind::kChannel).push(1) != bf::channel_op_status::success) {
          throw ProgramPanic("send on closed channel `" + object_name(prog, op, ObjKind::kChannel) + "` (class `" +
                             wl_.classes[f.cls].name + "`; Boost returned channel_op_status::closed)");
        }
        break;
      case OpCode::kRecv: {
        ++pc;
        std::uint64_t v;
        (void)object(f, prog, op, ObjKind::kChannel).pop(v);  // closed and empty: Go's zero value, go on
        break;
      }
      case OpCode::kClose:
        ++pc;
        object(f, prog, op, ObjKind::kChannel).close();  // idempotent in Boost; the model panics on a second close, as Go does
        break;
      case OpCode::kLock:
      case OpCode::kUnlock:
        ++pc;
        try {
          bf::mutex& m = *object(f, prog, op, ObjKind::kMutex).mutex;
          if (op.code == OpCode::kLock) m.lock(); else m.unlock();
        } catch (const bf::lock_error& e) {
          throw ProgramPanic(std::string(op.code == OpCode::kLock ? "lock" : "unlock") + " of mutex `" +
                             object_name(prog, op, ObjKind::kMutex) + "` by a fiber of class `" + wl_.classes[f.cls].name +
                             "` failed: " + e.what() + " (boost::fibers::lock_error)");
        }
        break;
      case OpCode::kSleep:
        ++pc;
        boost::this_fiber::sleep_for(std::chrono::nanoseconds(sample(prog, op.a)));
        break;
      case OpCode::kSyscall: {
        ++pc;
        const std::int64_t d = sample(prog, op.a);
        if (static_cast<models::SyscallKind>(op.slot) == models::SyscallKind::kCgo) {
          busy_wait(d);  // a C call runs on the CPU
        } else {
          // The call blocks the worker thread and every fiber queued behind it. Timer slack 1 ns so the
          // block lasts the sampled time (a real blocking call is woken by its event, not a timer).
          const std::int64_t until = mono_ns() + d;
          prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
          sleep_until_ns(until);
          prctl(PR_SET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);  // back to the thread's default
        }
        break;
      }
      case OpCode::kJump:
        pc = op.a;
        break;
      case OpCode::kSelect:
      case OpCode::kNetWait:
      case OpCode::kLockThread:
      case OpCode::kUnlockThread:
        throw ProgramPanic("unsupported step reached (check_runnable rejects it before the run)");
    }
  }
}

// `go f()`: the child gets the parent's objects per Workload::inherit, its latency counts from now, and
// it goes to this thread's queue tail (launch::post).
void Run::spawn(const FiberArgs& parent, std::uint16_t cls) {
  const models::Program& cp = wl_.classes[cls].program;
  FiberArgs child{cls, now(), std::vector<ObjectPtr>(cp.locals.size())};
  if (!cp.locals.empty()) {
    const std::vector<std::int32_t>& map = wl_.inherit[parent.cls * wl_.classes.size() + cls];
    for (std::size_t i = 0; i < cp.locals.size(); ++i) {
      if (map[i] >= 0) child.locals[i] = parent.locals[static_cast<std::size_t>(map[i])];
    }
  }
  live_.fetch_add(1, std::memory_order_relaxed);
  current()->created[cls].fetch_add(1, std::memory_order_relaxed);
  launch(std::move(child));
}

}  // namespace gmpsim::fiberrun
