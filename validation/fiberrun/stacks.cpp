#include "validation/fiberrun/stacks.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace gmpsim::fiberrun {

// The top kWarmStackBytes of each stack are touched, so that spawns do not fault fresh pages in
// (kernel.page_fault per 4 KiB page, and fiber.storm_cold_faults_per_fiber pages per fresh stack, in
// validation/results/host.yaml).
constexpr std::size_t kWarmStackBytes = 16 * 1024;
void prefault_stacks(std::int64_t count) {
  SharedPooledStack alloc;
  std::vector<boost::context::stack_context> stacks;
  for (std::int64_t i = 0; i < count; ++i) {
    stacks.push_back(alloc.allocate());
    auto* top = static_cast<volatile char*>(stacks.back().sp);
    for (std::size_t off = 64; off <= std::min(kWarmStackBytes, stacks.back().size); off += 4096) top[-static_cast<std::ptrdiff_t>(off)] = 0;
  }
  for (auto& sctx : stacks) alloc.deallocate(sctx);
}

}  // namespace gmpsim::fiberrun
