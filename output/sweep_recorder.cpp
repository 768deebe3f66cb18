#include "output/sweep_recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "output/chunk_codec.hpp"
#include "output/hdf5.hpp"
#include "output/writer.hpp"

// Crash safety without journaling. HDF5 1.10 updates a file in place and may leave it unreadable
// if the process dies mid-write, so the sweep file itself is never written: OUT.h5 is only ever
// replaced whole by rename(2), which is atomic, and always names a closed, complete file. Two
// files take turns. Runs are appended to a working file (OUT.h5.next); a commit closes it, keeps
// the current OUT.h5 alive under a second name with link(2), renames the working file over
// OUT.h5, and makes the old file the new working file by appending to it the runs it lacks (the
// batch just committed, held in memory until then, compressed). Every run is written twice but
// compressed once, and no commit copies the file, so a commit costs the same however large the
// sweep grows, and memory holds at most one batch. A reader that has the old file open keeps it:
// HDF5's file lock then refuses us, and the working file is made by copying OUT.h5 instead (as also
// where hard links fail).

namespace icsim {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::array<const char*, 3> level_names{"organisation", "system", "national"};
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

hid_t memory_type(const Column& column) {
  return std::visit(
      [](const auto& v) { return h5::type_of<typename std::decay_t<decltype(v)>::value_type>(); },
      column);
}
std::size_t column_size(const Column& column) {
  return std::visit([](const auto& v) { return v.size(); }, column);
}

// What a failed run's series hold: NaN, or an impossible count or flag; also _FillValue.
std::vector<std::byte> fill_of(hid_t type) {
  const auto bytes = [](auto value) {
    std::vector<std::byte> out(sizeof value);
    std::memcpy(out.data(), &value, sizeof value);
    return out;
  };
  if (H5Tequal(type, H5T_NATIVE_DOUBLE) > 0) return bytes(nan);
  if (H5Tequal(type, H5T_NATIVE_INT32) > 0) return bytes(std::int32_t{-1});
  if (H5Tequal(type, H5T_NATIVE_UINT8) > 0) return bytes(std::uint8_t{255});
  return bytes(std::int64_t{-1});
}

// An extendible dataset [run, shape...] that grows along its first dimension, the runs.
class Rows {
 public:
  Rows(hid_t group, const std::string& name, hid_t type, const std::vector<hsize_t>& shape,
       const std::vector<std::byte>* fill)
      : name_(name) {
    std::vector<hsize_t> dims{0};
    dims.insert(dims.end(), shape.begin(), shape.end());
    std::vector<hsize_t> max = dims, chunk = dims;
    max[0] = H5S_UNLIMITED;
    hsize_t row_bytes = H5Tget_size(type);
    for (const auto d : shape) row_bytes *= std::max<hsize_t>(d, 1);
    // About 64 KiB a chunk, so that a chunk being filled stays in HDF5's 1 MiB chunk cache.
    chunk[0] = std::clamp<hsize_t>((64u << 10) / row_bytes, 1, 4096);
    for (std::size_t i = 1; i < chunk.size(); ++i) chunk[i] = std::max<hsize_t>(chunk[i], 1);
    const int rank = static_cast<int>(dims.size());
    h5::Handle space(h5::check(H5Screate_simple(rank, dims.data(), max.data()), name));
    h5::Handle plist(h5::check(H5Pcreate(H5P_DATASET_CREATE), name));
    h5::check(H5Pset_chunk(plist, rank, chunk.data()), "chunking " + name);
    h5::check(H5Pset_shuffle(plist), "shuffle filter");
    // The filters a reader applies. ChunkedRows compresses the fixed-size datasets' chunks
    // itself (h5::ChunkEncoder); HDF5 compresses only the string columns' heap references.
    h5::check(H5Pset_deflate(plist, 1), "deflate filter");
    if (fill) h5::check(H5Pset_fill_value(plist, type, fill->data()), "fill value of " + name);
    set_ = h5::Handle(
        h5::check(H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, plist, H5P_DEFAULT),
                  "cannot create dataset " + name));
    if (fill) {  // the netCDF convention, so that xarray masks failed runs
      h5::Handle scalar(h5::check(H5Screate(H5S_SCALAR), name));
      h5::Handle attr(
          h5::check(H5Acreate2(set_, "_FillValue", type, scalar, H5P_DEFAULT, H5P_DEFAULT), name));
      h5::check(H5Awrite(attr, type, fill->data()), "_FillValue of " + name);
    }
  }
  Rows(hid_t file, const std::string& path) : name_(path) {
    set_ = h5::Handle(h5::check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "cannot open " + path));
  }

  void append(const void* data, hsize_t rows, hid_t type, hid_t transfer) {
    h5::append_rows(set_, data, rows, type, name_, transfer);
  }
  hid_t id() const { return set_.get(); }

 private:
  h5::Handle set_;
  std::string name_;
};

