// The page cache of the memory model (mm.h): the process's file reads and writes, dirty pages, the flusher
// and balance_dirty_pages (mm/filemap.c, mm/page-writeback.c, fs/fs-writeback.c). models/kernel/README.md
// ("Memory", the page cache row) says what is abstracted.
#include <algorithm>

#include "models/kernel/mm.h"

namespace gmpsim::models::kernel {

// Takes clean file pages out of the cache (reclaim): see mm.h.
void Mm::drop_file(std::int64_t f, bool memcg) {
  const std::int64_t clean = file_ - dirty_, owned = ws_cached_ + log_clean_;
  f = std::min(f, memcg ? owned : clean);
  if (f <= 0) return;
  std::int64_t mine = memcg ? f : (clean > 0 ? static_cast<std::int64_t>(static_cast<double>(f) * static_cast<double>(owned) / static_cast<double>(clean) + 0.5) : 0);
  mine = std::min(mine, owned);
  const std::int64_t from_log = owned > 0 ? std::min(log_clean_, mine * log_clean_ / owned) : 0;
  log_clean_ -= from_log;
  ws_cached_ -= mine - from_log;
  file_ -= f;
  free_ += f;
}

Mm::DirtyLimits Mm::dirty_limits() const {
  // global_dirtyable_memory: free and file pages less the reserve the high watermarks keep
  // (totalreserve_pages); domain_dirty_limits: the ratios of it, or the *_bytes settings; a background limit
  // at or above the limit becomes half of it.
  const std::int64_t dirtyable = std::max<std::int64_t>(0, free_ + file_ - wmark_.high);
  const std::int64_t thresh = p_.dirty_bytes > 0 ? (p_.dirty_bytes + kPage - 1) / kPage : dirtyable * p_.dirty_ratio / 100;
  std::int64_t bg = p_.dirty_background_bytes > 0 ? (p_.dirty_background_bytes + kPage - 1) / kPage
                                                  : dirtyable * p_.dirty_background_ratio / 100;
  if (bg >= thresh) bg = thresh / 2;
  return {bg, std::max<std::int64_t>(1, thresh)};
}

// The flusher (wb_workfn, fs/fs-writeback.c), lazily: since the last call it wrote, at the disk's
// bandwidth, the pages dirty longer than dirty_expire_centisecs (wb_check_old_data_flush) and, while dirty
// memory was above the background limit, the oldest pages down to it (wb_check_background_flush). The
// periodic wake-ups every dirty_writeback_centisecs are taken as continuous. Written pages stay cached, clean.
void Mm::writeback(sim::Time now) {
  const sim::Time dt = now - wb_last_;
  wb_last_ = now;
  // Writers whose balance_dirty_pages pause has ended dirty their pages (in pause order: the pauses of a
  // queue behind the disk end in the order they began, or nearly so).
  while (pending_head_ < pending_fifo_.size() && pending_fifo_[pending_head_].at <= now) {
    const DirtyBatch b = pending_fifo_[pending_head_++];
    pending_ -= b.pages;
    MmCost ignored;  // reclaim this charge causes is the paused writer's, not the caller's; not charged to anyone
    dirty_now(0, b.pages, b.at, ignored);
  }
  if (pending_head_ > 64 && pending_head_ * 2 > pending_fifo_.size()) {
    pending_fifo_.erase(pending_fifo_.begin(), pending_fifo_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
  if (dt <= 0 || dirty_ == 0 || p_.disk_bandwidth <= 0) return;
  const auto budget = static_cast<std::int64_t>(static_cast<double>(dt) * 1e-9 * static_cast<double>(p_.disk_bandwidth) / kPage);
  std::int64_t expired = 0;
  for (std::size_t i = dirty_head_; i < dirty_fifo_.size() && dirty_fifo_[i].at <= now - p_.dirty_expire; ++i) expired += dirty_fifo_[i].pages;
  const std::int64_t w = std::min({budget, dirty_, std::max(expired, dirty_ - dirty_limits().background)});
  if (w <= 0) return;
  dirty_ -= w;
  log_clean_ += w;
  pgwriteback_ += static_cast<std::uint64_t>(w);
  for (std::int64_t left = w; left > 0 && dirty_head_ < dirty_fifo_.size();) {
    DirtyBatch& b = dirty_fifo_[dirty_head_];
    const std::int64_t take = std::min(left, b.pages);
    b.pages -= take;
    left -= take;
    if (b.pages == 0) ++dirty_head_;
  }
  if (dirty_head_ > 64 && dirty_head_ * 2 > dirty_fifo_.size()) {
    dirty_fifo_.erase(dirty_fifo_.begin(), dirty_fifo_.begin() + static_cast<std::ptrdiff_t>(dirty_head_));
    dirty_head_ = 0;
  }
}

MmCost Mm::file_read(std::uint32_t owner, std::int64_t pages) {
  MmCost c;
  if (owners_[owner].failed != Failure::kNone || pages <= 0) return c;
  writeback(ks_ != nullptr ? ks_->now() : 0);
  ++file_reads_;
  c.cpu += pages * p_.page_copy;
  // Each page of a random range is cached with the probability the cached share of the file set gives.
  const std::int64_t k = std::min(pages, ws_total_);
  const double share = ws_total_ > 0 ? static_cast<double>(ws_cached_) / static_cast<double>(ws_total_) : 0.0;
  std::int64_t miss = k - binomial(k, share);
  miss = std::min(miss, ws_total_ - ws_cached_);
  if (miss <= 0) return c;
  ++file_read_misses_;
  pgpgin_ += static_cast<std::uint64_t>(miss);
  const double transfer = p_.disk_bandwidth > 0 ? static_cast<double>(miss * kPage) * 1e9 / static_cast<double>(p_.disk_bandwidth) : 0.0;
  const sim::Time io = p_.disk_read + static_cast<sim::Time>(transfer);
  c.blocked += io;
  read_wait_ += io;
  charge_free(owner, miss, c, Charge::kFile);
  return c;
}

MmCost Mm::file_write(std::uint32_t owner, std::int64_t pages) {
  MmCost c;
  if (owners_[owner].failed != Failure::kNone || pages <= 0) return c;
  const sim::Time now = ks_ != nullptr ? ks_->now() : 0;
  writeback(now);
  c.cpu += pages * p_.page_copy;
  // balance_dirty_pages (mm/page-writeback.c), called as the pages are dirtied: no pause while dirty memory
  // (with what paused writers are about to dirty) stays under the freerun point, halfway between the
  // background limit and the limit. Above it the writer is paced at the write bandwidth times pos_ratio, the
  // cubic control line around the setpoint (pos_ratio_polynom: 1 + ((setpoint - dirty) / (limit -
  // setpoint))^3, in [0, 2]), at most MAX_PAUSE (HZ / 5) a time; past the limit it pauses until the
  // flusher has made room for its pages. Its pages are dirtied when its pause ends.
  const DirtyLimits lim = dirty_limits();
  const std::int64_t freerun = (lim.thresh + lim.background) / 2;
  const std::int64_t after = dirty_ + pending_ + pages;
  sim::Time pause = 0;
  if (after > freerun) {
    constexpr sim::Time kMaxPause = 200'000'000;
    const double bw = static_cast<double>(std::max<std::int64_t>(1, p_.disk_bandwidth)) / kPage * 1e-9;  // pages per ns
    const double setpoint = static_cast<double>(freerun + lim.thresh) / 2.0;
    const double x = (setpoint - static_cast<double>(after)) / std::max(1.0, static_cast<double>(lim.thresh) - setpoint);
    const double pos_ratio = std::clamp(1.0 + x * x * x, 0.0, 2.0);
    pause = pos_ratio > 0 ? std::min(kMaxPause, static_cast<sim::Time>(static_cast<double>(pages) / (bw * pos_ratio))) : kMaxPause;
    if (after > lim.thresh) pause = std::max(pause, static_cast<sim::Time>(static_cast<double>(after - lim.thresh) / bw));
  }
  if (pause == 0) {
    dirty_now(owner, pages, now, c);
    return c;
  }
  pending_fifo_.push_back({now + pause, pages});
  pending_ += pages;
  ++dirty_throttled_;
  dirty_pause_ += pause;
  c.blocked += pause;
  return c;
}

void Mm::dirty_now(std::uint32_t owner, std::int64_t pages, sim::Time now, MmCost& c) {
  if (!charge_free(owner, pages, c, Charge::kDirty)) return;
  pgwrite_ += static_cast<std::uint64_t>(pages);
  dirty_fifo_.push_back({now, pages});
  dirty_peak_ = std::max(dirty_peak_, dirty_);
}

}  // namespace gmpsim::models::kernel
