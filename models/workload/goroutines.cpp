#include "models/workload/goroutines.h"

#include <algorithm>

namespace gmpsim::models {

GoroutineTable::GoroutineTable(const Workload& wl) {
  for (const GoroutineClass& c : wl.classes) {
    const std::uint32_t width = c.program.frame_words();
    if (width == 0) {
      arena_of_class_.push_back(kNone32);
      continue;
    }
    auto it = std::find_if(arenas_.begin(), arenas_.end(), [&](const Arena& a) { return a.width == width; });
    if (it == arenas_.end()) {
      arenas_.push_back(Arena{width, {}, {}});
      it = arenas_.end() - 1;
    }
    arena_of_class_.push_back(static_cast<std::uint32_t>(it - arenas_.begin()));
  }
}

std::uint32_t GoroutineTable::create(std::uint16_t cls, sim::Time start, std::uint32_t client) {
  std::uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    GMPSIM_REQUIRE(gs_.size() < kNone32, "GoroutineTable::create: more than 2^32-1 goroutines");
    id = static_cast<std::uint32_t>(gs_.size());
    if (gs_.size() == gs_.capacity()) check_growth(std::max<std::size_t>(gs_.capacity(), 1) * sizeof(Goroutine));
    gs_.emplace_back();
    gs_[id].start = -1;  // a fresh record is not live until revived
  }
  return revive(id, cls, start, client);
}

std::uint32_t GoroutineTable::revive(std::uint32_t id, std::uint16_t cls, sim::Time start, std::uint32_t client) {
  GMPSIM_CHECK(!is_live(id), "GoroutineTable::revive: the goroutine is live");
  Goroutine& g = gs_[id];
  g = Goroutine{};
  g.start = start;
  g.ready_at = start;
  g.cls = cls;
  g.client = client;
  if (const std::uint32_t a = arena_of_class_[cls]; a != kNone32) {
    Arena& ar = arenas_[a];
    if (!ar.free.empty()) {
      g.frame = ar.free.back();
      ar.free.pop_back();
    } else {
      g.frame = static_cast<std::uint32_t>(ar.words.size() / ar.width);
      if (ar.words.size() + ar.width > ar.words.capacity()) {
        check_growth(std::max<std::size_t>(ar.words.capacity(), ar.width) * sizeof(std::int64_t));
      }
      ar.words.resize(ar.words.size() + ar.width);
    }
  }
  ++created_;
  peak_ = std::max(peak_, ++live_);
  return id;
}

void GoroutineTable::destroy(std::uint32_t id) {
  retire(id);
  free_.push_back(id);
}

void GoroutineTable::retire(std::uint32_t id) {
  Goroutine& g = gs_[id];
  if (g.frame != kNone32) arenas_[arena_of_class_[g.cls]].free.push_back(g.frame);
  g.frame = kNone32;
  g.start = -1;  // marks the record free (is_live)
  --live_;
}

void GoroutineTable::check_growth(std::uint64_t extra_bytes) const {
  if (limit_ == 0) return;
  const std::uint64_t now = memory_bytes();
  if (now + extra_bytes > limit_) {
    throw SimMemoryLimit("the simulator's goroutine records would grow from " + std::to_string(now >> 20) + " MiB past run.max_memory (" +
                         std::to_string(limit_ >> 20) + " MiB) at " + std::to_string(live_) + " live goroutines");
  }
}

std::uint64_t GoroutineTable::memory_bytes() const {
  std::uint64_t b = gs_.capacity() * sizeof(Goroutine) + free_.capacity() * sizeof(std::uint32_t);
  for (const Arena& a : arenas_) b += a.words.capacity() * sizeof(std::int64_t) + a.free.capacity() * sizeof(std::uint32_t);
  return b;
}

}  // namespace gmpsim::models
