#include "experiments/classic.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "experiments/cli.hpp"
#include "network/random.hpp"
#include "output/hdf5.hpp"
#include "support.hpp"

using namespace icsim;

namespace {
Params game(std::initializer_list<std::string> extra) {
  Params p = test::params({"model=public_goods", "network.kind=lattice", "network.size=20",
                           "run.activation=random_sequential"});
  for (const auto& s : extra) apply_setting(p, s, "test");
  return p;
}
std::filesystem::path temp(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("icsim-classic-" + name);
}
}  // namespace

TEST_CASE("The public goods run records every run.record_every steps and the last", "[classic]") {
  const PublicGoodsRun run =
      run_public_goods(game({"game.r=4.5", "run.steps=25", "run.record_every=10"}));
  CHECK(run.nodes == 400);
  CHECK(run.edges == 800);
  CHECK(run.step == std::vector<std::int64_t>{0, 10, 20, 25});
  CHECK(run.steps_run == 25);
  CHECK(run.absorbed_at_step == -1);
  CHECK(run.absorbing_state == "none");
  CHECK(run.mean_cooperator_fraction > 0.0);
  CHECK(run.mean_cooperator_fraction < 1.0);
}

TEST_CASE("The public goods run stops at an absorbing state and says so", "[classic]") {
  const PublicGoodsRun low = run_public_goods(game({"game.r=2.5", "run.steps=100000"}));
  CHECK(low.absorbing_state == "all_defectors");
  CHECK(low.absorbed_at_step > 0);
  CHECK(low.steps_run == low.absorbed_at_step);
  CHECK(low.step.back() == low.absorbed_at_step);
  CHECK(low.cooperator_fraction.back() == 0.0);
  CHECK(low.mean_cooperator_fraction == 0.0);
  const PublicGoodsRun start = run_public_goods(game({"game.initial_cooperators=1"}));
  CHECK(start.absorbed_at_step == 0);
  CHECK(start.absorbing_state == "all_cooperators");
  CHECK(start.mean_cooperator_fraction == 1.0);
}

TEST_CASE("icsim run --set model=public_goods writes a self-describing file", "[classic][cli]") {
  const auto path = temp("game.h5");
  std::ostringstream out, err;
  const int code =
      run_cli({"run", "--set", "model=public_goods", "--set", "network.kind=lattice", "--set",
               "network.size=10", "--set", "run.steps=40", "-o", path.string()},
              out, err);
  REQUIRE(code == 0);
  CHECK(err.str().empty());
  CHECK(out.str().find("cooperator fraction") != std::string::npos);
  {
    h5::Handle file = h5::open_file(path.string(), false);
    CHECK(h5::string_attribute(file, "model") == "public_goods");
    const auto steps = h5::read_all<std::int64_t>(file, "timeseries/national/step");
    const auto fraction = h5::read_all<double>(file, "timeseries/national/cooperator_fraction");
    CHECK(steps.front() == 0);
    CHECK(steps.size() == fraction.size());
    const auto absorbed = h5::read_all<std::int64_t>(file, "summary/absorbed_at_step");
    const auto run = h5::read_all<std::int64_t>(file, "summary/steps_run");
    CHECK(run.at(0) == steps.back());
    CHECK((absorbed.at(0) == -1 ? run.at(0) == 40 : run.at(0) == absorbed.at(0)));
    CHECK(h5::exists(file, "network"));
  }
  std::filesystem::remove(path);
}

TEST_CASE("threaded: icsim run --set model=threshold_cascade records realisations and summary",
          "[classic][cli]") {
  const auto path = temp("cascade.h5");
  std::ostringstream out, err;
  const int code = run_cli(
      {"run", "--set", "model=threshold_cascade", "--set", "network.kind=erdos_renyi", "--set",
       "network.size=500", "--set", "cascade.realisations=20", "-o", path.string()},
      out, err);
  REQUIRE(code == 0);
  CHECK(out.str().find("global cascades") != std::string::npos);
  {
    h5::Handle file = h5::open_file(path.string(), false);
    const auto share = h5::read_all<double>(file, "realisations/final_active_share");
    CHECK(share.size() == 20);
    const auto frequency = h5::read_all<double>(file, "summary/global_cascade_frequency");
    double global = 0;
    for (const double s : share) global += s > 0.1;
    CHECK(frequency.at(0) == Approx(global / 20));
  }
  std::filesystem::remove(path);
}

