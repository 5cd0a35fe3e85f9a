// File descriptors in the `go` model: RLIMIT_NOFILE as a resource of network scenarios.
//   - The process holds its own fds from the start (kStdioFds, the netpoller's from netpollinit, one
//     listening socket per class with arrivals) and one per open connection: an accepted connection from
//     accept4 until its handler exits (runtime.arrivals accept), or each keep-alive connection for the
//     whole run (netpoll).
//   - The kernel hands out the lowest free fd and refuses one at or above the soft limit (accept4 and
//     socket fail with EMFILE; fs/file.c alloc_fd, getrlimit(2)): with fds allocated densely that is
//     "fds in use reach the soft limit", which is what is counted here.
//   - Go's init raises the soft limit toward the hard one (Params: syscall/rlimit.go in go1.26.8,
//     os/rlimit.go in go1.19.8) unless runtime.raise_nofile is false.
//   - On EMFILE, rlimit.on_emfile: `retry` is net/http's Server.Serve (server.go): EMFILE is a temporary
//     error (syscall Errno.Temporary), so Serve sleeps tempDelay (5 ms, doubling, at most 1 s; reset by
//     the next accept that succeeds) and calls Accept again, while the connection waits in the listen
//     backlog; `fail` ends the run with outcome too_many_open_files (a server that log.Fatal's on an
//     Accept error).
#include <algorithm>
#include <string>

#include "models/go/gorun.h"
#include "models/run/trace_events.h"

namespace gmpsim::models::go {

namespace {
// Standard input, output and error, open when the process starts (and counted by the kernel's fd table).
constexpr std::int64_t kStdioFds = 3;
// net/http Server.Serve: tempDelay starts at 5 ms, doubles, and is capped at 1 s.
constexpr sim::Time kAcceptDelayFirst = 5'000'000;
constexpr sim::Time kAcceptDelayMax = 1'000'000'000;
}  // namespace

// At start (start_arrivals): the process's own fds; in netpoll mode the keep-alive connections, as many
// per class as the limit lets it accept (conn_open_). No fd for the listener itself, or none for any
// connection of a class, ends the run at t = 0.
void GoRun::fd_start() {
  const std::size_t nclasses = core_.wl.classes.size();
  conn_open_.assign(nclasses, 0);
  const bool network = prm_.arrivals == Params::Entry::kAccept || prm_.arrivals == Params::Entry::kNetpoll;
  std::int64_t listeners = 0;
  for (const auto& c : core_.wl.classes) {
    const Arrivals::Process p = c.arrivals.process;
    if (network && p != Arrivals::Process::kInitial && p != Arrivals::Process::kNone) ++listeners;
  }
  fds_base_ = kStdioFds + (listeners > 0 ? prm_.netpoll_fds + listeners : 0);
  fds_open_ = fds_peak_ = fds_base_;
  auto fail_at_start = [&](const std::string& what) {
    fd_exhausted_ = true;
    fd_detail_ = what;
    core_.engine.schedule_in(0, sim::kBandDefault, kFdExhausted, 0);
  };
  if (listeners > 0 && fds_base_ > prm_.nofile) {
    fail_at_start("listen tcp: socket: too many open files: the process's own " + std::to_string(fds_base_) +
                  " fds (stdio, the netpoller's, " + std::to_string(listeners) + " listening sockets) exceed RLIMIT_NOFILE " +
                  std::to_string(prm_.nofile));
    return;
  }
  if (prm_.arrivals != Params::Entry::kNetpoll) return;
  for (std::size_t c = 0; c < nclasses; ++c) {
    const Arrivals::Process p = core_.wl.classes[c].arrivals.process;
    if (p == Arrivals::Process::kInitial || p == Arrivals::Process::kNone) continue;
    const std::int64_t room = std::max<std::int64_t>(0, prm_.nofile - fds_open_);
    const std::int64_t want = prm_.connections;
    const auto open = static_cast<std::uint32_t>(std::min(want, room));
    conn_open_[c] = open;
    fds_open_ += open;
    fds_peak_ = fds_open_;
    if (open == want) continue;
    emfile_ += static_cast<std::uint64_t>(want - open);
    core_.engine.tracer().emit({0, kTraceAcceptEmfile, kNoG, static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(fds_open_)});
    const std::string what = "accept4: too many open files: " + std::to_string(want - open) + " of the " + std::to_string(want) +
                             " keep-alive connections of class " + core_.wl.classes[c].name + " find no fd under RLIMIT_NOFILE " +
                             std::to_string(prm_.nofile) + " (" + std::to_string(fds_open_) + " open)";
    if (prm_.nofile_fail || open == 0) {
      fail_at_start(what + (open == 0 ? "; no connection of the class can be served" : ""));
      return;
    }
    // retry: Serve backs off and retries forever, but a pool's connections never close, so these stay in
    // the backlog; the client's requests go to the connections that were accepted.
    conns_unaccepted_ += static_cast<std::uint64_t>(want - open);
  }
}

// accept4 on M mi's listener found a connection in the backlog. With an fd free under the limit it
// succeeds (true; the caller starts the handler, fd_opened). Otherwise EMFILE: the run ends (fail), or
// the listener sleeps Serve's tempDelay and accepts again (retry); false either way.
bool GoRun::fd_accept(std::uint32_t mi) {
  if (fds_open_ < prm_.nofile) return true;
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  const std::uint16_t cls = core_.gt[gp].cls;
  Listener& l = listeners_[cls];
  ++emfile_;
  core_.engine.tracer().emit({core_.engine.now(), kTraceAcceptEmfile, gp, cls, static_cast<std::uint32_t>(fds_open_)});
  if (prm_.nofile_fail) {
    fd_exhausted_ = true;
    fd_detail_ = "accept4: too many open files (EMFILE): " + std::to_string(fds_open_) + " fds open (" + std::to_string(fds_base_) +
                 " the process's own, " + std::to_string(fds_open_ - fds_base_) + " connections) at RLIMIT_NOFILE " +
                 std::to_string(prm_.nofile) + ", " + std::to_string(l.backlog.size()) + " connections waiting in the backlog of class " +
                 core_.wl.classes[cls].name;
    core_.engine.stop();
    return false;
  }
  l.temp_delay = l.temp_delay == 0 ? kAcceptDelayFirst : std::min(2 * l.temp_delay, kAcceptDelayMax);
  ++emfile_retries_;
  emfile_backoff_ += l.temp_delay;
  sleep_until(mi, gp, core_.engine.now() + l.temp_delay);  // time.Sleep(tempDelay)
  gopark(mi, WaitReason::kSleep);
  return false;
}

void GoRun::fd_opened(std::uint32_t g) {
  if (fd_held_.size() <= g) fd_held_.resize(std::max<std::size_t>(core_.gt.capacity(), g + 1), 0);
  fd_held_[g] = 1;
  if (++fds_open_ > fds_peak_) fds_peak_ = fds_open_;
}

Json GoRun::fds_json() const {
  return {{"soft_limit", prm_.nofile_soft},
          {"hard_limit", prm_.nofile_hard},
          {"limit", prm_.nofile},
          {"base", fds_base_},
          {"peak", fds_peak_},
          {"open_at_end", fds_open_},
          {"emfile", emfile_},
          {"accept_retries", emfile_retries_},
          {"backoff_s", sim::to_seconds(emfile_backoff_)},
          {"unaccepted_connections", conns_unaccepted_},
          {"note", "limit: the soft RLIMIT_NOFILE after Go's init raised it (runtime.raise_nofile); base: stdio, the netpoller's "
                   "and the listening sockets"}};
}

}  // namespace gmpsim::models::go
