// Experimental designs on the unit hypercube: full factorial, Latin hypercube, Sobol/Saltelli and
// Morris. Each gives its point i directly, so a sweep of any size never holds its whole design.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace icsim {

enum class DesignKind : std::uint8_t { full_factorial, latin_hypercube, sobol, morris };

std::string_view name_of(DesignKind kind);
std::optional<DesignKind> design_kind(std::string_view name);
// Whether a categorical axis (a choice, flag or text) makes sense in the design: Morris's
// elementary effects need a distance between levels, so only Morris refuses one.
bool allows_categorical(DesignKind kind);

struct DesignSpec {
  DesignKind kind = DesignKind::full_factorial;
  std::vector<std::uint64_t> levels;  // full factorial: the number of values of each axis
  std::size_t dimensions = 0;         // axes
  std::uint64_t samples = 0;          // LHS points, Sobol base sample N, Morris trajectories r
  std::uint64_t morris_levels = 4;    // Morris grid levels p (even)
  std::uint64_t seed = 0;             // LHS and Morris draws
};

// Points of the design, before replications: the product of the levels, n, N(k+2) or r(k+1).
std::uint64_t point_count(const DesignSpec& design);
// Coordinates of point i in [0, 1]^k (out.size() == dimensions). A full factorial gives the
// centre of each level's cell, (j + 0.5) / m, so that floor(u m) recovers the level j.
void design_point(const DesignSpec& design, std::uint64_t point, std::span<double> out);

// The block of points that share their runs' seeds when a sweep asks for common random numbers
// (`common_seeds = true`): a Saltelli base point (A, AB_1..AB_k, B), a Morris trajectory, and
// the whole design for a full factorial or Latin hypercube. Differences inside a block (which
// the Sobol and Morris estimators and comparisons with a baseline take) then lose the noise
// that both ends of a difference share.
std::uint64_t seed_block(const DesignSpec& design, std::uint64_t point);

// Building blocks, tested on their own.

// Dimensions for which Joe and Kuo's direction numbers are built in (new-joe-kuo-6.21201).
std::size_t sobol_max_dimensions();
// Point `index` of the unscrambled Sobol sequence in Gray-code order (Joe and Kuo's sobol.cc,
// Antonov and Saleev): point 0 is the origin, then (0.5, 0.5), (0.75, 0.25), (0.25, 0.75), ...
// in two dimensions. Valid for index < 2^32.
void sobol_point(std::uint64_t index, std::span<double> out);

// Saltelli's scheme (Saltelli et al. 2010), in SALib's row order: for each base point j, the
// rows A_j, AB_j^(1) .. AB_j^(k), B_j, where A and B are the first and last k coordinates of
// Sobol point j + 1 in 2k dimensions (the origin skipped), and AB^(i) is A with column i from B.
std::uint64_t saltelli_count(std::uint64_t base_samples, std::size_t dimensions);
// Morris (1991) trajectories of k + 1 points on a p-level grid, each moving one factor at a time
// by p / (2 (p - 1)), in random factor order (Campolongo et al. 2007, as SALib).
std::uint64_t morris_count(std::uint64_t trajectories, std::size_t dimensions);

// A pseudo-random permutation of {0, ..., n-1} keyed by `key`, evaluated at one index (a Feistel
// network with cycle walking), so a Latin hypercube never stores its permutations.
std::uint64_t permute(std::uint64_t index, std::uint64_t n, std::uint64_t key);

}  // namespace icsim
