#include "experiments/design.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "experiments/joe_kuo.hpp"
#include "network/random.hpp"

namespace icsim {
namespace {

constexpr std::array<std::string_view, 4> design_names{"full_factorial", "latin_hypercube", "sobol",
                                                       "morris"};

// Streams of the designs' draws, apart from every run's streams (those are keyed by run_key).
constexpr std::uint64_t lhs_stream = 0x4C48535F44455349ull, morris_stream = 0x4D4F525249535F44ull;

// A uniform draw on [0, 1): a pure function of (key, a, b), as the model's counter-based draws.
double uniform(std::uint64_t key, std::uint64_t a, std::uint64_t b) {
  const std::uint64_t x = detail::splitmix64(key ^ detail::splitmix64(a ^ detail::splitmix64(b)));
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}
std::uint64_t below(std::uint64_t key, std::uint64_t a, std::uint64_t b, std::uint64_t n) {
  return std::min(static_cast<std::uint64_t>(uniform(key, a, b) * static_cast<double>(n)), n - 1);
}

// Direction numbers V_j (j = 1..32) of every built-in dimension, scaled to 32 bits.
using Directions = std::array<std::uint32_t, 32>;
const std::vector<Directions>& sobol_directions() {
  static const std::vector<Directions> table = [] {
    std::vector<Directions> v(detail::joe_kuo_dimensions);
    for (unsigned j = 0; j < 32; ++j) v[0][j] = 1u << (31 - j);  // dimension 1: van der Corput
    std::size_t at = 0;
    for (std::size_t d = 1; d < v.size(); ++d) {
      const unsigned s = detail::joe_kuo_table[at], a = detail::joe_kuo_table[at + 1];
      const std::uint32_t* m = &detail::joe_kuo_table[at + 2];
      at += 2 + s;
      for (unsigned j = 0; j < std::min(s, 32u); ++j) v[d][j] = m[j] << (31 - j);
      for (unsigned j = s; j < 32; ++j) {
        std::uint32_t x = v[d][j - s] ^ (v[d][j - s] >> s);
        for (unsigned k = 1; k < s; ++k)
          if ((a >> (s - 1 - k)) & 1u) x ^= v[d][j - k];
        v[d][j] = x;
      }
    }
    return v;
  }();
  return table;
}

void saltelli_point(const DesignSpec& d, std::uint64_t i, std::span<double> out) {
  const std::size_t k = d.dimensions;
  const std::uint64_t base = i / (k + 2), column = i % (k + 2);
  std::vector<double> ab(2 * k);
  sobol_point(base + 1, ab);
  for (std::size_t j = 0; j < k; ++j) out[j] = column == k + 1 ? ab[k + j] : ab[j];
  if (column >= 1 && column <= k) out[column - 1] = ab[k + column - 1];
}

void morris_point(const DesignSpec& d, std::uint64_t i, std::span<double> out) {
  const std::size_t k = d.dimensions;
  const std::uint64_t trajectory = i / (k + 1), steps = i % (k + 1);
  const std::uint64_t p = d.morris_levels, jump = p / 2;  // delta = p / (2 (p - 1)) in levels
  const std::uint64_t key = detail::splitmix64(d.seed ^ morris_stream);
  // A uniform start level; the lower half of the grid steps up, the upper half down, which is
  // Morris's random base point with a random direction.
  std::vector<std::uint64_t> level(k);
  for (std::size_t j = 0; j < k; ++j) level[j] = below(key, trajectory, j, p);
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t j = k; j > 1; --j)  // Fisher-Yates
    std::swap(order[j - 1], order[below(key, trajectory, k + j, j)]);
  for (std::uint64_t s = 0; s < steps; ++s) {
    auto& l = level[order[s]];
    l = l < p - jump ? l + jump : l - jump;
  }
  for (std::size_t j = 0; j < k; ++j)
    out[j] = static_cast<double>(level[j]) / static_cast<double>(p - 1);
}

}  // namespace

std::string_view name_of(DesignKind kind) {
  return design_names[static_cast<int>(kind)];
}

std::optional<DesignKind> design_kind(std::string_view name) {
  for (std::size_t i = 0; i < design_names.size(); ++i)
    if (design_names[i] == name) return static_cast<DesignKind>(i);
  return std::nullopt;
}

