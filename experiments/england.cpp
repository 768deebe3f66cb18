#include "experiments/england.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <unordered_map>

#include "agents/finance.hpp"
#include "experiments/embedded.hpp"
#include "network/csv.hpp"

namespace icsim {
namespace {

constexpr const char* prefix = "data/england/";

struct Index {
  std::unordered_map<std::string, std::uint32_t> of;
  std::uint32_t add(const CsvTable& table, std::size_t row, const std::string& code,
                    std::uint32_t value) {
    if (code.empty()) table.fail(row, "empty code");
    if (!of.emplace(code, value).second) table.fail(row, "duplicate code '" + code + "'");
    return value;
  }
  std::uint32_t find(const CsvTable& table, std::size_t row, std::string_view column,
                     const char* what) const {
    const std::string& code = table.at(row, column);
    const auto it = of.find(code);
    if (it == of.end()) table.fail(row, std::string("unknown ") + what + " code '" + code + "'");
    return it->second;
  }
};

double positive(const CsvTable& t, std::size_t row, std::string_view column, bool allow_empty) {
  const double x = t.number(row, column);
  if (std::isnan(x)) {
    if (allow_empty) return x;
    t.fail(row, "column '" + std::string(column) + "' is empty");
  }
  if (x < 0) t.fail(row, "negative " + std::string(column) + " " + t.at(row, column));
  return x;
}

CsvTable table(const SourceFiles& files, const std::string& name,
               const std::vector<std::string>& required) {
  const auto it = files.find(name);
  if (it == files.end()) throw DataError(std::string(prefix) + name + ": file missing");
  return CsvTable(prefix + name, it->second, required);
}

class Builder {
 public:
  Builder(const Params& params, const SourceFiles& files) : params_(params), files_(files) {}

  Structure build() {
    read_systems();
    read_local_authorities();
    read_trusts();
    read_commissioners();
    add_integrated_care_boards();
    read_pcns();
    add_councils();
    size_unmeasured_trusts();
    place_organisations();
    synthesise_costs(s_.orgs, size_, params_);
    assign_leaders(s_.systems, params_);
    build_members();
    build_edges();
    build_collaboratives();
    return std::move(s_);
  }

 private:
  std::uint32_t add_org(std::string code, std::string name, Kind kind, std::uint32_t system,
                        double population, double size) {
    auto& o = s_.orgs;
    o.code.push_back(std::move(code));
    o.name.push_back(std::move(name));
    o.kind.push_back(kind);
    o.system.push_back(static_cast<std::int32_t>(system));
    o.place.push_back(-1);
    o.active_from.push_back(std::numeric_limits<std::int16_t>::min());
    o.active_to.push_back(always);
    o.successor.push_back(-1);
    o.population.push_back(population);
    size_.push_back(size);
    return static_cast<std::uint32_t>(o.code.size() - 1);
  }

  void read_systems() {
    const auto t = table(files_, "systems.csv",
                         {"ods_code", "name", "nhs_region_name", "registered_population"});
    for (std::size_t r = 0; r < t.size(); ++r) {
      systems_.add(t, r, t.at(r, "ods_code"), static_cast<std::uint32_t>(r));
      s_.systems.code.push_back(t.at(r, "ods_code"));
      s_.systems.name.push_back(t.at(r, "name"));
      s_.systems.region.push_back(t.at(r, "nhs_region_name"));
      system_population_.push_back(positive(t, r, "registered_population", false));
    }
  }

