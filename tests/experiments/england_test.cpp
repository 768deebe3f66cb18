#include "experiments/england.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "network/csv.hpp"
#include "support.hpp"

using namespace icsim;

namespace {
std::map<Kind, int> count_kinds(const Organisations& o) {
  std::map<Kind, int> n;
  for (const auto k : o.kind) ++n[k];
  return n;
}
}  // namespace

TEST_CASE("England's default population has the published counts", "[england]") {
  const Structure s = load_england(test::params());
  CHECK(s.systems.size() == 42);
  const auto n = count_kinds(s.orgs);
  CHECK(n.at(Kind::acute) == 124);
  CHECK(n.at(Kind::specialist) == 15);
  CHECK(n.at(Kind::mental_health) == 50);
  CHECK(n.at(Kind::community) == 16);
  CHECK(n.at(Kind::ambulance) == 10);
  CHECK(n.at(Kind::commissioner) == 191 + 27 + 42);  // CCGs of 2019 and 2021, ICBs
  CHECK(n.at(Kind::primary_care_network) == 1254);
  CHECK(n.at(Kind::local_authority) == 317);
  CHECK(s.places.size() == 317);
  // Every organisation has a system and a place inside that system.
  for (std::size_t i = 0; i < s.orgs.size(); ++i) {
    INFO(s.orgs.code[i]);
    REQUIRE(s.orgs.place[i] >= 0);
    CHECK(s.places.system[s.orgs.place[i]] == s.orgs.system[i]);
  }
}

TEST_CASE("every commissioner of 2019 - 2021 and 2022 is present - active in its years",
          "[england]") {
  const Structure s = load_england(test::params());
  // 191 CCGs of 2019, 27 new CCGs of 2021 (79 kept their code), 42 ICBs.
  CHECK(count_kinds(s.orgs).at(Kind::commissioner) == 191 + 27 + 42);
  CHECK(count_kinds(s.orgs).at(Kind::primary_care_network) == 1254);
  const auto active = [&](std::int64_t year) {
    int count = 0;
    for (std::size_t i = 0; i < s.orgs.size(); ++i)
      count += s.orgs.kind[i] == Kind::commissioner && is_active(s.orgs, i, year);
    return count;
  };
  CHECK(active(2016) == 191);
  CHECK(active(2020) == 191);
  CHECK(active(2021) == 106);
  CHECK(active(2022) == 42);
  for (std::size_t i = 0; i < s.orgs.size(); ++i) {
    if (s.orgs.kind[i] != Kind::commissioner || s.orgs.active_to[i] == always) continue;
    INFO(s.orgs.code[i]);
    const auto next = s.orgs.successor[i];
    REQUIRE(next >= 0);
    CHECK(s.orgs.system[next] == s.orgs.system[i]);
    CHECK(s.orgs.active_from[next] <= s.orgs.active_to[i]);
  }
}

TEST_CASE("the relationship graph has every kind of edge the brief lists", "[england]") {
  const Structure s = load_england(test::params());
  const auto& o = s.orgs;
  const auto& e = s.graph.edges();
  std::set<std::pair<Kind, Kind>> pairs;
  for (std::size_t k = 0; k < e.size(); ++k) {
    const Kind a = o.kind[e.source[k]], b = o.kind[e.target[k]];
    pairs.insert({std::min(a, b), std::max(a, b)});
    CHECK(e.flow[k] > 0);
  }
  CHECK(pairs.count({Kind::acute, Kind::commissioner}));                 // contracts
  CHECK(pairs.count({Kind::acute, Kind::local_authority}));              // catchment flows
  CHECK(pairs.count({Kind::commissioner, Kind::primary_care_network}));  // PCN-commissioner
  CHECK(pairs.count({Kind::acute, Kind::primary_care_network}));         // PCN-acute, same place
  CHECK(pairs.count({Kind::acute, Kind::mental_health}));                // referrals in a system
  // Each ambulance trust is linked to every system of its region.
  for (std::uint32_t i = 0; i < o.size(); ++i) {
    if (o.kind[i] != Kind::ambulance) continue;
    std::set<std::int32_t> reached;
    for (const auto j : s.graph.neighbours(i)) reached.insert(o.system[j]);
    for (std::size_t sys = 0; sys < s.systems.size(); ++sys)
      if (s.systems.region[sys] == s.systems.region[o.system[i]]) {
        INFO(o.code[i] << " " << s.systems.code[sys]);
        CHECK(reached.count(std::int32_t(sys)));
      }
  }
  // Every acute trust can be in a collaborative; a tertiary centre in several.
  std::vector<int> candidacies(o.size());
  for (const auto i : s.collaboratives.candidates.items) ++candidacies[i];
  int most = 0;
  for (std::uint32_t i = 0; i < o.size(); ++i) {
    if (o.kind[i] == Kind::acute) CHECK(candidacies[i] >= 1);
    most = std::max(most, candidacies[i]);
  }
  CHECK(most >= 4);
}

TEST_CASE("inconsistent data is refused naming the file and the line", "[england]") {
  const Params p = test::params();
  SECTION("unknown system code") {
    auto files = england_files();
    files["trusts.csv"] += "RZZ,TEST TRUST,acute,cqc,QXX,Y58,10\n";
    CHECK_THROWS_WITH(load_england(p, files), Catch::Contains("data/england/trusts.csv:217") &&
                                                  Catch::Contains("unknown system code 'QXX'"));
  }
  SECTION("duplicate code") {
    auto files = england_files();
    files["pcns.csv"] += "U00070,DUPLICATE PCN,36L,QWE,1000,1\n";
    CHECK_THROWS_WITH(load_england(p, files), Catch::Contains("data/england/pcns.csv:1256") &&
                                                  Catch::Contains("duplicate code 'U00070'"));
  }
  SECTION("negative population") {
    auto files = england_files();
    auto& text = files["local_authorities.csv"];
    text.replace(text.find(",93663,"), 7, ",-93663,");
    CHECK_THROWS_WITH(load_england(p, files),
                      Catch::Contains("data/england/local_authorities.csv:2") &&
                          Catch::Contains("negative population"));
  }
  SECTION("a short line") {
    auto files = england_files();
    files["systems.csv"] += "E54000099,QZZ\n";
    CHECK_THROWS_WITH(load_england(p, files),
                      Catch::Contains("data/england/systems.csv:44") && Catch::Contains("fields"));
  }
}

TEST_CASE("CSV fields may be quoted and hold commas", "[csv]") {
  const CsvTable t("x.csv", "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n", {"a", "b"});
  REQUIRE(t.size() == 1);
  CHECK(t.at(0, "a") == "x, y");
  CHECK(t.at(0, "b") == "say \"hi\"");
  CHECK_THROWS_WITH(CsvTable("y.csv", "a\n1\n", {"a", "b"}), Catch::Contains("missing column 'b'"));
}
