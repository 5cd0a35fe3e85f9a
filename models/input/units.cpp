#include "models/input/units.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace gmpsim::models {
namespace {

struct Unit {
  std::string_view suffix;
  double factor;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "12.5ms" into 12.5 and "ms". Throws if there is no leading number.
std::pair<double, std::string_view> split_number(std::string_view text, std::string_view what) {
  text = trim(text);
  std::string buf(text);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(buf.c_str(), &end);
  if (end == buf.c_str()) {
    throw UnitError("expected " + std::string(what) + ", got \"" + buf + "\"");
  }
  if (errno == ERANGE || !std::isfinite(v)) throw UnitError("number out of range in \"" + buf + "\"");
  std::string_view unit = trim(text.substr(static_cast<std::size_t>(end - buf.c_str())));
  return {v, unit};
}

template <std::size_t N>
double scaled(std::string_view text, const Unit (&units)[N], std::string_view what, std::string_view examples) {
  auto [v, unit] = split_number(text, what);
  if (unit.empty()) {
    throw UnitError("\"" + std::string(trim(text)) + "\" has no unit; write " + std::string(what) + " with a unit, e.g. " +
                    std::string(examples));
  }
  for (const Unit& u : units) {
    if (unit == u.suffix) return v * u.factor;
  }
  throw UnitError("unknown unit \"" + std::string(unit) + "\" in \"" + std::string(trim(text)) + "\"; expected " +
                  std::string(what) + " such as " + std::string(examples));
}

constexpr Unit kDurationUnits[] = {{"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6},
                                   {"s", 1e9}, {"min", 60e9}, {"h", 3600e9}};
constexpr Unit kByteUnits[] = {{"B", 1},       {"KB", 1e3},           {"MB", 1e6},
                               {"GB", 1e9},    {"TB", 1e12},          {"KiB", 1024.0},
                               {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
constexpr Unit kFrequencyUnits[] = {{"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}};
constexpr Unit kRatePerUnits[] = {{"/s", 1}, {"/ms", 1e3}, {"/us", 1e6}, {"/ns", 1e9}, {"/min", 1.0 / 60}, {"/h", 1.0 / 3600}};

}  // namespace

sim::Time parse_duration(std::string_view text) {
  const double ns = scaled(text, kDurationUnits, "a duration", "100us, 2ms or 1.5s");
  if (ns < 0) throw UnitError("duration \"" + std::string(trim(text)) + "\" is negative");
  if (ns > 9.2e18) throw UnitError("duration \"" + std::string(trim(text)) + "\" is too long (limit about 292 years)");
  return static_cast<sim::Time>(std::llround(ns));
}

std::int64_t parse_bytes(std::string_view text) {
  const double b = scaled(text, kByteUnits, "a size", "2KiB, 512MiB or 16GiB");
  if (b < 0) throw UnitError("size \"" + std::string(trim(text)) + "\" is negative");
  if (b > 9.2e18) throw UnitError("size \"" + std::string(trim(text)) + "\" is too large");
  return static_cast<std::int64_t>(std::llround(b));
}

double parse_frequency(std::string_view text) {
  const double hz = scaled(text, kFrequencyUnits, "a frequency", "250Hz or 1kHz");
  if (hz < 0) throw UnitError("frequency \"" + std::string(trim(text)) + "\" is negative");
  return hz;
}

double parse_rate(std::string_view text) {
  const double r = scaled(text, kRatePerUnits, "a rate", "20000/s or 20/ms");
  if (r < 0) throw UnitError("rate \"" + std::string(trim(text)) + "\" is negative");
  return r;
}

std::string format_duration(sim::Time t) {
  static constexpr std::pair<sim::Time, const char*> kUnits[] = {
      {3600 * sim::kSecond, "h"}, {60 * sim::kSecond, "min"}, {sim::kSecond, "s"},
      {sim::kMillisecond, "ms"},  {sim::kMicrosecond, "us"}};
  if (t == 0) return "0s";
  for (auto [scale, name] : kUnits) {
    if (t % scale == 0) return std::to_string(t / scale) + name;
  }
  return std::to_string(t) + "ns";
}

std::string format_bytes(std::int64_t bytes) {
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {
      {std::int64_t{1} << 40, "TiB"}, {std::int64_t{1} << 30, "GiB"}, {std::int64_t{1} << 20, "MiB"}, {std::int64_t{1} << 10, "KiB"}};
  if (bytes == 0) return "0B";
  for (auto [scale, name] : kUnits) {
    if (bytes % scale == 0) return std::to_string(bytes / scale) + name;
  }
  return std::to_string(bytes) + "B";
}

}  // namespace gmpsim::models
