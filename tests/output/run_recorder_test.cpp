#include "output/run_recorder.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "agents/metrics.hpp"
#include "experiments/population.hpp"
#include "experiments/run.hpp"
#include "output/hdf5.hpp"
#include "support.hpp"

using namespace icsim;

namespace {
std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("icsim-test-" + name);
}
}  // namespace

TEST_CASE("a run file has the layout of DESIGN.md section 5 - readable with plain HDF5",
          "[output]") {
  const auto path = temp_file("layout.h5");
  const Params p = test::params({"run.years=3"});
  RunOptions options;
  options.output = path;
  options.provenance = {to_toml(p), "england-2019 (shipped)", "icsim run", "run"};
  const World w = run_scenario(p, options);
  REQUIRE(std::filesystem::exists(path));

  h5::quiet();
  const h5::Handle file = h5::open_file(path.string(), false);
  CHECK(h5::string_attribute(file, "tool") == "icsim");
  CHECK(h5::number_attribute(file, "schema_version") == 2.0);
  CHECK(h5::number_attribute(file, "seed") == double(p.seed));
  CHECK(h5::string_attribute(file, "scenario") == to_toml(p));
  CHECK(h5::string_attribute(file, "created").has_value());

  const auto n = w.size(), ns = w.systems.size();
  for (const char* name : {"code", "name", "kind", "system", "place", "active_from", "active_to",
                           "successor", "base_cost", "margin"})
    CHECK(h5::shape(file, std::string("/organisations/") + name) == std::vector<hsize_t>{n});
  CHECK(h5::read_strings(file, "/organisations/code") == w.orgs.code);
  CHECK(h5::shape(file, "/systems/region") == std::vector<hsize_t>{ns});
  CHECK(h5::shape(file, "/edges/flow") == std::vector<hsize_t>{w.graph.edge_count()});
  for (const char* name : {"source", "target", "kind", "flow"})
    CHECK(h5::exists(file, std::string("/edges/") + name));

  for (const auto& m : metrics()) {
    static constexpr std::array<const char*, 3> levels{"organisation", "system", "national"};
    const std::string path_in_file =
        std::string("/timeseries/") + levels[static_cast<int>(m.level)] + "/" + m.name;
    INFO(path_in_file);
    REQUIRE(h5::exists(file, path_in_file));
    const auto dims = h5::shape(file, path_in_file);
    std::vector<hsize_t> expected{3};
    if (m.level == Level::organisation) expected.push_back(n);
    if (m.level == Level::system) expected.push_back(ns);
    CHECK(dims == expected);
    const h5::Handle set(H5Dopen2(file, path_in_file.c_str(), H5P_DEFAULT));
    CHECK(h5::string_attribute(set, "units") == m.unit);
    CHECK(h5::string_attribute(set, "description") == m.description);
    CHECK(h5::string_attribute(set, "role") == std::string(name_of(m.role)));
    CHECK(H5DSget_num_scales(set, 0) == 1);  // labelled by year
    // Chunked and compressed.
    const h5::Handle plist(H5Dget_create_plist(set));
    CHECK(H5Pget_layout(plist) == H5D_CHUNKED);
    CHECK(H5Pget_nfilters(plist) >= 1);
  }
  CHECK(h5::read_all<std::int32_t>(file, "/timeseries/system/year") ==
        std::vector<std::int32_t>{2019, 2020, 2021});
  // The last year's values are those of the world at the end (whose latest decisions, after
  // the year's swap, are in `previous`).
  const auto stakes = h5::read_all<double>(file, "/timeseries/organisation/stake_fraction");
  CHECK(std::vector<double>(stakes.end() - long(n), stakes.end()) == w.previous.stake);
  // Trust on each relationship by year; the last year's is the world's at the end.
  const auto edges = w.graph.edge_count();
  REQUIRE(h5::shape(file, "/timeseries/edge/trust") == std::vector<hsize_t>{3, edges});
  const auto trust = h5::read_all<double>(file, "/timeseries/edge/trust");
  CHECK(std::vector<double>(trust.end() - long(edges), trust.end()) == w.trust);
  CHECK(h5::read_all<std::int32_t>(file, "/timeseries/edge/year") ==
        std::vector<std::int32_t>{2019, 2020, 2021});
  CHECK(h5::shape(file, "/collaboratives/membership/organisation")[0] > 0);
  std::filesystem::remove(path);
}

TEST_CASE("an unwritable output path fails before the run and leaves nothing behind", "[output]") {
  const Params p = test::params({"run.years=1"});
  const World w = make_world(p);
  CHECK_THROWS_AS(RunRecorder("/nonexistent-dir/out.h5", w, {}), h5::Error);
}

TEST_CASE("a run that fails part-way leaves no file under the requested name", "[output]") {
  const auto path = temp_file("failed.h5");
  std::filesystem::remove(path);
  std::filesystem::path temporary;
  {
    const Params p = test::params({"run.years=2"});
    World w = make_world(p);
    RunRecorder recorder(path, w, {});
    temporary = recorder.temporary_path();
    step(w, [&](const World& world) { recorder.record(world); });
    CHECK(std::filesystem::exists(temporary));
    // The recorder goes out of scope without finish(), as when a run throws.
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(temporary));
}

TEST_CASE("a recorder in memory gives the file as it stands - every year so far", "[output]") {
  const Params p = test::params({"run.years=3"});
  World w = make_world(p);
  RunRecorder recorder(w, {to_toml(p), "test", "test", "run"});
  const auto saved = temp_file("memory.h5");
  for (int year = 1; year <= 3; ++year) {
    step(w, [&](const World& y) { recorder.record(y); });
    recorder.note("note", "after year " + std::to_string(year));
    recorder.save(saved);  // mid-run: a file HDF5 opens as it is (the image's checksum fixed)
    h5::quiet();
    const h5::Handle file = h5::open_file(saved.string(), false);
    CHECK(h5::shape(file, "timeseries/system/surplus") ==
          std::vector<hsize_t>{hsize_t(year), w.systems.size()});
    CHECK(h5::read_all<std::int32_t>(file, "timeseries/national/year").back() ==
          p.first_year + year - 1);
    CHECK(h5::string_attribute(file, "note") == "after year " + std::to_string(year));
  }
  CHECK_THROWS_AS(recorder.finish(), std::logic_error);
  std::filesystem::remove(saved);
}
