// Tracing: models emit typed trace records; observers (recorders, printers, hashers) subscribe.
// With no observer attached, emitting costs one predictable branch.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace gmpsim::sim {

// A model-defined trace record. `kind` numbers belong to the model (e.g. the Go model's GoStart,
// GoUnpark, ProcStop, named after the runtime's tracer calls); the engine only carries them.
struct TraceRecord {
  Time time = 0;
  std::uint32_t kind = 0;
  std::uint32_t a = 0, b = 0, c = 0;  // entity ids or small values, meaning set by `kind`
};

class TraceObserver {
 public:
  virtual ~TraceObserver() = default;
  virtual void on_trace(const TraceRecord& r) = 0;
};

class Tracer {
 public:
  void attach(TraceObserver* o) { observers_.push_back(o); }
  bool active() const { return !observers_.empty(); }
  void emit(const TraceRecord& r) {
    if (observers_.empty()) [[likely]] return;
    for (TraceObserver* o : observers_) o->on_trace(r);
  }

 private:
  std::vector<TraceObserver*> observers_;
};

// 64-bit fingerprint of a stream of (time, kind, a, b, c) tuples, order-sensitive, for golden tests.
// FNV-1a over the fields' little-endian bytes would be slow; this mixes whole words (splitmix64 finaliser).
class Fingerprint {
 public:
  void add(Time t, std::uint64_t x, std::uint64_t y = 0) {
    h_ = mix(h_ ^ static_cast<std::uint64_t>(t));
    h_ = mix(h_ ^ x);
    h_ = mix(h_ ^ y);
  }
  std::uint64_t value() const { return h_; }

  static std::uint64_t mix(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t h_ = 0x6a09e667f3bcc908ULL;
};

// Observer that folds every trace record into a Fingerprint.
class FingerprintObserver final : public TraceObserver {
 public:
  void on_trace(const TraceRecord& r) override {
    fp_.add(r.time, (std::uint64_t{r.kind} << 32) | r.a, (std::uint64_t{r.b} << 32) | r.c);
  }
  std::uint64_t value() const { return fp_.value(); }

 private:
  Fingerprint fp_;
};

}  // namespace gmpsim::sim
