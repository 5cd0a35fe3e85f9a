// boost-fiber-ws: Boost.Fiber 1.74's work_stealing scheduler (Debian's libboost-fiber1.74-dev), with N
// worker threads on the kernel thread layer. It follows boostorg/fiber at tag boost-1.74.0
// (src/scheduler.cpp, src/context.cpp, src/algo/work_stealing.cpp, boost/fiber/*channel.hpp, src/mutex.cpp);
// fiberrun.h says which file of the model holds which part, models/fiber/README.md what is modelled.
#pragma once
#include <cstdint>

#include "models/model.h"
#include "models/result.h"

namespace gmpsim::models::fiber {

class FiberModel final : public Model {
 public:
  RunResult run(const Scenario& scenario, const RunOptions& options = {}) override;
};

// Boost's buffered_channel needs a power-of-two capacity >= 2 (its constructor throws otherwise) and holds
// capacity - 1 items (is_full_ leaves one slot free: boost/fiber/buffered_channel.hpp at boost-1.74.0).
// A Go-style capacity k >= 1 maps to the smallest such capacity that holds k items: the next power of two
// >= k + 1. k = 0 is an unbuffered_channel (returns 0).
std::int64_t boost_channel_capacity(std::int64_t go_capacity);
// Items that channel holds: boost_channel_capacity(k) - 1 (0 for unbuffered).
std::int64_t boost_channel_slots(std::int64_t go_capacity);

}  // namespace gmpsim::models::fiber
