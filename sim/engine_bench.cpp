// gmpsim_bench_engine: throughput of the event loop under the classic "hold model" (each dispatched event
// schedules one new event at now + increment), so the number of pending events stays constant. The same
// workload on a bare std::priority_queue is measured beside it, repeat by repeat, as the reference.
//
// Two increment distributions:
//   exp     Exp(mean 1 us): the textbook hold model;
//   timers  95 % Exp(1 us), 5 % Exp(1 ms): mostly short steps while long timers stay armed, as in the
//           models (a sleep, a timeout, sysmon); 98 % of the pending events are then far-off timers.
// The queue starts in the hold model's stationary state: each pending event is one of `pending` renewal
// chains, whose first residual is an exponential of the mixture that the chain's time falls in, weighted by
// p_i * mean_i (the equilibrium residual of a renewal process), so no long warm-up is needed.
//
//   gmpsim_bench_engine [--quick] [--json FILE] [--pending N] [--increments exp|timers]
// --pending and --increments run one row only (for perf record and the like).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine.h"
#include "sim/rng.h"

namespace {

using gmpsim::sim::Engine;
using gmpsim::sim::Event;
using gmpsim::sim::kBandDefault;
using gmpsim::sim::kMicrosecond;
using gmpsim::sim::kTimeMax;
using gmpsim::sim::Rng;
using gmpsim::sim::Time;

using gmpsim::sim::kMillisecond;

constexpr int kRepeats = 5;

// A hold-model increment: Exp(far_mean) with probability p_far, else Exp(near_mean).
struct Increments {
  const char* name;
  const char* description;
  double p_far;
  Time near_mean;
  Time far_mean;

