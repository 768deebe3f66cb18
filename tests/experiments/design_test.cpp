#include "experiments/design.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

using namespace icsim;

namespace {
std::vector<double> point(const DesignSpec& d, std::uint64_t i) {
  std::vector<double> u(d.dimensions);
  design_point(d, i, u);
  return u;
}
}  // namespace

TEST_CASE("design: the Sobol sequence starts as Joe and Kuo's new-joe-kuo-6.21201", "[design]") {
  // The 2-D sequence: 0,0; 0.5,0.5; 0.75,0.25; 0.25,0.75; 0.375,0.375; 0.875,0.875; ...
  const std::vector<std::array<double, 2>> two_d{{0, 0},         {0.5, 0.5},     {0.75, 0.25},
                                                 {0.25, 0.75},   {0.375, 0.375}, {0.875, 0.875},
                                                 {0.625, 0.125}, {0.125, 0.625}};
  for (std::size_t i = 0; i < two_d.size(); ++i) {
    std::array<double, 2> u{};
    sobol_point(i, u);
    CHECK(u == two_d[i]);
  }
  // Five dimensions (d = 3..5 use the polynomials x^2+x+1, x^3+x+1, x^3+x^2+1 and their m_i).
  const std::vector<std::array<double, 5>> five_d{{0.375, 0.375, 0.625, 0.875, 0.375},
                                                  {0.875, 0.875, 0.125, 0.375, 0.875},
                                                  {0.625, 0.125, 0.875, 0.625, 0.625},
                                                  {0.125, 0.625, 0.375, 0.125, 0.125}};
  for (std::size_t i = 0; i < five_d.size(); ++i) {
    std::array<double, 5> u{};
    sobol_point(i + 4, u);
    CHECK(u == five_d[i]);
  }
  // Far dimensions, point 33 and 63, in 64ths (as scipy.stats.qmc.Sobol(scramble=False) gives).
  std::vector<double> u(1024);
  sobol_point(33, u);
  CHECK(u[9] * 64 == 35);
  CHECK(u[99] * 64 == 51);
  CHECK(u[499] * 64 == 39);
  CHECK(u[1023] * 64 == 23);
  sobol_point(63, u);
  CHECK(u[1] * 64 == 51);
  CHECK(u[2] * 64 == 23);
  CHECK(u[500] * 64 == 41);
  CHECK(u[1000] * 64 == 43);
  CHECK(u[1023] * 64 == 33);
  CHECK(sobol_max_dimensions() == 1024);
}

TEST_CASE("design: every dimension of the first 2^m Sobol points hits each 2^-m cell once",
          "[design]") {
  constexpr std::size_t dims = 40, n = 64;
  std::vector<std::vector<int>> hits(dims, std::vector<int>(n));
  std::vector<double> u(dims);
  for (std::uint64_t i = 0; i < n; ++i) {
    sobol_point(i, u);
    for (std::size_t d = 0; d < dims; ++d) ++hits[d][static_cast<std::size_t>(u[d] * n)];
  }
  for (const auto& h : hits) CHECK(std::all_of(h.begin(), h.end(), [](int x) { return x == 1; }));
}

TEST_CASE("design: a Latin hypercube hits each stratum of each axis exactly once", "[design]") {
  for (const std::uint64_t n : {1, 2, 7, 64, 100, 1000}) {
    DesignSpec d{DesignKind::latin_hypercube, {}, 4, n, 4, 42};
    REQUIRE(point_count(d) == n);
    std::vector<std::set<std::uint64_t>> strata(4);
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto u = point(d, i);
      for (std::size_t j = 0; j < 4; ++j) {
        REQUIRE(u[j] >= 0.0);
        REQUIRE(u[j] < 1.0);
        strata[j].insert(static_cast<std::uint64_t>(u[j] * static_cast<double>(n)));
      }
    }
    for (const auto& s : strata) CHECK(s.size() == n);
  }
  // The seed changes the design; the axes are not copies of each other.
  DesignSpec a{DesignKind::latin_hypercube, {}, 2, 50, 4, 1}, b = a;
  b.seed = 2;
  CHECK(point(a, 0) != point(b, 0));
  CHECK(point(a, 3)[0] != point(a, 3)[1]);
}

