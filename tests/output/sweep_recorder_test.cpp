#include "output/sweep_recorder.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <set>

#include "experiments/population.hpp"
#include "experiments/scenario.hpp"
#include "output/hdf5.hpp"
#include "tests/experiments/sweep_support.hpp"

using namespace icsim;
namespace fs = std::filesystem;

namespace {

SweepFileInfo info_for(const ParamSpec* varied) {
  SweepFileInfo info;
  info.provenance = {"# scenario", "test", "test", "sweep"};
  info.seed = 1;
  info.text_attributes = {{"fingerprint", "f"}};
  info.parameters = {RunColumn::varied(*varied)};
  return info;
}

std::shared_ptr<RunRow> row(std::int64_t run, std::size_t summaries) {
  auto r = std::make_shared<RunRow>();
  r->run = r->point = run;
  r->seed = 100 + run;
  r->parameters = {Value{0.1 * static_cast<double>(run)}};
  r->summaries.assign(summaries, static_cast<double>(run));
  return r;
}

}  // namespace

TEST_CASE("sweep recorder: every commit leaves a complete file with the runs committed",
          "[sweep_recorder]") {
  const World base = make_world(load_scenario("england-2020").params);
  const SweepSchema schema(SweepRecord{true, false, false, false});
  const auto path = test::sweep_folder() / "commits.h5";
  SweepRecorder::Options options;
  options.commit_interval = 0;            // a commit per run
  std::vector<long long> seen, reported;  // filled on the writer thread, read after finish()
  options.on_commit = [&](std::uint64_t n) {
    // OUT.h5 as a reader finds it right after the commit: it opens and holds the n runs.
    seen.push_back(test::recorded_rows(path));
    reported.push_back(static_cast<long long>(n));
  };
  {
    SweepRecorder recorder(path, info_for(find_param("policy.bailout")), schema, base, options,
                           false);
    CHECK(test::recorded_rows(path) == 0);  // committed empty at once
    for (std::int64_t run = 0; run < 5; ++run) recorder.add(row(run, schema.summaries.size()));
    recorder.finish();
    CHECK(recorder.committed() == 5);
  }
  CHECK(seen == std::vector<long long>{1, 2, 3, 4, 5});
  CHECK(reported == seen);
  for (const char* suffix : {".next", ".spare", ".lock"})
    CHECK_FALSE(fs::exists(path.string() + suffix));
  {  // resume: two more runs after the five
    SweepRecorder recorder(path, info_for(find_param("policy.bailout")), schema, base, options,
                           true);
    CHECK(recorder.committed() == 5);
    recorder.add(row(5, schema.summaries.size()));
    recorder.add(row(6, schema.summaries.size()));
    // no finish(): the destructor commits what was added
  }
  const h5::Handle file = h5::open_file(path.string(), false);
  CHECK(h5::read_all<std::int64_t>(file, "runs/run") ==
        std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6});
  CHECK(h5::read_all<double>(file, "runs/policy.bailout").at(6) == Approx(0.6));
  CHECK(h5::read_all<double>(file, "summary/final_mean_trust").at(4) == 4.0);
  CHECK(h5::string_attribute(h5::open_group(file, "summary"), "description").has_value());
}

TEST_CASE("sweep recorder: a second writer of the same file is refused", "[sweep_recorder]") {
  const World base = make_world(load_scenario("england-2020").params);
  const SweepSchema schema(SweepRecord{true, false, false, false});
  const auto path = test::sweep_folder() / "locked.h5";
  SweepRecorder first(path, info_for(find_param("policy.bailout")), schema, base, {}, false);
  CHECK_THROWS_WITH(
      SweepRecorder(path, info_for(find_param("policy.bailout")), schema, base, {}, true),
      Catch::Contains("another icsim is writing this sweep file"));
  first.finish();
}