// The rows of a fixed-size dataset on their way to the files. The chunk being filled is kept in
// memory; a chunk is compressed once, when full (or, partly filled, at a commit), written raw to
// the working file, and kept until the next commit, which writes the same bytes to the spare
// file. HDF5 would compress it again for the spare file, and again whenever a partly filled
// chunk is read back to be completed: that was most of the writer thread's time.
class ChunkedRows {
 public:
  ChunkedRows(hid_t set, std::size_t element_size, std::vector<std::byte> fill_element)
      : element_size_(element_size) {
    h5::Handle plist(h5::check(H5Dget_create_plist(set), "dataset creation properties"));
    h5::Handle space(h5::check(H5Dget_space(set), "dataspace"));
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank)), dims(chunk.size());
    h5::check(H5Pget_chunk(plist, rank, chunk.data()), "chunk shape");
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    chunk_rows_ = chunk[0];
    row_bytes_ = element_size;
    for (std::size_t d = 1; d < dims.size(); ++d) {
      if (chunk[d] != dims[d])
        throw h5::Error("a chunk of the sweep file does not span whole rows");
      row_bytes_ *= dims[d];
    }
    rows_ = dims[0];
    extent_ = dims;
    offset_.assign(dims.size(), 0);
    tail_.resize(chunk_rows_ * row_bytes_);
    fill_ = std::move(fill_element);
    if (fill_.empty()) fill_.assign(element_size, std::byte{0});
  }

  // Takes up a file's rows: the chunk it was filling comes back to memory.
  void resume(hid_t set) {
    const hsize_t partial = rows_ % chunk_rows_;
    if (partial == 0) return;
    const h5::RowSelection last = h5::select_rows(set, rows_ - partial, partial, "the last rows");
    h5::Handle stored(h5::check(H5Dget_type(set), "datatype"));
    h5::Handle type(h5::check(H5Tget_native_type(stored, H5T_DIR_ASCEND), "datatype"));
    h5::check(H5Dread(set, type, last.memory_space, last.file_space, H5P_DEFAULT, tail_.data()),
              "cannot read the last rows back");
  }

  // Appends rows laid out one after another; writes each chunk they complete.
  void append(hid_t set, const std::byte* data, hsize_t rows, h5::ChunkEncoder& encoder) {
    if (rows == 0) return;
    const std::vector<hsize_t> grown = dims(rows_ + rows);
    h5::check(H5Dset_extent(set, grown.data()), "cannot extend a dataset");
    while (rows > 0) {
      const hsize_t at = rows_ % chunk_rows_, take = std::min(rows, chunk_rows_ - at);
      std::memcpy(tail_.data() + at * row_bytes_, data, take * row_bytes_);
      data += take * row_bytes_;
      rows -= take;
      rows_ += take;
      if (rows_ % chunk_rows_ == 0)
        write_chunk(set, rows_ / chunk_rows_ - 1, h5::ChunkEncoder::Mode::learn, encoder);
    }
  }

  // Writes the chunk being filled, the rest of it fill values, so that the file holds every row:
  // uncompressed unless `last` (a later write replaces it), so that commits cost little.
  void write_partial(hid_t set, bool last, h5::ChunkEncoder& encoder) {
    const hsize_t partial = rows_ % chunk_rows_;
    if (partial == 0) return;
    for (std::size_t b = partial * row_bytes_; b < tail_.size(); b += element_size_)
      std::memcpy(tail_.data() + b, fill_.data(), element_size_);
    write_chunk(set, rows_ / chunk_rows_,
                last ? h5::ChunkEncoder::Mode::follow : h5::ChunkEncoder::Mode::store, encoder);
  }

  // Brings a file that holds the rows of the last commit up to date; forgets the chunks.
  void replay(hid_t set) {
    const std::vector<hsize_t> grown = dims(rows_);
    h5::check(H5Dset_extent(set, grown.data()), "cannot extend a dataset");
    for (const auto& [index, at] : carry_) write_raw(set, index, at);
    forget();
  }
  void forget() {  // keeps the blocks' memory: fresh pages cost a fault every 4 KiB
    carry_.clear();
    for (auto& b : blocks_) b.clear();
    block_ = 0;
  }
  std::size_t carry_bytes() const {
    std::size_t n = 0;
    for (const auto& b : blocks_) n += b.size();
    return n;
  }

 private:
  std::vector<hsize_t> dims(hsize_t rows) const {
    std::vector<hsize_t> out = extent_;
    out[0] = rows;
    return out;
  }
  // A chunk rewritten before the next commit (the partial one of the last) leaves its old bytes
  // in its block until then; the map points at the newest.
  struct Span {
    std::size_t block, offset, size;
  };
  void write_chunk(hid_t set, hsize_t index, h5::ChunkEncoder::Mode mode,
                   h5::ChunkEncoder& encoder) {
    // Blocks of at least 1 MiB, filled in turn and never moved: a growing vector would copy.
    const std::size_t room = h5::ChunkEncoder::bound(tail_.size(), element_size_);
    while (block_ < blocks_.size() && blocks_[block_].capacity() - blocks_[block_].size() < room)
      ++block_;
    if (block_ == blocks_.size())
      blocks_.emplace_back().reserve(std::max<std::size_t>(room, 1u << 20));
    h5::Bytes& block = blocks_[block_];
    const std::size_t offset = block.size();
    const std::size_t size = encoder.encode(tail_, element_size_, choice_, mode, block);
    carry_[index] = Span{block_, offset, size};
    write_raw(set, index, carry_[index]);
  }
  void write_raw(hid_t set, hsize_t index, Span at) {
    offset_[0] = index * chunk_rows_;
    h5::check(H5Dwrite_chunk(set, H5P_DEFAULT, 0, offset_.data(), at.size,
                             blocks_[at.block].data() + at.offset),
              "cannot write a chunk");
  }

  std::size_t element_size_ = 0;
  hsize_t chunk_rows_ = 1, row_bytes_ = 0, rows_ = 0;
  std::vector<hsize_t> extent_, offset_;  // the dataset's shape; a chunk's offset, in elements
  std::vector<std::byte> tail_, fill_;
  h5::PlaneChoice choice_;
  std::map<hsize_t, Span> carry_;  // the encoded chunks the spare file lacks, in blocks_
  std::vector<h5::Bytes> blocks_;
  std::size_t block_ = 0;  // the block being filled
};

