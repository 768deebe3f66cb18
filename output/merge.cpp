#include "output/merge.hpp"

#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <set>
#include <sstream>

#include "output/hdf5.hpp"

// The merge works on the files alone, not on the model: a dataset belongs to the runs when its
// group has a `run` dimension scale (/runs, /summary, /timeseries/*); everything else (provenance,
// static tables, the parameter registry) is copied from the first shard. Dimension scales are
// re-attached by name, since HDF5's object copy (H5Ocopy) breaks their references.

namespace icsim {
namespace fs = std::filesystem;
namespace {

// Attributes HDF5's dimension-scale API keeps; they hold object addresses, so they are rebuilt.
const std::set<std::string> scale_bookkeeping{"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST"};

bool variable_length(hid_t type) {
  return H5Tis_variable_str(type) > 0 || H5Tdetect_class(type, H5T_VLEN) > 0;
}

// A buffer for values of one memory type that frees HDF5's variable-length data it receives.
struct Values {
  h5::Handle type;  // memory type
  std::vector<std::byte> bytes;
  Values(hid_t file_type, std::size_t count)
      : type(h5::check(H5Tget_native_type(file_type, H5T_DIR_ASCEND), "native type")),
        bytes(count * H5Tget_size(type)) {}
  void reclaim(hid_t memory_space) {
    if (variable_length(type) && !bytes.empty())
      H5Dvlen_reclaim(type, memory_space, H5P_DEFAULT, bytes.data());
  }
};

void copy_attributes(hid_t source, hid_t target) {
  std::vector<std::string> names;  // collected first: no exception may cross HDF5's C frames
  const auto visit = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  h5::check(H5Aiterate2(source, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names),
            "listing attributes");
  for (const auto& name : names) {
    if (scale_bookkeeping.count(name)) continue;
    h5::Handle attr(h5::check(H5Aopen(source, name.c_str(), H5P_DEFAULT), name));
    h5::Handle file_type(h5::check(H5Aget_type(attr), name));
    h5::Handle space(h5::check(H5Aget_space(attr), name));
    Values values(file_type, static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    h5::check(H5Aread(attr, values.type, values.bytes.data()), name);
    if (H5Aexists(target, name.c_str()) > 0) H5Adelete(target, name.c_str());
    h5::Handle copy(h5::check(
        H5Acreate2(target, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT), name));
    const herr_t written = H5Awrite(copy, values.type, values.bytes.data());
    values.reclaim(space);
    h5::check(written, name);
  }
}

std::vector<std::string> children(hid_t group) {
  std::vector<std::string> names;
  const auto visit = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  h5::check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names), "listing");
  return names;
}

bool is_dataset(hid_t parent, const std::string& name) {
  h5::Handle object(h5::check(H5Oopen(parent, name.c_str(), H5P_DEFAULT), name));
  return H5Iget_type(object) == H5I_DATASET;
}

std::string object_name(hid_t object) {
  const ssize_t n = H5Iget_name(object, nullptr, 0);
  std::string name(static_cast<std::size_t>(std::max<ssize_t>(n, 0)), '\0');
  H5Iget_name(object, name.data(), name.size() + 1);
  return name;
}

// Path of the scale attached to dimension `dim` of `set`, or empty.
std::string attached_scale(hid_t set, unsigned dim) {
  std::string path;
  const auto visit = [](hid_t, unsigned, hid_t scale, void* data) -> herr_t {
    *static_cast<std::string*>(data) = object_name(scale);
    return 1;
  };
  if (H5DSget_num_scales(set, dim) > 0) H5DSiterate_scales(set, dim, nullptr, visit, &path);
  return path;
}

struct Dataset {
  std::string path;  // from the root
  bool per_run = false;
};

// Every dataset under `group`, marking those that have a row per run.
void collect(hid_t file, const std::string& group, std::vector<Dataset>& out,
             std::vector<std::string>& groups) {
  h5::Handle g = h5::open_group(file, group);
  const auto names = children(g);
  bool run_group = false;
  if (std::find(names.begin(), names.end(), "run") != names.end() && is_dataset(g, "run")) {
    h5::Handle run(h5::check(H5Dopen2(g, "run", H5P_DEFAULT), group + "/run"));
    run_group = H5DSis_scale(run) > 0;
  }
  for (const auto& name : names) {
    const std::string path = group == "/" ? "/" + name : group + "/" + name;
    if (is_dataset(g, name)) {
      // The run scale and every dataset whose first dimension it labels; not year or system.
      h5::Handle set(h5::check(H5Dopen2(g, name.c_str(), H5P_DEFAULT), path));
      const std::string first = attached_scale(set, 0);
      const bool per_run = run_group && (name == "run" || first == group + "/run");
      out.push_back({path, per_run});
    } else {
      groups.push_back(path);
      collect(file, path, out, groups);
    }
  }
}

// Creates `path` in `target` like the source dataset; a per-run one starts with no rows.
h5::Handle create_like(hid_t source, hid_t target, const Dataset& d) {
  h5::Handle set(h5::check(H5Dopen2(source, d.path.c_str(), H5P_DEFAULT), d.path));
  h5::Handle type(h5::check(H5Dget_type(set), d.path));
  h5::Handle space(h5::check(H5Dget_space(set), d.path));
  h5::Handle plist(h5::check(H5Dget_create_plist(set), d.path));
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank)), max(dims.size());
  H5Sget_simple_extent_dims(space, dims.data(), max.data());
  if (d.per_run) dims[0] = 0;
  h5::Handle target_space(h5::check(H5Screate_simple(rank, dims.data(), max.data()), d.path));
  h5::Handle copy(h5::check(
      H5Dcreate2(target, d.path.c_str(), type, target_space, H5P_DEFAULT, plist, H5P_DEFAULT),
      "cannot create " + d.path));
  copy_attributes(set, copy);
  if (!d.per_run) {  // a static table: copy it whole
    Values values(type, static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    if (!values.bytes.empty()) {
      h5::check(H5Dread(set, values.type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.bytes.data()),
                "cannot read " + d.path);
      const herr_t written =
          H5Dwrite(copy, values.type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.bytes.data());
      values.reclaim(space);
      h5::check(written, "cannot write " + d.path);
    }
  }
  return copy;
}

