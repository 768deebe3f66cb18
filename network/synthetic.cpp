#include "network/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "agents/finance.hpp"
#include "agents/random.hpp"

namespace icsim {
namespace {
// Short enough that a name up to a billion organisations stays inside std::string's own
// buffer: no allocation per organisation.
constexpr std::array<std::string_view, kind_count> short_kind_names{
    "Acute", "Comm", "MH", "Spec", "Amb", "CCG", "PCN", "LA"};
}  // namespace

Structure make_synthetic(const Params& params) {
  Structure s;
  const auto n = static_cast<std::size_t>(params.synthetic_organisations);
  const auto ns = static_cast<std::size_t>(std::min<std::int64_t>(params.synthetic_systems,
                                                                   params.synthetic_organisations));
  const std::uint64_t key = run_key(static_cast<std::uint64_t>(params.finance_seed), 2);
  const std::array<std::string, 7> regions{"North East and Yorkshire", "North West", "Midlands",
                                           "East of England", "London", "South East",
                                           "South West"};
  for (std::size_t sys = 0; sys < ns; ++sys) {
    s.systems.code.push_back("S" + std::to_string(sys));
    s.systems.name.push_back("Synthetic system " + std::to_string(sys));
    s.systems.region.push_back(regions[sys % regions.size()]);
  }
  // Organisations in contiguous blocks per system; kinds dealt in England's proportions.
  auto& o = s.orgs;
  o.code.resize(n);
  o.name.resize(n);
  o.kind.resize(n);
  o.system.resize(n);
  o.place.resize(n);
  o.population.resize(n);
  std::array<double, kind_count> cumulative{};
  double acc = 0;
  for (int k = 0; k < kind_count; ++k) cumulative[k] = acc += england_kind_mix[k];
  const std::size_t places_per_system = 5;
  for (std::size_t sys = 0; sys < ns; ++sys)
    for (std::size_t p = 0; p < places_per_system; ++p) {
      std::string code = "P";  // built by appends: GCC 12 warns falsely on a + chain here
      code.append(std::to_string(sys)).append("-").append(std::to_string(p));
      s.places.code.push_back(std::move(code));
      s.places.name.push_back(s.places.code.back());
      s.places.system.push_back(static_cast<std::int32_t>(sys));
      s.places.population.push_back(0);
    }
  std::vector<double> size(n);
  for (std::size_t i = 0; i < n; ++i) {
    Random rng(key, 0, static_cast<std::uint32_t>(i), Purpose::population);
    const std::size_t sys = i * ns / n;
    const double u = (double(i - (sys * n + ns - 1) / ns) + 0.5) /
                     double(((sys + 1) * n + ns - 1) / ns - (sys * n + ns - 1) / ns);
    int k = 0;
    while (k + 1 < kind_count && u > cumulative[k]) ++k;
    o.code[i] = "X" + std::to_string(i);
    o.name[i] = std::string(short_kind_names[k]) + " " + std::to_string(i);
    o.kind[i] = static_cast<Kind>(k);
    o.system[i] = static_cast<std::int32_t>(sys);
    o.place[i] = static_cast<std::int32_t>(sys * places_per_system + rng.below(places_per_system));
    o.population[i] = 50000.0 * std::exp(0.5 * rng.normal());
    size[i] = o.population[i];
    s.places.population[o.place[i]] += o.population[i];
  }
  synthesise_finance(o, size, params);
  assign_leaders(s.systems, params);
  std::vector<std::vector<std::uint32_t>> members(ns);
  for (std::uint32_t i = 0; i < n; ++i) members[o.system[i]].push_back(i);
  for (const auto& m : members) s.systems.members.add(m);

  // Each organisation draws mean_degree / 2 partners, nine in ten within its own system.
  EdgeList edges;
  const double half = params.synthetic_mean_degree / 2.0;
  for (std::size_t i = 0; i < n; ++i) {
    Random rng(key, 1, static_cast<std::uint32_t>(i), Purpose::network);
    auto draws = static_cast<std::uint32_t>(std::floor(half));
    if (rng.uniform() < half - std::floor(half)) ++draws;
    const auto& own = members[o.system[i]];
    for (std::uint32_t d = 0; d < draws; ++d) {
      const std::uint32_t j = rng.uniform() < 0.9 || ns == 1
                                  ? own[rng.below(static_cast<std::uint32_t>(own.size()))]
                                  : rng.below(static_cast<std::uint32_t>(n));
      if (j == i) continue;
      const EdgeKind kind = o.kind[i] == Kind::commissioner || o.kind[j] == Kind::commissioner
                                ? EdgeKind::contract
                                : EdgeKind::referral;
      edges.add(static_cast<std::uint32_t>(i), j, kind,
                0.02 * std::min(o.base_cost[i], o.base_cost[j]));
    }
  }
  s.graph = RelationshipGraph(n, std::move(edges));
  // One acute provider collaborative per system.
  for (std::size_t sys = 0; sys < ns; ++sys) {
    std::vector<std::uint32_t> acute;
    for (const auto i : members[sys])
      if (o.kind[i] == Kind::acute || o.kind[i] == Kind::specialist) acute.push_back(i);
    if (acute.size() < 2) continue;
    s.collaboratives.name.push_back(s.systems.code[sys] + " acute provider collaborative");
    s.collaboratives.system.push_back(static_cast<std::int32_t>(sys));
    s.collaboratives.candidates.add(acute);
  }
  return s;
}

}  // namespace icsim