// One dataset of the sweep file that gains a row per run, and how a run fills its row.
struct Entry {
  std::string group, name;
  hid_t type = -1;                  // native type; -1: variable-length string
  std::vector<hsize_t> shape;       // beyond the run dimension
  std::vector<std::string> scales;  // dimension scale of each dimension after the first
  std::string units, description;
  bool fill = false;
  std::function<void(const RunRow&, std::vector<std::byte>&)> put;   // appends one row
  std::vector<std::pair<std::string, std::string>> attributes = {};  // a metric's role, ...

  std::string path() const { return group + "/" + name; }
  hsize_t elements() const {
    hsize_t n = 1;
    for (const auto d : shape) n *= d;
    return n;
  }
};

template <class T>
void put_value(std::vector<std::byte>& out, T value) {
  const auto* p = reinterpret_cast<const std::byte*>(&value);
  out.insert(out.end(), p, p + sizeof value);
}

std::vector<Entry> layout(const SweepFileInfo& info, const SweepSchema& schema,
                          const std::array<std::size_t, 3>& widths, std::size_t years) {
  std::vector<Entry> out;
  const auto run_scale = [&](const std::string& group) {
    out.push_back({group,
                   "run",
                   H5T_NATIVE_INT64,
                   {},
                   {},
                   "index",
                   "run index in the sweep: point * replications + replication",
                   false,
                   [](const RunRow& r, auto& b) { put_value(b, r.run); }});
  };
  run_scale("runs");
  const auto index_column = [&](const char* name, const char* description,
                                std::int64_t RunRow::*field) {
    out.push_back({"runs",
                   name,
                   H5T_NATIVE_INT64,
                   {},
                   {},
                   "index",
                   description,
                   false,
                   [field](const RunRow& r, auto& b) { put_value(b, r.*field); }});
  };
  index_column("point", "design point of the run", &RunRow::point);
  index_column("replication", "replication of the design point", &RunRow::replication);
  out.push_back({"runs",
                 "seed",
                 H5T_NATIVE_INT64,
                 {},
                 {},
                 "-",
                 "run.seed of the run, derived from (sweep seed, point, replication), or "
                 "(sweep seed, seed block, replication) under common_seeds: `icsim run --seed` "
                 "with the run's parameters re-runs it alone",
                 false,
                 [](const RunRow& r, auto& b) { put_value(b, r.seed); }});
  out.push_back({"runs",
                 "status",
                 -1,
                 {},
                 {},
                 "-",
                 "ok, or failed (see message)",
                 false,
                 [](const RunRow& r, auto& b) {
                   put_value(b, static_cast<const char*>(r.error.empty() ? "ok" : "failed"));
                 }});
  out.push_back({"runs",
                 "message",
                 -1,
                 {},
                 {},
                 "-",
                 "why the run failed; empty if it did not",
                 false,
                 [](const RunRow& r, auto& b) { put_value(b, r.error.c_str()); }});
  for (std::size_t j = 0; j < info.parameters.size(); ++j) {
    const RunColumn& column = info.parameters[j];
    Entry e{"runs", column.name, -1, {}, {}, column.unit, column.description, false, {}};
    switch (column.type) {
      case ParamType::real:
        e.type = H5T_NATIVE_DOUBLE;
        e.put = [j](const RunRow& r, auto& b) { put_value(b, std::get<double>(r.parameters[j])); };
        break;
      case ParamType::integer:
        e.type = H5T_NATIVE_INT64;
        e.put = [j](const RunRow& r, auto& b) {
          put_value(b, std::get<std::int64_t>(r.parameters[j]));
        };
        break;
      case ParamType::boolean:
        e.type = H5T_NATIVE_UINT8;
        e.put = [j](const RunRow& r, auto& b) {
          put_value(b, static_cast<std::uint8_t>(std::get<bool>(r.parameters[j])));
        };
        break;
      case ParamType::choice:
      case ParamType::text:
        e.put = [j](const RunRow& r, auto& b) {
          put_value(b, std::get<std::string>(r.parameters[j]).c_str());
        };
        break;
    }
    out.push_back(std::move(e));
  }
  if (schema.record.summary) {
    run_scale("summary");
    for (std::size_t i = 0; i < schema.summaries.size(); ++i) {
      const auto& s = schema.summaries[i];
      const bool final_year = s.statistic == SweepSchema::Statistic::final_year;
      out
          .push_back(
              {"summary",
               s.name,
               H5T_NATIVE_DOUBLE,
               {},
               {},
               s.unit,
               s.description,
               true,
               [i](const RunRow& r, auto& b) {
                 put_value(b, r.summaries.empty() ? nan : r.summaries[i]);
               },
               // A summary of a registry metric says which; others (a calibration's
               // targets) describe themselves.
               s.metric ? std::vector<std::pair<
                              std::string,
                              std::string>>{{"role", std::string(name_of(s.metric->role))},
                                            {"metric", s.metric->name},
                                            {"level",
                                             level_names[static_cast<std::size_t>(s.metric->level)]},
                                            {"statistic", final_year ? "final_year" : "run_mean"}}
                        : std::vector<std::pair<std::string, std::string>>{}});
    }
  }
  for (std::size_t level = 0; level < 3; ++level) {
    if (schema.series[level].empty()) continue;
    const std::string group = std::string("timeseries/") + level_names[level];
    run_scale(group);
    const bool national = level == static_cast<std::size_t>(Level::national);
    std::vector<hsize_t> shape{years};
    std::vector<std::string> scales{"year"};
    if (!national) {
      shape.push_back(widths[level]);
      scales.emplace_back(level_names[level]);
    }
    for (std::size_t i = 0; i < schema.series[level].size(); ++i) {
      const Metric& m = *schema.series[level][i];
      Entry e{group,  m.name,        -1,   shape, scales,
              m.unit, m.description, true, {},    {{"role", std::string(name_of(m.role))}}};
      out.push_back(std::move(e));
    }
  }
  return out;
}