void rebuild_scales(hid_t source, hid_t target, const std::vector<Dataset>& datasets) {
  for (const auto& d : datasets) {  // scales first, then the attachments
    h5::Handle set(h5::check(H5Dopen2(source, d.path.c_str(), H5P_DEFAULT), d.path));
    if (H5DSis_scale(set) <= 0) continue;
    std::string name(256, '\0');
    const ssize_t n = H5DSget_scale_name(set, name.data(), name.size());
    name.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    h5::Handle copy(h5::check(H5Dopen2(target, d.path.c_str(), H5P_DEFAULT), d.path));
    h5::make_scale(copy, name);
  }
  for (const auto& d : datasets) {
    h5::Handle set(h5::check(H5Dopen2(source, d.path.c_str(), H5P_DEFAULT), d.path));
    if (H5DSis_scale(set) > 0) continue;
    h5::Handle space(h5::check(H5Dget_space(set), d.path));
    const int rank = H5Sget_simple_extent_ndims(space);
    h5::Handle copy(h5::check(H5Dopen2(target, d.path.c_str(), H5P_DEFAULT), d.path));
    for (unsigned dim = 0; dim < static_cast<unsigned>(rank); ++dim) {
      const std::string scale = attached_scale(set, dim);
      if (scale.empty()) continue;
      h5::Handle target_scale(h5::check(H5Dopen2(target, scale.c_str(), H5P_DEFAULT), scale));
      h5::attach_scale(copy, target_scale, dim);
    }
  }
}

struct Shard {
  fs::path path;
  h5::Handle file;
  std::vector<std::int64_t> runs;
};

