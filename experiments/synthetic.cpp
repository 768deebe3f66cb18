#include "experiments/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "agents/finance.hpp"
#include "network/random.hpp"

namespace icsim {
namespace {

// Short enough that a name up to a billion organisations stays inside std::string's own
// buffer: no allocation per organisation.
constexpr std::array<std::string_view, kind_count> short_kind_names{"Acute", "Comm", "MH",  "Spec",
                                                                    "Amb",   "CCG",  "PCN", "LA"};
constexpr std::size_t places_per_system = 5;

// System sys holds organisations [first(sys), first(sys + 1)): n split as evenly as can be.
struct Blocks {
  std::size_t n, ns;
  std::size_t first(std::size_t sys) const { return (sys * n + ns - 1) / ns; }
  std::size_t of(std::size_t i) const { return i * ns / n; }
};

void add_systems(Structure& s, std::size_t ns) {
  static const std::array<std::string, 7> regions{"North East and Yorkshire",
                                                  "North West",
                                                  "Midlands",
                                                  "East of England",
                                                  "London",
                                                  "South East",
                                                  "South West"};
  for (std::size_t sys = 0; sys < ns; ++sys) {
    s.systems.code.push_back("S" + std::to_string(sys));
    s.systems.name.push_back("Synthetic system " + std::to_string(sys));
    s.systems.region.push_back(regions[sys % regions.size()]);
    for (std::size_t p = 0; p < places_per_system; ++p) {
      std::string code = "P";  // built by appends: GCC 12 warns falsely on a + chain here
      code.append(std::to_string(sys)).append("-").append(std::to_string(p));
      s.places.name.push_back(code);
      s.places.code.push_back(std::move(code));
      s.places.system.push_back(static_cast<std::int32_t>(sys));
      s.places.population.push_back(0);
    }
  }
}

// Kinds dealt by position inside the system, so that every system has the mix's proportions.
void add_organisations(Structure& s, const Blocks& blocks, const Params& params,
                       std::uint64_t key) {
  double total = 0;
  for (const double weight : params.synthetic_mix) total += weight;
  std::array<double, kind_count> cumulative{};
  double acc = 0;
  for (int k = 0; k < kind_count; ++k) cumulative[k] = acc += params.synthetic_mix[k] / total;

  const std::size_t n = blocks.n;
  auto& o = s.orgs;
  o.code.resize(n);
  o.name.resize(n);
  o.kind.resize(n);
  o.system.resize(n);
  o.place.resize(n);
  o.population.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    Random rng(key, 0, static_cast<std::uint32_t>(i), Purpose::population);
    const std::size_t sys = blocks.of(i), first = blocks.first(sys);
    const double u = (double(i - first) + 0.5) / double(blocks.first(sys + 1) - first);
    int k = 0;
    while (k + 1 < kind_count && u > cumulative[k]) ++k;
    while (params.synthetic_mix[k] <= 0) --k;  // rounding past the last kind with weight
    o.code[i] = "X" + std::to_string(i);
    o.name[i] = std::string(short_kind_names[k]) + " " + std::to_string(i);
    o.kind[i] = static_cast<Kind>(k);
    o.system[i] = static_cast<std::int32_t>(sys);
    o.place[i] = static_cast<std::int32_t>(sys * places_per_system + rng.below(places_per_system));
    o.population[i] = 50000.0 * std::exp(0.5 * rng.normal());
    s.places.population[o.place[i]] += o.population[i];
  }
  o.active_from.assign(n, std::numeric_limits<std::int16_t>::min());
  o.active_to.assign(n, always);
  o.successor.assign(n, -1);
  synthesise_costs(o, o.population, params);
  s.systems.members.offsets.resize(blocks.ns + 1);
  s.systems.members.items.resize(n);
  for (std::size_t sys = 0; sys <= blocks.ns; ++sys)
    s.systems.members.offsets[sys] = static_cast<std::uint32_t>(blocks.first(sys));
  for (std::size_t i = 0; i < n; ++i) s.systems.members.items[i] = static_cast<std::uint32_t>(i);
}

// Each organisation draws mean_degree / 2 partners, nine in ten within its own system.
RelationshipGraph make_graph(const Structure& s, const Blocks& blocks, const Params& params,
                             std::uint64_t key) {
  const auto& o = s.orgs;
  const std::size_t n = blocks.n;
  const double half = params.synthetic_mean_degree / 2.0;
  const double most = std::ceil(half) * double(n);
  EdgeList edges;
  edges.reserve(static_cast<std::size_t>(most));
  // Partners are drawn for a batch of organisations first, then their kinds and costs read:
  // those reads land anywhere in memory, and a batch lets many of them be in flight at once.
  constexpr std::size_t batch = 256;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (std::size_t begin = 0; begin < n; begin += batch) {
    pairs.clear();
    for (std::size_t i = begin; i < std::min(n, begin + batch); ++i) {
      Random rng(key, 1, static_cast<std::uint32_t>(i), Purpose::network);
      auto draws = static_cast<std::uint32_t>(std::floor(half));
      if (rng.uniform() < half - std::floor(half)) ++draws;
      const std::size_t sys = blocks.of(i), first = blocks.first(sys);
      const auto size = static_cast<std::uint32_t>(blocks.first(sys + 1) - first);
      for (std::uint32_t d = 0; d < draws; ++d) {
        const bool inside = rng.uniform() < 0.9 || blocks.ns == 1;
        const auto j = static_cast<std::uint32_t>(
            inside ? first + rng.below(size) : rng.below(static_cast<std::uint32_t>(n)));
        if (j != i) pairs.emplace_back(static_cast<std::uint32_t>(i), j);
      }
    }
    for (const auto& [i, j] : pairs) {
      const EdgeKind kind = o.kind[i] == Kind::commissioner || o.kind[j] == Kind::commissioner
                                ? EdgeKind::contract
                                : EdgeKind::referral;
      edges.add(i, j, kind, 0.02 * std::min(o.base_cost[i], o.base_cost[j]));
    }
  }
  return RelationshipGraph(n, std::move(edges));
}

}  // namespace