// Series entries take their type from the metric's column on the base world, and fill a failed
// run's row with the fill value.
void type_series(std::vector<Entry>& entries, const SweepSchema& schema, const World& base) {
  for (auto& e : entries) {
    if (e.type != -1 || !e.group.starts_with("timeseries/")) continue;
    std::size_t level = 0;
    while (e.group != std::string("timeseries/") + level_names[level]) ++level;
    const auto& list = schema.series[level];
    const auto it =
        std::find_if(list.begin(), list.end(), [&](const Metric* m) { return m->name == e.name; });
    const std::size_t i = static_cast<std::size_t>(it - list.begin());
    e.type = memory_type((*it)->compute(base));
    const std::vector<std::byte> fill = fill_of(e.type);
    const std::size_t bytes = e.elements() * H5Tget_size(e.type);
    e.put = [level, i, fill, bytes, path = e.path()](const RunRow& r, auto& b) {
      if (r.series[level].empty()) {
        for (std::size_t k = 0; k < bytes / fill.size(); ++k)
          b.insert(b.end(), fill.begin(), fill.end());
        return;
      }
      const Column& c = r.series[level][i];
      const std::size_t size = column_size(c) * H5Tget_size(memory_type(c));
      if (size != bytes)
        throw h5::Error(path + ": run " + std::to_string(r.run) + " has " + std::to_string(size) +
                        " bytes, not " + std::to_string(bytes));
      const auto* p =
          std::visit([](const auto& v) { return reinterpret_cast<const std::byte*>(v.data()); }, c);
      b.insert(b.end(), p, p + size);
    };
  }
}

void sync(const fs::path& path, bool directory) {
  // Durability against a crash of the machine, not only of the process; best effort.
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

fs::path directory_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

fs::path with_suffix(const fs::path& path, const char* suffix) {
  fs::path p = path;
  p += suffix;
  return p;
}

}  // namespace

// --- schema and capture ---------------------------------------------------------------------

SweepSchema::SweepSchema(const SweepRecord& r) : record(r) {
  const std::array<bool, 3> wanted{r.organisation, r.system, r.national};
  for (const auto& m : metrics()) {
    const auto level = static_cast<std::size_t>(m.level);
    if (wanted[level]) series[level].push_back(&m);
    if (!r.summary || m.level == Level::organisation) continue;
    if (m.level == Level::national) {
      summaries.push_back({&m, Statistic::final_year, "final_" + m.name, m.unit,
                           m.description + ", in the run's final year"});
      summaries.push_back({&m, Statistic::run_mean, "mean_" + m.name, m.unit,
                           m.description + ", mean over the run's years"});
    } else {
      const std::string unit = m.unit == "flag" ? "fraction of systems" : m.unit;
      summaries.push_back({&m, Statistic::final_year, "final_system_" + m.name, unit,
                           m.description + ": mean over systems in the run's final year"});
      summaries.push_back({&m, Statistic::run_mean, "mean_system_" + m.name, unit,
                           m.description + ": mean over systems and over the run's years"});
    }
  }
}

std::size_t RunRow::bytes() const {
  std::size_t n = sizeof(RunRow) + error.size() + summaries.size() * sizeof(double);
  for (const auto& v : parameters)
    if (const auto* s = std::get_if<std::string>(&v)) n += s->size();
  for (const auto& level : series)
    for (const auto& c : level) n += column_size(c) * H5Tget_size(memory_type(c));
  return n;
}

namespace {
std::size_t capacity_bytes(const Column& c) {
  return std::visit(
      [](const auto& v) {
        return v.capacity() * sizeof(typename std::decay_t<decltype(v)>::value_type);
      },
      c);
}
}  // namespace

Column SeriesPool::take(const Column& like, std::size_t size) {
  {
    std::lock_guard lock(mutex_);
    // The smallest kept column of the type that holds `size` values.
    const auto at = free_.lower_bound({like.index(), size});
    if (at != free_.end() && at->first.first == like.index()) {
      Column out = std::move(at->second.back());
      at->second.pop_back();
      if (at->second.empty()) free_.erase(at);
      bytes_ -= capacity_bytes(out);
      return out;
    }
  }
  return std::visit(
      [&](const auto& typed) -> Column {
        std::decay_t<decltype(typed)> fresh;
        fresh.reserve(size);
        return fresh;
      },
      like);
}