// Where each output row comes from.
struct Source {
  std::uint32_t shard;
  std::uint64_t row;
};

// Appends the rows of one per-run dataset in merged order, a block at a time.
void merge_rows(std::vector<Shard>& shards, hid_t target, const std::string& path,
                const std::vector<Source>& order) {
  h5::Handle out(h5::check(H5Dopen2(target, path.c_str(), H5P_DEFAULT), path));
  h5::Handle type(h5::check(H5Dget_type(out), path));
  h5::Handle out_space(h5::check(H5Dget_space(out), path));
  const int rank = H5Sget_simple_extent_ndims(out_space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(out_space, dims.data(), nullptr);
  Values probe(type, 0);
  std::size_t row_bytes = H5Tget_size(probe.type);
  for (std::size_t i = 1; i < dims.size(); ++i) row_bytes *= dims[i];
  const std::size_t block =
      std::max<std::size_t>(1, (8u << 20) / std::max<std::size_t>(row_bytes, 1));

  const h5::Handle transfer = h5::string_transfer();  // harmless for numbers
  std::vector<h5::Handle> in;
  for (auto& s : shards)
    in.emplace_back(h5::check(H5Dopen2(s.file, path.c_str(), H5P_DEFAULT), s.path.string() + path));
  std::vector<std::byte> rows;
  for (std::size_t first = 0; first < order.size(); first += block) {
    const std::size_t count = std::min(block, order.size() - first);
    // The block's rows of each shard are consecutive there: read each range once.
    std::vector<std::uint64_t> lo(shards.size(), UINT64_MAX), hi(shards.size(), 0);
    for (std::size_t k = first; k < first + count; ++k) {
      lo[order[k].shard] = std::min(lo[order[k].shard], order[k].row);
      hi[order[k].shard] = std::max(hi[order[k].shard], order[k].row);
    }
    std::vector<std::unique_ptr<Values>> parts(shards.size());
    std::vector<h5::Handle> part_spaces(shards.size());
    for (std::size_t s = 0; s < shards.size(); ++s) {
      if (lo[s] == UINT64_MAX) continue;
      const hsize_t taken = hi[s] - lo[s] + 1;
      parts[s] = std::make_unique<Values>(type, 0);
      parts[s]->bytes.resize(taken * row_bytes);
      h5::RowSelection part = h5::select_rows(in[s], lo[s], taken, path);
      part_spaces[s] = std::move(part.memory_space);
      h5::check(H5Dread(in[s], parts[s]->type, part_spaces[s], part.file_space, H5P_DEFAULT,
                        parts[s]->bytes.data()),
                "cannot read " + shards[s].path.string() + ":" + path);
    }
    rows.resize(count * row_bytes);
    for (std::size_t k = 0; k < count; ++k) {
      const auto& o = order[first + k];
      std::memcpy(rows.data() + k * row_bytes,
                  parts[o.shard]->bytes.data() + (o.row - lo[o.shard]) * row_bytes, row_bytes);
    }
    const auto reclaim = [&] {  // the strings belong to the shards' buffers
      for (std::size_t s = 0; s < shards.size(); ++s)
        if (parts[s]) parts[s]->reclaim(part_spaces[s]);
    };
    try {
      h5::append_rows(out, rows.data(), count, probe.type, path, transfer);
    } catch (...) {
      reclaim();
      throw;
    }
    reclaim();
  }
}

}  // namespace

