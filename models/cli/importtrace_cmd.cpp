// `gmpsim import-trace TRACE.out [-o scenario.yaml]`: a real Go execution trace to a scenario. The work is
// done by gmpsim-importtrace, a Go program (models/importtrace/, built by `make build` with the installed
// Go) because the trace format's maintained parser, golang.org/x/exp/trace, is Go; this command finds it
// beside gmpsim and runs it with the same arguments and exit status.
#include <iostream>

#include "models/cli/commands.h"
#include "validation/common/process.h"
#include "validation/common/tools.h"

namespace gmpsim::models::cli {

int cmd_import_trace(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "-h" || a == "--help") {
      std::cout << "gmpsim import-trace TRACE.out [-o scenario.yaml] [--cpus N] [--cpu-time D] [--summary FILE.json]\n"
                   "  Turns a Go execution trace (go1.22+: runtime/trace, go test -trace, /debug/pprof/trace) into a\n"
                   "  scenario for the go model: goroutine classes by entry function, CPU bursts and waits by kind,\n"
                   "  spawns, arrivals, GOMAXPROCS. What it cannot represent goes to stderr and into the file's end.\n"
                   "  -o FILE          write the scenario to FILE (default: standard output)\n"
                   "  --cpus N         the machine's CPUs (the trace does not record them; default GOMAXPROCS)\n"
                   "  --cpu-time D     the process's CPU time while tracing (e.g. 1.2s): bursts inflated by\n"
                   "                   descheduled threads are clipped to it\n"
                   "  --summary FILE   a JSON summary: classes, CPU totals, the report\n"
                   "  Runs gmpsim-importtrace from beside gmpsim, or $GMPSIM_IMPORTTRACE (models/importtrace/README.md).\n";
      return 0;
    }
  }
  const std::string tool = validation::find_tool("gmpsim-importtrace", "GMPSIM_IMPORTTRACE", "models",
                                                 "`make build` builds it with the installed Go (models/importtrace/)");
  std::vector<std::string> argv{tool};
  argv.insert(argv.end(), args.begin(), args.end());
  const process::Result r = process::run(argv);
  if (r.signal != 0) {
    std::cerr << "gmpsim: error: import-trace: " << tool << " " << r.failure() << "\n";
    return 1;
  }
  return r.exit_status;
}

}  // namespace gmpsim::models::cli
