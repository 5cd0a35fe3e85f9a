#include "validation/calibrate/profile.h"

#include <cstdio>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <stdexcept>

namespace gmpsim::calibrate {
namespace {

std::string quoted(const std::string& s) {  // a YAML double-quoted scalar
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string ns_text(double v) { return std::to_string(std::llround(v)) + "ns"; }

std::string spread_comment(const Summary& s) {
  return "median " + num(s.median) + " ns, p10 " + num(s.p10) + ", p90 " + num(s.p90) + ", n " + std::to_string(s.n);
}

}  // namespace

void write_profile(std::ostream& os, const Options& opt, const HostFacts& host,
                   const std::vector<KernelValue>& kernel, int hz, const FitReport& fit, const Collected& c) {
  auto param = [&](const std::string& column) -> const FitParam& {
    for (const FitParam& p : fit.params) {
      if (p.name == column) return p;
    }
    throw std::logic_error("no fitted column " + column);
  };
  auto fitted = [&](const std::string& column) {
    return std::any_of(fit.params.begin(), fit.params.end(), [&](const FitParam& p) { return p.name == column; });
  };
  const bool go = opt.runtime == "go";
  os << "# gmpsim host profile, written by `gmpsim calibrate" << (go ? " --runtime go" : "") << (opt.quick ? " --quick" : "")
     << "`.\n"
     << "# Use it in a scenario with   kernel: {profile: " << opt.out << "}"
     << (go ? "   and runtime: {model: go, version: " + opt.runtime_version + "}" : "") << "\n"
     << "# The loader reads `kernel:`, `vm:` and the `runtime:` section of the scenario's model; `host:`,\n"
     << "# `measurements:` and `fit:` are the record (validation/calibrate/README.md explains every entry).\n";
  os << "host:\n";
  for (const auto& [k, v] : host) os << "  " << k << ": " << quoted(v) << "\n";
  os << "kernel:\n";
  if (hz > 0) os << "  hz: " << hz << "Hz  # CONFIG_HZ from /boot/config-*\n";
  for (const KernelValue& v : kernel) {
    if (v.unit == KernelValue::Unit::kFraction) {
      char share[32];
      std::snprintf(share, sizeof share, "%.2f", v.value);
      os << "  " << v.key << ": " << share << "  # n " << v.summary.n << "; " << v.how << "\n";
      continue;
    }
    if (v.unit == KernelValue::Unit::kBytes) {
      os << "  " << v.key << ": " << static_cast<long long>(std::llround(v.value)) << "B  # " << v.how << "\n";
      continue;
    }
    os << "  " << v.key << ": " << ns_text(v.value) << "  # " << spread_comment(v.summary) << "; " << v.how << "\n";
  }
  // The host's memory settings (host.cpp read them), as the vm.* keys of the memory model; the loader applies
  // them with the kernel keys. min_free_kbytes stays out: left at auto, it follows the scenario's memory.
  auto fact = [&](const std::string& name) -> std::string {
    for (const auto& [k, v] : host) {
      if (k == name) return v;
    }
    return "";
  };
  auto integer = [](const std::string& v) { return !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; }); };
  os << "vm:  # the host's memory settings as found (/proc/sys/vm, transparent_hugepage, SwapTotal); a scenario's vm: overrides them\n";
  for (const char* k : {"swappiness", "overcommit_memory", "overcommit_ratio", "overcommit_kbytes", "watermark_scale_factor", "max_map_count"}) {
    const std::string v = fact(std::string("vm_") + k);
    if (integer(v)) os << "  " << k << ": " << v << "\n";
  }
  const std::string thp = fact("thp"), defrag = fact("thp_defrag");
  const bool thp_ok = thp == "always" || thp == "madvise" || thp == "never";
  const bool defrag_ok = defrag == "always" || defrag == "defer" || defrag == "defer+madvise" || defrag == "madvise" || defrag == "never";
  if (thp_ok || defrag_ok) {
    os << "  thp: {" << (thp_ok ? "enabled: " + thp : "") << (thp_ok && defrag_ok ? ", " : "") << (defrag_ok ? "defrag: " + defrag : "") << "}\n";
  }
  if (integer(fact("vm_swap_kb"))) os << "  swap: {size: " << fact("vm_swap_kb") << "KiB}\n";
  if (integer(fact("vm_min_free_kbytes"))) {
    os << "  # min_free_kbytes is " << fact("vm_min_free_kbytes") << " here; not carried: vm.min_free_kbytes auto follows machine.memory\n";
  }
  os << "runtime:\n";
  auto costs = [&](const char* model, const std::vector<Mapping>& map, const char* doc) {
    os << "  " << model << ":  # " << doc << "\n";
    for (const Mapping& m : map) {
      if (!fitted(m.column)) continue;  // not measured (notes: fit.*): the default applies
      const FitParam& p = param(m.column);
      if (m.plus == nullptr) {
        os << "    " << m.key << ": " << ns_text(p.value) << "  # fitted " << m.column << ": " << num(p.value)
           << " ns, bootstrap p10 " << num(p.p10) << ", p90 " << num(p.p90) << "\n";
        continue;
      }
      const FitParam& q = param(m.plus);
      os << "    " << m.key << ": " << ns_text(p.value + q.value) << "  # fitted " << m.column << " + " << m.plus << ": "
         << num(p.value) << " + " << num(q.value) << " ns (p10 " << num(p.p10) << " + " << num(q.p10) << ", p90 "
         << num(p.p90) << " + " << num(q.p90) << ")\n";
    }
  };
  if (go) {
    os << "  go:  # fitted to " << opt.go_version << " (" << opt.go << "); for runtime.version " << opt.runtime_version
       << " (the loader checks host.runtime_version)\n";
    for (const GoMapping& m : kRealGoCosts) {
      const FitParam& p = param(m.column);
      os << "    " << m.key << ": " << ns_text(p.value * m.share) << "  # fitted " << m.column;
      if (m.share != 1) os << " x " << num(m.share, 3);
      os << ": " << num(p.value) << " ns, bootstrap p10 " << num(p.p10) << ", p90 " << num(p.p90) << "\n";
    }
  } else {
    costs("go", kGoCosts,
          "the go model's costs from the embedded fiber runtime's primitives (gmpsim calibrate --runtime go fits real Go)");
    costs("boost-fiber-ws", kFiberCosts, "Boost.Fiber work_stealing, for the boost-fiber-ws model");
    // Not a cost: how many pages a new fiber stack's first run faults in (measured, not fitted).
    // Split between the creating thread and the first run: the creation loop's faults alone are measured too.
    if (const auto it = c.series.find("fiber.storm_cold_faults_per_fiber"); it != c.series.end() && !it->second.empty()) {
      const Summary s = summarize(it->second);
      double create = 0;
      if (const auto ic = c.series.find("fiber.storm_cold_create_faults_per_fiber"); ic != c.series.end() && !ic->second.empty()) {
        const Summary sc = summarize(ic->second);
        create = std::min(sc.median, s.median);
        os << "    fiber.stack_fault_pages_create: " << num(create, 3)
           << "  # measured fiber.storm_cold_create_faults_per_fiber, p10 " << num(sc.p10, 3) << ", p90 " << num(sc.p90, 3)
           << ", n " << sc.n << "\n";
      }
      os << "    fiber.stack_fault_pages: " << num(s.median - create, 3)
         << "  # measured fiber.storm_cold_faults_per_fiber - the creation's share; total p10 " << num(s.p10, 3) << ", p90 "
         << num(s.p90, 3) << ", n " << s.n << "\n";
    }
  }
  os << "measurements:  # ns per operation unless the name says otherwise; samples pooled over fresh processes\n";
  for (const auto& [name, samples] : c.series) {
    if (samples.empty()) continue;  // nothing measured (notes: say why)
    const Summary s = summarize(samples);
    os << "  " << name << ": {median: " << num(s.median, 6) << ", p10: " << num(s.p10, 6) << ", p90: " << num(s.p90, 6)
       << ", mad: " << num(s.mad, 6) << ", min: " << num(s.min, 6) << ", max: " << num(s.max, 6) << ", n: " << s.n << "}\n";
  }
  if (!c.notes.empty()) {
    os << "notes:\n";
    for (const auto& [name, text] : c.notes) os << "  " << name << ": " << quoted(text) << "\n";
  }
  os << "fit:  # non-negative least squares of the row medians, rows weighted by 1/measured (fit.h)\n"
     << "  relative_residual_rms: " << num(fit.rel_residual_rms) << "\n  parameters:\n";
  for (const FitParam& p : fit.params) {
    os << "    " << p.name << ": {value: " << num(p.value, 6) << ", p10: " << num(p.p10, 6) << ", p90: " << num(p.p90, 6) << "}\n";
  }
  os << "  rows:\n";
  for (const FitRow& r : fit.rows) {
    os << "    " << r.name << ": {measured: " << num(r.measured, 6) << ", predicted: " << num(r.predicted, 6)
       << ", relative_residual: " << num(r.rel_residual) << "}\n";
  }
}