  void read_local_authorities() {
    const auto t = table(files_, "local_authorities.csv",
                         {"la_code", "name", "population", "system_ods_code"});
    for (std::size_t r = 0; r < t.size(); ++r) {
      places_.add(t, r, t.at(r, "la_code"), static_cast<std::uint32_t>(r));
      s_.places.code.push_back(t.at(r, "la_code"));
      s_.places.name.push_back(t.at(r, "name"));
      s_.places.system.push_back(
          static_cast<std::int32_t>(systems_.find(t, r, "system_ods_code", "system")));
      s_.places.population.push_back(positive(t, r, "population", false));
    }
    const auto overlap = table(files_, "local_authority_systems.csv",
                               {"la_code", "system_ods_code", "share_of_la_lsoas"});
    for (std::size_t r = 0; r < overlap.size(); ++r) {
      const auto la = places_.find(overlap, r, "la_code", "local authority");
      const auto sys = systems_.find(overlap, r, "system_ods_code", "system");
      la_systems_.push_back({la, sys, positive(overlap, r, "share_of_la_lsoas", false)});
    }
  }

  void read_trusts() {
    const auto t = table(files_, "trusts.csv",
                         {"trust_code", "name", "kind", "system_ods_code", "region_code", "beds"});
    for (std::size_t r = 0; r < t.size(); ++r) {
      const auto kind = kind_from_name(t.at(r, "kind"));
      if (!kind || !is_trust(*kind))
        t.fail(r, "unknown trust kind '" + t.at(r, "kind") +
                      "'; expected acute, community, mental_health, specialist or ambulance");
      const auto sys = systems_.find(t, r, "system_ods_code", "system");
      const double beds = positive(t, r, "beds", true);
      const auto id = add_org(t.at(r, "trust_code"), t.at(r, "name"), *kind, sys, 0,
                              std::isnan(beds) ? 0 : beds);
      orgs_.add(t, r, t.at(r, "trust_code"), id);
    }
    // Catchments: each row a (trust, local authority) pair with both shares.
    const auto c = table(files_, "trust_catchment.csv",
                         {"trust_code", "la_code", "trust_share_of_la", "la_share_of_trust"});
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    for (std::size_t r = 0; r < c.size(); ++r) {
      const auto trust = orgs_.find(c, r, "trust_code", "trust");
      const auto la = places_.find(c, r, "la_code", "local authority");
      if (!seen.emplace(trust, la).second) c.fail(r, "duplicate (trust, local authority) pair");
      const double of_la = positive(c, r, "trust_share_of_la", false);
      const double of_trust = positive(c, r, "la_share_of_trust", false);
      if (of_la > 1 || of_trust > 1) c.fail(r, "a share above 1");
      catchment_.push_back({trust, la, of_la, of_trust});
      s_.orgs.population[trust] += of_la * s_.places.population[la];
    }
  }

