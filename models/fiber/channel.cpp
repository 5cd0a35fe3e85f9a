// Channels with Boost's semantics (boostorg/fiber boost-1.74.0 boost/fiber/buffered_channel.hpp,
// unbuffered_channel.hpp): a power-of-two ring that holds capacity - 1 items, or a one-slot rendezvous in
// which the producer waits until its value is taken; FIFO waiters that retry when woken; an idempotent
// close. Also the advance() hooks that create objects and route blocking steps to them.
#include "models/fiber/fiber.h"
#include "models/fiber/fiberrun.h"

namespace gmpsim::models::fiber {

std::int64_t boost_channel_capacity(std::int64_t go_capacity) {
  if (go_capacity <= 0) return 0;
  std::int64_t c = 2;
  while (c < go_capacity + 1) c <<= 1;
  return c;
}

std::int64_t boost_channel_slots(std::int64_t go_capacity) {
  return go_capacity <= 0 ? 0 : boost_channel_capacity(go_capacity) - 1;
}

std::uint32_t FiberRun::on_make(ObjKind kind, std::int64_t capacity) {
  switch (kind) {
    case ObjKind::kWaitGroup: return core_.sync.wgs.make({});
    case ObjKind::kChannel: {
      const std::uint32_t id = core_.sync.chans.make({boost_channel_slots(capacity), 0, false, {}, {}});
      if (holder_.size() <= id) holder_.resize(id + 1, kNone32);
      holder_[id] = kNone32;
      return id;
    }
    case ObjKind::kMutex: {
      const std::uint32_t id = core_.sync.mutexes.make({});
      if (mutex_owner_.size() <= id) mutex_owner_.resize(id + 1, kNone32);
      mutex_owner_[id] = kNone32;
      return id;
    }
  }
  return 0;
}

SyncStep FiberRun::on_sync(std::uint32_t g, OpCode code, std::uint32_t obj) {
  switch (code) {
    case OpCode::kWgWait: return wg_wait(g, obj);
    case OpCode::kSend: return chan_send(g, obj);
    case OpCode::kRecv: return chan_recv(g, obj);
    case OpCode::kClose: chan_close(obj); return {};
    case OpCode::kLock: return mutex_lock(g, obj);
    case OpCode::kUnlock: mutex_unlock(g, obj); return {};
    default: return {};
  }
}

SyncStep FiberRun::on_select(std::uint32_t, std::uint32_t) {
  throw ProgramPanic("select is not available in Boost.Fiber");  // rejected before the run; never reached
}

std::string FiberRun::chan_name(std::uint32_t ch) const {
  return ch < core_.wl.channels.size() ? "`" + core_.wl.channels[ch].name + "`" : "(a made channel)";
}

SyncStep FiberRun::chan_send(std::uint32_t g, std::uint32_t ch) {
  pending_ += prm_.c_chan;
  ChannelState& c = core_.sync.chans[ch];
  if (c.closed) {
    throw ProgramPanic("push on closed channel " + chan_name(ch) +
                       " (Boost returns channel_op_status::closed; the workload treats it as Go's send on closed channel)");
  }
  if (c.capacity == 0) {  // unbuffered: one slot; the producer waits until a consumer has taken its value
    if (holder_[ch] == kNone32) {
      holder_[ch] = g;
      ++core_.sync.parked;
      wake_first(c.recvq);
      return {SyncStep::kPark};
    }
    core_.sync.park_on(c.sendq, ch, g, core_.engine.now(), true);
    return {SyncStep::kParkRetry};
  }
  if (c.count < c.capacity) {
    ++c.count;
    wake_first(c.recvq);
    return {};
  }
  core_.sync.park_on(c.sendq, ch, g, core_.engine.now(), true);
  return {SyncStep::kParkRetry};
}

SyncStep FiberRun::chan_recv(std::uint32_t g, std::uint32_t ch) {
  pending_ += prm_.c_chan;
  ChannelState& c = core_.sync.chans[ch];
  if (c.capacity == 0) {
    if (holder_[ch] != kNone32) {
      const std::uint32_t producer = holder_[ch];
      holder_[ch] = kNone32;
      --core_.sync.parked;
      wake_first(c.sendq);  // a waiting producer may now fill the slot
      schedule(producer);   // its value was consumed
      return {};
    }
  } else if (c.count > 0) {
    --c.count;
    wake_first(c.sendq);
    return {};
  }
  if (c.closed) return {};  // channel_op_status::closed
  core_.sync.park_on(c.recvq, ch, g, core_.engine.now());
  return {SyncStep::kParkRetry};
}

void FiberRun::chan_close(std::uint32_t ch) {
  pending_ += prm_.c_chan;
  ChannelState& c = core_.sync.chans[ch];
  if (c.closed) return;  // Boost's close() is idempotent (Go would panic)
  if (holder_[ch] != kNone32 || !c.sendq.empty()) {
    throw ProgramPanic("close of channel " + chan_name(ch) +
                       " while fibers wait to push on it (their push returns channel_op_status::closed; Go: send on closed channel)");
  }
  c.closed = true;
  while (!c.recvq.empty()) wake_first(c.recvq);
}

}  // namespace gmpsim::models::fiber
