#include "sim/rng.h"

#include "sim/check.h"

namespace gmpsim::sim {

namespace {

// FNV-1a 64 (Fowler, Noll, Vo): fixed by its definition, unlike std::hash, so stream names map to the
// same seeds in every build.
std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), the
// seeding generator recommended for xoshiro by Blackman & Vigna.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Rng::Rng(std::uint64_t seed) {
  std::uint64_t sm = seed;
  for (std::uint64_t& w : s_) w = splitmix64(sm);
  // SplitMix64's output is a bijection of distinct counters, so at most one word can be zero and the
  // all-zero state (a fixed point of xoshiro) cannot occur; keep the guard anyway, it costs nothing.
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 0x9e3779b97f4a7c15ULL;
}

// Lemire, "Fast random integer generation in an interval", ACM TOMACS 29(1), 2019: the high word of
// x * n is uniform on [0, n) once the few low words below 2^64 mod n are rejected; the division that
// computes that threshold runs only when the low word is already below n (probability n / 2^64).
std::uint64_t Rng::below(std::uint64_t n) {
  GMPSIM_REQUIRE(n > 0, "Rng::below: n must be > 0");
  __extension__ using u128 = unsigned __int128;
  u128 m = static_cast<u128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

// Chains master, the name's hash and the index through SplitMix64's finaliser. Each step is a bijection
// of its new input for a fixed prefix, so distinct names (or indices) under one master never collide, and
// the avalanche makes neighbouring indices' seeds unrelated.
std::uint64_t derive_seed(std::uint64_t master, std::string_view stream, std::uint64_t index) {
  std::uint64_t state = master;
  std::uint64_t h = splitmix64(state);
  state = h ^ fnv1a64(stream);
  h = splitmix64(state);
  state = h ^ index;
  return splitmix64(state);
}

}  // namespace gmpsim::sim
