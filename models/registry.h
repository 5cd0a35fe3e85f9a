// The registry of named models. Each entry carries a one-line description, its source (what it follows
// and where), its version profiles (the layer between built-in defaults and the kernel profile) and a
// factory. Models are listed explicitly in registry.cpp: static self-registration is silently dropped by
// the linker from static libraries, and an explicit list is easier to read.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/scenario/params.h"
#include "sim/trace.h"

namespace gmpsim::models {

struct Scenario;
struct RunResult;

// What a front end attaches to a run besides the scenario.
struct RunOptions {
  std::vector<sim::TraceObserver*> observers;  // receive the model's trace records (see trace_events.h)
};

class Model {
 public:
  virtual ~Model() = default;
  // Runs the scenario to its end and returns the results. Throws ScenarioError for input the model
  // cannot accept (detected before the run starts).
  virtual RunResult run(const Scenario& scenario, const RunOptions& options = {}) = 0;
};

struct ModelInfo {
  std::string name;
  std::string description;
  std::string source;
  std::vector<Profile> versions;  // newest last; the default version is the last one
  std::function<std::unique_ptr<Model>()> create;
};

const std::vector<ModelInfo>& model_registry();
const ModelInfo* find_model(std::string_view name);

}  // namespace gmpsim::models