void SeriesPool::give(std::array<std::vector<Column>, 3>& series) {
  std::lock_guard lock(mutex_);
  for (auto& level : series)
    for (auto& c : level) {
      std::visit([](auto& v) { v.clear(); }, c);
      const std::size_t bytes = capacity_bytes(c);
      if (bytes == 0 || bytes_ + bytes > max_bytes) continue;
      bytes_ += bytes;
      const std::size_t capacity = std::visit([](const auto& v) { return v.capacity(); }, c);
      free_[{c.index(), capacity}].push_back(std::move(c));
    }
  series = {};
}

RunCapture::RunCapture(const SweepSchema& schema, std::size_t years,
                       const std::array<std::size_t, 3>& widths, SeriesPool* pool)
    : schema_(schema), years_(years), widths_(widths), pool_(pool) {
  for (const auto& s : schema.summaries)
    if (std::find(summarised_.begin(), summarised_.end(), s.metric) == summarised_.end())
      summarised_.push_back(s.metric);
  sum_.assign(summarised_.size(), 0.0);
  last_.assign(summarised_.size(), nan);
  summarised_seen_.assign(summarised_.size(), false);
  for (std::size_t level = 0; level < 3; ++level)
    series_[level].resize(schema.series[level].size());
}

namespace {

// A metric's values this year: in place where the world holds them, else computed into `scratch`.
ColumnView values_of(const Metric& metric, const World& w, Column& scratch) {
  if (metric.view) return metric.view(w);
  scratch = metric.compute(w);
  return std::visit([](const auto& v) -> ColumnView { return std::span(v); }, scratch);
}

double view_mean(const ColumnView& view) {
  return std::visit(
      [](const auto& v) {
        double total = 0;
        for (const auto x : v) total += static_cast<double>(x);
        return v.empty() ? nan : total / static_cast<double>(v.size());
      },
      view);
}

}  // namespace

void RunCapture::record(const World& w) {
  // A metric both summarised and recorded as a series is read once, and not copied but into
  // the run's series.
  std::fill(summarised_seen_.begin(), summarised_seen_.end(), false);
  const auto summarise = [&](std::size_t i, const ColumnView& values) {
    const double value = view_mean(values);
    sum_[i] += value;
    last_[i] = value;
    summarised_seen_[i] = true;
  };
  Column scratch;
  for (std::size_t level = 0; level < 3; ++level)
    for (std::size_t i = 0; i < schema_.series[level].size(); ++i) {
      const Metric* metric = schema_.series[level][i];
      const ColumnView values = values_of(*metric, w, scratch);
      const std::size_t size = std::visit([](const auto& v) { return v.size(); }, values);
      if (size != widths_[level])
        throw std::runtime_error("the run has " + std::to_string(size) + " " + level_names[level] +
                                 "s, the sweep's tables " + std::to_string(widths_[level]) +
                                 ": an axis changes the population");
      const auto summary = std::find(summarised_.begin(), summarised_.end(), metric);
      if (summary != summarised_.end())
        summarise(static_cast<std::size_t>(summary - summarised_.begin()), values);
      std::visit(
          [&](const auto& in) {
            using T = typename std::decay_t<decltype(in)>::value_type;
            using Vector = std::vector<std::remove_const_t<T>>;
            auto& target = series_[level][i];
            if (seen_ == 0) {
              if (pool_) {
                target = pool_->take(Vector{}, years_ * size);
              } else {
                target = Vector();
                std::get<Vector>(target).reserve(years_ * size);
              }
            }
            auto& out = std::get<Vector>(target);
            out.insert(out.end(), in.begin(), in.end());
          },
          values);
    }
  for (std::size_t i = 0; i < summarised_.size(); ++i)
    if (!summarised_seen_[i]) summarise(i, values_of(*summarised_[i], w, scratch));
  ++seen_;
}

void RunCapture::finish(RunRow& row) {
  const bool any_series = std::any_of(schema_.series.begin(), schema_.series.end(),
                                      [](const auto& s) { return !s.empty(); });
  if (any_series && seen_ != years_)
    throw std::runtime_error("the run simulated " + std::to_string(seen_) + " years, not " +
                             std::to_string(years_));
  row.summaries.clear();
  for (const auto& s : schema_.summaries) {
    const auto i = static_cast<std::size_t>(
        std::find(summarised_.begin(), summarised_.end(), s.metric) - summarised_.begin());
    row.summaries.push_back(s.statistic == SweepSchema::Statistic::final_year
                                ? last_[i]
                                : (seen_ ? sum_[i] / static_cast<double>(seen_) : nan));
  }
  row.series = std::move(series_);
}

// --- the recorder -----------------------------------------------------------------------------

struct SweepRecorder::State {
  fs::path path, working, spare;
  std::vector<Entry> entries;
  Options options;
  h5::Handle file, string_type, string_transfer = h5::string_transfer();
  std::vector<std::unique_ptr<Rows>> sets;  // parallel to entries
  std::vector<std::byte> buffer;

  // What the spare file lacks: compressed chunks (in `chunked`) and the text of string columns.
  std::vector<std::unique_ptr<ChunkedRows>> chunked;  // parallel to entries; null for strings
  std::vector<std::vector<std::string>> carry_text;   // parallel to entries
  std::size_t carry_text_bytes = 0;
  h5::ChunkEncoder encoder;
  SeriesPool pool;
  std::uint64_t written = 0;  // rows accepted: in the working file, or pending for it
  // Rows not yet in the working file. They are written in batches: each write to each of the
  // ~80 datasets costs an extend and a chunk lookup, far more than a row's data.
  std::vector<std::shared_ptr<RunRow>> pending;
  std::size_t pending_bytes = 0;
  static constexpr std::size_t batch_rows = 64, batch_bytes = 8u << 20;
  std::atomic<std::uint64_t> committed{0};
  Clock::time_point last_commit = Clock::now();
  std::optional<OutputLock> output_lock;
  bool refreshed = false;  // resumed with new attributes, which a commit must carry

