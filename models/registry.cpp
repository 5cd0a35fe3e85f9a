#include "models/registry.h"

#include "models/fifo/fifo.h"

namespace gmpsim::models {

const std::vector<ModelInfo>& model_registry() {
  static const std::vector<ModelInfo> models = {
      {"fifo",
       "One global FIFO run queue served by every CPU of the machine, zero scheduling cost: the reference "
       "the Go model is compared against (M/G/c with FCFS).",
       "textbook M/G/c FCFS queue; models/fifo/README.md",
       {{"v1", "The only profile: the model has no version-dependent behaviour.", {}}},
       [] { return std::make_unique<FifoModel>(); }},
  };
  return models;
}

const ModelInfo* find_model(std::string_view name) {
  for (const ModelInfo& m : model_registry()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace gmpsim::models
