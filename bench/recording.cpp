// Item 4: full organisation recording (every metric, every year) through the run recorder,
// against writing the same arrays with plain HDF5 calls: the same datasets, chunks and filters,
// each written whole by one H5Dwrite.
#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "agents/metrics.hpp"
#include "agents/step.hpp"
#include "bench/bench.hpp"
#include "experiments/population.hpp"
#include "experiments/scenario.hpp"
#include "output/run_recorder.hpp"

namespace icsim::bench {
namespace {

namespace fs = std::filesystem;

// Every metric's column each year, and the membership rows: what the recorder writes per year.
struct Series {
  std::vector<std::vector<Column>> years;  // [year][metric]
  std::vector<std::int32_t> member_year, member_collaborative, member_organisation;
  std::size_t bytes = 0;

  void capture(const World& w) {
    auto& columns = years.emplace_back();
    for (const auto& m : metrics()) {
      columns.push_back(m.compute(w));
      bytes += std::visit([](const auto& v) { return v.size() * sizeof(v[0]); }, columns.back());
    }
    const auto& cand = w.collaboratives.candidates;
    for (std::size_t k = 0; k < cand.items.size(); ++k)
      if (w.current.member[k]) {
        member_year.push_back(static_cast<std::int32_t>(w.params.first_year + w.year));
        member_collaborative.push_back(static_cast<std::int32_t>(w.collaborative_of_slot[k]));
        member_organisation.push_back(static_cast<std::int32_t>(cand.items[k]));
      }
  }
};

hid_t type_of(const Column& c) {
  return std::visit(
      [](const auto& v) -> hid_t {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if constexpr (std::is_same_v<T, double>)
          return H5T_NATIVE_DOUBLE;
        else if constexpr (std::is_same_v<T, std::int32_t>)
          return H5T_NATIVE_INT32;
        else
          return H5T_NATIVE_UINT8;
      },
      c);
}

// One chunked, shuffled and deflated dataset written whole, as the recorder lays it out: rows of
// one year, chunks of one row by up to 65536 columns.
void write_plain(hid_t file, const std::string& name, hid_t type, const void* data, hsize_t rows,
                 hsize_t width) {
  const int rank = width ? 2 : 1;
  const hsize_t dims[2] = {rows, width};
  const hsize_t chunk[2] = {width ? 1 : std::max<hsize_t>(rows, 1),
                            std::clamp<hsize_t>(width, 1, 1 << 16)};
  const hid_t space = H5Screate_simple(rank, dims, nullptr);
  const hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(plist, rank, chunk);
  H5Pset_shuffle(plist);
  H5Pset_deflate(plist, 4);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t set = H5Dcreate2(file, name.c_str(), type, space, lcpl, plist, H5P_DEFAULT);
  if (set < 0) throw std::runtime_error("bench: cannot create " + name);
  if (rows && H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    throw std::runtime_error("bench: cannot write " + name);
  H5Dclose(set);
  H5Pclose(lcpl);
  H5Pclose(plist);
  H5Sclose(space);
}

double write_series_plainly(const Series& s, const fs::path& path) {
  // Each metric's years side by side in one buffer first (not timed): [year, entity].
  const auto& table = metrics();
  std::vector<std::vector<unsigned char>> buffers(table.size());
  for (std::size_t m = 0; m < table.size(); ++m)
    for (const auto& year : s.years)
      std::visit(
          [&](const auto& v) {
            const auto* bytes = reinterpret_cast<const unsigned char*>(v.data());
            buffers[m].insert(buffers[m].end(), bytes, bytes + v.size() * sizeof(v[0]));
          },
          year[m]);
  static const std::array<const char*, 3> group{"organisation", "system", "national"};
  const Stopwatch clock;
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) throw std::runtime_error("bench: cannot create " + path.string());
  for (std::size_t m = 0; m < table.size(); ++m) {
    const auto& first = s.years.front()[m];
    const std::size_t width = std::visit([](const auto& v) { return v.size(); }, first);
    const bool national = table[m].level == Level::national;
    write_plain(
        file,
        std::string("timeseries/") + group[static_cast<int>(table[m].level)] + "/" + table[m].name,
        type_of(first), buffers[m].data(), s.years.size(), national ? 0 : width);
  }
  for (const auto& [name, v] : {std::pair{"year", &s.member_year},
                                {"collaborative", &s.member_collaborative},
                                {"organisation", &s.member_organisation}})
    write_plain(file, std::string("collaboratives/membership/") + name, H5T_NATIVE_INT32, v->data(),
                v->size(), 0);
  H5Fclose(file);
  return clock.seconds();
}

}  // namespace

void full_recording(Table& table, const Options& options) {
  Params p = load_scenario(std::string(default_scenario)).params;
  std::string label = "England default";
  if (!options.quick) {
    apply_setting(p, "population.source=synthetic", "bench");
    apply_setting(p, "population.organisations=100000", "bench");
    label = "100 k synthetic organisations";
  }
  p.years = 10;
  const World base = make_world(p);
  const fs::path dir = fs::path(options.scratch) / ("icsim-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path recorded = dir / "recorded.h5", plain = dir / "plain.h5";

  // The series, captured once in memory for the plain writer.
  Series series;
  {
    World w = base;
    simulate(w, [&](const World& y) { series.capture(y); });
  }
  series.bytes += 3 * sizeof(std::int32_t) * series.member_year.size();

  std::vector<double> alone, recording, constructing, in_record, plain_times;
  std::uintmax_t recorded_size = 0, plain_size = 0;
  for (int round = 0; round < (options.quick ? 2 : 3); ++round) {
    {
      World w = base;
      const Stopwatch clock;
      simulate(w, {});
      alone.push_back(clock.seconds());
    }
    {
      World w = base;
      const Stopwatch ctor_clock;
      RunRecorder recorder(recorded, w, Provenance{to_toml(p), "bench", "icsim-bench", "run"});
      constructing.push_back(ctor_clock.seconds());
      double inside = 0;
      const Stopwatch clock;
      simulate(w, [&](const World& y) {
        const Stopwatch record_clock;
        recorder.record(y);
        inside += record_clock.seconds();
      });
      recorder.finish();
      recording.push_back(clock.seconds());
      in_record.push_back(inside);
      recorded_size = fs::file_size(recorded);
    }
    plain_times.push_back(write_series_plainly(series, plain));
    plain_size = fs::file_size(plain);
  }
  fs::remove_all(dir);

  const double t_alone = median(alone), t_rec = median(recording), t_plain = median(plain_times);
  const double mb = static_cast<double>(series.bytes) / 1e6;
  const double added = t_rec - t_alone;
  table.add("4", label + ", 10 years, every metric every year: series data",
            format(mb) + " MB (" + format(static_cast<double>(recorded_size) / 1e6) +
                " MB file; static tables written first in " + format(median(constructing)) + " s)");
  table.add("4", "recorded run (simulate + record + finish) vs model alone",
            format(t_rec) + " s vs " + format(t_alone) + " s: " + format(mb / t_rec) +
                " MB/s of series written");
  table.add("4",
            "plain HDF5 writes of the same series (same chunks and filters, one H5Dwrite each)",
            format(t_plain) + " s: " + format(mb / t_plain) + " MB/s (" +
                format(static_cast<double>(plain_size) / 1e6) + " MB file)");
  const double ratio = added / t_plain;
  table.add("4", "time recording adds to the run, over the plain writes' time", format(ratio),
            "<= 1.5", ratio <= 1.5);
  table.add("4", "simulation thread inside record() (snapshot + waiting on the full queue)",
            format(100.0 * median(in_record) / t_rec) + " % of the recorded run");
}

}  // namespace icsim::bench
