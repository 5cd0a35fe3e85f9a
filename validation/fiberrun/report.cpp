// The report of one run: the gmpsim-real-run/1 repeat object (README.md, "Output") printed as one JSON
// line on stdout, after which the process ends.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "validation/fiberrun/run.h"
#include "validation/fiberrun/runner.h"

namespace gmpsim::fiberrun {

// Keeps every sample up to kMaxSamples; beyond, a uniform subsample without replacement (a partial
// Fisher-Yates shuffle with a stream of this seed), so the same samples give the same subsample.
std::vector<std::int64_t> Run::subsample(std::vector<std::int64_t> v, const std::string& what) {
  if (v.size() <= kMaxSamples) return v;
  sim::Rng rng = sim::RngStreams(seed_).stream("fiberrun.subsample." + what);
  for (std::size_t i = 0; i < kMaxSamples; ++i) std::swap(v[i], v[i + rng.below(v.size() - i)]);
  notes_.push_back(what + ": " + std::to_string(kMaxSamples) + " of " + std::to_string(v.size()) +
                   " latency samples kept (uniform subsample)");
  v.resize(kMaxSamples);
  return v;
}

std::int64_t Run::quantile(std::vector<std::int64_t>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void Run::report(const std::string& outcome, std::int64_t end, bool open) {
  Json run;
  std::int64_t last_exit = 0;
  for (auto& s : states_) last_exit = std::max(last_exit, s->last_exit.load());
  // Closed workloads end at their last fiber's exit (or the cap); open loops at run.duration or later.
  // A run cut short (time cap, panic) ends when the control thread saw it end.
  const std::int64_t makespan = outcome != "completed" ? end : open ? std::max(duration_, last_exit) : last_exit;
  run["seed"] = seed_;
  run["outcome"] = outcome;
  run["makespan_ns"] = makespan;
  run["window_ns"] = open ? duration_ - warmup_ : std::max<std::int64_t>(0, makespan - warmup_);
  Json classes = Json::object();
  for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
    std::vector<std::int64_t> lat;
    std::uint64_t created = 0, completed = 0;
    for (auto& s : states_) {
      std::lock_guard lk(s->mu);
      lat.insert(lat.end(), s->class_latency[c].begin(), s->class_latency[c].end());
      completed += s->completed[c];
      created += s->created[c].load();
    }
    const std::size_t n = lat.size();
    classes[wl_.classes[c].name] = {{"created", created}, {"completed", completed}, {"latency_count", n},
                                    {"latency_ns", subsample(std::move(lat), "class " + wl_.classes[c].name)}};
  }
  run["classes"] = std::move(classes);
  Json spans = Json::object();
  for (std::size_t i = 0; i < wl_.spans.size(); ++i) {
    std::vector<std::int64_t> lat;
    for (auto& s : states_) {
      std::lock_guard lk(s->mu);
      lat.insert(lat.end(), s->span_latency[i].begin(), s->span_latency[i].end());
    }
    const std::size_t n = lat.size();
    spans[wl_.spans[i].name] = {{"latency_count", n}, {"latency_ns", subsample(std::move(lat), "span " + wl_.spans[i].name)}};
  }
  run["spans"] = std::move(spans);
  if (open) {
    std::vector<std::int64_t> late = lateness_;
    run["generator"] = {{"arrivals", late.size()},
                        {"lateness_ns", {{"p50", quantile(late, 0.5)}, {"p99", quantile(late, 0.99)},
                                         {"max", late.empty() ? 0 : *std::max_element(late.begin(), late.end())}}}};
    // The actual hand-over times per class, so that a simulation can replay the arrivals this run really
    // had (arrivals: {process: trace}); `gmpsim validate` does, since the generator is late in bursts
    // when it waits for a CPU.
    Json times = Json::object();
    for (const auto& [cls, v] : handovers_) times[wl_.classes[cls].name] = v;
    run["generator"]["handover_ns"] = std::move(times);
    run["generator"]["batch_window_ns"] = window_;
    run["generator"]["cpu_ns"] = generator_cpu_ns_;
  } else {
    run["generator"] = {{"arrivals", 0}, {"lateness_ns", {{"p50", 0}, {"p99", 0}, {"max", 0}}}};
  }
  Json per_thread = Json::array();
  std::uint64_t off = 0;
  for (auto& s : states_) {
    per_thread.push_back(s->fibers_run.load());
    off += s->acceptor_off_home.load();
  }
  // Minor faults from time zero to the end: mostly first touches of fresh fiber stacks (--warm-stacks).
  run["counters"] = {{"fibers_run_per_thread", per_thread}, {"live_at_end", live_.load()},
                     {"minor_faults", minor_faults() - faults0_}, {"warm_stacks", warm_stacks_}};
  if (open) run["counters"]["acceptor_runs_off_home"] = off;  // arrivals accepted by a stolen acceptor
  run["notes"] = notes_;
  run["wall_ns"] = mono_ns() - wall0_;
  const std::string text = run.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  _exit(0);  // no teardown: fibers may still be parked, and Boost's pool teardown races (boostorg/fiber#260)
}

}  // namespace gmpsim::fiberrun