  // Commissioners over time: the 191 CCGs of April 2019, the 106 of April 2021 (79 kept their
  // code, 27 are new: mergers) and one integrated care board per system from 2022/23. Every one
  // is an organisation for the whole run, active in its years; a merged CCG hands its balance
  // and contracts to its successor (agents/plan.cpp).
  void read_commissioners() {
    const auto t21 = table(files_, "commissioners_2021.csv",
                           {"ccg_code", "name", "system_ods_code", "registered_patients"});
    const auto t19 = table(files_, "commissioners_2019.csv",
                           {"ccg_code", "name", "successor_2021_code", "system_ods_code"});
    const auto merger = static_cast<std::int16_t>(params_.ccg_merger_year);
    const auto icb = static_cast<std::int16_t>(params_.icb_year);
    std::unordered_map<std::string, std::size_t> row_2021;
    for (std::size_t r = 0; r < t21.size(); ++r)
      if (!row_2021.emplace(t21.at(r, "ccg_code"), r).second)
        t21.fail(r, "duplicate code '" + t21.at(r, "ccg_code") + "'");
    // 2019 CCGs have no list sizes here: each takes an equal part of its 2021 successor's.
    std::unordered_map<std::string, int> predecessors;
    for (std::size_t r = 0; r < t19.size(); ++r) ++predecessors[t19.at(r, "successor_2021_code")];
    std::vector<std::pair<std::uint32_t, std::string>> merged;  // 2019 CCG, its successor's code
    for (std::size_t r = 0; r < t19.size(); ++r) {
      const auto sys = systems_.find(t19, r, "system_ods_code", "system");
      const auto& code = t19.at(r, "ccg_code");
      const auto& successor = t19.at(r, "successor_2021_code");
      const auto it = row_2021.find(successor);
      if (it == row_2021.end()) t19.fail(r, "unknown successor CCG code '" + successor + "'");
      if (static_cast<std::int32_t>(systems_.find(t21, it->second, "system_ods_code", "system")) !=
          static_cast<std::int32_t>(sys))
        t19.fail(r, "successor '" + successor + "' is in another system");
      const double patients =
          positive(t21, it->second, "registered_patients", false) / predecessors[successor];
      const auto id = add_org(code, t19.at(r, "name"), Kind::commissioner, sys, patients, patients);
      ccg_.add(t19, r, code, id);
      s_.orgs.active_to[id] = code == successor ? icb : merger;
      if (code != successor) merged.emplace_back(id, successor);
      if (code == successor) ccg_2021_.emplace(code, id);
      first_predecessor_.emplace(successor, id);
    }
    for (std::size_t r = 0; r < t21.size(); ++r) {
      const auto& code = t21.at(r, "ccg_code");
      const auto sys = systems_.find(t21, r, "system_ods_code", "system");
      const double patients = positive(t21, r, "registered_patients", false);
      if (const auto kept = ccg_.of.find(code); kept != ccg_.of.end()) {
        if (s_.orgs.system[kept->second] != static_cast<std::int32_t>(sys))
          t21.fail(r, "CCG '" + code + "' moved system between 2019 and 2021");
        continue;
      }
      const auto id = add_org(code, t21.at(r, "name"), Kind::commissioner, sys, patients, patients);
      ccg_.add(t21, r, code, id);
      s_.orgs.active_from[id] = merger;
      s_.orgs.active_to[id] = icb;
      ccg_2021_[code] = id;
    }
    for (const auto& [id, successor] : merged)
      s_.orgs.successor[id] = static_cast<std::int32_t>(ccg_.of.at(successor));
  }

  // One integrated care board per system from population.icb_year, taking over its CCGs; it
  // carries the system's ODS code (ICBs took their STP's code in 2022).
  void add_integrated_care_boards() {
    const std::size_t ns = s_.systems.size();
    std::vector<double> patients(ns, 0.0);
    for (const auto& [code, id] : ccg_2021_) patients[s_.orgs.system[id]] += s_.orgs.population[id];
    icb_of_system_.resize(ns);
    for (std::uint32_t sys = 0; sys < ns; ++sys) {
      const auto id = add_org(s_.systems.code[sys], "NHS " + s_.systems.name[sys] + " ICB",
                              Kind::commissioner, sys, patients[sys], patients[sys]);
      s_.orgs.active_from[id] = static_cast<std::int16_t>(params_.icb_year);
      icb_of_system_[sys] = id;
    }
    for (const auto& [code, id] : ccg_2021_)
      s_.orgs.successor[id] = static_cast<std::int32_t>(icb_of_system_[s_.orgs.system[id]]);
  }

  void read_pcns() {
    const auto t =
        table(files_, "pcns.csv",
              {"pcn_code", "pcn_name", "ccg_code", "system_ods_code", "registered_patients"});
    // PCN membership is of 2021 CCGs: in 2019 a PCN of a new (merged) CCG belongs to its first
    // predecessor; from 2022 to its system's ICB.
    for (std::size_t r = 0; r < t.size(); ++r) {
      const auto sys = systems_.find(t, r, "system_ods_code", "system");
      const auto& ccg_code = t.at(r, "ccg_code");
      const auto ccg = ccg_2021_.find(ccg_code);
      if (ccg == ccg_2021_.end()) t.fail(r, "unknown CCG code '" + ccg_code + "'");
      const double patients = positive(t, r, "registered_patients", false);
      const auto id = add_org(t.at(r, "pcn_code"), t.at(r, "pcn_name"), Kind::primary_care_network,
                              sys, patients, patients);
      orgs_.add(t, r, t.at(r, "pcn_code"), id);
      pcn_ccg_.push_back({id, ccg->second});
      if (s_.orgs.active_from[ccg->second] > std::numeric_limits<std::int16_t>::min())
        pcn_ccg_.push_back({id, first_predecessor_.at(ccg_code)});
      pcn_ccg_.push_back({id, icb_of_system_[sys]});
    }
  }

