// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): every draw is a pure function
// of (seed, run, year, agent, purpose, index), so output does not depend on threads or run order.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace icsim {

// What a draw is for: one stream per purpose keeps the streams of different stages independent.
enum class Purpose : std::uint32_t {
  decide = 1,
  shock = 2,
  common_shock = 3,
  collaborate = 4,
  imitate = 5,
  order = 6,
  population = 7,
  leader = 8,
  network = 9,
  game = 10,
  demand = 11,
  accept = 12,
};

namespace detail {
inline std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> ctr,
                                                  std::array<std::uint32_t, 2> key) {
  constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
  constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t{m0} * ctr[0];
    const std::uint64_t p1 = std::uint64_t{m1} * ctr[2];
    ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<std::uint32_t>(p1),
           static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<std::uint32_t>(p0)};
    key[0] += w0;
    key[1] += w1;
  }
  return ctr;
}

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
}  // namespace detail

// Derives a run's key from the user's seed and the run index (a sweep's run, or 0).
inline std::uint64_t run_key(std::uint64_t seed, std::uint64_t run) {
  return detail::splitmix64(detail::splitmix64(seed) ^ (run * 0xD1B54A32D192ED03ull));
}

// A short stream of draws for one (year, agent, purpose); cheap to construct on the spot.
class Random {
 public:
  Random(std::uint64_t key, std::uint32_t year, std::uint32_t agent, Purpose purpose)
      : key_{static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)},
        year_(year),
        agent_(agent),
        purpose_(static_cast<std::uint32_t>(purpose)) {}

  std::uint64_t next_u64() {
    if (used_ >= 2) refill();
    return buffer_[used_++];
  }
  // Uniform on [0, 1) with 53 random bits.
  double uniform() { return to_uniform(next_u64()); }
  // Uniform on (0, 1], safe for logarithms.
  double uniform_open() { return to_uniform_open(next_u64()); }
  // Uniform on {0, ..., n-1} (Lemire's multiply-shift on 32 random bits).
  std::uint32_t below(std::uint32_t n) {
    return static_cast<std::uint32_t>(((next_u64() >> 32) * n) >> 32);
  }
  // Standard normal from two draws (Box-Muller).
  double normal() {
    const std::uint64_t first = next_u64();
    return to_normal(first, next_u64());
  }
  double exponential(double mean) { return to_exponential(next_u64(), mean); }

  // The same transforms of given 64-bit draws, for draws made in batches (philox_blocks).
  static double to_uniform(std::uint64_t bits) {
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
  }
  static double to_uniform_open(std::uint64_t bits) {
    return (static_cast<double>(bits >> 11) + 1.0) * 0x1.0p-53;
  }
  static double to_normal(std::uint64_t first, std::uint64_t second) {
    const double r = std::sqrt(-2.0 * std::log(to_uniform_open(first)));
    return r * std::cos(2.0 * std::numbers::pi * to_uniform(second));
  }
  static double to_exponential(std::uint64_t bits, double mean) {
    return -mean * std::log(to_uniform_open(bits));
  }

 private:
  void refill() {
    const auto out = detail::philox4x32_10({year_, agent_, purpose_, block_++}, key_);
    buffer_[0] = (std::uint64_t{out[0]} << 32) | out[1];
    buffer_[1] = (std::uint64_t{out[2]} << 32) | out[3];
    used_ = 0;
  }
  std::array<std::uint32_t, 2> key_;
  std::uint32_t year_, agent_, purpose_, block_ = 0;
  std::array<std::uint64_t, 2> buffer_{};
  int used_ = 2;
};

// The draws of blocks `first_block` .. `first_block + blocks - 1` of the streams (key, year,
// agent, purpose) for `count` agents from `first_agent`, agent by agent: out[(a * blocks + b) * 2]
// and the word after are draws 2(first_block + b) and 2(first_block + b) + 1 of agent
// first_agent + a, as Random would give them. The Philox rounds of neighbouring agents are
// independent, so a batch keeps the core busy (and uses vector units where the CPU has them).
void philox_blocks(std::uint64_t key, std::uint32_t year, Purpose purpose,
                   std::uint32_t first_agent, std::uint32_t count, std::uint32_t first_block,
                   std::uint32_t blocks, std::uint64_t* out);

}  // namespace icsim
