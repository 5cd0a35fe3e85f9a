// Channels, select and WaitGroups in the `go` model (chan.go, select.go; sync.WaitGroup over sema.go).
// The object state and Go's channel semantics are shared with other models (models/workload/sync.h);
// what is Go's own is where woken goroutines go: goready into the waker's runnext, the waker keeps
// running, and closechan's stack order.
#include "models/go/gorun.h"

namespace gmpsim::models::go {

std::uint32_t GoRun::on_make(ObjKind kind, std::int64_t capacity) {
  ms_[cur_m_].overhead += prm_.cost_newproc / 4;  // makechan/new: a small allocation
  switch (kind) {
    case ObjKind::kWaitGroup: return core_.sync.wgs.make({});
    case ObjKind::kChannel: return core_.sync.chans.make({capacity, 0, false, {}, {}});
    case ObjKind::kMutex: return core_.sync.mutexes.make({});
  }
  return 0;
}

// Readies what an operation woke, from the running G on M mi. A woken select continues in the case that
// fired. closechan pushes its waiters on a gList (a stack) and pops them, so they are readied newest
// first: each displaces the previous from runnext, which leaves the oldest in runnext and the others on
// the local queue newest first (chan.go closechan, go1.26).
void GoRun::ready_woken(std::uint32_t mi, bool closing) {
  auto ready = [&](const SyncObjects::Wake& w) {
    if (w.select_case != 0xffff) resume_select_case(core_.wl, core_.gt, w.g, w.select_case);
    goready(mi, w.g);
  };
  if (closing) {
    for (auto it = woken_.rbegin(); it != woken_.rend(); ++it) ready(*it);
  } else {
    for (const auto& w : woken_) ready(w);
  }
  woken_.clear();
}

// WaitGroup.Add at zero: runtime_Semrelease once per waiter, each readying the oldest waiter into runnext.
void GoRun::on_wg_add(std::uint32_t wg, std::int64_t delta) {
  ms_[cur_m_].overhead += touch_obj(ObjKind::kWaitGroup, wg, cur_m_);  // wg.state.Add
  woken_.clear();
  core_.sync.wg_add(core_.wl, wg, delta, woken_);
  ready_woken(cur_m_, false);
}

SyncStep GoRun::on_sync(std::uint32_t g, OpCode code, std::uint32_t obj) {
  using R = SyncObjects::Result;
  const sim::Time now = core_.engine.now();
  woken_.clear();
  SyncStep step{};
  // The object's state line, last written by whichever CPU operated on it.
  const ObjKind kind = code == OpCode::kWgWait ? ObjKind::kWaitGroup
                       : (code == OpCode::kLock || code == OpCode::kUnlock) ? ObjKind::kMutex
                                                                            : ObjKind::kChannel;
  ms_[cur_m_].overhead += touch_obj(kind, obj, cur_m_);
  switch (code) {
    case OpCode::kWgWait:
      if (core_.sync.wg_wait(obj, g, now) == R::kPark) {
        step.kind = SyncStep::kPark;
        park_reason_ = WaitReason::kWaitGroup;
      }
      break;
    case OpCode::kSend:
      ms_[cur_m_].overhead += prm_.cost_chan;
      if (core_.sync.chan_send(core_.wl, obj, g, now, woken_) == R::kPark) {
        step.kind = SyncStep::kPark;
        park_reason_ = WaitReason::kChanSend;
      }
      break;
    case OpCode::kRecv:
      ms_[cur_m_].overhead += prm_.cost_chan;
      if (core_.sync.chan_recv(obj, g, now, woken_) == R::kPark) {
        step.kind = SyncStep::kPark;
        park_reason_ = WaitReason::kChanReceive;
      }
      break;
    case OpCode::kClose:
      ms_[cur_m_].overhead += prm_.cost_chan;
      core_.sync.chan_close(core_.wl, obj, woken_);
      ready_woken(cur_m_, true);
      return step;
    case OpCode::kLock: return mutex_lock(g, obj);
    case OpCode::kUnlock: return mutex_unlock(g, obj);
    default: break;
  }
  ready_woken(cur_m_, false);
  return step;
}

// selectgo: cases are polled in a random order (cheaprandn, pollorder); the first ready one runs.
SyncStep GoRun::on_select(std::uint32_t g, std::uint32_t index) {
  const Select& sel = core_.wl.classes[core_.gt[g].cls].program.selects[index];
  select_setup(core_.wl, core_.gt, g, sel, select_rng_, objects_, order_);
  ms_[cur_m_].overhead += prm_.cost_chan * static_cast<sim::Time>(sel.cases.size());
  woken_.clear();
  const std::uint32_t chosen = core_.sync.select(core_.wl, sel, objects_.data(), order_.data(), g, core_.engine.now(), woken_);
  ready_woken(cur_m_, false);
  if (chosen == SyncObjects::kParked) {
    park_reason_ = WaitReason::kSelect;
    return {SyncStep::kPark};
  }
  return {SyncStep::kJump, 0, sel.cases[chosen].body};
}

}  // namespace gmpsim::models::go