  // Runs added but not yet handed to the writer: handing over a few at a time spares the
  // simulation threads a wake-up of the writer (a system call) for every run.
  std::vector<std::shared_ptr<RunRow>> outbox;
  std::size_t outbox_rows = 8;  // 1 when every run is committed on its own
  std::mutex outbox_mutex;

  AsyncWriter writer;
  std::thread timer;
  std::mutex timer_mutex, handover;
  std::condition_variable timer_wake;
  bool stop_timer = false, finished = false;

  explicit State(const Options& o)
      : options(o), writer(std::max<std::size_t>(o.queue_capacity, 1)) {}
  // The working files go with the lock, also when the recorder could not start (a full disk):
  // OUT.h5 alone is the truth, and it holds every run committed. Then the lock goes (a member).
  ~State() {
    if (!output_lock) return;  // another icsim's files, or none
    std::error_code ignored;
    fs::remove(working, ignored);
    fs::remove(spare, ignored);
    fs::remove(with_suffix(path, ".new"), ignored);
  }

  void open_working() {
    file = h5::open_file(working.string(), true);
    sets.clear();
    for (const auto& e : entries) sets.push_back(std::make_unique<Rows>(file, e.path()));
  }
  // The in-memory side of the fixed-size datasets, from the working file just opened.
  void start_chunks(bool resume) {
    chunked.clear();
    carry_text.assign(entries.size(), {});
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      if (e.type == -1) {
        chunked.emplace_back();
        continue;
      }
      chunked.push_back(std::make_unique<ChunkedRows>(
          sets[i]->id(), H5Tget_size(e.type), e.fill ? fill_of(e.type) : std::vector<std::byte>{}));
      if (resume) chunked.back()->resume(sets[i]->id());
    }
  }
  // Opens the spare file, if nobody holds it, and brings it up to date.
  bool reuse_spare() {
    try {
      open_working();
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (chunked[i]) {
          chunked[i]->replay(sets[i]->id());
          continue;
        }
        std::vector<const char*> text;
        for (const auto& t : carry_text[i]) text.push_back(t.c_str());
        sets[i]->append(text.data(), text.size(), string_type, string_transfer);
      }
      if (h5::shape(file, entries.front().path()).front() == written) return true;
    } catch (const h5::Error&) {  // locked by a reader, or not ours
    }
    close_working();
    return false;
  }
  void close_working() {
    sets.clear();
    if (file.get() < 0) return;
    h5::close_file(file);
  }

  void write(const std::vector<std::shared_ptr<RunRow>>& rows) {
    if (rows.empty()) return;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      buffer.clear();
      for (const auto& r : rows) entries[i].put(*r, buffer);
      if (chunked[i]) {
        chunked[i]->append(sets[i]->id(), buffer.data(), rows.size(), encoder);
        continue;
      }
      const auto* text = reinterpret_cast<const char* const*>(buffer.data());
      for (std::size_t k = 0; k < rows.size(); ++k) {
        carry_text[i].emplace_back(text[k]);
        carry_text_bytes += carry_text[i].back().size() + sizeof(std::string);
      }
      sets[i]->append(buffer.data(), rows.size(), string_type, string_transfer);
    }
  }
  void forget_carry() {
    for (auto& c : chunked)
      if (c) c->forget();
    for (auto& t : carry_text) t.clear();
    carry_text_bytes = 0;
  }
  std::size_t carry_bytes() const {
    std::size_t n = carry_text_bytes + pending_bytes;
    for (const auto& c : chunked)
      if (c) n += c->carry_bytes();
    return n;
  }

  void flush_pending() {
    write(pending);
    for (const auto& row : pending)
      if (row.use_count() == 1) pool.give(row->series);
    pending.clear();
    pending_bytes = 0;
  }

  void add(std::shared_ptr<RunRow> row) {
    pending_bytes += row->bytes();
    pending.push_back(std::move(row));
    ++written;
    if (pending.size() >= batch_rows || pending_bytes >= batch_bytes) flush_pending();
    maybe_commit();
  }

  void maybe_commit() {
    const double since = std::chrono::duration<double>(Clock::now() - last_commit).count();
    if ((written > committed.load() || refreshed) &&
        (since >= options.commit_interval || carry_bytes() >= options.carry_limit))
      commit();
  }

  // `last`: no further runs, so the old file is not brought up to date but removed.
  void commit(bool last = false) {
    flush_pending();
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (chunked[i]) chunked[i]->write_partial(sets[i]->id(), last, encoder);
    close_working();
    sync(working, false);
    std::error_code ignored;
    fs::remove(spare, ignored);
    const bool kept = ::link(path.c_str(), spare.c_str()) == 0;
    fs::rename(working, path);  // the atomic step
    sync(directory_of(path), true);
    committed.store(written);
    refreshed = false;
    last_commit = Clock::now();
    if (options.on_commit) options.on_commit(written);
    if (last) {
      fs::remove(spare, ignored);
      forget_carry();
      return;
    }
    if (kept) {
      fs::rename(spare, working);
      if (reuse_spare()) {
        forget_carry();
        return;
      }
    }
    fs::remove(working, ignored);
    fs::copy_file(path, working, fs::copy_options::overwrite_existing);
    open_working();
    forget_carry();
  }

  // Hands the runs added since the last call to the writer thread.
  void send_outbox() {
    std::vector<std::shared_ptr<RunRow>> batch;
    {
      std::lock_guard lock(outbox_mutex);
      batch.swap(outbox);
    }
    if (batch.empty()) return;
    // The rows were filled on other threads and reach the writer through TBB's queue, whose
    // synchronisation ThreadSanitizer cannot see (Debian's oneTBB is not instrumented): a
    // mutex released here and taken there makes the hand-over visible to it.
    { std::lock_guard publish(handover); }
    writer.submit([this, batch = std::move(batch)]() mutable {
      { std::lock_guard receive(handover); }
      for (auto& row : batch) add(std::move(row));  // the writer alone holds it then
    });
  }

  void run_timer() {
    const auto tick =
        std::chrono::duration<double>(std::clamp(options.commit_interval / 4, 0.05, 0.5));
    std::unique_lock lock(timer_mutex);
    while (!stop_timer) {
      timer_wake.wait_for(lock, tick, [&] { return stop_timer; });
      if (stop_timer) break;
      lock.unlock();
      try {
        send_outbox();
        writer.submit([this] { maybe_commit(); });
      } catch (...) {  // the writer failed; add() and finish() report it
        return;
      }
      lock.lock();
    }
  }
  void stop() {
    {
      std::lock_guard lock(timer_mutex);
      stop_timer = true;
    }
    timer_wake.notify_all();
    if (timer.joinable()) timer.join();
  }
};