MergeResult merge_sweeps(const std::vector<fs::path>& paths, const fs::path& output,
                         const std::string& command_line) {
  h5::quiet();
  if (paths.empty()) throw MergeError("merge: no shard files given");
  std::vector<Shard> shards;
  std::string fingerprint;
  for (const auto& path : paths) {
    if (!fs::exists(path)) throw MergeError(path.string() + ": no such file");
    Shard s{path, {}, {}};
    try {
      s.file = h5::open_file(path.string(), false);
    } catch (const h5::Error& e) {
      throw MergeError(path.string() + ": not an HDF5 file (" + e.what() + ")");
    }
    const auto print = h5::string_attribute(s.file, "fingerprint");
    if (!print || !h5::exists(s.file, "runs/run"))
      throw MergeError(path.string() + ": not an icsim sweep file (no sweep fingerprint)");
    if (shards.empty()) fingerprint = *print;
    if (*print != fingerprint)
      throw MergeError("merge: " + path.string() + " is a shard of a different sweep than " +
                       shards.front().path.string() + " (sweep fingerprint " + *print + ", not " +
                       fingerprint + ")");
    s.runs = h5::read_all<std::int64_t>(s.file, "runs/run");
    if (!std::is_sorted(s.runs.begin(), s.runs.end()))
      throw MergeError(path.string() + ": runs are not in order (not written by icsim sweep)");
    shards.push_back(std::move(s));
  }

  // The output order: every shard's runs, merged by run index.
  std::vector<Source> order;
  {
    std::vector<std::size_t> at(shards.size(), 0);
    for (;;) {
      std::size_t best = shards.size();
      for (std::size_t s = 0; s < shards.size(); ++s)
        if (at[s] < shards[s].runs.size() &&
            (best == shards.size() || shards[s].runs[at[s]] < shards[best].runs[at[best]]))
          best = s;
      if (best == shards.size()) break;
      const std::int64_t run = shards[best].runs[at[best]];
      if (!order.empty()) {
        const auto& last = order.back();
        if (shards[last.shard].runs[last.row] == run)
          throw MergeError("merge: run " + std::to_string(run) + " is in both " +
                           shards[last.shard].path.string() + " and " + shards[best].path.string() +
                           " (the same shard twice?)");
      }
      order.push_back({static_cast<std::uint32_t>(best), at[best]++});
    }
  }

  std::vector<Dataset> datasets;
  std::vector<std::string> groups;
  collect(shards.front().file, "/", datasets, groups);
  for (const auto& s : shards)
    for (const auto& d : datasets)
      if (!h5::exists(s.file, d.path))
        throw MergeError(s.path.string() + ": lacks " + d.path + " (made by another icsim?)");

  fs::path temporary = output;
  temporary += ".partial-" + std::to_string(::getpid());
  MergeResult result;
  try {
    h5::Handle file = h5::create_file(temporary.string());
    hid_t source = shards.front().file;
    copy_attributes(source, file);
    const auto expected = h5::number_attribute(source, "runs_total");
    result.expected = expected ? static_cast<std::uint64_t>(*expected) : order.size();
    h5::set_attribute(file, "shard_index", std::int64_t{1});
    h5::set_attribute(file, "shard_count", std::int64_t{1});
    h5::set_attribute(file, "runs_expected", static_cast<std::int64_t>(result.expected));
    h5::set_attribute(file, "command_line", command_line);
    std::ostringstream now;
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    now << std::put_time(gmtime_r(&t, &utc), "%Y-%m-%dT%H:%M:%SZ");
    h5::set_attribute(file, "created", now.str());
    std::string from;
    for (const auto& s : shards) from += (from.empty() ? "" : "\n") + s.path.string();
    h5::set_attribute(file, "merged_from", from);
    for (const auto& g : groups) {
      h5::Handle group = h5::create_group(file, g);
      h5::Handle original = h5::open_group(source, g);
      copy_attributes(original, group);
    }
    for (const auto& d : datasets) create_like(source, file, d);
    rebuild_scales(source, file, datasets);
    for (const auto& d : datasets)
      if (d.per_run) merge_rows(shards, file, d.path, order);
    const herr_t closed = H5Fclose(file.get());
    file = h5::Handle();
    if (closed < 0) throw h5::Error("cannot close: " + h5::last_error());
    fs::rename(temporary, output);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
  result.runs = order.size();
  return result;
}

}  // namespace icsim
