// gmpsim_bench_engine: throughput of the event loop under the classic "hold model" (each dispatched event
// schedules one new event at now + Exp(mean)), so the number of pending events stays constant.
// The same workload on a bare std::priority_queue is measured beside it as a reference.
//
//   gmpsim_bench_engine [--quick] [--json FILE]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
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

constexpr Time kMeanIncrement = kMicrosecond;
constexpr int kRepeats = 5;

Time exponential_ns(Rng& rng) {
  return static_cast<Time>(-std::log(rng.uniform_pos()) * static_cast<double>(kMeanIncrement));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The engine's hold model. run() is called per timed segment; the queue carries over between segments.
class EngineHold {
 public:
  EngineHold(std::size_t pending, std::uint64_t seed) : rng_(seed) {
    engine_.queue().reserve(pending);
    for (std::size_t i = 0; i < pending; ++i) engine_.schedule_at(exponential_ns(rng_), kBandDefault, 0);
  }
  double run(std::uint64_t events) {
    const auto start = std::chrono::steady_clock::now();
    engine_.run(
        kTimeMax, [this](const Event&) { engine_.schedule_in(exponential_ns(rng_), kBandDefault, 0); }, events);
    return seconds_since(start);
  }
  std::size_t pending() const { return engine_.pending_events(); }

 private:
  Engine engine_;
  Rng rng_;
};

// The same workload on std::priority_queue of (time, seq): what a minimal hand-rolled loop would do.
class PriorityQueueHold {
 public:
  PriorityQueueHold(std::size_t pending, std::uint64_t seed) : rng_(seed) {
    std::vector<Item> items;
    items.reserve(pending);
    for (std::size_t i = 0; i < pending; ++i) items.emplace_back(exponential_ns(rng_), seq_++);
    queue_ = Queue(std::greater<>(), std::move(items));
  }
  double run(std::uint64_t events) {
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < events; ++i) {
      now_ = queue_.top().first;
      queue_.pop();
      queue_.emplace(now_ + exponential_ns(rng_), seq_++);
    }
    return seconds_since(start);
  }
  std::size_t pending() const { return queue_.size(); }

 private:
  using Item = std::pair<std::int64_t, std::uint64_t>;
  using Queue = std::priority_queue<Item, std::vector<Item>, std::greater<>>;
  Queue queue_;
  Rng rng_;
  Time now_ = 0;
  std::uint64_t seq_ = 0;
};

struct Row {
  std::size_t pending = 0;
  std::uint64_t events = 0;
  double engine_rate = 0;  // median events per second
  double reference_rate = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Engine and reference alternate repeat by repeat, so a noisy neighbour on the VM hits both alike.
Row measure(std::size_t pending, std::uint64_t events) {
  EngineHold engine(pending, 42);
  PriorityQueueHold reference(pending, 42);
  const std::uint64_t warmup = std::max<std::uint64_t>(events / 5, 2 * pending);
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
  return Row{pending, events, median(engine_rates), median(reference_rates)};
}

bool write_json(const std::string& path, const std::vector<Row>& rows, bool quick) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f, "{\n  \"benchmark\": \"hold_model\",\n  \"mean_increment_ns\": %lld,\n  \"repeats\": %d,\n",
               static_cast<long long>(kMeanIncrement), kRepeats);
  std::fprintf(f, "  \"quick\": %s,\n  \"results\": [\n", quick ? "true" : "false");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::fprintf(f,
                 "    {\"pending\": %zu, \"events\": %llu, \"engine_events_per_s\": %.0f, "
                 "\"priority_queue_events_per_s\": %.0f, \"ratio\": %.4f}%s\n",
                 r.pending, static_cast<unsigned long long>(r.events), r.engine_rate, r.reference_rate,
                 r.engine_rate / r.reference_rate, i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      json_path = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--json FILE]\n", argv[0]);
      return 2;
    }
  }

  struct Config { std::size_t pending; std::uint64_t events; };
  const Config configs[] = {{1'000, 10'000'000}, {100'000, 10'000'000}, {1'000'000, 5'000'000}};
  const std::uint64_t divisor = quick ? 50 : 1;

  std::printf("hold model, increments Exp(mean %lld ns), median of %d repeats\n",
              static_cast<long long>(kMeanIncrement), kRepeats);
  std::printf("%10s %12s %16s %18s %8s\n", "pending", "events", "engine ev/s", "priority_queue ev/s", "ratio");
  std::vector<Row> rows;
  for (const Config& c : configs) {
    const Row r = measure(c.pending, c.events / divisor);
    std::printf("%10zu %12llu %15.2fM %18.2fM %8.3f\n", r.pending, static_cast<unsigned long long>(r.events),
                r.engine_rate * 1e-6, r.reference_rate * 1e-6, r.engine_rate / r.reference_rate);
    std::fflush(stdout);
    rows.push_back(r);
  }
  if (!json_path.empty() && !write_json(json_path, rows, quick)) {
    std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
    return 1;
  }
  return 0;
}
