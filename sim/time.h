// Virtual time: signed 64-bit nanoseconds, so Go's and the kernel's integer constants carry over exactly
// (forcePreemptNS = 10*1000*1000) and arithmetic never rounds. 2^63 ns is about 292 years of simulated time.
#pragma once
#include <cstdint>
#include <limits>

namespace gmpsim::sim {

using Time = std::int64_t;  // nanoseconds of virtual time; also used for durations

inline constexpr Time kNanosecond = 1;
inline constexpr Time kMicrosecond = 1'000;
inline constexpr Time kMillisecond = 1'000'000;
inline constexpr Time kSecond = 1'000'000'000;
inline constexpr Time kTimeMax = std::numeric_limits<Time>::max();

inline constexpr double to_seconds(Time t) { return static_cast<double>(t) * 1e-9; }
inline constexpr double to_micros(Time t) { return static_cast<double>(t) * 1e-3; }

}  // namespace gmpsim::sim
