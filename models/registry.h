// The registry: model name -> factory, above every model. What a model is called, what it follows and
// which version profiles it has is input data and lives in the catalog (models/scenario/catalog.h), which
// the scenario loader reads; this file only knows how to build and run one. Models are listed explicitly
// in registry.cpp: static self-registration is silently dropped by the linker from static libraries, and
// an explicit list is easier to read.
#pragma once
#include <memory>
#include <string_view>

#include "models/model.h"

namespace gmpsim::models {

// A new instance of the named model (one of model_catalog()'s names); throws std::invalid_argument for
// an unknown name (a loaded Scenario always names a known one).
std::unique_ptr<Model> create_model(std::string_view name);

// The one way every front end runs a loaded scenario: the model it names, with these options.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace gmpsim::models