TEST_CASE("sweep recorder: summaries come from the metric registry - named by statistic",
          "[sweep_recorder]") {
  const SweepSchema schema(SweepRecord{true, false, true, false});
  std::set<std::string> names;
  for (const auto& s : schema.summaries) names.insert(s.name);
  CHECK(names.count("final_mean_trust"));
  CHECK(names.count("mean_mean_trust"));
  CHECK(names.count("final_system_met_control_total"));
  CHECK(names.count("mean_system_stake_share"));
  CHECK(names.size() == schema.summaries.size());
  std::size_t system_metrics = 0;
  for (const auto& m : metrics()) system_metrics += m.level == Level::system;
  CHECK(schema.series[static_cast<int>(Level::system)].size() == system_metrics);
  CHECK(schema.series[static_cast<int>(Level::organisation)].empty());
}

namespace {

// A run's series row where every element names its run, year and entity, of the metric's type.
Column tagged_series(const Column& like, std::int64_t run, std::size_t years, std::size_t width) {
  return std::visit(
      [&](const auto& typed) -> Column {
        using T = typename std::decay_t<decltype(typed)>::value_type;
        std::vector<T> out(years * width);
        for (std::size_t k = 0; k < out.size(); ++k)
          out[k] = static_cast<T>(std::is_same_v<T, std::uint8_t> ? (run * 7 + k) % 250
                                                                  : run * 100000 + k);
        return out;
      },
      like);
}

}  // namespace

TEST_CASE(
    "sweep recorder: series rows survive commits in the middle of chunks - failed runs and "
    "a resume",
    "[sweep_recorder]") {
  const World base = make_world(load_scenario("england-2020").params);
  const SweepSchema schema(SweepRecord{true, false, true, false});
  const auto& series = schema.series[static_cast<int>(Level::system)];
  const std::size_t years = static_cast<std::size_t>(base.params.years),
                    width = base.systems.size();
  const auto path = test::sweep_folder() / "series.h5";
  const auto run_row = [&](std::int64_t run) {
    auto r = row(run, schema.summaries.size());
    if (run % 11 == 5) {  // failed: no summaries, no series
      r->error = "failed on purpose";
      r->summaries.clear();
      return r;
    }
    for (const Metric* m : series)
      r->series[static_cast<int>(Level::system)].push_back(
          tagged_series(m->compute(base), run, years, width));
    return r;
  };
  SweepRecorder::Options options;
  const auto record = [&](std::int64_t from, std::int64_t to, bool resume, double interval) {
    options.commit_interval = interval;
    SweepRecorder recorder(path, info_for(find_param("policy.bailout")), schema, base, options,
                           resume);
    for (std::int64_t run = from; run < to; ++run) recorder.add(run_row(run));
    recorder.finish();
  };
  // 45 runs committed one by one (a double series' chunk holds 64 KiB / (years x systems x 8)
  // rows, 19 for England), then 90 more in one commit, resumed from a file ending mid-chunk.
  record(0, 45, false, 0);
  record(45, 135, true, 1000);
  const h5::Handle file = h5::open_file(path.string(), false);
  std::vector<std::int64_t> runs(135);
  std::iota(runs.begin(), runs.end(), 0);
  CHECK(h5::read_all<std::int64_t>(file, "runs/run") == runs);
  CHECK(h5::read_strings(file, "runs/status").at(5) == "failed");
  CHECK(h5::read_strings(file, "runs/message").at(16) == "failed on purpose");
  CHECK(std::isnan(h5::read_all<double>(file, "summary/final_mean_trust").at(27)));
  CHECK(h5::read_all<double>(file, "summary/final_mean_trust").at(134) == 134.0);
  for (const auto& summary : schema.summaries) {  // each names its metric, level and statistic
    INFO(summary.name);
    const h5::Handle set(H5Dopen2(file, ("summary/" + summary.name).c_str(), H5P_DEFAULT));
    CHECK(h5::string_attribute(set, "role") == std::string(name_of(summary.metric->role)));
    CHECK(h5::string_attribute(set, "metric") == summary.metric->name);
    CHECK(h5::string_attribute(set, "level") ==
          (summary.metric->level == Level::national ? "national" : "system"));
    CHECK(h5::string_attribute(set, "statistic") ==
          (summary.name.starts_with("final_") ? "final_year" : "run_mean"));
  }
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Metric* m = series[i];
    INFO(m->name);
    const std::string name = "timeseries/system/" + m->name;
    REQUIRE(h5::shape(file, name) == std::vector<hsize_t>{135, years, width});
    const h5::Handle set(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
    CHECK(h5::string_attribute(set, "role") == std::string(name_of(m->role)));
    std::visit(
        [&](const auto& typed) {
          using T = typename std::decay_t<decltype(typed)>::value_type;
          const auto stored = h5::read_all<T>(file, name);
          std::size_t wrong = 0;
          for (std::int64_t run = 0; run < 135; ++run) {
            const auto expected = run_row(run)->series[static_cast<int>(Level::system)];
            for (std::size_t k = 0; k < years * width; ++k) {
              const T got = stored[static_cast<std::size_t>(run) * years * width + k];
              if (expected.empty()) {  // the fill value: NaN, or an impossible count or flag
                const bool fill = std::is_floating_point_v<T> ? std::isnan(static_cast<double>(got))
                                  : std::is_same_v<T, std::uint8_t> ? got == T(255)
                                                                    : got == T(-1);
                wrong += !fill;
              } else {
                const auto& want = std::get<std::vector<T>>(expected[i]);
                wrong += got != want[k];
              }
            }
          }
          CHECK(wrong == 0);
        },
        m->compute(base));
  }
}

