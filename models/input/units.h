// Quantities with units, as scenario files write them: "100us", "2ms", "16GiB", "250Hz", "20000/s".
// Parsing is strict: a quantity without its unit, or with a unit of the wrong kind, is an error whose
// message says what was expected, because a silent default unit is how "100" ends up meaning 100 ns.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/time.h"

namespace gmpsim::models {

// Thrown for malformed quantities; the caller adds the key it came from.
struct UnitError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Durations: ns, us (or µs), ms, s, min, h. Fractions allowed ("1.5ms"); the result is a whole
// number of nanoseconds after rounding to nearest; negative durations are rejected.
sim::Time parse_duration(std::string_view text);
// Bytes: B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024).
std::int64_t parse_bytes(std::string_view text);
// Frequency in Hz: Hz, kHz, MHz, GHz.
double parse_frequency(std::string_view text);
// Rate in events per second: "<number>/s", "/ms", "/us", "/ns", "/min", "/h".
double parse_rate(std::string_view text);

// Canonical text of a duration: the largest unit that keeps it an integer ("1500us" -> "1500us",
// "2000000ns" -> "2ms").
std::string format_duration(sim::Time t);
std::string format_bytes(std::int64_t bytes);

}  // namespace gmpsim::models
