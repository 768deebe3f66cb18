#include "output/run_recorder.hpp"

#include <unistd.h>

#include <atomic>
#include <map>
#include <numeric>
#include <optional>

#include "agents/metrics.hpp"
#include "output/hdf5.hpp"
#include "output/temporary.hpp"
#include "output/writer.hpp"

namespace icsim {
namespace {

// A time-series group: a `year` scale, an entity scale (unless national), one dataset a metric.
struct SeriesGroup {
  h5::Handle group;
  std::unique_ptr<h5::Appendable> year;
  h5::Handle entity;
  std::map<std::string, std::unique_ptr<h5::Appendable>> data;
};

hid_t memory_type(const Column& column) {
  return std::visit(
      [](const auto& v) { return h5::type_of<typename std::decay_t<decltype(v)>::value_type>(); },
      column);
}
const void* data_of(const Column& column) {
  return std::visit([](const auto& v) -> const void* { return v.data(); }, column);
}

// A series group with its year scale; the caller adds the entity scale and the datasets.
SeriesGroup series_group(hid_t file, const char* name) {
  SeriesGroup g;
  g.group = h5::create_group(file, name);
  g.year = std::make_unique<h5::Appendable>(g.group, "year", H5T_NATIVE_INT32, 0, 64);
  h5::describe(g.year->id(), "calendar year", "year in which the planning year starts");
  h5::make_scale(g.year->id(), "year");
  return g;
}

}  // namespace

struct RunRecorder::State {
  std::optional<TemporaryFile> output;  // none: the file is in memory
  h5::Handle file;
  std::array<SeriesGroup, 3> groups;
  SeriesGroup edges;  // trust on each relationship by year (none in a world without edges)
  std::unique_ptr<h5::Appendable> member_row, member_year, member_collaborative,
      member_organisation;
  AsyncWriter writer;
  bool finished = false;