Structure make_synthetic(const Params& params) {
  Structure s;
  const auto n = static_cast<std::size_t>(params.synthetic_organisations);
  const auto ns = static_cast<std::size_t>(
      std::min<std::int64_t>(params.synthetic_systems, params.synthetic_organisations));
  // Refused before anything is allocated.
  if (n >= 0xFFFFFFFFu)
    throw ParamError("key 'population.organisations': at most 4294967294 organisations");
  if (std::ceil(params.synthetic_mean_degree / 2.0) * double(n) >= 0x7FFFFFFF)
    throw ParamError(
        "key 'population.mean_degree': " + format_value(Value{params.synthetic_mean_degree}) +
        " with " + std::to_string(n) +
        " organisations makes more edges than the graph indexes (2^31)");
  if (std::none_of(params.synthetic_mix.begin(), params.synthetic_mix.end(),
                   [](double weight) { return weight > 0; }))
    throw ParamError("key 'population.mix': every kind has weight 0; give one a positive weight");
  const Blocks blocks{n, ns};
  const std::uint64_t key = run_key(static_cast<std::uint64_t>(params.finance_seed), 2);
  add_systems(s, ns);
  add_organisations(s, blocks, params, key);
  assign_leaders(s.systems, params);
  s.graph = make_graph(s, blocks, params, key);
  // One acute provider collaborative per system.
  for (std::size_t sys = 0; sys < ns; ++sys) {
    std::vector<std::uint32_t> acute;
    for (const auto i : s.systems.members[sys])
      if (s.orgs.kind[i] == Kind::acute || s.orgs.kind[i] == Kind::specialist) acute.push_back(i);
    if (acute.size() < 2) continue;
    s.collaboratives.name.push_back(s.systems.code[sys] + " acute provider collaborative");
    s.collaboratives.system.push_back(static_cast<std::int32_t>(sys));
    s.collaboratives.candidates.add(acute);
  }
  return s;
}

}  // namespace icsim
