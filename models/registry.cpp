#include "models/registry.h"

#include <stdexcept>
#include <string>

#include "models/fiber/fiber.h"
#include "models/fifo/fifo.h"
#include "models/go/proc.h"

namespace gmpsim::models {

std::unique_ptr<Model> create_model(std::string_view name) {
  if (name == "fifo") return std::make_unique<FifoModel>();
  if (name == "go") return std::make_unique<go::GoModel>();
  if (name == "boost-fiber-ws") return std::make_unique<fiber::FiberModel>();
  throw std::invalid_argument("no model named \"" + std::string(name) + "\" (models/scenario/catalog.cpp lists them)");
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  return create_model(scenario.runtime.model)->run(scenario, options);
}

}  // namespace gmpsim::models