  void add_councils() {
    for (std::uint32_t p = 0; p < s_.places.size(); ++p)
      council_of_place_.push_back(add_org(s_.places.code[p], s_.places.name[p],
                                          Kind::local_authority,
                                          static_cast<std::uint32_t>(s_.places.system[p]),
                                          s_.places.population[p], s_.places.population[p]));
  }

  // Mental health, community and ambulance trusts have no beds or catchments here: they serve
  // their system's registered population (ambulance: their region's), shared among the trusts
  // of their kind there; that population is their size.
  void size_unmeasured_trusts() {
    auto& o = s_.orgs;
    std::map<std::pair<std::string, Kind>, int> count;
    std::map<std::string, double> region_population;
    for (std::size_t sys = 0; sys < s_.systems.size(); ++sys)
      region_population[s_.systems.region[sys]] += system_population_[sys];
    const auto area = [&](std::size_t i) {
      return o.kind[i] == Kind::ambulance ? s_.systems.region[o.system[i]]
                                          : s_.systems.code[o.system[i]];
    };
    const auto unmeasured = [&](std::size_t i) {
      return o.kind[i] == Kind::mental_health || o.kind[i] == Kind::community ||
             o.kind[i] == Kind::ambulance;
    };
    for (std::size_t i = 0; i < o.size(); ++i)
      if (unmeasured(i)) ++count[{area(i), o.kind[i]}];
    for (std::size_t i = 0; i < o.size(); ++i) {
      if (!unmeasured(i)) continue;
      const double served = o.kind[i] == Kind::ambulance ? region_population[area(i)]
                                                         : system_population_[o.system[i]];
      o.population[i] = served / count[{area(i), o.kind[i]}];
      size_[i] = o.population[i];
    }
  }

  // Places: a trust sits in the place holding most of its catchment inside its own system;
  // others (no catchment) in their system's most populous place. PCNs have no place in the
  // data, so each system's PCNs fill its places in code order by population quota.
  void place_organisations() {
    auto& o = s_.orgs;
    const std::size_t ns = s_.systems.size();
    places_of_system_.assign(ns, {});
    for (std::uint32_t p = 0; p < s_.places.size(); ++p)
      places_of_system_[s_.places.system[p]].push_back(p);
    std::vector<std::int32_t> biggest(ns, -1);
    for (std::size_t sys = 0; sys < ns; ++sys)
      for (const auto p : places_of_system_[sys])
        if (biggest[sys] < 0 || s_.places.population[p] > s_.places.population[biggest[sys]])
          biggest[sys] = static_cast<std::int32_t>(p);
    std::vector<double> best(o.size(), -1);
    for (const auto& c : catchment_)
      if (s_.places.system[c.la] == o.system[c.trust] && c.of_trust > best[c.trust]) {
        best[c.trust] = c.of_trust;
        o.place[c.trust] = static_cast<std::int32_t>(c.la);
      }
    std::vector<std::vector<std::uint32_t>> pcns(ns), ccgs_2019(ns), ccgs_2021(ns);
    const auto first = std::numeric_limits<std::int16_t>::min();
    for (std::uint32_t i = 0; i < o.size(); ++i) {
      if (o.kind[i] == Kind::primary_care_network) pcns[o.system[i]].push_back(i);
      if (o.kind[i] == Kind::commissioner && o.active_to[i] != always)
        (o.active_from[i] == first ? ccgs_2019 : ccgs_2021)[o.system[i]].push_back(i);
      if (o.kind[i] == Kind::local_authority)
        o.place[i] = static_cast<std::int32_t>(i - council_of_place_[0]);
      if (o.place[i] < 0) o.place[i] = biggest[o.system[i]];
    }
    for (std::size_t sys = 0; sys < ns; ++sys) {
      const auto& places = places_of_system_[sys];
      if (places.empty()) continue;
      fill_by_quota(pcns[sys], places);
      // Several CCGs in a system: spread over its places the same way, those of 2019 and the
      // new ones of 2021 each on their own.
      for (const auto* ccgs : {&ccgs_2019[sys], &ccgs_2021[sys]})
        if (ccgs->size() > 1) fill_by_quota(*ccgs, places);
    }
  }