TEST_CASE("sweep recorder: a written run's series storage goes to the next run - empty",
          "[sweep_recorder]") {
  SeriesPool pool;
  std::array<std::vector<Column>, 3> series;
  series[1].push_back(std::vector<double>(420, 1.5));
  series[1].push_back(std::vector<std::uint8_t>(420, 1));
  const void* doubles = std::get<std::vector<double>>(series[1][0]).data();
  pool.give(series);
  CHECK(series[1].empty());
  const Column flags = pool.take(std::vector<std::uint8_t>{}, 420);
  CHECK(std::get<std::vector<std::uint8_t>>(flags).empty());
  Column reused = pool.take(std::vector<double>{}, 400);  // fits: the same storage, emptied
  CHECK(std::get<std::vector<double>>(reused).data() == doubles);
  CHECK(std::get<std::vector<double>>(reused).empty());
  const Column larger = pool.take(std::vector<double>{}, 5000);  // nothing fits: fresh
  CHECK(std::get<std::vector<double>>(larger).capacity() >= 5000);
  CHECK(std::get<std::vector<double>>(larger).data() != doubles);
  // Beyond its bound the pool frees what it is given.
  std::array<std::vector<Column>, 3> huge;
  huge[0].push_back(std::vector<double>((80u << 20) / sizeof(double)));
  pool.give(huge);
  CHECK(std::get<std::vector<double>>(pool.take(std::vector<double>{}, 1)).capacity() < 1000);
}

// Issue 15, item 8: a commit interval that is not a number of seconds would never commit.
TEST_CASE("sweep recorder: a commit interval that is NaN - infinite or negative is refused",
          "[sweep_recorder]") {
  const World base = make_world(load_scenario("england-2019").params);
  const SweepSchema schema({});
  const auto path = test::sweep_folder() / "interval.h5";
  for (const double interval : {std::nan(""), HUGE_VAL, -1.0}) {
    INFO(interval);
    SweepRecorder::Options options;
    options.commit_interval = interval;
    CHECK_THROWS_AS(
        SweepRecorder(path, info_for(find_param("policy.psf")), schema, base, options, false),
        std::invalid_argument);
  }
  CHECK_FALSE(fs::exists(path));
}
