// Fuzz target (b): the input is a command line: each line one argument of `gmpsim run BASE` after the
// scenario (`--set=key=value`, `--seed=N`), parsed by the CLI's option parser and applied to a valid base
// scenario, which the first line may name (go, boost-fiber-ws, fifo; go when it names none). Inputs that
// load run briefly, as in fuzz_scenario (models/fuzz/README.md).
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/fuzz/harness.h"

namespace {

// One small scenario per model, each exercising arrivals, spawns, channels and waits, so that --set has
// something of every kind to change.
constexpr std::string_view kGo = R"(machine: {cpus: 4, memory: 8GiB}
runtime: {model: go}
run: {duration: 200ms, sample_interval: 10ms}
workload:
  channels: {jobs: 4}
  classes:
    request:
      arrivals: {process: poisson, rate: 5000/s}
      program:
        - compute: {dist: exponential, mean: 50us}
        - net_wait: {dist: lognormal, median: 2ms, sigma: 0.5}
        - spawn: {class: worker, count: 2}
        - repeat: {count: 2, steps: [{send: jobs}]}
        - compute: 20us
    worker:
      program:
        - recv: jobs
        - compute: 10us
)";
constexpr std::string_view kFiber = R"(machine: {cpus: 2}
runtime: {model: boost-fiber-ws}
run: {duration: 200ms, sample_interval: 10ms}
workload:
  classes:
    client:
      arrivals: {process: closed, clients: 8, think: 1ms}
      program:
        - compute: {dist: uniform, min: 10us, max: 90us}
        - spawn: {class: helper, count: 3}
    helper:
      program: [{compute: 5us}, {sleep: 100us}]
)";
constexpr std::string_view kFifo = R"(machine: {cpus: 4}
runtime: {model: fifo}
run: {duration: 1s, sample_interval: 10ms}
workload:
  classes:
    job:
      arrivals: {process: poisson, rate: 3000/s}
      program: [{compute: {dist: exponential, mean: 1ms}}]
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    if (end > at) lines.emplace_back(text.substr(at, end - at));  // blank lines (a trailing newline) are no argument
    at = end + 1;
  }
  std::string_view base = kGo;
  if (!lines.empty() && (lines.front() == "go" || lines.front() == "boost-fiber-ws" || lines.front() == "fifo")) {
    if (lines.front() == "boost-fiber-ws") base = kFiber;
    if (lines.front() == "fifo") base = kFifo;
    lines.erase(lines.begin());
  }
  gmpsim::models::fuzz::run_input(std::string(base), lines);
  return 0;
}
