// The one error type for bad input. Its message names the key and says how to fix it; the CLI prints it
// and exits with status 2, the Python bindings raise it as ValueError with the same text.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace gmpsim::models {

// Control characters (a scenario's own text quoted in a message) written as \n, \t or \xNN, so that a
// message is one line and never drives the terminal (an ESC sequence from a file would).
inline std::string printable(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

struct ScenarioError : std::runtime_error {
  ScenarioError(const std::string& key, const std::string& problem)
      : std::runtime_error(printable(key.empty() ? problem : key + ": " + problem)), key_(key) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace gmpsim::models
