// Engine: the discrete-event loop. It owns virtual time and the event queue and hands each event to a
// model-supplied dispatcher. It knows nothing of goroutines, processors or kernels.
//
// The dispatcher is a template parameter (any callable taking `const Event&`), so a model's `switch` on
// event kinds is inlined into the loop: no virtual call and no allocation per event.
//
// Same-instant ordering uses bands (see EventQueue). Named bands, lowest fires first:
//   kBandFirst   (-64) work that must settle before anything observes the instant (e.g. timer expiry
//                      before the processor that checks timers runs);
//   kBandDefault (0)   ordinary model events;
//   kBandLate    (64)  daemons that sample the state after same-instant work (e.g. Go's sysmon);
//   kBandObserve (120) statistics sampling and the end-of-run marker, which must see the settled state.
//                      Observation changes nothing, so these events stay out of the fingerprint: sampling
//                      more or less often leaves it unchanged.
#pragma once
#include <cstdint>

#include "sim/check.h"
#include "sim/event_queue.h"
#include "sim/time.h"
#include "sim/trace.h"

namespace gmpsim::sim {

inline constexpr Band kBandFirst = -64;
inline constexpr Band kBandDefault = 0;
inline constexpr Band kBandLate = 64;
inline constexpr Band kBandObserve = 120;

enum class StopReason : std::uint8_t {
  kQueueEmpty,    // no pending event remains
  kTimeReached,   // the next event lies after the `until` bound
  kStopped,       // a handler called stop()
  kEventLimit,    // the event budget given to run() was spent
};

class Engine {
 public:
  Time now() const { return now_; }

  // Schedules an event at absolute time `t` (>= now()).
  EventId schedule_at(Time t, Band band, std::uint32_t kind, std::uint32_t arg = 0, std::uint32_t arg2 = 0) {
    GMPSIM_CHECK(t >= now_, "schedule_at: event in the past");
    return queue_.push(t, band, kind, arg, arg2);
  }
  // Schedules an event `dt` (>= 0) after now().
  EventId schedule_in(Time dt, Band band, std::uint32_t kind, std::uint32_t arg = 0, std::uint32_t arg2 = 0) {
    return schedule_at(now_ + dt, band, kind, arg, arg2);
  }
  bool cancel(EventId id) { return queue_.cancel(id); }
  bool pending(EventId id) const { return queue_.pending(id); }

  // Asks run() to return after the current event.
  void stop() { stop_requested_ = true; }

  // Dispatches events in order while their time is <= `until`, at most `max_events` of them.
  // Virtual time advances to each event's time; it is left at the last event's time (not at `until`).
  template <class Dispatch>
  StopReason run(Time until, Dispatch&& dispatch, std::uint64_t max_events = UINT64_MAX) {
    stop_requested_ = false;
    Event ev;
    for (std::uint64_t n = 0;; ++n) {
      if (n == max_events) return StopReason::kEventLimit;
      const Time next = queue_.next_time();
      if (queue_.empty()) return StopReason::kQueueEmpty;
      if (next > until) return StopReason::kTimeReached;
      queue_.take_next(ev);
      now_ = ev.time;
      ++events_;
      if (fingerprinting_ && ev.band() != kBandObserve) fingerprint_.add(ev.time, (std::uint64_t{ev.kind} << 32) | ev.arg, ev.arg2);
      dispatch(ev);
      if (stop_requested_) return StopReason::kStopped;
    }
  }

  std::uint64_t events_processed() const { return events_; }
  std::size_t pending_events() const { return queue_.size(); }

  // Event-stream fingerprint over (time, kind, arg, arg2) of every dispatched event outside kBandObserve,
  // for golden tests.
  void enable_fingerprint(bool on) { fingerprinting_ = on; }
  std::uint64_t fingerprint() const { return fingerprint_.value(); }

  Tracer& tracer() { return tracer_; }
  EventQueue& queue() { return queue_; }

 private:
  EventQueue queue_;
  Tracer tracer_;
  Fingerprint fingerprint_;
  Time now_ = 0;
  std::uint64_t events_ = 0;
  bool stop_requested_ = false;
  bool fingerprinting_ = false;
};

}  // namespace gmpsim::sim
