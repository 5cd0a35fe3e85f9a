// Random streams. xoshiro256** (Blackman & Vigna) seeded through SplitMix64; one independent stream per
// purpose, derived from (master seed, stream name, index), so adding a component or a processor never
// shifts another component's draws. No std:: engines or distributions are used anywhere: their output is
// not specified across standard libraries, and results must be identical across builds of this code.
//
// What a seed reproduces: with the same build of gmpsim, the same scenario and the same seed, every draw
// and therefore every result is identical, bit for bit. A different compiler or libm may change the last
// bits of log/exp/cos and hence rare draws; the event-stream fingerprint will then say so.
#pragma once
#include <cstdint>
#include <string_view>

namespace gmpsim::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double uniform_pos() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0, without modulo bias (Lemire's multiply-shift with rejection).
  // n == 0 fails GMPSIM_REQUIRE (throws InvariantError).
  std::uint64_t below(std::uint64_t n);

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// SplitMix64 step, used to expand seeds.
std::uint64_t splitmix64(std::uint64_t& state);

// Derives the seed of stream (name, index) from a master seed. Stable across versions of gmpsim: the
// name is hashed with FNV-1a 64, not std::hash.
std::uint64_t derive_seed(std::uint64_t master, std::string_view stream, std::uint64_t index = 0);

// Factory of named streams for one run.
class RngStreams {
 public:
  explicit RngStreams(std::uint64_t master_seed) : master_(master_seed) {}
  Rng stream(std::string_view name, std::uint64_t index = 0) const { return Rng(derive_seed(master_, name, index)); }
  std::uint64_t master_seed() const { return master_; }

 private:
  std::uint64_t master_;
};

}  // namespace gmpsim::sim
