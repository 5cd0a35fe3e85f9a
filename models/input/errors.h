// The one error type for bad input. Its message names the key and says how to fix it; the CLI prints it
// and exits with status 2, the Python bindings raise it as ValueError with the same text.
#pragma once
#include <stdexcept>
#include <string>

namespace gmpsim::models {

struct ScenarioError : std::runtime_error {
  ScenarioError(const std::string& key, const std::string& problem)
      : std::runtime_error(key.empty() ? problem : key + ": " + problem), key_(key) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace gmpsim::models
