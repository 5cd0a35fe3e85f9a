// GMPSIM_CHECK: invariant checks in the style of the Go runtime's throw(): the message starts with the
// function that found the problem. Enabled in Debug builds and with -DGMPSIM_CHECKS=ON; compiled out
// otherwise so the hot path pays nothing. A failed check throws sim::InvariantError (never aborts), so the
// CLI can print the message and the state dump and exit with status 1.
#pragma once
#include <stdexcept>
#include <string>

namespace gmpsim::sim {

struct InvariantError : std::logic_error {
  using std::logic_error::logic_error;
};

[[noreturn]] void invariant_failed(const char* expr, const std::string& message, const char* file, int line);

}  // namespace gmpsim::sim

// Always-on check, for conditions that are cheap and guard against silent corruption.
#define GMPSIM_REQUIRE(cond, msg) \
  do { if (!(cond)) ::gmpsim::sim::invariant_failed(#cond, (msg), __FILE__, __LINE__); } while (0)

#if defined(GMPSIM_CHECKS_ENABLED)
#define GMPSIM_CHECK(cond, msg) GMPSIM_REQUIRE(cond, msg)
#else
#define GMPSIM_CHECK(cond, msg) do { (void)sizeof(cond); } while (0)
#endif