bool allows_categorical(DesignKind kind) {
  return kind != DesignKind::morris;
}

std::size_t sobol_max_dimensions() {
  return detail::joe_kuo_dimensions;
}

void sobol_point(std::uint64_t index, std::span<double> out) {
  if (out.size() > sobol_max_dimensions())
    throw std::invalid_argument("Sobol sequence: at most " +
                                std::to_string(sobol_max_dimensions()) + " dimensions");
  const auto& v = sobol_directions();
  const std::uint64_t gray = index ^ (index >> 1);
  for (std::size_t d = 0; d < out.size(); ++d) {
    std::uint32_t x = 0;
    for (unsigned j = 0; j < 32; ++j)
      if ((gray >> j) & 1u) x ^= v[d][j];
    out[d] = static_cast<double>(x) * 0x1.0p-32;
  }
}

std::uint64_t saltelli_count(std::uint64_t base_samples, std::size_t dimensions) {
  return base_samples * (dimensions + 2);
}

std::uint64_t morris_count(std::uint64_t trajectories, std::size_t dimensions) {
  return trajectories * (dimensions + 1);
}

std::uint64_t permute(std::uint64_t index, std::uint64_t n, std::uint64_t key) {
  if (n <= 1) return 0;
  const unsigned bits = 64 - static_cast<unsigned>(std::countl_zero(n - 1));
  const unsigned half = (bits + 1) / 2;  // a balanced Feistel network on 2 * half bits
  const std::uint64_t mask = (std::uint64_t{1} << half) - 1;
  std::uint64_t x = index;
  do {  // cycle walking: the permutation of the power-of-four domain, restricted to [0, n)
    std::uint64_t left = x >> half, right = x & mask;
    for (std::uint64_t round = 0; round < 6; ++round) {
      const std::uint64_t f = detail::splitmix64(key ^ detail::splitmix64(right ^ (round << 58)));
      const std::uint64_t next = left ^ (f & mask);
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (x >= n);
  return x;
}

std::uint64_t point_count(const DesignSpec& d) {
  switch (d.kind) {
    case DesignKind::full_factorial:
      return std::accumulate(d.levels.begin(), d.levels.end(), std::uint64_t{1},
                             std::multiplies<>());
    case DesignKind::latin_hypercube:
      return d.samples;
    case DesignKind::sobol:
      return saltelli_count(d.samples, d.dimensions);
    case DesignKind::morris:
      return morris_count(d.samples, d.dimensions);
  }
  return 0;
}

std::uint64_t seed_block(const DesignSpec& d, std::uint64_t point) {
  switch (d.kind) {
    case DesignKind::sobol:
      return point / (d.dimensions + 2);
    case DesignKind::morris:
      return point / (d.dimensions + 1);
    case DesignKind::full_factorial:
    case DesignKind::latin_hypercube:
      return 0;
  }
  return point;
}

void design_point(const DesignSpec& d, std::uint64_t point, std::span<double> out) {
  switch (d.kind) {
    case DesignKind::full_factorial:  // the last axis varies fastest
      for (std::size_t j = d.dimensions; j-- > 0;) {
        const std::uint64_t m = d.levels[j];
        out[j] = (static_cast<double>(point % m) + 0.5) / static_cast<double>(m);
        point /= m;
      }
      return;
    case DesignKind::latin_hypercube: {
      // Axis j puts point i in stratum permute(i) of n and jitters it inside: each stratum of
      // each axis is hit exactly once.
      const std::uint64_t key = detail::splitmix64(d.seed ^ lhs_stream);
      for (std::size_t j = 0; j < d.dimensions; ++j) {
        const std::uint64_t axis_key = detail::splitmix64(key + j);
        const double stratum = static_cast<double>(permute(point, d.samples, axis_key));
        const double u = (stratum + uniform(axis_key, point, 1)) / static_cast<double>(d.samples);
        out[j] = std::min(u, 1.0 - 0x1.0p-53);  // rounding must not carry it out of its stratum
      }
      return;
    }
    case DesignKind::sobol:
      saltelli_point(d, point, out);
      return;
    case DesignKind::morris:
      morris_point(d, point, out);
      return;
  }
}

}  // namespace icsim
