#include "models/workload/sync.h"

namespace gmpsim::models {

SyncObjects::Wake SyncObjects::take(WaitQueue& q) {
  const std::uint32_t s = sudogs.pop_front(q);
  const Wake w{sudogs[s].g, sudogs[s].select_case};
  // A select waits on several channels: the first case to fire removes the others (selectgo pass 3).
  for (std::uint32_t o = sudogs[s].sibling; o != s;) {
    const std::uint32_t next = sudogs[o].sibling;
    ChannelState& c = chans[sudogs[o].obj];
    sudogs.remove(sudogs[o].is_send ? c.sendq : c.recvq, o);
    sudogs.release(o);
    o = next;
  }
  sudogs.release(s);
  --parked;
  return w;
}

std::string SyncObjects::chan_name(std::uint32_t ch) const {
  return ch < wl_.channels.size() ? "`" + wl_.channels[ch].name + "`" : "(a made channel)";
}

void SyncObjects::wg_add(const Workload& wl, std::uint32_t wg, std::int64_t delta, std::vector<Wake>& woken) {
  WaitGroupState& w = wgs[wg];
  w.counter += delta;
  if (w.counter < 0) {
    throw ProgramPanic("sync: negative WaitGroup counter (WaitGroup " +
                       (wg < wl.waitgroups.size() ? "`" + wl.waitgroups[wg] + "`" : std::string("(a made WaitGroup)")) +
                       "): more wg_done than wg_add");
  }
  if (w.counter == 0) {
    while (!w.waiters.empty()) woken.push_back(take(w.waiters));
  }
}

SyncObjects::Result SyncObjects::wg_wait(std::uint32_t wg, std::uint32_t g, sim::Time now) {
  if (wgs[wg].counter == 0) return Result::kDone;
  park_on(wgs[wg].waiters, wg, g, now);
  return Result::kPark;
}

SyncObjects::Result SyncObjects::chan_send(const Workload& wl, std::uint32_t ch, std::uint32_t g, sim::Time now,
                                           std::vector<Wake>& woken) {
  (void)wl;
  ChannelState& c = chans[ch];
  if (c.closed) throw ProgramPanic("panic: send on closed channel " + chan_name(ch));
  if (!c.recvq.empty()) {  // a receiver waits: hand the value over directly (send -> sendDirect)
    woken.push_back(take(c.recvq));
    return Result::kDone;
  }
  if (c.count < c.capacity) {
    ++c.count;
    return Result::kDone;
  }
  park_on(c.sendq, ch, g, now, true);
  return Result::kPark;
}

SyncObjects::Result SyncObjects::chan_recv(std::uint32_t ch, std::uint32_t g, sim::Time now, std::vector<Wake>& woken) {
  ChannelState& c = chans[ch];
  if (!c.sendq.empty()) {
    // A sender waits: unbuffered, take its value; buffered (and so full), take the head and move the
    // sender's value to the tail. Either way the sender is done.
    woken.push_back(take(c.sendq));
    return Result::kDone;
  }
  if (c.count > 0) {
    --c.count;
    return Result::kDone;
  }
  if (c.closed) return Result::kDone;  // the zero value
  park_on(c.recvq, ch, g, now);
  return Result::kPark;
}

void SyncObjects::chan_close(const Workload& wl, std::uint32_t ch, std::vector<Wake>& woken) {
  (void)wl;
  ChannelState& c = chans[ch];
  if (c.closed) throw ProgramPanic("panic: close of closed channel " + chan_name(ch));
  c.closed = true;
  while (!c.recvq.empty()) woken.push_back(take(c.recvq));
  if (!c.sendq.empty()) throw ProgramPanic("panic: send on closed channel " + chan_name(ch) + " (a sender was waiting when it was closed)");
}

std::uint32_t SyncObjects::select(const Workload& wl, const Select& sel, const std::uint32_t* objects,
                                  const std::uint32_t* order, std::uint32_t g, sim::Time now, std::vector<Wake>& woken) {
  const auto n = static_cast<std::uint32_t>(sel.cases.size());
  std::uint32_t dflt = kParked;
  // Pass 1: the first ready case in poll order.
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::uint32_t i = order[k];
    const SelectCase& sc = sel.cases[i];
    if (sc.kind == SelectCase::Kind::kDefault) {
      dflt = i;
      continue;
    }
    ChannelState& c = chans[objects[i]];
    if (sc.kind == SelectCase::Kind::kRecv) {
      if (!c.sendq.empty() || c.count > 0 || c.closed) {
        chan_recv(objects[i], g, now, woken);
        return i;
      }
    } else {
      if (c.closed || !c.recvq.empty() || c.count < c.capacity) {
        chan_send(wl, objects[i], g, now, woken);
        return i;
      }
    }
  }
  if (dflt != kParked) return dflt;
  // Pass 2: wait on every case; the sudogs form a ring through `sibling`.
  std::uint32_t first = kNoSudog, prev = kNoSudog;
  for (std::uint32_t i = 0; i < n; ++i) {
    const SelectCase& sc = sel.cases[i];
    ChannelState& c = chans[objects[i]];
    const bool send = sc.kind == SelectCase::Kind::kSend;
    const std::uint32_t s = sudogs.alloc(g, objects[i], now);
    sudogs[s].is_send = send ? 1 : 0;
    sudogs[s].select_case = static_cast<std::uint16_t>(i);
    sudogs.push_back(send ? c.sendq : c.recvq, s);
    if (first == kNoSudog) first = s; else sudogs[prev].sibling = s;
    prev = s;
  }
  sudogs[prev].sibling = first;
  ++parked;
  return kParked;
}

std::string SyncObjects::describe_parked(const Workload& wl) const {
  std::string out;
  auto add = [&](std::uint32_t n, const std::string& what) {
    if (n > 0) out += (out.empty() ? "" : ", ") + std::to_string(n) + " on " + what;
  };
  for (std::uint32_t i = 0; i < wl.waitgroups.size(); ++i) {
    add(wgs[i].waiters.size, "WaitGroup `" + wl.waitgroups[i] + "` (counter " + std::to_string(wgs[i].counter) + ")");
  }
  for (std::uint32_t i = 0; i < wl.channels.size(); ++i) {
    add(chans[i].recvq.size, "channel `" + wl.channels[i].name + "` (receive)");
    add(chans[i].sendq.size, "channel `" + wl.channels[i].name + "` (send)");
  }
  for (std::uint32_t i = 0; i < wl.mutexes.size(); ++i) add(mutexes[i].waiters.size, "mutex `" + wl.mutexes[i] + "`");
  std::uint64_t global = 0;
  for (std::uint32_t i = 0; i < wl.waitgroups.size(); ++i) global += wgs[i].waiters.size;
  for (std::uint32_t i = 0; i < wl.channels.size(); ++i) global += chans[i].recvq.size + chans[i].sendq.size;
  for (std::uint32_t i = 0; i < wl.mutexes.size(); ++i) global += mutexes[i].waiters.size;
  // Sudogs of selects count once per case; what remains are waits on objects made at run time.
  if (sudogs.live() > global) add(static_cast<std::uint32_t>(sudogs.live() - global), "made objects or selects (sudogs)");
  return out;
}

}  // namespace gmpsim::models
