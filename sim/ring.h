// Ring: a growable FIFO of trivially copyable values in one power-of-two buffer. Unlike std::deque it
// allocates only when it grows past its largest size so far, so a steady-state queue never allocates.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace gmpsim::sim {

template <class T>
class Ring {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  bool empty() const { return head_ == tail_; }
  std::size_t size() const { return static_cast<std::size_t>(tail_ - head_); }
  void push_back(T v) {
    if (size() == buf_.size()) grow();
    buf_[tail_++ & mask_] = v;
  }
  void push_front(T v) {
    if (size() == buf_.size()) grow();
    buf_[--head_ & mask_] = v;
  }
  T pop_front() { return buf_[head_++ & mask_]; }
  const T& front() const { return buf_[head_ & mask_]; }
  const T& operator[](std::size_t i) const { return buf_[(head_ + i) & mask_]; }

 private:
  void grow() {
    const std::size_t cap = buf_.empty() ? 64 : buf_.size() * 2;
    std::vector<T> next(cap);
    const std::size_t n = size();
    for (std::size_t i = 0; i < n; ++i) next[i] = (*this)[i];
    buf_.swap(next);
    head_ = 0;
    tail_ = n;
    mask_ = cap - 1;
  }
  std::vector<T> buf_;
  // Indices grow without bound (push_front wraps head_ below zero, which the mask handles).
  std::uint64_t head_ = 0, tail_ = 0, mask_ = 0;
};

}  // namespace gmpsim::sim
