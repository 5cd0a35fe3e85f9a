// The CLI's exit statuses and the one mapping from an exception to a status and a message, shared by
// main.cpp and the fuzz harness (models/fuzz/), so that what the fuzzer accepts as a clean end is exactly
// what the CLI would print and return.
#pragma once
#include <exception>
#include <new>
#include <ostream>
#include <stdexcept>

#include "models/input/errors.h"
#include "sim/check.h"

namespace gmpsim::models::cli {

// 0 completed; 3 the simulated program ended abnormally (deadlock, starvation, thread exhaustion, out of
// memory, time limit; the summary is still written); 2 bad input (one message naming the key, nothing
// written); 1 internal error.
constexpr int kExitOk = 0, kExitInternal = 1, kExitBadInput = 2, kExitAbnormal = 3;

// A command line the CLI cannot parse (unknown command or option): exit 2, like a bad scenario.
struct BadUsage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Call only inside a catch block: classifies the exception in flight, writes the CLI's message for it to
// `err` and returns the exit status.
inline int exit_status_of_current_exception(std::ostream& err) {
  try {
    throw;
  } catch (const BadUsage& e) {
    err << "gmpsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const ScenarioError& e) {
    err << "gmpsim: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const sim::InvariantError& e) {
    err << "gmpsim: " << e.what() << "\n";
    return kExitInternal;
  } catch (const std::bad_alloc&) {
    err << "gmpsim: error: this host ran out of memory; lower run.max_memory below its free memory so that the run stops "
           "with outcome sim_memory_limit instead, or make the scenario smaller\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    err << "gmpsim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace gmpsim::models::cli