int write_profile_file(const Options& opt, const HostFacts& host, const std::vector<KernelValue>& kernel, int hz,
                       const FitReport& fit, const Collected& c) {
  namespace fs = std::filesystem;
  const fs::path out(opt.out);
  std::error_code ec;
  if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
  const fs::path tmp = out.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) {
      std::cerr << "gmpsim-calibrate: --out: cannot write \"" << tmp.string() << "\"\n";
      return kExitBadUsage;
    }
    write_profile(f, opt, host, kernel, hz, fit, c);
    if (!f.flush()) {
      std::cerr << "gmpsim-calibrate: --out: write to \"" << tmp.string() << "\" failed\n";
      return kExitFailed;
    }
  }
  fs::rename(tmp, out, ec);
  if (ec) {
    std::cerr << "gmpsim-calibrate: --out: cannot rename to \"" << out.string() << "\": " << ec.message() << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

void print_summary(std::ostream& os, const std::vector<KernelValue>& kernel, const FitReport& fit) {
  os << std::left << std::setw(28) << "parameter" << std::right << std::setw(12) << "median" << std::setw(12) << "p10"
     << std::setw(12) << "p90" << "  (ns)\n";
  for (const KernelValue& v : kernel) {
    os << std::left << std::setw(28) << ("kernel." + v.key) << std::right << std::setw(12) << num(v.value)
       << std::setw(12) << num(v.summary.p10) << std::setw(12) << num(v.summary.p90) << "\n";
  }
  for (const FitParam& p : fit.params) {
    os << std::left << std::setw(28) << ("fitted " + p.name) << std::right << std::setw(12) << num(p.value)
       << std::setw(12) << num(p.p10) << std::setw(12) << num(p.p90) << "\n";
  }
  os << "fit residuals (predicted vs measured):";
  for (const FitRow& r : fit.rows) os << " " << r.name << " " << (r.rel_residual >= 0 ? "+" : "") << num(100 * r.rel_residual, 2) << "%";
  os << "\n";
}

}  // namespace gmpsim::calibrate
