// fifo benchmark (`make bench`): events/s of an M/M/16 scenario, bytes per goroutine with a million
// live goroutines, and the same M/M/16 model in SimPy run side by side for the ratio of wall times.
// A benchmark prints figures; it asserts nothing.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "models/registry.h"
#include "models/result.h"
#include "models/scenario/scenario.h"

using namespace gmpsim::models;

namespace {

constexpr double kRho = 0.9;
constexpr int kServers = 16;

RunResult run(const std::string& yaml) {
  const Scenario sc = load_scenario(yaml, "<bench>");
  return run_scenario(sc);
}

std::string mm16(long customers, int seed) {
  const double lambda = kRho * kServers / 1e-3;  // mean service 1 ms
  std::ostringstream os;
  os << "machine: {cpus: " << kServers << "}\nworkload: {classes: {job: {arrivals: {process: poisson, rate: " << lambda
     << "/s}, program: [{compute: {dist: exponential, mean: 1ms}}]}}}\nrun: {duration: "
     << static_cast<long>(customers / lambda * 1e9) << "ns, sample_interval: 1000s, seed: " << seed << "}\n";
  return os.str();
}

long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs the SimPy model through `cmd`, which prints one line: "<wall seconds> <mean wait seconds>".
bool run_simpy(const std::string& cmd, long customers, double& wall_s, double& wait_s) {
  const std::string full = cmd + " --customers " + std::to_string(customers) + " --servers " + std::to_string(kServers) +
                           " --rho " + std::to_string(kRho);
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(full.c_str(), "r"), pclose);
  if (!p) return false;
  std::array<char, 256> buf{};
  std::string out;
  while (fgets(buf.data(), buf.size(), p.get())) out += buf.data();
  return std::sscanf(out.c_str(), "%lf %lf", &wall_s, &wait_s) == 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string simpy;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[i], "--simpy") == 0 && i + 1 < argc) simpy = argv[++i];
    else {
      std::cerr << "usage: gmpsim_bench_fifo [--quick] [--simpy 'PYTHON validation/bench/simpy_mmc.py']\n";
      return 2;
    }
  }
  const int repeats = quick ? 1 : 5;

  // 1. Throughput of the whole model (scenario, engine, statistics) on M/M/16 at rho 0.9.
  const long customers = quick ? 200'000 : 4'000'000;
  std::vector<double> rates;
  std::uint64_t events = 0;
  for (int r = 0; r < repeats; ++r) {
    const RunResult res = run(mm16(customers, r + 1));
    rates.push_back(static_cast<double>(res.events) / res.wall_s);
    events = res.events;
  }
  std::printf("fifo M/M/16 rho=%.2f: %ld customers, %llu events, median %.2f M events/s over %d runs\n", kRho, customers,
              static_cast<unsigned long long>(events), median(rates) / 1e6, repeats);

  // 2. Memory per goroutine: a million goroutines runnable at once (16 CPUs, 1 ms each).
  const long population = quick ? 100'000 : 1'000'000;
  const long rss0 = rss_bytes();
  std::ostringstream os;
  os << "machine: {cpus: 16}\nworkload: {classes: {g: {arrivals: {process: initial, count: " << population
     << "}, program: [{compute: 1ms}]}}}\nrun: {duration: 1h, sample_interval: 1000s}\n";
  const RunResult mem = run(os.str());
  const long rss1 = rss_bytes();
  std::printf("fifo %ld live goroutines: %.1f bytes/goroutine of goroutine state, %.1f bytes/goroutine RSS growth, %.2f M events/s\n",
              population, static_cast<double>(mem.sim_memory_bytes) / static_cast<double>(mem.goroutines_peak_live),
              static_cast<double>(rss1 - rss0) / static_cast<double>(population),
              static_cast<double>(mem.events) / mem.wall_s / 1e6);

  // 3. Side by side with SimPy 4 on the same M/M/16 model and number of customers.
  if (!simpy.empty()) {
    const long n = quick ? 20'000 : 200'000;
    std::vector<double> ours, theirs;
    double simpy_wait = 0, our_wait = 0;
    for (int r = 0; r < (quick ? 1 : 3); ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const RunResult res = run(mm16(n, r + 1));
      ours.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      our_wait = res.classes[0].wait.latency.mean() * 1e-9;
      double wall = 0;
      if (!run_simpy(simpy, n, wall, simpy_wait)) {
        std::printf("SimPy comparison skipped: `%s` did not run\n", simpy.c_str());
        return 0;
      }
      theirs.push_back(wall);
    }
    std::printf("M/M/16 rho=%.2f, %ld customers: gmpsim %.4f s, SimPy %.3f s (median wall), gmpsim is %.0fx faster "
                "(goal >= 50x); mean wait gmpsim %.1f us, SimPy %.1f us\n",
                kRho, n, median(ours), median(theirs), median(theirs) / median(ours), our_wait * 1e6, simpy_wait * 1e6);
  }
  return 0;
}