TEST_CASE("A graph the parameters cannot make is a one-line input error", "[classic][cli]") {
  std::ostringstream out, err;
  const int code = run_cli({"run", "--set", "model=public_goods", "--set", "network.kind=lattice",
                            "--set", "network.size=2", "-o", temp("bad.h5").string()},
                           out, err);
  CHECK(code == 2);
  CHECK(err.str() ==
        "icsim: error: --set: key 'network.size': a lattice side must be in [3, 65535] (got 2)\n");
  CHECK_FALSE(std::filesystem::exists(temp("bad.h5")));
}

TEST_CASE("make_network builds what network.kind names", "[generators]") {
  const std::uint64_t key = run_key(1, 0);
  CHECK(make_network(test::params({"network.kind=lattice", "network.size=10"}), key).edge_count() ==
        200);
  CHECK(make_network(test::params({"network.kind=barabasi_albert", "network.size=100",
                                   "network.mean_degree=2"}),
                     key)
            .edge_count() == 99);  // m = 1: a tree
  CHECK(make_network(test::params({"network.kind=watts_strogatz", "network.size=100",
                                   "network.mean_degree=6"}),
                     key)
            .edge_count() == 300);
  CHECK_THROWS_AS(make_network(test::params({"network.kind=lattice", "network.size=2"}), key),
                  ParamError);
  CHECK_THROWS_AS(make_network(test::params({"network.kind=edge_list"}), key), ParamError);
  const auto file = std::filesystem::temp_directory_path() / "icsim_generators_test.csv";
  std::ofstream(file) << "source,target\n0,1\n1,2\n";
  CHECK(make_network(test::params({"network.kind=edge_list", "network.file=" + file.string()}), key)
            .node_count() == 3);
  std::filesystem::remove(file);
  CHECK(make_network(test::params({"network.kind=england"}), key).node_count() ==
        1892 - 106 + 191 + 27 + 42);
  CHECK(network_is_random(NetworkKind::erdos_renyi));
  CHECK_FALSE(network_is_random(NetworkKind::lattice));
}

TEST_CASE("A public goods game stepped one step at a time is the whole run", "[classic]") {
  const Params p = game({"game.r=4.5", "run.steps=30", "run.record_every=7"});
  const PublicGoodsRun whole = run_public_goods(p);
  PublicGoodsSimulation stepped(p);
  CHECK(std::isnan(stepped.result().mean_cooperator_fraction));  // not finished
  std::int64_t steps = 0;
  while (!stepped.finished()) {
    stepped.step();
    CHECK(stepped.steps_run() == ++steps);
  }
  stepped.step();  // nothing once finished
  const PublicGoodsRun run = stepped.result();
  CHECK(run.steps_run == 30);
  CHECK(run.step == whole.step);
  CHECK(run.cooperator_fraction == whole.cooperator_fraction);
  CHECK(run.mean_cooperator_fraction == whole.mean_cooperator_fraction);
}

TEST_CASE("threaded: threshold cascades run in batches are the whole run", "[classic]") {
  const Params p = test::params({"model=threshold_cascade", "network.kind=erdos_renyi",
                                 "network.size=300", "cascade.realisations=50"});
  const CascadeRun whole = run_threshold_cascade(p);
  CascadeSimulation batches(p);
  for (const std::uint32_t count : {1u, 7u, 30u, 100u}) batches.run(count);
  CHECK(batches.finished());
  const CascadeRun run = batches.result();
  CHECK(run.final_active_share == whole.final_active_share);
  CHECK(run.edges == whole.edges);
  CHECK(run.global_cascade_frequency == whole.global_cascade_frequency);
}

TEST_CASE("classic_image is the file run_classic writes", "[classic]") {
  const Params p = game({"game.r=4.5", "run.steps=20"});
  const Provenance provenance{to_toml(p), "test", "icsim run", "run"};
  const auto written = temp("written.h5"), saved = temp("image.h5");
  CHECK(run_classic(p, written, provenance, nullptr) == 0);
  h5::save_image(classic_image(p, provenance, run_public_goods(p)), saved.string());
  h5::quiet();
  const h5::Handle a = h5::open_file(written.string(), false),
                   b = h5::open_file(saved.string(), false);
  CHECK(h5::read_all<double>(a, "timeseries/national/cooperator_fraction") ==
        h5::read_all<double>(b, "timeseries/national/cooperator_fraction"));
  CHECK(h5::read_all<double>(a, "summary/mean_cooperator_fraction") ==
        h5::read_all<double>(b, "summary/mean_cooperator_fraction"));
  CHECK(h5::string_attribute(a, "model") == h5::string_attribute(b, "model"));
  std::filesystem::remove(written);
  std::filesystem::remove(saved);
}