  void fill_by_quota(std::vector<std::uint32_t> members, const std::vector<std::uint32_t>& places) {
    auto& o = s_.orgs;
    std::sort(members.begin(), members.end(),
              [&](auto a, auto b) { return o.code[a] < o.code[b]; });
    double total_people = 0, total_members = 0;
    for (const auto p : places) total_people += s_.places.population[p];
    for (const auto m : members) total_members += o.population[m];
    double cumulative = 0, quota = 0;
    std::size_t next = 0;
    for (const auto m : members) {
      const double midpoint = (cumulative + o.population[m] / 2) / std::max(total_members, 1.0);
      while (next + 1 < places.size() &&
             quota + s_.places.population[places[next]] / total_people < midpoint)
        quota += s_.places.population[places[next++]] / total_people;
      o.place[m] = static_cast<std::int32_t>(places[next]);
      cumulative += o.population[m];
    }
  }

  void build_members() {
    std::vector<std::vector<std::uint32_t>> members(s_.systems.size());
    for (std::uint32_t i = 0; i < s_.orgs.size(); ++i) members[s_.orgs.system[i]].push_back(i);
    for (const auto& m : members) s_.systems.members.add(m);
  }

  // Share of each trust's activity in each system: catchment for acute and specialist trusts,
  // the region for ambulance trusts, the home system otherwise.
  std::vector<std::vector<std::pair<std::uint32_t, double>>> trust_reach() const {
    const auto& o = s_.orgs;
    std::vector<std::vector<std::pair<std::uint32_t, double>>> reach(o.size());
    std::vector<std::vector<std::pair<std::uint32_t, double>>> la_share(s_.places.size());
    for (const auto& x : la_systems_) la_share[x.la].push_back({x.system, x.share});
    std::vector<double> acc(s_.systems.size());
    std::vector<std::vector<const Catchment*>> by_trust(o.size());
    for (const auto& c : catchment_) by_trust[c.trust].push_back(&c);
    for (std::uint32_t i = 0; i < o.size(); ++i) {
      if (!is_trust(o.kind[i])) continue;
      std::fill(acc.begin(), acc.end(), 0.0);
      if (o.kind[i] == Kind::ambulance) {
        double region = 0;
        for (std::size_t s = 0; s < acc.size(); ++s)
          if (s_.systems.region[s] == s_.systems.region[o.system[i]]) {
            acc[s] = system_population_[s];
            region += acc[s];
          }
        for (auto& a : acc) a /= region;
      } else if (!by_trust[i].empty()) {
        for (const auto* c : by_trust[i])
          for (const auto& [sys, share] : la_share[c->la]) acc[sys] += c->of_trust * share;
      } else {
        acc[o.system[i]] = 1.0;
      }
      for (std::uint32_t s = 0; s < acc.size(); ++s)
        if (acc[s] > 0) reach[i].push_back({s, acc[s]});
    }
    return reach;
  }

