#include "models/go/runq.h"

#include <algorithm>

namespace gmpsim::models::go {

std::uint32_t runqput(LocalRunq& pp, GlobalRunq& global, std::uint32_t gp, bool next) {
  if (next) {
    const std::uint32_t old = pp.runnext;
    pp.set_runnext(gp);
    if (old == kNoG) return 0;
    gp = old;  // kick the old runnext out to the regular run queue
  }
  if (!pp.full()) {
    pp.push_tail(gp);
    return 0;
  }
  return runqputslow(pp, global, gp);
}

std::uint32_t runqputslow(LocalRunq& pp, GlobalRunq& global, std::uint32_t gp) {
  const std::uint32_t n = pp.size() / 2;
  GMPSIM_CHECK(n == pp.capacity() / 2, "runqputslow: queue is not full");
  for (std::uint32_t i = 0; i < n; ++i) global.push_back(pp.pop_head());
  global.push_back(gp);
  return n + 1;
}

std::uint32_t runqputbatch(LocalRunq& pp, const std::uint32_t* batch, std::uint32_t n) {
  std::uint32_t put = 0;
  while (put < n && !pp.full()) pp.push_tail(batch[put++]);
  return put;
}

RunqGet runqget(LocalRunq& pp) {
  if (pp.runnext != kNoG) {
    const std::uint32_t g = pp.runnext;
    pp.set_runnext(kNoG);
    return {g, true};
  }
  if (pp.size() == 0) return {};
  return {pp.pop_head(), false};
}

std::uint32_t runqsteal(LocalRunq& pp, LocalRunq& victim, std::uint32_t* stolen) {
  std::uint32_t n = victim.size();
  n = n - n / 2;  // runqgrab: take ceil(n/2)
  if (stolen) *stolen = n;
  if (n == 0) return kNoG;
  GMPSIM_CHECK(pp.size() + n - 1 < pp.capacity(), "runqsteal: runq overflow");
  for (std::uint32_t i = 0; i + 1 < n; ++i) pp.push_tail(victim.pop_head());
  return victim.pop_head();
}

std::uint32_t runqsteal_runnext(LocalRunq& victim) {
  const std::uint32_t g = victim.runnext;
  victim.set_runnext(kNoG);
  return g;
}

std::uint32_t globrunqget(GlobalRunq& global) { return global.empty() ? kNoG : global.pop_front(); }

std::uint32_t globrunqgetbatch(GlobalRunq& global, LocalRunq& pp, std::uint32_t n, std::uint32_t gomaxprocs) {
  if (global.empty()) return kNoG;
  const auto size = static_cast<std::uint32_t>(std::min<std::size_t>(global.size(), 0xffffffffu));
  n = std::min({n, size, size / gomaxprocs + 1});
  const std::uint32_t gp = global.pop_front();
  std::uint32_t moved = 1;
  while (moved < n && !pp.full()) {
    pp.push_tail(global.pop_front());
    ++moved;
  }
  // runqputbatch leaves what does not fit in the batch; findRunnable's local queue is empty at this point,
  // so a batch of at most capacity/2 always fits and nothing needs to go back.
  return gp;
}

std::uint32_t gfput(GFreeList& local, GFreeList& global, std::uint32_t gp, const GFreeParams& params) {
  local.gs.push_back(gp);
  if (local.gs.size() < params.local_max) return 0;
  std::uint32_t moved = 0;
  while (local.gs.size() >= params.local_keep) {
    global.gs.push_back(local.gs.back());
    local.gs.pop_back();
    ++moved;
  }
  return moved;
}

std::uint32_t gfget(GFreeList& local, GFreeList& global, const GFreeParams& params) {
  if (local.gs.empty()) {
    while (local.gs.size() < params.refill && !global.gs.empty()) {
      local.gs.push_back(global.gs.back());
      global.gs.pop_back();
    }
  }
  if (local.gs.empty()) return kNoG;
  const std::uint32_t g = local.gs.back();
  local.gs.pop_back();
  return g;
}

}  // namespace gmpsim::models::go
