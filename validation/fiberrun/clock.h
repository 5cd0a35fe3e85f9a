// CLOCK_MONOTONIC for the runner: reading it, sleeping to a time on it, and busy-waiting on it.
#pragma once
#include <time.h>

#include <cerrno>
#include <cstdint>

namespace gmpsim::fiberrun {

inline std::int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline timespec to_timespec(std::int64_t ns) { return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)}; }

// Sleeps until absolute CLOCK_MONOTONIC time `abs_ns` (retrying after signals).
inline void sleep_until_ns(std::int64_t abs_ns) {
  const timespec ts = to_timespec(abs_ns);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// Compute steps are wall-clock busy-waits: the CPU is held, nothing yields (a fiber is never preempted).
inline void busy_wait(std::int64_t ns) {
  if (ns <= 0) return;
  const std::int64_t until = mono_ns() + ns;
  while (mono_ns() < until) {
  }
}

}  // namespace gmpsim::fiberrun