  State(const std::filesystem::path& path, std::size_t capacity) : writer(capacity) {
    if (!path.empty()) output.emplace(path);
  }
};

RunRecorder::RunRecorder(const std::filesystem::path& path, const World& w,
                         const Provenance& provenance, std::size_t queue_capacity)
    : state_(std::make_unique<State>(path, queue_capacity)) {
  auto& s = *state_;
  h5::quiet();
  if (path.empty()) {  // in memory
    static std::atomic<std::uint64_t> files{0};
    s.file = h5::create_memory_file("icsim-run-" + std::to_string(::getpid()) + "-" +
                                    std::to_string(files++));
  } else {
    s.file = h5::create_file(s.output->path().string());
  }
  try {
    write_provenance(s.file, provenance, w.params.seed);
    write_parameter_registry(s.file);
    write_static_tables(s.file, w);
    static constexpr std::array<const char*, 3> names{"timeseries/organisation",
                                                      "timeseries/system", "timeseries/national"};
    const std::array<const std::vector<std::string>*, 3> labels{&w.orgs.code, &w.systems.code,
                                                                nullptr};
    const std::array<const char*, 3> dimension{"organisation", "system", ""};
    for (int level = 0; level < 3; ++level) {
      auto& g = s.groups[level];
      g = series_group(s.file, names[level]);
      if (labels[level]) {
        g.entity = h5::write_strings(g.group, dimension[level], *labels[level]);
        h5::describe(g.entity, "-", std::string(dimension[level]) + " code");
        h5::make_scale(g.entity, dimension[level]);
      }
      const std::size_t width = labels[level] ? labels[level]->size() : 0;
      for (const auto& m : metrics()) {
        if (static_cast<int>(m.level) != level) continue;
        const hid_t type = memory_type(m.compute(w));
        auto set = std::make_unique<h5::Appendable>(g.group, m.name, type, width, 1);
        h5::describe(set->id(), m.unit, m.description);
        h5::set_attribute(set->id(), "role", std::string(name_of(m.role)));
        h5::attach_scale(set->id(), g.year->id(), 0);
        if (width) h5::attach_scale(set->id(), g.entity, 1);
        g.data.emplace(m.name, std::move(set));
      }
    }
    // The relationship graph of any year (edges as in /edges), as the run report draws it;
    // run.record_edge_trust = false leaves it out.
    if (!w.trust.empty() && w.params.record_edge_trust) {
      auto& e = s.edges;
      e = series_group(s.file, "timeseries/edge");
      std::vector<std::int64_t> edge(w.trust.size());
      std::iota(edge.begin(), edge.end(), std::int64_t{0});
      e.entity = h5::write_vector<std::int64_t>(e.group, "edge", edge);
      h5::describe(e.entity, "index", "edge in /edges");
      h5::make_scale(e.entity, "edge");
      auto trust =
          std::make_unique<h5::Appendable>(e.group, "trust", H5T_NATIVE_DOUBLE, w.trust.size(), 1);
      h5::describe(trust->id(), "0-1", "trust on the relationship at the end of the year");
      h5::set_attribute(trust->id(), "role", std::string(name_of(Role::detail)));
      h5::attach_scale(trust->id(), e.year->id(), 0);
      h5::attach_scale(trust->id(), e.entity, 1);
      e.data.emplace("trust", std::move(trust));
    }
    h5::Handle membership = h5::create_group(s.file, "collaboratives/membership");
    h5::set_attribute(membership, "description",
                      std::string("collaborative membership per year: one row per (year, "
                                  "collaborative, member organisation)"));
    s.member_year = std::make_unique<h5::Appendable>(membership, "year", H5T_NATIVE_INT32, 0, 4096);
    s.member_collaborative =
        std::make_unique<h5::Appendable>(membership, "collaborative", H5T_NATIVE_INT32, 0, 4096);
    s.member_organisation =
        std::make_unique<h5::Appendable>(membership, "organisation", H5T_NATIVE_INT32, 0, 4096);
    h5::describe(s.member_year->id(), "calendar year", "year of the membership");
    h5::describe(s.member_collaborative->id(), "index", "collaborative in /collaboratives");
    h5::describe(s.member_organisation->id(), "index", "member organisation in /organisations");
    // The row number is the scale of the group's one dimension, so that xarray (h5netcdf) opens
    // it: without a scale, h5netcdf takes `collaborative` for /collaboratives' dimension.
    s.member_row =
        std::make_unique<h5::Appendable>(membership, "membership", H5T_NATIVE_INT64, 0, 4096);
    h5::describe(s.member_row->id(), "index", "row of the membership table");
    h5::make_scale(s.member_row->id(), "membership");
    for (const auto* set : {&s.member_year, &s.member_collaborative, &s.member_organisation})
      h5::attach_scale((*set)->id(), s.member_row->id(), 0);
    h5::check(H5Fflush(s.file, H5F_SCOPE_GLOBAL), "cannot write");
  } catch (...) {
    s.file.reset();  // before State's end removes the temporary
    throw;
  }
}

RunRecorder::RunRecorder(const World& w, const Provenance& provenance, std::size_t queue_capacity)
    : RunRecorder(std::filesystem::path(), w, provenance, queue_capacity) {}

RunRecorder::~RunRecorder() {
  if (!state_ || state_->finished || !state_->output) return;  // in memory: members close
  try {
    state_->writer.finish();
  } catch (...) {  // already failing: the temporary file goes
  }
  state_->groups = {};
  state_->edges = {};
  state_->member_row.reset();
  state_->member_year.reset();
  state_->member_collaborative.reset();
  state_->member_organisation.reset();
  state_->file.reset();  // the temporary goes with State
}

const std::filesystem::path& RunRecorder::temporary_path() const {
  static const std::filesystem::path in_memory;
  return state_->output ? state_->output->path() : in_memory;
}

void RunRecorder::record(const World& w) {
  // Snapshot on the simulation thread; the writer thread does the HDF5 work.
  struct Frame {
    std::int32_t year;
    std::vector<std::pair<const Metric*, Column>> columns;
    std::vector<std::int32_t> collaborative, organisation;
    std::vector<double> trust;
  };
  auto frame = std::make_shared<Frame>();
  frame->year = static_cast<std::int32_t>(w.params.first_year + w.year);
  for (const auto& m : metrics()) frame->columns.emplace_back(&m, m.compute(w));
  if (state_->edges.year) frame->trust = w.trust;
  const auto& cand = w.collaboratives.candidates;
  for (std::size_t k = 0; k < cand.items.size(); ++k)
    if (w.current.member[k]) {
      frame->collaborative.push_back(static_cast<std::int32_t>(w.collaborative_of_slot[k]));
      frame->organisation.push_back(static_cast<std::int32_t>(cand.items[k]));
    }
  State* s = state_.get();
  s->writer.submit([s, frame] {
    for (auto& g : s->groups) g.year->append(std::span<const std::int32_t>(&frame->year, 1));
    if (s->edges.year) {
      s->edges.year->append(std::span<const std::int32_t>(&frame->year, 1));
      s->edges.data.at("trust")->append(std::span<const double>(frame->trust));
    }
    for (const auto& [metric, column] : frame->columns)
      s->groups[static_cast<int>(metric->level)]
          .data.at(metric->name)
          ->append(data_of(column), 1, memory_type(column));
    const std::vector<std::int32_t> years(frame->collaborative.size(), frame->year);
    std::vector<std::int64_t> rows(frame->collaborative.size());
    std::iota(rows.begin(), rows.end(), static_cast<std::int64_t>(s->member_row->rows()));
    s->member_row->append(std::span<const std::int64_t>(rows));
    s->member_year->append(std::span<const std::int32_t>(years));
    s->member_collaborative->append(std::span<const std::int32_t>(frame->collaborative));
    s->member_organisation->append(std::span<const std::int32_t>(frame->organisation));
    h5::check(H5Fflush(s->file, H5F_SCOPE_GLOBAL), "cannot write");
  });
}

void RunRecorder::finish() {
  auto& s = *state_;
  if (!s.output) throw std::logic_error("RunRecorder::finish: the file is in memory");
  s.writer.finish();
  s.groups = {};
  s.edges = {};
  s.member_row.reset();
  s.member_year.reset();
  s.member_collaborative.reset();
  s.member_organisation.reset();
  h5::check(H5Fflush(s.file, H5F_SCOPE_GLOBAL), "cannot write");
  h5::close_file(s.file);
  s.output->commit();
  s.finished = true;
}

void RunRecorder::note(const std::string& name, const std::string& text) {
  State* s = state_.get();
  s->writer.submit([s, name, text] { h5::set_attribute(s->file, name, text); });
}

std::vector<char> RunRecorder::image() {
  state_->writer.drain();
  return h5::file_image(state_->file);
}

void RunRecorder::save(const std::filesystem::path& path) {
  h5::save_image(image(), path.string());
}

}  // namespace icsim
