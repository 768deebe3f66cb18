#include "network/random.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace icsim;

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors", "[random]") {
  // Random123 kat_vectors: philox4x32 10 rounds.
  const auto zero = detail::philox4x32_10({0, 0, 0, 0}, {0, 0});
  CHECK(zero == std::array<std::uint32_t, 4>{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  const auto ones = detail::philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                          {0xffffffffu, 0xffffffffu});
  CHECK(ones == std::array<std::uint32_t, 4>{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
}

TEST_CASE("draws depend only on (key - year - agent - purpose)", "[random]") {
  Random a(run_key(7, 0), 3, 11, Purpose::shock), b(run_key(7, 0), 3, 11, Purpose::shock);
  for (int k = 0; k < 10; ++k) CHECK(a.next_u64() == b.next_u64());
  Random other_agent(run_key(7, 0), 3, 12, Purpose::shock);
  Random other_purpose(run_key(7, 0), 3, 11, Purpose::decide);
  Random other_run(run_key(7, 1), 3, 11, Purpose::shock);
  const auto first = Random(run_key(7, 0), 3, 11, Purpose::shock).next_u64();
  CHECK(other_agent.next_u64() != first);
  CHECK(other_purpose.next_u64() != first);
  CHECK(other_run.next_u64() != first);
}

TEST_CASE("uniform and normal draws have the right moments", "[random]") {
  const int n = 200000;
  double su = 0, sz = 0, szz = 0;
  std::uint32_t below_hits[5] = {};
  for (int i = 0; i < n; ++i) {
    Random r(run_key(1, 0), 0, static_cast<std::uint32_t>(i), Purpose::decide);
    const double u = r.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    su += u;
    const double z = r.normal();
    sz += z;
    szz += z * z;
    ++below_hits[r.below(5)];
  }
  CHECK(su / n == Approx(0.5).margin(0.005));
  CHECK(sz / n == Approx(0.0).margin(0.01));
  CHECK(szz / n == Approx(1.0).margin(0.02));
  for (const auto hits : below_hits) CHECK(double(hits) / n == Approx(0.2).margin(0.01));
}
