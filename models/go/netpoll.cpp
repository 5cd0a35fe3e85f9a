// The netpoller in the `go` model (netpoll.go, netpoll_epoll.go, go1.26; findRunnable steps 5 and 14 of
// the table in proc.cpp):
//   - a network wait parks its G in the netpoller; the kernel makes its fd ready after the sampled delay,
//     but the runtime only learns of it when some M polls: a non-blocking netpoll(0) by an M that ran out
//     of local and global work, the single M blocked in epoll_wait when everything is idle, or sysmon when
//     nobody has polled for 10 ms (sysmon.cpp);
//   - the blocking poller sleeps until the earliest timer, in epoll_wait's millisecond units (shorter
//     waits round up to one unit) plus the kernel's timer slack; an fd becoming ready or netpollBreak
//     (a new earlier timer) wakes it early;
//   - Gs a poll returns are readied together (injectglist): one runs on the polling M, the rest go to
//     the global queue for idle Ps and to the local queue.
// Accept arrivals: per class, a listener goroutine loops accept4 -> `go handler` -> accept4, parking in
// the netpoller when the backlog is empty, as net/http's Server.Serve does; the handler holds the
// connection's fd until it exits, and accept4 fails with EMFILE at RLIMIT_NOFILE (fd.cpp).
#include "models/go/gorun.h"

