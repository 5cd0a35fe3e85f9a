#include "sim/check.h"

#include <sstream>

namespace gmpsim::sim {

void invariant_failed(const char* expr, const std::string& message, const char* file, int line) {
  std::ostringstream os;
  os << "internal error: " << message << " (check `" << expr << "` failed at " << file << ":" << line << ")";
  throw InvariantError(os.str());
}

}  // namespace gmpsim::sim
