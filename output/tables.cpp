#include "output/tables.hpp"

#include <chrono>
#include <ctime>

#include "agents/parameters.hpp"
#include "icsim/version.hpp"
#include "output/hdf5.hpp"

namespace icsim {
namespace {

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// A static table: a group whose 1-D datasets share one dimension, labelled by `scale`.
class Table {
 public:
  Table(hid_t file, const std::string& group, const std::string& dimension,
        const std::vector<std::string>& labels, const std::string& label_meaning)
      : group_(h5::create_group(file, group)) {
    scale_ = h5::write_strings(group_, dimension, labels);
    h5::describe(scale_, "-", label_meaning);
    h5::make_scale(scale_, dimension);
  }
  template <class T>
  void add(const std::string& name, const std::vector<T>& values, const std::string& units,
           const std::string& description) {
    finish(h5::write_vector<T>(group_, name, values), units, description);
  }
  void add(const std::string& name, const std::vector<std::string>& values,
           const std::string& units, const std::string& description) {
    finish(h5::write_strings(group_, name, values), units, description);
  }
  hid_t group() const { return group_; }

 private:
  void finish(h5::Handle set, const std::string& units, const std::string& description) {
    h5::describe(set, units, description);
    h5::attach_scale(set, scale_, 0);
  }
  h5::Handle group_, scale_;
};

template <class T, class F>
std::vector<T> map_each(std::size_t n, F f) {
  std::vector<T> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = f(i);
  return out;
}

constexpr std::array<const char*, 4> leader_roles{"sole", "commissioner", "trust", "other"};

std::vector<std::string> index_labels(std::size_t n) {
  return map_each<std::string>(n, [](std::size_t i) { return std::to_string(i); });
}

}  // namespace

void write_provenance(hid_t file, const Provenance& p, std::int64_t seed) {
  h5::set_attribute(file, "tool", std::string("icsim"));
  h5::set_attribute(file, "version", std::string(icsim::version));
  h5::set_attribute(file, "schema_version", std::int64_t{schema_version});
  h5::set_attribute(file, "file_kind", p.kind);
  h5::set_attribute(file, "scenario", p.scenario_text);
  h5::set_attribute(file, "scenario_source", p.scenario_source);
  h5::set_attribute(file, "command_line", p.command_line);
  h5::set_attribute(file, "seed", seed);
  h5::set_attribute(file, "created", utc_now());
  h5::set_attribute(file, "title",
                    std::string("icsim: health-care provider collaboration in "
                                "integrated care systems"));
}

void write_static_tables(hid_t file, const World& w) {
  const auto& o = w.orgs;
  const std::size_t n = o.size();
  {
    Table t(file, "organisations", "organisation", o.code, "organisation code (ODS)");
    t.add("code", o.code, "-", "organisation code (ODS)");
    t.add("name", o.name, "-", "organisation name");
    t.add("kind", map_each<std::string>(n, [&](auto i) { return std::string(name_of(o.kind[i])); }),
          "-", "kind of organisation");
    t.add("system", o.system, "index", "index of the organisation's system in /systems");
    t.add("system_code",
          map_each<std::string>(n, [&](auto i) { return w.systems.code[o.system[i]]; }), "-",
          "code of the organisation's system");
    t.add("place", o.place, "index", "index of the organisation's place in /places (-1: none)");
    t.add("population", o.population, "people", "patients or residents served");
    const auto years = [&](const std::vector<std::int16_t>& v) {
      return map_each<std::int32_t>(n, [&](auto i) { return std::int32_t(v[i]); });
    };
    t.add("active_from", years(o.active_from), "calendar year",
          "first financial year the organisation exists (-32768: before any run)");
    t.add("active_to", years(o.active_to), "calendar year",
          "first financial year it no longer exists (32767: never ends)");
    t.add("successor", o.successor, "index",
          "organisation in /organisations that takes over its balance and contracts (-1: none)");
    t.add("base_cost", o.base_cost, "GBP m per year at 2019/20 prices",
          "own planned cost, contracts aside (trusts: operating cost; commissioners: care outside "
          "trust contracts; councils: social care budget; networks: costs)");
    t.add("margin", o.margin, "fraction",
          "planned margin: of cost for trusts, of allocation for commissioners (synthesised)");
    t.add("capacity", o.capacity, "memberships", "memberships carried before overhead grows fast");
    t.add("risk_aversion", o.risk_aversion, "per allocation", "mean-variance risk aversion");
    t.add("threshold", o.threshold, "fraction", "threshold rule: share of pooling partners needed");
  }
  {
    const auto& s = w.systems;
    Table t(file, "systems", "system", s.code, "system code (ODS)");
    t.add("code", s.code, "-", "system code (ODS)");
    t.add("name", s.name, "-", "system name");
    t.add("region", s.region, "-", "NHS England region");
    t.add(
        "leader_role",
        map_each<std::string>(
            s.size(),
            [&](auto i) { return std::string(leader_roles[static_cast<int>(s.leader_role[i])]); }),
        "-", "the system leader's other role: sole (none), commissioner, trust or other");
    t.add("ics_rank", s.ics_rank, "rank",
          "order in which the system becomes an ICS (0 first: highest initial trust)");
    t.add("members",
          map_each<std::int32_t>(
              s.size(), [&](auto i) { return static_cast<std::int32_t>(s.members[i].size()); }),
          "organisations", "organisations in the system");
  }
  {
    const auto& p = w.places;
    Table t(file, "places", "place", p.code, "local authority code (ONS) defining the place");
    t.add("code", p.code, "-", "local authority code (ONS)");
    t.add("name", p.name, "-", "local authority name");
    t.add("system", p.system, "index", "index of the place's system in /systems");
    t.add("population", p.population, "people", "resident population (mid-2019)");
  }
  {
    const auto& e = w.graph.edges();
    Table t(file, "edges", "edge", index_labels(e.size()), "edge index");
    t.add("source", e.source, "index", "one end: index in /organisations");
    t.add("target", e.target, "index", "other end: index in /organisations");
    t.add("kind",
          map_each<std::string>(
              e.size(),
              [&](auto i) { return std::string(edge_kind_names[static_cast<int>(e.kind[i])]); }),
          "-", "contract, referral or partnership");
    t.add("flow", e.flow, "GBP m per year", "money passing along the relationship (estimated)");
    t.add("initial_trust", w.trust, "0-1", "trust at the start of the run");
  }
  {
    const auto& c = w.collaboratives;
    Table t(file, "collaboratives", "collaborative", c.name, "collaborative name");
    t.add("system", c.system, "index", "home system in /systems (-1: spans systems)");
    t.add("candidates",
          map_each<std::int32_t>(
              c.size(), [&](auto i) { return static_cast<std::int32_t>(c.candidates[i].size()); }),
          "organisations", "providers that may be members");
  }
  {
    const auto& c = w.collaboratives;
    Table t(file, "collaboratives/candidate_table", "slot", index_labels(c.candidates.items.size()),
            "candidate slot");
    t.add("organisation", c.candidates.items, "index", "candidate organisation in /organisations");
    t.add("collaborative", w.collaborative_of_slot, "index", "collaborative in /collaboratives");
  }
}

void write_parameter_registry(hid_t file) {
  h5::Handle group = h5::create_group(file, "parameters");
  h5::set_attribute(group, "description",
                    std::string("every scenario parameter: one attribute per parameter holding "
                                "'unit | allowed | meaning'"));
  for (const auto& spec : registry())
    h5::set_attribute(group, spec.name, spec.unit + " | " + spec.allowed() + " | " + spec.meaning);
}

}  // namespace icsim
