// The fuzz harness (models/fuzz/README.md): one input run the way `gmpsim check` and `gmpsim run` would
// run it, with the CLI's own mapping of exceptions to exit statuses (models/cli/exit_status.h). An input
// may end in status 0, 2 or 3; anything else is a finding, and the harness aborts so that libFuzzer (or
// the replay driver's test) reports it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gmpsim::models::fuzz {

// The run caps the harness adds (as --set does) to every run, so that one input runs in milliseconds:
// the scenario's own value is kept where it is smaller. A scenario that needs more than kMaxMemory for its
// tables is refused before it runs, as the CLI refuses one that needs more than run.max_memory.
inline constexpr std::int64_t kMaxEvents = 20000;
inline constexpr std::int64_t kMaxMemory = std::int64_t{64} << 20;

// Loads `yaml` (as the file a CLI user gives) with the command line `args` (`--set=key=value`,
// `--seed=N`, parsed by the CLI's own option parser), prints the resolved scenario as `gmpsim check`
// does, then runs it under the caps above and renders every output `gmpsim run --out` writes. Returns
// the exit status the CLI would return; aborts (a finding) on status 1 or any other exception.
int run_input(const std::string& yaml, const std::vector<std::string>& args);

}  // namespace gmpsim::models::fuzz