  void build_edges() {
    const auto& o = s_.orgs;
    const auto reach = trust_reach();
    EdgeList edges;
    const std::size_t ns = s_.systems.size();
    std::vector<std::vector<std::uint32_t>> ccgs(ns), trusts(ns), acutes(ns);
    // The commissioners of each period (2019 CCGs, 2021 CCGs, the ICB) each cover the system's
    // registered population once, as its ICB does: a contract's share is the commissioner's.
    std::vector<double> ccg_pop(ns), acute_beds(ns);
    for (std::size_t sys = 0; sys < ns; ++sys) ccg_pop[sys] = o.population[icb_of_system_[sys]];
    for (std::uint32_t i = 0; i < o.size(); ++i) {
      const auto sys = o.system[i];
      if (o.kind[i] == Kind::commissioner) ccgs[sys].push_back(i);
      if (is_trust(o.kind[i])) trusts[sys].push_back(i);
      if (o.kind[i] == Kind::acute) {
        acutes[sys].push_back(i);
        acute_beds[sys] += size_[i];
      }
    }
    // Commissioner-provider contracts, in every system a trust reaches (specialist and acute
    // trusts beyond their home system only where the reach is material).
    for (std::uint32_t t = 0; t < o.size(); ++t) {
      for (const auto& [sys, share] : reach[t]) {
        const bool home = sys == static_cast<std::uint32_t>(o.system[t]);
        const double floor = o.kind[t] == Kind::specialist ? 0.01 : 0.05;
        if (!home && o.kind[t] != Kind::ambulance && share < floor) continue;
        for (const auto c : ccgs[sys])
          edges.add(c, t, EdgeKind::contract,
                    o.base_cost[t] * share * o.population[c] / std::max(ccg_pop[sys], 1.0));
        // Specialist and ambulance trusts take referrals from the acute trusts they reach.
        if ((o.kind[t] == Kind::specialist || o.kind[t] == Kind::ambulance) &&
            (home || share >= 0.05))
          for (const auto a : acutes[sys])
            edges.add(a, t, EdgeKind::referral,
                      0.1 * o.base_cost[t] * share * size_[a] / std::max(acute_beds[sys], 1.0));
      }
    }
    // Trust-trust referrals within a system.
    for (std::size_t sys = 0; sys < ns; ++sys)
      for (std::size_t a = 0; a < trusts[sys].size(); ++a)
        for (std::size_t b = a + 1; b < trusts[sys].size(); ++b) {
          const auto i = trusts[sys][a], j = trusts[sys][b];
          edges.add(i, j, EdgeKind::referral, 0.02 * std::min(o.base_cost[i], o.base_cost[j]));
        }
    // Trust-council catchment flows: the trust's spend on the place's residents.
    for (const auto& c : catchment_)
      edges.add(c.trust, council_of_place_[c.la], EdgeKind::partnership,
                o.base_cost[c.trust] * c.of_trust);
    // Councils and commissioners of a system work together (pooled budgets).
    for (std::uint32_t p = 0; p < s_.places.size(); ++p) {
      const auto sys = s_.places.system[p];
      const auto la = council_of_place_[p];
      for (const auto c : ccgs[sys])
        edges.add(la, c, EdgeKind::partnership,
                  0.1 * o.base_cost[la] * o.population[c] / std::max(ccg_pop[sys], 1.0));
    }
    // PCN-commissioner contracts and PCN-acute trust referrals in the same place.
    std::vector<std::vector<const Catchment*>> by_la(s_.places.size());
    for (const auto& c : catchment_) by_la[c.la].push_back(&c);
    double acute_cost = 0, people = 0;
    for (std::uint32_t i = 0; i < o.size(); ++i)
      if (o.kind[i] == Kind::acute) acute_cost += o.base_cost[i];
    for (const double p : system_population_) people += p;
    for (const auto& [pcn, ccg] : pcn_ccg_) {
      edges.add(pcn, ccg, EdgeKind::contract, o.base_cost[pcn]);
      const auto place = static_cast<std::uint32_t>(o.place[pcn]);
      const Catchment* top = nullptr;
      for (const auto* c : by_la[place]) {
        if (o.kind[c->trust] != Kind::acute) continue;
        if (!top || c->of_la > top->of_la) top = c;
        if (c->of_la >= 0.2)
          edges.add(pcn, c->trust, EdgeKind::referral,
                    o.population[pcn] * acute_cost / people * c->of_la);
      }
      if (top && top->of_la < 0.2)
        edges.add(pcn, top->trust, EdgeKind::referral,
                  o.population[pcn] * acute_cost / people * top->of_la);
    }
    reach_ = reach;
    s_.graph = RelationshipGraph(o.size(), std::move(edges));
  }