namespace {

// Writes the complete, empty sweep file: provenance, static tables and every dataset.
void create_skeleton(const fs::path& target, const std::vector<Entry>& entries,
                     const SweepFileInfo& info, const World& base, hid_t string_type) {
  h5::Handle file = h5::create_file(target.string());
  write_provenance(file, info.provenance, info.seed);
  for (const auto& [name, value] : info.text_attributes) h5::set_attribute(file, name, value);
  for (const auto& [name, value] : info.number_attributes) h5::set_attribute(file, name, value);
  write_parameter_registry(file);
  if (base.size() > 0) write_static_tables(file, base);

  const std::int32_t first = static_cast<std::int32_t>(base.params.first_year);
  std::map<std::string, h5::Handle> groups, scales;
  const auto group_of = [&](const std::string& name) -> hid_t {
    auto it = groups.find(name);
    if (it == groups.end()) {
      it = groups.emplace(name, h5::create_group(file, name)).first;
      if (name != "runs" && name != "summary") {  // a series group: its year and entity scales
        const auto& year_entry = *std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
          return e.group == name && !e.shape.empty();
        });
        std::vector<std::int32_t> years(year_entry.shape[0]);
        for (std::size_t y = 0; y < years.size(); ++y)
          years[y] = first + static_cast<std::int32_t>(y);
        h5::Handle year = h5::write_vector<std::int32_t>(it->second, "year", years);
        h5::describe(year, "calendar year", "year in which the planning year starts");
        h5::make_scale(year, "year");
        scales.emplace(name + "/year", std::move(year));
        const std::string level = name.substr(name.find('/') + 1);
        const auto* codes = level == "organisation" ? &base.orgs.code
                            : level == "system"     ? &base.systems.code
                                                    : nullptr;
        if (codes) {
          h5::Handle entity = h5::write_strings(it->second, level, *codes);
          h5::describe(entity, "-", level + " code");
          h5::make_scale(entity, level);
          scales.emplace(name + "/" + level, std::move(entity));
        }
      }
    }
    return it->second;
  };
  std::vector<std::unique_ptr<Rows>> sets;
  for (const auto& e : entries) {
    const hid_t type = e.type == -1 ? string_type : e.type;
    const std::vector<std::byte> fill = e.fill ? fill_of(type) : std::vector<std::byte>{};
    sets.push_back(
        std::make_unique<Rows>(group_of(e.group), e.name, type, e.shape, e.fill ? &fill : nullptr));
    h5::describe(sets.back()->id(), e.units, e.description);
    for (const auto& [name, value] : e.attributes)
      h5::set_attribute(sets.back()->id(), name, value);
  }
  // Each group's run dataset is its first entry and the scale of its first dimension.
  std::map<std::string, hid_t> run_scale;
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i].name == "run" && !run_scale.count(entries[i].group)) {
      h5::make_scale(sets[i]->id(), "run");
      run_scale[entries[i].group] = sets[i]->id();
    }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (sets[i]->id() != run_scale[e.group]) h5::attach_scale(sets[i]->id(), run_scale[e.group], 0);
    for (std::size_t d = 0; d < e.scales.size(); ++d)
      h5::attach_scale(sets[i]->id(), scales.at(e.group + "/" + e.scales[d]),
                       static_cast<unsigned>(d + 1));
  }
  const auto describe_group = [&](const std::string& name, const std::string& text) {
    if (groups.count(name)) h5::set_attribute(groups.at(name), "description", text);
  };
  describe_group("runs", "one row per run: its indices, seed, status and the varied parameters");
  describe_group("summary",
                 "whole-run summaries of each run: final_* in the run's final year, "
                 "mean_* over its years; *_system_* are means over systems");
  for (const char* level : level_names)
    describe_group(std::string("timeseries/") + level,
                   std::string("yearly values of each run, per ") + level);
  sets.clear();
  scales.clear();
  groups.clear();
  h5::close_file(file);
}

