// Fuzz target (a): the input is a scenario file. It goes through the loader (YAML, layers, every check),
// the workload compiler and, when it loads, a short run of the model it names (models/fuzz/README.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/fuzz/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gmpsim::models::fuzz::run_input(std::string(reinterpret_cast<const char*>(data), size), {});
  return 0;
}
