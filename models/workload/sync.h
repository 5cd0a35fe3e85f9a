// WaitGroups shared by the models: counters and parked waiters (sync.WaitGroup over runtime semaphores:
// Wait parks on the semaphore while the counter is non-zero; the Add that brings it to zero releases
// every waiter, in the order they arrived).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/scenario/errors.h"

namespace gmpsim::models {

class WaitGroups {
 public:
  explicit WaitGroups(const std::vector<std::string>& names) : names_(names), counter_(names.size(), 0), waiters_(names.size()) {}

  std::int64_t counter(std::uint32_t wg) const { return counter_[wg]; }

  // Adds delta; returns the waiters to ready when the counter reaches zero (and forgets them).
  // A negative counter is the program's bug, reported as Go reports it.
  std::vector<std::uint32_t> add(std::uint32_t wg, std::int64_t delta) {
    counter_[wg] += delta;
    if (counter_[wg] < 0) throw ScenarioError("workload", "sync: negative WaitGroup counter (WaitGroup `" + names_[wg] + "`): more wg_done than wg_add");
    std::vector<std::uint32_t> ready;
    if (counter_[wg] == 0) ready.swap(waiters_[wg]);
    return ready;
  }

  void park(std::uint32_t wg, std::uint32_t g) {
    waiters_[wg].push_back(g);
    ++parked_;
  }
  void unparked(std::size_t n) { parked_ -= n; }
  std::uint64_t parked() const { return parked_; }

  // "k on `name`" for each WaitGroup with waiters, for deadlock reports.
  std::string describe_waiters() const {
    std::string out;
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (waiters_[i].empty()) continue;
      out += (out.empty() ? "" : ", ") + std::to_string(waiters_[i].size()) + " on WaitGroup `" + names_[i] +
             "` (counter " + std::to_string(counter_[i]) + ")";
    }
    return out;
  }

 private:
  const std::vector<std::string>& names_;
  std::vector<std::int64_t> counter_;
  std::vector<std::vector<std::uint32_t>> waiters_;
  std::uint64_t parked_ = 0;
};

}  // namespace gmpsim::models
