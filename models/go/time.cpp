// Timers and time.Sleep in the `go` model (time.go, go1.26: the go1.23+ shape; per-P heaps since go1.14):
//   - time.Sleep parks the G and adds its timer to the current P's heap (resetForSleep -> maybeAdd);
//     when it is the P's new earliest timer, wakeNetPoller breaks a blocking poller that would sleep past
//     it, or wakes a P when nobody polls.
//   - Timers run only where the scheduler checks them: at every findRunnable of the P that holds them
//     (step 1 of the table in proc.cpp), by thieves in stealWork's last round (step 8), and through the
//     blocking netpoll's timeout (step 14). So a sleep on a busy runtime fires at the next scheduling
//     point, and on an idle one after epoll_wait's millisecond timeout plus timer slack (netpoll.cpp).
#include <algorithm>
#include <functional>

#include "models/go/gorun.h"

namespace gmpsim::models::go {

void GoRun::on_sleep(std::uint32_t g, sim::Time d) { sleep_until(cur_m_, g, core_.engine.now() + d); }

void GoRun::sleep_until(std::uint32_t mi, std::uint32_t g, sim::Time when) {
  M& m = ms_[mi];
  P& pp = ps_[m.p];
  if (sleep_requested_.size() <= g) sleep_requested_.resize(core_.gt.capacity(), 0);
  sleep_requested_[g] = when;
  park_reason_ = WaitReason::kSleep;
  ++sleeping_;
  netpoll_inited_ = true;  // timers initialise the netpoller (netpollGenericInit)
  const bool earliest = pp.timers.empty() || when < pp.timers.front().when;
  pp.timers.push_back({when, g});
  std::push_heap(pp.timers.begin(), pp.timers.end(), std::greater<Timer>());
  set_timer_bit(m.p);
  m.overhead += prm_.cost_timer;
  if (earliest) wakeNetPoller(mi, when);
}

// Generator mode: the goroutine starts every handler whose arrival time has come, then sleeps until the
// next (time.Sleep: a late wake-up delays the handlers, whose latency still counts from their arrival).
void GoRun::generator_step(std::uint32_t mi) {
  const std::uint32_t gp = ms_[mi].curg;
  const std::uint16_t cls = core_.gt[gp].cls;
  sim::Time& due = generator_due_[cls];
  if (due == 0) due = core_.arrivals.next_time(cls, 0);
  while (due >= 0 && due <= core_.engine.now()) {
    newproc(mi, cls, due, kNone32, kNone32);
    due = core_.arrivals.next_time(cls, due);
  }
  if (due < 0) {  // no arrivals left in the run: the generator returns
    M& m = ms_[mi];
    casgstatus(gp, GStatus::kRunning, GStatus::kDead);
    core_.gt.retire(gp);
    gfput(ps_[m.p].gfree, gfree_global_, gp);
    m.curg = kNoG;
    schedule(mi, take_overhead(mi) + prm_.cost_goexit);
    return;
  }
  sleep_until(mi, gp, due);
  gopark(mi, WaitReason::kSleep);
}

// timers.check on P p, run by M mi: every expired timer readies its G (goroutineReady -> goready into
// mi's P runnext).
std::uint32_t GoRun::check_timers(std::uint32_t mi, std::uint32_t p) {
  std::uint32_t ran = 0;
  std::vector<Timer>& heap = ps_[p].timers;
  while (!heap.empty() && heap.front().when <= core_.engine.now()) {
    const std::uint32_t g = heap.front().g;
    std::pop_heap(heap.begin(), heap.end(), std::greater<Timer>());
    heap.pop_back();
    --sleeping_;
    ++timers_run_;
    ++ran;
    const sim::Time overhead = ms_[mi].overhead;
    goready(mi, g);
    ms_[mi].overhead = overhead;  // charged by the caller as cost_timer per timer
  }
  set_timer_bit(p);
  return ran;
}

sim::Time GoRun::earliest_timer() const {
  sim::Time t = 0;
  for (std::size_t w = 0; w < timer_mask_.size(); ++w) {  // the Ps with timers
    for (std::uint64_t bits = timer_mask_[w]; bits != 0; bits &= bits - 1) {
      const P& p = ps_[w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits))];
      if (t == 0 || p.timers.front().when < t) t = p.timers.front().when;
    }
  }
  return t;
}

// wakeNetPoller: a blocking poller that would sleep past `when` is broken out of epoll_wait; with nobody
// in netpoll, wakep brings a P up to handle the timer.
void GoRun::wakeNetPoller(std::uint32_t who, sim::Time when) {
  if (lastpoll_ == 0) {
    if (poll_until_ == 0 || poll_until_ > when) netpollBreak(who);
  } else {
    wakep(who);
  }
}

}  // namespace gmpsim::models::go