  // Provider collaboratives as candidate sets: per system an acute collaborative (its acute
  // and specialist trusts, and tertiary centres from elsewhere that reach it) and a mental
  // health and community one; per region a specialised services collaborative.
  void build_collaboratives() {
    const auto& o = s_.orgs;
    const std::size_t ns = s_.systems.size();
    auto& c = s_.collaboratives;
    std::vector<std::vector<std::uint32_t>> acute(ns), mh(ns);
    std::map<std::string, std::vector<std::uint32_t>> specialised;
    std::vector<std::int32_t> largest_acute(ns, -1);
    for (std::uint32_t i = 0; i < o.size(); ++i) {
      const auto sys = o.system[i];
      switch (o.kind[i]) {
        case Kind::acute:
          acute[sys].push_back(i);
          if (largest_acute[sys] < 0 || size_[i] > size_[largest_acute[sys]])
            largest_acute[sys] = static_cast<std::int32_t>(i);
          break;
        case Kind::specialist:
          acute[sys].push_back(i);
          specialised[s_.systems.region[sys]].push_back(i);
          for (const auto& [other, share] : reach_[i])
            if (other != static_cast<std::uint32_t>(sys) && share >= 0.05)
              acute[other].push_back(i);
          break;
        case Kind::mental_health:
        case Kind::community:
          mh[sys].push_back(i);
          break;
        default:
          break;
      }
    }
    for (std::size_t sys = 0; sys < ns; ++sys)
      if (largest_acute[sys] >= 0)
        specialised[s_.systems.region[sys]].push_back(
            static_cast<std::uint32_t>(largest_acute[sys]));
    const auto add = [&](std::string name, std::int32_t sys, std::vector<std::uint32_t> m) {
      std::sort(m.begin(), m.end());
      m.erase(std::unique(m.begin(), m.end()), m.end());
      if (m.size() < 2) return;
      c.name.push_back(std::move(name));
      c.system.push_back(sys);
      c.candidates.add(m);
    };
    for (std::size_t sys = 0; sys < ns; ++sys) {
      add(s_.systems.code[sys] + " acute provider collaborative", std::int32_t(sys), acute[sys]);
      add(s_.systems.code[sys] + " mental health and community collaborative", std::int32_t(sys),
          mh[sys]);
    }
    for (auto& [region, members] : specialised)
      add(region + " specialised services collaborative", -1, members);
  }

  struct Catchment {
    std::uint32_t trust, la;
    double of_la, of_trust;
  };
  struct LaSystem {
    std::uint32_t la, system;
    double share;
  };

  const Params& params_;
  const SourceFiles& files_;
  Structure s_;
  Index systems_, places_, orgs_, ccg_;
  std::vector<double> system_population_, size_;
  std::vector<Catchment> catchment_;
  std::vector<LaSystem> la_systems_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pcn_ccg_;
  std::vector<std::uint32_t> council_of_place_;
  std::vector<std::vector<std::uint32_t>> places_of_system_;
  std::unordered_map<std::string, std::uint32_t> ccg_2021_, first_predecessor_;
  std::vector<std::uint32_t> icb_of_system_;
  std::vector<std::vector<std::pair<std::uint32_t, double>>> reach_;
};

}  // namespace

SourceFiles england_files() {
  SourceFiles files;
  for (const auto& f : embedded::files())
    if (f.path.starts_with("england/"))
      files.emplace(std::string(f.path.substr(8)), std::string(f.text));
  return files;
}

Structure load_england(const Params& params, const SourceFiles& files) {
  return Builder(params, files).build();
}

}  // namespace icsim