  static Time exponential(Rng& rng, Time mean) {
    return static_cast<Time>(-std::log(rng.uniform_pos()) * static_cast<double>(mean));
  }
  Time draw(Rng& rng) const {
    return exponential(rng, p_far > 0 && rng.uniform01() < p_far ? far_mean : near_mean);
  }
  // The stationary residual: the far branch weighted by its share of the mean increment.
  Time initial(Rng& rng) const {
    const double far = p_far * static_cast<double>(far_mean);
    const double share = far / (far + (1 - p_far) * static_cast<double>(near_mean));
    return exponential(rng, p_far > 0 && rng.uniform01() < share ? far_mean : near_mean);
  }
};

constexpr Increments kIncrements[] = {
    {"exp", "Exp(mean 1 us)", 0.0, kMicrosecond, 0},
    {"timers", "95% Exp(1 us) + 5% Exp(1 ms)", 0.05, kMicrosecond, kMillisecond},
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The engine's hold model. run() is called per timed segment; the queue carries over between segments.
class EngineHold {
 public:
  EngineHold(const Increments& inc, std::size_t pending, std::uint64_t seed) : inc_(inc), rng_(seed) {
    engine_.queue().reserve(pending);
    for (std::size_t i = 0; i < pending; ++i) engine_.schedule_at(inc_.initial(rng_), kBandDefault, 0);
  }
  double run(std::uint64_t events) {
    const auto start = std::chrono::steady_clock::now();
    engine_.run(
        kTimeMax, [this](const Event&) { engine_.schedule_in(inc_.draw(rng_), kBandDefault, 0); }, events);
    return seconds_since(start);
  }
  std::size_t pending() const { return engine_.pending_events(); }

 private:
  const Increments& inc_;
  Engine engine_;
  Rng rng_;
};

// The same workload on std::priority_queue of (time, seq): what a minimal hand-rolled loop would do.
class PriorityQueueHold {
 public:
  PriorityQueueHold(const Increments& inc, std::size_t pending, std::uint64_t seed) : inc_(inc), rng_(seed) {
    std::vector<Item> items;
    items.reserve(pending);
    for (std::size_t i = 0; i < pending; ++i) items.emplace_back(inc_.initial(rng_), seq_++);
    queue_ = Queue(std::greater<>(), std::move(items));
  }
  double run(std::uint64_t events) {
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < events; ++i) {
      now_ = queue_.top().first;
      queue_.pop();
      queue_.emplace(now_ + inc_.draw(rng_), seq_++);
    }
    return seconds_since(start);
  }
  std::size_t pending() const { return queue_.size(); }

 private:
  using Item = std::pair<std::int64_t, std::uint64_t>;
  using Queue = std::priority_queue<Item, std::vector<Item>, std::greater<>>;
  const Increments& inc_;
  Queue queue_;
  Rng rng_;
  Time now_ = 0;
  std::uint64_t seq_ = 0;
};

struct Row {
  const Increments* increments = nullptr;
  std::size_t pending = 0;
  std::uint64_t events = 0;
  double engine_rate = 0;  // median events per second
  double reference_rate = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Engine and reference alternate repeat by repeat, so a noisy neighbour on the VM hits both alike. The
// warm-up faults the memory in and lets the engine's buckets settle; the state itself starts stationary.
Row measure(const Increments& inc, std::size_t pending, std::uint64_t events) {
  EngineHold engine(inc, pending, 42);
  PriorityQueueHold reference(inc, pending, 42);
  const std::uint64_t warmup = std::max<std::uint64_t>(events / 2, std::min<std::uint64_t>(pending, 2'000'000));
  engine.run(warmup);
  reference.run(warmup);
  std::vector<double> engine_rates, reference_rates;
  for (int r = 0; r < kRepeats; ++r) {
    engine_rates.push_back(static_cast<double>(events) / engine.run(events));
    reference_rates.push_back(static_cast<double>(events) / reference.run(events));
  }
  if (engine.pending() != pending || reference.pending() != pending) {
    std::fprintf(stderr, "hold model lost events: %zu / %zu pending, want %zu\n", engine.pending(),
                 reference.pending(), pending);
  }
  return Row{&inc, pending, events, median(engine_rates), median(reference_rates)};
}

bool write_json(const std::string& path, const std::vector<Row>& rows, bool quick) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f, "{\n  \"benchmark\": \"hold_model\",\n  \"repeats\": %d,\n", kRepeats);
  std::fprintf(f, "  \"quick\": %s,\n  \"results\": [\n", quick ? "true" : "false");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::fprintf(f,
                 "    {\"increments\": \"%s\", \"pending\": %zu, \"events\": %llu, \"engine_events_per_s\": %.0f, "
                 "\"priority_queue_events_per_s\": %.0f, \"ratio\": %.4f}%s\n",
                 r.increments->name, r.pending, static_cast<unsigned long long>(r.events), r.engine_rate, r.reference_rate,
                 r.engine_rate / r.reference_rate, i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string json_path;
  std::size_t only_pending = 0;
  std::string only_increments;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      json_path = argv[++i];
    } else if (std::strcmp(argv[i], "--pending") == 0 && i + 1 < argc) {
      only_pending = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--increments") == 0 && i + 1 < argc) {
      only_increments = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--json FILE] [--pending N] [--increments exp|timers]\n", argv[0]);
      return 2;
    }
  }

  // Events per timed repeat, sized for roughly a quarter to half a second each on a 2-vCPU VM.
  struct Config { std::size_t pending; std::uint64_t events; };
  const Config configs[] = {
      {1'000, 5'000'000}, {10'000, 4'000'000}, {100'000, 3'000'000}, {1'000'000, 2'000'000}, {10'000'000, 1'000'000}};
  const std::uint64_t divisor = quick ? 50 : 1;

  std::printf("hold model: each event schedules one at now + increment; median of %d interleaved repeats\n", kRepeats);
  for (const Increments& inc : kIncrements) std::printf("  %-7s increments %s\n", inc.name, inc.description);
  std::printf("%-7s %10s %10s %14s %20s %7s\n", "incr", "pending", "events", "engine ev/s", "priority_queue ev/s",
              "ratio");
  std::vector<Row> rows;
  for (const Increments& inc : kIncrements) {
    if (!only_increments.empty() && only_increments != inc.name) continue;
    for (const Config& c : configs) {
      if (only_pending != 0 && only_pending != c.pending) continue;
      const Row r = measure(inc, c.pending, c.events / divisor);
      std::printf("%-7s %10zu %10llu %13.2fM %19.2fM %7.3f\n", inc.name, r.pending,
                  static_cast<unsigned long long>(r.events), r.engine_rate * 1e-6, r.reference_rate * 1e-6,
                  r.engine_rate / r.reference_rate);
      std::fflush(stdout);
      rows.push_back(r);
    }
  }
  if (!json_path.empty() && !write_json(json_path, rows, quick)) {
    std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
    return 1;
  }
  return 0;
}
