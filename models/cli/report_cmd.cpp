// gmpsim report OUT_DIR: the HTML report of what `gmpsim run|capacity|sweep --out OUT_DIR` wrote, as
// OUT_DIR/report.html (models/report/).
#include <iostream>

#include "models/cli/commands.h"
#include "models/report/report.h"

namespace gmpsim::models::cli {

namespace po = boost::program_options;

int cmd_report(const std::vector<std::string>& args) {
  po::options_description opts("gmpsim report OUT_DIR [options]");
  opts.add_options()("help,h", "show this help")("dir", po::value<std::string>(), "a folder written by gmpsim run, capacity or sweep --out")(
      "quiet,q", "print nothing on success");
  po::positional_options_description pos;
  pos.add("dir", 1);
  const po::variables_map vm = parse_command(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  if (!vm.count("dir")) throw ScenarioError("OUT_DIR", "missing: the --out folder of gmpsim run, capacity or sweep; see `gmpsim report --help`");
  const std::string path = write_report(vm["dir"].as<std::string>());
  if (!vm.count("quiet")) std::cout << "wrote " << path << "\n";
  return 0;
}

}  // namespace gmpsim::models::cli