// A resumed sweep's text attributes (its file's text, source and description) and command line
// as they are now: editing the description of a sweep does not change its runs.
void refresh_attributes(const fs::path& target, const SweepFileInfo& info) {
  h5::Handle file = h5::open_file(target.string(), true);
  for (const auto& [name, value] : info.text_attributes) h5::set_attribute(file, name, value);
  h5::set_attribute(file, "command_line", info.provenance.command_line);
  h5::set_attribute(file, "scenario_source", info.provenance.scenario_source);
  const herr_t closed = H5Fclose(file.get());
  file = h5::Handle();
  if (closed < 0) throw h5::Error("cannot close " + target.string() + ": " + h5::last_error());
}

}  // namespace

RunColumn RunColumn::varied(const ParamSpec& spec) {
  return {spec.name, spec.type, spec.unit, spec.meaning + " (varied by the sweep)"};
}

fs::path SweepRecorder::working_path(const fs::path& path) {
  return with_suffix(path, ".next");
}
fs::path SweepRecorder::spare_path(const fs::path& path) {
  return with_suffix(path, ".spare");
}

SweepRecorder::SweepRecorder(const fs::path& path, const SweepFileInfo& info,
                             const SweepSchema& schema, const World& base, Options options,
                             bool resume, std::optional<OutputLock> lock)
    : state_(std::make_unique<State>(options)) {
  // NaN compares false with every elapsed time: runs would never be committed.
  if (!(options.commit_interval >= 0) || !std::isfinite(options.commit_interval))
    throw std::invalid_argument("sweep recorder: commit_interval must be seconds, 0 or more");
  auto& s = *state_;
  h5::quiet();
  s.path = path;
  s.working = working_path(path);
  s.spare = spare_path(path);
  // One writer per sweep file: a second icsim (a requeued job while the first still runs) stops.
  if (lock) {
    s.output_lock = std::move(lock);
  } else {
    OutputLock::Failure failure{};
    std::string reason;
    s.output_lock = OutputLock::take(path, failure, reason);
    if (failure == OutputLock::Failure::held)
      throw h5::Error("another icsim is writing this sweep file (it holds " +
                      OutputLock::lock_path(path).string() + ")");
    if (!s.output_lock)
      throw h5::Error("cannot write " + OutputLock::lock_path(path).string() + ": " + reason);
  }
  s.string_type = h5::string_type();
  const std::array<std::size_t, 3> widths{base.orgs.size(), base.systems.size(), 1};
  s.entries = layout(info, schema, widths, static_cast<std::size_t>(base.params.years));
  type_series(s.entries, schema, base);

  std::error_code ignored;
  fs::remove(s.working, ignored);  // left by a killed sweep: OUT.h5 alone is the truth
  fs::remove(s.spare, ignored);
  if (resume && fs::exists(path)) {
    s.written = recorded_runs(path).size();
    fs::copy_file(path, s.working);
    refresh_attributes(s.working, info);
    s.refreshed = true;
  } else {
    create_skeleton(s.working, s.entries, info, base, s.string_type);
    const fs::path temporary = with_suffix(path, ".new");
    fs::copy_file(s.working, temporary, fs::copy_options::overwrite_existing);
    sync(temporary, false);
    fs::rename(temporary, path);  // an empty sweep file, committed
    sync(directory_of(path), true);
  }
  s.outbox_rows = options.commit_interval > 0 ? 8 : 1;
  s.committed = s.written;
  s.open_working();
  s.start_chunks(resume);
  s.timer = std::thread([&s] { s.run_timer(); });
}

SweepRecorder::~SweepRecorder() {
  if (!state_) return;
  auto& s = *state_;
  s.stop();
  if (!s.finished) {
    try {  // keep every run that finished: a partial sweep is resumable
      s.send_outbox();
      s.writer.submit([&s] {
        if (s.written > s.committed.load() || s.refreshed) s.commit(true);
      });
    } catch (...) {  // the writer failed already; OUT.h5 holds the last commit
    }
    try {
      s.writer.finish();  // joins the writer thread before its file is closed here
    } catch (...) {
    }
  }
  try {
    s.close_working();
  } catch (...) {
  }
}

void SweepRecorder::add(std::shared_ptr<RunRow> row) {
  State& s = *state_;
  s.writer.check();
  bool full = false;
  {
    std::lock_guard lock(s.outbox_mutex);
    s.outbox.push_back(std::move(row));
    full = s.outbox.size() >= s.outbox_rows;
  }
  if (full) s.send_outbox();
}

void SweepRecorder::finish() {
  auto& s = *state_;
  s.stop();
  s.send_outbox();
  s.writer.submit([&s] {
    if (s.written > s.committed.load() || s.refreshed) s.commit(true);
    s.close_working();
  });
  s.writer.finish();
  s.finished = true;
  std::error_code ignored;
  fs::remove(s.working, ignored);
}

std::uint64_t SweepRecorder::committed() const {
  return state_->committed.load();
}

SeriesPool& SweepRecorder::series_pool() {
  return state_->pool;
}

std::vector<std::int64_t> SweepRecorder::recorded_runs(const fs::path& path) {
  h5::quiet();
  h5::Handle file = h5::open_file(path.string(), false);
  if (!h5::exists(file, "runs/run"))
    throw h5::Error(path.string() + " is not an icsim sweep file (no /runs/run)");
  return h5::read_all<std::int64_t>(file, "runs/run");
}

}  // namespace icsim