namespace gmpsim::models::go {

void GoRun::on_net_wait(std::uint32_t g, sim::Time d) {
  park_reason_ = WaitReason::kIOWait;
  ++netpoll_waiters_;
  netpoll_inited_ = true;
  core_.engine.schedule_in(d, sim::kBandDefault, kNetReady, g);
}

// The kernel: g's fd is ready. A blocked epoll_wait returns (its thread wakes).
void GoRun::net_ready(std::uint32_t g) {
  net_ready_.push_back(g);
  if (poller_ != kNoG) {
    ks_.interrupt_sleep(poller_);
    ks_.wake(poller_);
  }
}

void GoRun::netpoll_collect(std::vector<std::uint32_t>& out) {
  ++netpolls_;
  for (std::uint32_t n = 0; n < prm_.netpoll_max_events && !net_ready_.empty(); ++n) {
    const std::uint32_t g = net_ready_.pop_front();
    --netpoll_waiters_;
    ++netpoll_ready_gs_;
    out.push_back(g);
  }
}

// Step 5: netpoll(0) when goroutines wait on the network and no M is blocked polling.
bool GoRun::netpoll_nonblocking(std::uint32_t mi, sim::Time& cost) {
  if (!netpoll_inited_ || !netpoll_any_waiters() || lastpoll_ == 0) return false;
  cost += prm_.syscall;
  glist_.clear();
  netpoll_collect(glist_);
  if (glist_.empty()) return false;
  const std::uint32_t gp = glist_.front();
  glist_.erase(glist_.begin());
  record_unpark(gp);
  casgstatus(gp, GStatus::kWaiting, GStatus::kRunnable);
  core_.gt[gp].ready_at = core_.engine.now();
  injectglist(mi, glist_);
  cost += take_overhead(mi);
  schedule_execute(mi, gp, false, cost);
  return true;
}

// Step 14: with goroutines on the network or a timer pending, the M (which has dropped its P) becomes
// the one blocking poller. Returns false when the M should stopm instead.
bool GoRun::netpoll_block(std::uint32_t mi, sim::Time poll_until) {
  if (netpoll_inited_ && (netpoll_any_waiters() || poll_until != 0) && lastpoll_ != 0) {
    lastpoll_ = 0;
    poll_until_ = poll_until;
    poller_ = mi;
    poller_broken_ = false;
    ++netpoll_blocking_;
    ms_[mi].phase = Phase::kNetpollReturn;
    // The delay is computed where the runtime computes it: after this M's scheduling pass and the
    // syscall entry, which the model charges after its decisions.
    sim::Time delay = -1;
    if (poll_until != 0) delay = std::max<sim::Time>(0, poll_until - core_.engine.now() - prm_.cost_schedule - prm_.syscall);
    if (!net_ready_.empty() || delay == 0) {  // ready at once: epoll_wait returns without sleeping
      ks_.run_for(mi, prm_.syscall, kSched);
    } else if (delay < 0) {
      ks_.block(mi);  // epoll_wait(-1)
    } else {
      // netpoll(delay): < 1 ms waits 1 ms, longer ones are truncated to whole ms; the kernel adds slack.
      const sim::Time units = delay < prm_.epoll_unit ? 1 : delay / prm_.epoll_unit;
      // The timeout fires up to the slack late; waking the thread (on an idle CPU) adds the thread layer's
      // wake latency and idle exit.
      ks_.sleep(mi, units * prm_.epoll_unit + prm_.timer_slack);
    }
    return true;
  }
  if (poll_until != 0 && netpoll_inited_ && lastpoll_ == 0 && (poll_until_ == 0 || poll_until_ > poll_until)) netpollBreak(mi);
  return false;
}

// epoll_wait returned (timeout, an fd, or netpollBreak): lastpoll = now; take an idle P if there is one.
void GoRun::netpoll_return(std::uint32_t mi) {
  M& m = ms_[mi];
  glist_.clear();
  netpoll_collect(glist_);
  lastpoll_ = core_.engine.now();
  poll_until_ = 0;
  poller_ = kNoG;
  poller_broken_ = false;
  if (pidle_.empty()) {
    injectglist(kNoG, glist_);
    stopm(mi);
    return;
  }
  acquirep(mi, pidleget());
  if (!glist_.empty()) {
    const std::uint32_t gp = glist_.front();
    glist_.erase(glist_.begin());
    record_unpark(gp);
    casgstatus(gp, GStatus::kWaiting, GStatus::kRunnable);
    core_.gt[gp].ready_at = core_.engine.now();
    injectglist(mi, glist_);
    schedule_execute(mi, gp, false, prm_.cost_schedule + prm_.syscall + take_overhead(mi));
    return;
  }
  if (m.was_spinning) {
    m.spinning = true;
    ++nmspinning_;
    peak_spinning_ = std::max(peak_spinning_, nmspinning_);
  }
  m.was_spinning = false;
  findRunnable(mi, prm_.syscall);  // goto top: timers first
}

// netpollBreak: a write to the wake-up fd (netpoll_epoll.go: write(netpollEventFd)) makes the blocking
// epoll_wait return (deduplicated by netpollWakeSig). The M that writes pays the write and, when the
// poller's thread wakes on another, idle CPU, the IPI.
void GoRun::netpollBreak(std::uint32_t who) {
  if (poller_ == kNoG || poller_broken_) return;
  poller_broken_ = true;
  ++netpoll_breaks_;
  if (who != kNoG) ms_[who].overhead += prm_.syscall;
  wake_thread(poller_, 0, who);
}

// A connection arrives for class cls: it joins the listener's backlog; a listener parked in the
// netpoller becomes ready.
void GoRun::accept_arrival(std::uint16_t cls, sim::Time at, std::uint32_t client) {
  Listener& l = listeners_[cls];
  l.backlog.push_back({at, client});
  if (l.in_netpoll) {
    l.in_netpoll = false;
    net_ready(l.g);
  }
}

// The listener goroutine's loop: accept4 (a syscall, CPU time of the goroutine), then `go handler(conn)`
// into this P's runnext, again; EAGAIN parks it in the netpoller.
void GoRun::listener_step(std::uint32_t mi) {
  M& m = ms_[mi];
  const std::uint16_t cls = core_.gt[m.curg].cls;
  Listener& l = listeners_[cls];
  if (!l.accepting) {
    l.accepting = true;
    m.phase = Phase::kRunning;
    ks_.run_for(mi, prm_.syscall + take_overhead(mi), kWork);
    return;
  }
  l.accepting = false;
  if (!l.backlog.empty()) {
    if (!fd_accept(mi)) return;  // EMFILE: the run ends (fail), or Serve sleeps and retries (fd.cpp)
    const Listener::Conn c = l.backlog.pop_front();
    fd_opened(newproc(mi, cls, c.at, c.client, kNone32));
    l.temp_delay = 0;
    listener_step(mi);
    return;
  }
  l.in_netpoll = true;
  ++netpoll_waiters_;
  netpoll_inited_ = true;
  gopark(mi, WaitReason::kIOWait);
}

// How work enters (runtime.arrivals): initial populations on the global queue; open and closed loops
// through a listener (accept), keep-alive connections (netpoll), generator goroutines, or the global queue.
void GoRun::start_arrivals() {
  fd_start();  // the process's fds; how many keep-alive connections the limit lets it accept (conn_open_)
  for (std::size_t c = 0; c < core_.wl.classes.size(); ++c) {
    const Arrivals& a = core_.wl.classes[c].arrivals;
    if (a.process == Arrivals::Process::kInitial) {
      for (std::int64_t i = 0; i < a.count; ++i) {
        inject(create(static_cast<std::uint16_t>(c), 0, kNone32, kNoG, kNone32));
        // A population far larger than the machine: once its stacks alone pass RAM and swap, the runtime's
        // own out-of-memory comes now, before the simulator builds records for all of it.
        if ((i & 0xffff) == 0xffff && memory_bytes() > core_.sc.machine.memory_bytes + core_.sc.bytes("vm.swap.size")) {
          check_memory();
          if (oom_) return;
        }
      }
      startIdle(static_cast<std::size_t>(std::max<std::int64_t>(0, a.count - 1)));  // M0 takes the first
    } else if (a.process == Arrivals::Process::kNone) {
      continue;
    } else if (prm_.arrivals == Params::Entry::kNetpoll) {
      // Keep-alive connections: each goroutine starts parked in the netpoller, waiting for a request.
      if (conn_first_.empty()) conn_first_.assign(core_.wl.classes.size(), 0);
      conn_first_[c] = static_cast<std::uint32_t>(conns_.size());
      for (std::uint32_t i = 0; i < conn_open_[c]; ++i) {
        const std::uint32_t g = core_.gt.create(static_cast<std::uint16_t>(c), 0);
        core_.gt[g].flags = static_cast<std::uint16_t>(static_cast<std::uint16_t>(GStatus::kWaiting) |
                                                  (static_cast<std::uint16_t>(WaitReason::kIOWait) << 4) |
                                                  (static_cast<std::uint16_t>(GRole::kConnection) << 13));
        trace_g(g, GStatus::kWaiting);
        init_locals(core_.wl, core_.gt, g, kNone32, [this](ObjKind k, std::uint32_t id) { core_.sync.retain(k, id); });
        if (conn_of_g_.size() <= g) conn_of_g_.resize(g + 1, kNoG);
        conn_of_g_[g] = static_cast<std::uint32_t>(conns_.size());
        conns_.push_back(Connection{g, true, false, {}});
        ++netpoll_waiters_;
        netpoll_inited_ = true;
      }
      allgs_ = std::max<std::uint64_t>(allgs_, core_.gt.capacity());
    } else if (prm_.arrivals == Params::Entry::kAccept ||
               (prm_.arrivals == Params::Entry::kGenerator && a.process != Arrivals::Process::kClosed)) {
      // accept: net/http's listener starts runnable, runs, finds no connection and parks in netpoll.
      // generator: a goroutine that sleeps until each arrival and starts its handler.
      const bool accept = prm_.arrivals == Params::Entry::kAccept;
      const std::uint32_t g = core_.gt.create(static_cast<std::uint16_t>(c), 0);
      core_.gt[g].flags = static_cast<std::uint16_t>(static_cast<std::uint16_t>(GStatus::kRunnable) | (accept ? 1u << 13 : 1u << 14));
      trace_g(g, GStatus::kRunnable);
      allgs_ = std::max<std::uint64_t>(allgs_, core_.gt.capacity());
      if (accept) listeners_[c].g = g;
      inject(g);
    }
  }
  // Generator mode draws open-loop arrival times in its goroutines; the driver handles the rest.
  if (prm_.arrivals != Params::Entry::kGenerator) {
    core_.arrivals.start();
  } else {
    for (std::size_t c = 0; c < core_.wl.classes.size(); ++c) {
      if (core_.wl.classes[c].arrivals.process == Arrivals::Process::kClosed) {
        for (std::int64_t i = 0; i < core_.wl.classes[c].arrivals.clients; ++i) core_.arrivals.next_submit(static_cast<std::uint16_t>(c), static_cast<std::uint32_t>(i), 0);
      }
    }
  }
}

// netpoll mode: a request arrives on a random keep-alive connection of its class; a connection goroutine
// parked in the netpoller becomes ready.
void GoRun::connection_arrival(std::uint16_t cls, sim::Time at, std::uint32_t client) {
  const std::uint32_t n = conn_open_[cls];  // runtime.connections, fewer when EMFILE refused some (fd.cpp)
  const std::uint32_t pick = client != kNone32 ? client % n : static_cast<std::uint32_t>(conn_rng_.next_u64() % n);
  Connection& c = conns_[conn_first_[cls] + pick];
  c.requests.push_back({at, client});
  if (c.in_netpoll) {
    c.in_netpoll = false;
    net_ready(c.g);
  }
}

// A connection goroutine reached the end of its program: the request is done (its latency counts from
// the arrival); it starts the next queued request at once, or parks in the netpoller. Returns false only
// if the goroutine should really exit (never, for now).
bool GoRun::connection_next(std::uint32_t mi) {
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  Goroutine& g = core_.gt[gp];
  Connection& c = conns_[conn_of_g_[gp]];
  if (c.serving) {  // the request is done
    c.serving = false;
    gc_program_done(gp);
    core_.stats.exited(g.cls, g.start, core_.engine.now());
    if (g.client != kNone32) core_.arrivals.next_submit(g.cls, g.client, core_.engine.now());
  }
  release_locals(core_.wl, core_.gt, gp, [this](ObjKind k, std::uint32_t id) { core_.sync.release(k, id); });
  core_.gt[gp].pc = 0;
  if (!c.requests.empty()) {
    const Listener::Conn r = c.requests.pop_front();
    core_.gt[gp].start = r.at;
    core_.gt[gp].client = r.client;
    c.serving = true;
    core_.stats.created(core_.gt[gp].cls);
    init_locals(core_.wl, core_.gt, gp, kNone32, [this](ObjKind k, std::uint32_t id) { core_.sync.retain(k, id); });
    continue_g(mi);
    return true;
  }
  c.in_netpoll = true;
  ++netpoll_waiters_;
  gopark(mi, WaitReason::kIOWait);
  return true;
}

}  // namespace gmpsim::models::go
