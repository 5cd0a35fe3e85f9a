// Virtual time: signed 64-bit nanoseconds, so Go's and the kernel's integer constants carry over exactly
// (forcePreemptNS = 10*1000*1000) and arithmetic never rounds. 2^63 ns is about 292 years of simulated time.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

namespace gmpsim::sim {

using Time = std::int64_t;  // nanoseconds of virtual time; also used for durations

inline constexpr Time kNanosecond = 1;
inline constexpr Time kMicrosecond = 1'000;
inline constexpr Time kMillisecond = 1'000'000;
inline constexpr Time kSecond = 1'000'000'000;
inline constexpr Time kTimeMax = std::numeric_limits<Time>::max();

// The longest duration one random draw may take: 10^6 hours, the longest run.duration. Heavy-tailed
// draws (lognormal with a large sigma, Pareto with a small alpha) exceed 2^63 ns; converting such a double
// to an integer is undefined behaviour (llround returns LLONG_MIN on x86), which once made runs go
// backwards in time. Capped here, `now + draw` stays below 2^63 for every run the loader accepts.
inline constexpr Time kMaxDraw = 3'600'000'000'000'000'000;

// A duration drawn as a double of nanoseconds, rounded to Time: NaN and negatives are 0, anything from
// kMaxDraw up is kMaxDraw. The one conversion every draw of a duration goes through.
inline Time draw_to_time(double ns) {
  if (!(ns > 0)) return 0;
  if (ns >= static_cast<double>(kMaxDraw)) return kMaxDraw;
  return std::llround(ns);
}

inline constexpr double to_seconds(Time t) { return static_cast<double>(t) * 1e-9; }
inline constexpr double to_micros(Time t) { return static_cast<double>(t) * 1e-3; }

}  // namespace gmpsim::sim