TEST_CASE("design: permute is a bijection for any size", "[design]") {
  for (const std::uint64_t n : {1, 2, 3, 5, 16, 17, 1000, 4097}) {
    std::vector<std::uint64_t> seen;
    for (std::uint64_t i = 0; i < n; ++i) seen.push_back(permute(i, n, 99));
    std::sort(seen.begin(), seen.end());
    std::vector<std::uint64_t> all(n);
    std::iota(all.begin(), all.end(), std::uint64_t{0});
    CHECK(seen == all);
  }
}

TEST_CASE("design: Saltelli's scheme has N(k+2) runs in SALib's order", "[design]") {
  constexpr std::size_t k = 3;
  constexpr std::uint64_t n = 8;
  DesignSpec d{DesignKind::sobol, {}, k, n, 4, 0};
  CHECK(saltelli_count(n, k) == n * (k + 2));
  REQUIRE(point_count(d) == 40);
  for (std::uint64_t j = 0; j < n; ++j) {
    std::vector<double> ab(2 * k);
    sobol_point(j + 1, ab);
    const std::vector<double> a(ab.begin(), ab.begin() + k), b(ab.begin() + k, ab.end());
    const std::uint64_t base = j * (k + 2);
    CHECK(point(d, base) == a);
    CHECK(point(d, base + k + 1) == b);
    for (std::size_t i = 0; i < k; ++i) {
      auto expected = a;
      expected[i] = b[i];
      CHECK(point(d, base + 1 + i) == expected);
    }
  }
}

TEST_CASE("design: Morris has r(k+1) runs - moving one factor a time by p/(2(p-1))", "[design]") {
  constexpr std::size_t k = 4;
  constexpr std::uint64_t r = 6, p = 4;
  DesignSpec d{DesignKind::morris, {}, k, r, p, 7};
  CHECK(morris_count(r, k) == r * (k + 1));
  REQUIRE(point_count(d) == 30);
  const double delta = double(p) / (2.0 * double(p - 1));
  for (std::uint64_t t = 0; t < r; ++t) {
    std::set<std::size_t> moved;
    for (std::size_t s = 1; s <= k; ++s) {
      const auto before = point(d, t * (k + 1) + s - 1), after = point(d, t * (k + 1) + s);
      std::size_t changed = 0;
      for (std::size_t j = 0; j < k; ++j) {
        // On the grid {0, 1/3, 2/3, 1}.
        CHECK(std::abs(after[j] * double(p - 1) - std::round(after[j] * double(p - 1))) < 1e-12);
        if (after[j] != before[j]) {
          ++changed;
          moved.insert(j);
          CHECK(std::abs(std::abs(after[j] - before[j]) - delta) < 1e-12);
        }
      }
      CHECK(changed == 1);
    }
    CHECK(moved.size() == k);  // each factor once per trajectory
  }
}

TEST_CASE("design: a full factorial visits every combination once - the last axis fastest",
          "[design]") {
  DesignSpec d{DesignKind::full_factorial, {3, 2}, 2, 0, 4, 0};
  REQUIRE(point_count(d) == 6);
  std::vector<std::pair<int, int>> cells;
  for (std::uint64_t i = 0; i < 6; ++i) {
    const auto u = point(d, i);
    cells.emplace_back(int(u[0] * 3), int(u[1] * 2));
  }
  CHECK(cells == std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}});
  CHECK(point_count(DesignSpec{DesignKind::full_factorial, {}, 0, 0, 4, 0}) == 1);
}

TEST_CASE("design: names", "[design]") {
  for (const auto kind : {DesignKind::full_factorial, DesignKind::latin_hypercube,
                          DesignKind::sobol, DesignKind::morris})
    CHECK(design_kind(name_of(kind)) == kind);
  CHECK_FALSE(design_kind("saltelli"));
  CHECK_FALSE(allows_categorical(DesignKind::morris));
  CHECK(allows_categorical(DesignKind::sobol));
}

TEST_CASE("design: seed blocks are a Saltelli base point - a Morris trajectory - else the design",
          "[design]") {
  DesignSpec d;
  d.dimensions = 3;
  d.samples = 4;
  d.kind = DesignKind::sobol;
  for (std::uint64_t i = 0; i < point_count(d); ++i) CHECK(seed_block(d, i) == i / 5);
  d.kind = DesignKind::morris;
  for (std::uint64_t i = 0; i < point_count(d); ++i) CHECK(seed_block(d, i) == i / 4);
  d.kind = DesignKind::latin_hypercube;
  for (std::uint64_t i = 0; i < point_count(d); ++i) CHECK(seed_block(d, i) == 0);
}
