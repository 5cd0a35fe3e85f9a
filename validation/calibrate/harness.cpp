// gmpsim-calibrate's calibration: measure this host, fit the models' cost parameters, check the fit and
// write the host profile (README.md). The steps live in their own files: measure.cpp, cost_model.cpp,
// fit.cpp, host.cpp, profile.cpp.
#include <sys/prctl.h>
#include <sys/utsname.h>

#include <boost/version.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "validation/calibrate/benchmarks.h"
#include "validation/calibrate/cost_model.h"
#include "validation/calibrate/fit.h"
#include "validation/calibrate/harness.h"
#include "validation/calibrate/host.h"
#include "validation/calibrate/profile.h"

namespace gmpsim::calibrate {
namespace {

// Refuse rows that are too far off: the prediction from the fitted costs and the measurement differ by more
// than a factor 2 either way. Looser than the validation targets on purpose: it only catches broken
// measurements.
constexpr double kMaxRelResidual = 1.0;

// A "Name: N kB" line of /proc/meminfo, as text ("unknown" when absent).
std::string meminfo_kb(const std::string& name) {
  const std::string text = "\n" + read_text_file("/proc/meminfo");
  const std::size_t at = text.find("\n" + name + ":");
  if (at == std::string::npos) return "unknown";
  const std::size_t start = text.find_first_not_of(' ', at + name.size() + 2);
  const std::size_t end = text.find(' ', start);
  return text.substr(start, end - start);
}

}  // namespace

int calibrate(Options opt) {
  if (opt.runtime == "go") {
    if (const std::string why = go_toolchain_version(opt.go, opt.go_version); !why.empty()) {
      std::cerr << "gmpsim-calibrate: --go: " << why << "\n";
      return kExitFailed;
    }
    opt.runtime_version = runtime_version_of(opt.go_version);
  }
  if (opt.out.empty()) opt.out = opt.runtime == "go" ? "calibration/" + opt.runtime_version + ".yaml" : "calibration/host.yaml";
  const auto started = std::chrono::steady_clock::now();
  utsname u{};
  uname(&u);
  const std::string release = u.release;
  const std::string load_before = trim(read_text_file("/proc/loadavg"));
  Collected c;
  if (const int status = measure(opt, c); status != kExitOk) return status;
  const bool go = opt.runtime == "go";

  // Other work on the CPUs shows up as waiting for a CPU in every latency (a steal, a wake-up): say so.
  const double load = std::max(std::atof(load_before.c_str()), std::atof(read_text_file("/proc/loadavg").c_str()));
  const int cpus = allowed_cpu_count();
  const std::string load_warning =
      load > cpus ? "load average " + num(load, 3) + " on " + std::to_string(cpus) +
                        " CPUs during the run: latencies include waiting for a CPU; calibrate on a quiet machine"
                  : "";
  if (!load_warning.empty()) std::cerr << "gmpsim-calibrate: warning: " << load_warning << "\n";

  std::vector<std::string> problems;
  const std::vector<KernelValue> kernel = kernel_values(c, problems);
  std::vector<Column> columns = go ? go_cost_columns() : cost_columns();
  std::vector<Row> rows = go ? go_cost_rows(c) : cost_rows(c);
  // The steal latency needs a thief that never waited for a CPU: on a busy host every trial may have, and
  // then the row has no samples. Its column is then left out of the fit (the models keep their default
  // steal cost), rather than refusing the whole profile.
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].name != "fiber.steal_latency" || !rows[r].samples.empty()) continue;
    std::size_t col = 0;
    while (columns[col].name != "steal") ++col;
    rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(r));
    columns.erase(columns.begin() + static_cast<std::ptrdiff_t>(col));
    for (Row& row : rows) row.counts.erase(row.counts.begin() + static_cast<std::ptrdiff_t>(col));
    c.notes["fit.steal"] = "not fitted: every steal trial's thief waited for a CPU (a busy host); the models keep "
                           "their default steal cost";
    std::cerr << "gmpsim-calibrate: warning: " << c.notes["fit.steal"] << "\n";
    break;
  }
  const FitReport fit = fit_costs(columns, rows, opt.quick ? 50 : 200, 1);
  for (const std::string& p : check_fit(fit, columns, rows, kMaxRelResidual)) {
    const std::string keys = parameters_of(p, go);  // the model parameters a broken column would have become
    problems.push_back(keys.empty() ? p : keys + " (" + p + ")");
  }
  print_summary(std::cout, kernel, fit);
  if (!problems.empty()) {
    for (const std::string& p : problems) std::cerr << "gmpsim-calibrate: " << p << "\n";
    std::cerr << "gmpsim-calibrate: refusing to write " << opt.out << ": " << problems.size()
              << " problem(s) above; rerun on a quieter machine, or see validation/calibrate/README.md\n";
    return kExitFailed;
  }

  const int hz = kernel_hz(release);
  const std::string wall_s = num(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 3);
  const long slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  HostFacts host = {
      {"kernel_release", release},
      {"machine", u.machine},
      {"cpu_model", cpu_model()},
      {"cores_online", std::to_string(std::thread::hardware_concurrency())},
      {"cores_allowed", std::to_string(allowed_cpu_count())},
      {"thp", sysfs_choice(read_text_file("/sys/kernel/mm/transparent_hugepage/enabled"))},
      {"thp_defrag", sysfs_choice(read_text_file("/sys/kernel/mm/transparent_hugepage/defrag"))},
      {"timer_slack_ns", std::to_string(slack)},
      {"hz", hz > 0 ? std::to_string(hz) : "unknown (no /boot/config-" + release + ")"},
      {"cgroup_cpu_limit", cgroup_cpu_limit()},
      {"date", utc_now()},
      {"loadavg_before", load_before},
      {"loadavg_after", trim(read_text_file("/proc/loadavg"))},
      {"load_warning", load_warning.empty() ? "none" : load_warning},
      {"mode", opt.quick ? "quick" : "default"},
      {"wall_s", wall_s},
      {"boost", BOOST_LIB_VERSION},
      {"harness", std::string("gmpsim-calibrate ") + GMPSIM_VERSION + (std::string(GMPSIM_GIT_REV).empty() ? "" : "+" + std::string(GMPSIM_GIT_REV)) +
                      (GMPSIM_STATIC_BUILD ? " (static)" : "")},
  };
  // The host's memory-management settings (what the vm.* scenario keys model), as found.
  for (const char* k : {"swappiness", "overcommit_memory", "overcommit_ratio", "overcommit_kbytes", "min_free_kbytes",
                        "watermark_scale_factor", "max_map_count"}) {
    const std::string v = trim(read_text_file(std::string("/proc/sys/vm/") + k));
    host.emplace_back(std::string("vm_") + k, v.empty() ? "unreadable" : v);
  }
  host.emplace_back("vm_swap_kb", meminfo_kb("SwapTotal"));
  host.emplace_back("mem_total_kb", meminfo_kb("MemTotal"));
  host.emplace_back("runtime", opt.runtime);
  if (go) {  // which Go this profile is for: the loader refuses it for a go scenario of another version
    host.emplace_back("go_version", opt.go_version);
    host.emplace_back("go", opt.go);
    host.emplace_back("runtime_version", opt.runtime_version);
  }

  if (const int status = write_profile_file(opt, host, kernel, hz, fit, c); status != kExitOk) return status;
  std::cerr << "calibrate: wrote " << opt.out << " in " << wall_s << " s\n";
  return kExitOk;
}

}  // namespace gmpsim::calibrate
