// The model catalog: every model's name, what it follows and its version profiles. It is input data, not
// code: the scenario loader reads it to check runtime.model and to layer the version profile, and
// `gmpsim models` prints it. How to build a model from its name is the registry's business
// (models/registry.h), which sits above the models; the two lists are checked to match by a test.
#pragma once
#include <span>
#include <string_view>
#include <vector>

#include "models/scenario/params.h"

namespace gmpsim::models {

struct ModelInfo {
  std::string_view name;
  std::string_view description;
  std::string_view source;
  std::vector<Profile> versions;  // newest last; the default version is the last one
};

std::span<const ModelInfo> model_catalog();
const ModelInfo* find_model(std::string_view name);

}  // namespace gmpsim::models
