#include "output/merge.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <set>
#include <sstream>

#include "output/hdf5.hpp"
#include "output/temporary.hpp"

// The merge works on the files alone, not on the model: a dataset belongs to the runs when its
// group has a `run` dimension scale (/runs, /summary, /timeseries/*); everything else (provenance,
// static tables, the parameter registry) is copied from the first shard. Dimension scales are
// re-attached by name, since HDF5's object copy (H5Ocopy) breaks their references.

namespace icsim {
namespace fs = std::filesystem;
namespace {

// Attributes HDF5's dimension-scale API keeps; they hold object addresses, so they are rebuilt.
const std::set<std::string> scale_bookkeeping{"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST"};

// Bounds on what a shard may ask of memory and time before anything is read. A sweep holds each
// run's rows whole in memory (the memory check keeps them far below 256 MiB), merge holds every
// shard's run numbers (8 bytes each), and icsim's groups nest 3 deep.
constexpr std::size_t block_bytes = 8u << 20;
constexpr std::size_t max_row_bytes = 256u << 20;
constexpr std::size_t max_shard_runs = std::size_t{1} << 27;
constexpr std::size_t max_attribute_bytes = 64u << 20;
constexpr int max_group_depth = 16;

bool variable_length(hid_t type) {
  return H5Tis_variable_str(type) > 0 || H5Tdetect_class(type, H5T_VLEN) > 0;
}

// Numbers and strings: what icsim writes in datasets and attributes.
bool plain_type(hid_t type) {
  const H5T_class_t c = H5Tget_class(type);
  return c == H5T_INTEGER || c == H5T_FLOAT || c == H5T_STRING;
}

h5::Handle native_type(hid_t file_type, const std::string& what) {
  return h5::Handle(h5::check(H5Tget_native_type(file_type, H5T_DIR_ASCEND), what));
}

// Values of one memory type read from a dataset or attribute; frees the variable-length data
// HDF5 allocated for them.
class Values {
 public:
  explicit Values(hid_t memory_type) : type_(memory_type), vlen_(variable_length(memory_type)) {}
  ~Values() { clear(); }
  Values(const Values&) = delete;
  Values& operator=(const Values&) = delete;

  // Rows [first, first + count) of `set`, each `row_bytes` long in memory.
  void read_rows(hid_t set, hsize_t first, hsize_t count, std::size_t row_bytes,
                 const std::string& what) {
    clear();
    h5::RowSelection at = h5::select_rows(set, first, count, what);
    bytes_.resize(static_cast<std::size_t>(count) * row_bytes);
    h5::check(H5Dread(set, type_, at.memory_space, at.file_space, H5P_DEFAULT, bytes_.data()),
              "cannot read " + what);
    space_ = std::move(at.memory_space);
  }
  void read_attribute(hid_t attribute, hid_t space, const std::string& what) {
    clear();
    const std::size_t n = h5::points(space, what), size = H5Tget_size(type_);
    if (size == 0 || n > max_attribute_bytes / size)
      throw MergeError(what + ": more than " + std::to_string(max_attribute_bytes >> 20) +
                       " MiB (not a sweep file written by icsim)");
    bytes_.resize(n * size);
    h5::check(H5Aread(attribute, type_, bytes_.data()), what);
    space_ = h5::Handle(h5::check(H5Scopy(space), what));
  }
  std::byte* data() { return bytes_.data(); }
  hid_t type() const { return type_; }

 private:
  void clear() {
    if (vlen_ && space_.get() >= 0) H5Dvlen_reclaim(type_, space_, H5P_DEFAULT, bytes_.data());
    space_.reset();
  }
  hid_t type_;
  bool vlen_;
  std::vector<std::byte> bytes_;
  h5::Handle space_;  // of the values read, for freeing variable-length data
};

void copy_attributes(hid_t source, hid_t target, const std::string& where) {
  std::vector<std::string> names;  // collected first: no exception may cross HDF5's C frames
  const auto visit = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  h5::check(H5Aiterate2(source, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names),
            where + ": listing attributes");
  for (const auto& name : names) {
    if (scale_bookkeeping.count(name)) continue;
    const std::string what = where + ": attribute " + name;
    h5::Handle attr(h5::check(H5Aopen(source, name.c_str(), H5P_DEFAULT), what));
    h5::Handle file_type(h5::check(H5Aget_type(attr), what));
    if (!plain_type(file_type)) throw MergeError(what + ": of a type icsim does not write");
    h5::Handle space(h5::check(H5Aget_space(attr), what));
    h5::Handle type = native_type(file_type, what);
    Values values(type);
    values.read_attribute(attr, space, what);
    h5::remove_attribute(target, name);
    h5::Handle copy(h5::check(
        H5Acreate2(target, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT), what));
    h5::check(H5Awrite(copy, type, values.data()), what);
  }
}

struct Link {
  std::string name;
  H5L_type_t type;
};
std::vector<Link> children(hid_t group, const std::string& where) {
  std::vector<Link> links;
  const auto visit = [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
    static_cast<std::vector<Link>*>(data)->push_back({name, info->type});
    return 0;
  };
  h5::check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &links),
            where + ": listing");
  return links;
}

std::string object_name(hid_t object) {
  const ssize_t n = H5Iget_name(object, nullptr, 0);
  if (n <= 0) return {};
  std::string name(static_cast<std::size_t>(n), '\0');
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

std::string scale_name(hid_t set, const std::string& what) {
  const ssize_t n = H5DSget_scale_name(set, nullptr, 0);
  if (n < 0) h5::check(-1, what + ": dimension scale name");
  std::string name(static_cast<std::size_t>(n) + 1, '\0');
  H5DSget_scale_name(set, name.data(), name.size());
  name.resize(static_cast<std::size_t>(n));
  return name;
}

struct Dataset {
  std::string path;  // from the root
  bool per_run = false;
};

// Every dataset under `group`, marking those that have a row per run. Only hard links to groups
// and datasets, each object once: a file that links a group into itself is refused, not walked
// forever.
void collect(hid_t file, const std::string& label, const std::string& group, int depth,
             std::set<haddr_t>& seen, std::vector<Dataset>& out, std::vector<std::string>& groups) {
  const auto refuse = [&](const std::string& path, const std::string& why) {
    throw MergeError(label + ": " + path + ": " + why + " (not a sweep file written by icsim)");
  };
  if (depth > max_group_depth) refuse(group, "groups nested too deep");
  h5::Handle g = h5::open_group(file, group);
  const auto links = children(g, label + ":" + group);
  bool run_group = false;
  for (const auto& link : links) {
    const std::string path = group == "/" ? "/" + link.name : group + "/" + link.name;
    if (link.type != H5L_TYPE_HARD) refuse(path, "a soft or external link");
    h5::Handle object(h5::check(H5Oopen(g, link.name.c_str(), H5P_DEFAULT), label + ":" + path));
    H5O_info_t info;
    h5::check(H5Oget_info2(object, &info, H5O_INFO_BASIC), label + ":" + path);
    if (!seen.insert(info.addr).second) refuse(path, "links to an object seen already");
    if (info.type == H5O_TYPE_GROUP) {
      groups.push_back(path);
      collect(file, label, path, depth + 1, seen, out, groups);
    } else if (info.type == H5O_TYPE_DATASET) {
      out.push_back({path, false});
      if (link.name == "run") run_group = H5DSis_scale(object) > 0;
    } else {
      refuse(path, "neither a group nor a dataset");
    }
  }
  // The run scale and every dataset whose first dimension it labels; not year or system.
  if (!run_group) return;
  const std::string prefix = group == "/" ? "/" : group + "/", run = prefix + "run";
  for (auto& d : out)
    if (d.path.starts_with(prefix) && d.path.find('/', prefix.size()) == std::string::npos) {
      h5::Handle set(h5::check(H5Dopen2(file, d.path.c_str(), H5P_DEFAULT), d.path));
      d.per_run = d.path == run || attached_scale(set, 0) == run;
    }
}

// What reading a dataset takes: its type, extent and the bytes of one row in memory.
struct Layout {
  h5::Handle file_type, memory_type;
  std::vector<hsize_t> dims;
  std::size_t row_bytes = 0;
};

Layout layout_of(hid_t file, const std::string& label, const std::string& path) {
  const std::string what = label + ":" + path;
  h5::Handle set(h5::check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), what));
  Layout l;
  l.file_type = h5::Handle(h5::check(H5Dget_type(set), what));
  if (!plain_type(l.file_type))
    throw MergeError(what + ": a dataset of a type icsim does not write");
  l.memory_type = native_type(l.file_type, what);
  // icsim chunks every dataset; HDF5 reads a compact or contiguous one of a corrupted size past
  // its own buffers.
  h5::Handle plist(h5::check(H5Dget_create_plist(set), what));
  if (H5Pget_layout(plist) != H5D_CHUNKED)
    throw MergeError(what + ": a dataset not chunked as icsim writes them");
  h5::Handle space(h5::check(H5Dget_space(set), what));
  l.dims = h5::extent(space, what);
  l.row_bytes = H5Tget_size(l.memory_type);
  for (std::size_t i = 1; i < l.dims.size(); ++i) {
    if (l.dims[i] != 0 && l.row_bytes > max_row_bytes / l.dims[i])
      throw MergeError(what + ": rows of more than " + std::to_string(max_row_bytes >> 20) +
                       " MiB (not a sweep file written by icsim)");
    l.row_bytes *= static_cast<std::size_t>(l.dims[i]);
  }
  // icsim writes every row: a dataset whose extent has chunks that were never written would be
  // read as fill values, however large it claims to be.
  std::vector<hsize_t> chunk(l.dims.size());
  if (H5Pget_chunk(plist, static_cast<int>(chunk.size()), chunk.data()) !=
      static_cast<int>(chunk.size()))
    throw MergeError(what + ": a chunk of another rank than its dataset");
  long double expected = 1;
  for (std::size_t i = 0; i < chunk.size(); ++i)
    expected *= chunk[i] ? std::ceil(static_cast<long double>(l.dims[i]) / chunk[i]) : 0;
  hsize_t stored = 0;
  h5::check(H5Dget_num_chunks(set, space, &stored), what);
  if (expected != static_cast<long double>(stored)) {
    std::ostringstream needed;
    needed << static_cast<double>(expected);
    throw MergeError(what + ": " + std::to_string(stored) + " chunks stored of the " +
                     needed.str() + " its extent needs (not a sweep file written by icsim)");
  }
  return l;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text;
  for (const auto d : dims) text += (text.empty() ? "" : " x ") + std::to_string(d);
  return text.empty() ? "scalar" : text;
}

// Creates `path` in `target` like the source dataset; a per-run one starts with no rows.
h5::Handle create_like(hid_t source, hid_t target, const Dataset& d, const Layout& l) {
  h5::Handle set(h5::check(H5Dopen2(source, d.path.c_str(), H5P_DEFAULT), d.path));
  h5::Handle space(h5::check(H5Dget_space(set), d.path));
  h5::Handle plist(h5::check(H5Dget_create_plist(set), d.path));
  std::vector<hsize_t> dims = l.dims, max(dims.size());
  h5::check(H5Sget_simple_extent_dims(space, nullptr, max.data()), d.path);
  if (d.per_run) dims[0] = 0;
  h5::Handle target_space(
      h5::check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max.data()), d.path));
  h5::Handle copy(h5::check(H5Dcreate2(target, d.path.c_str(), l.file_type, target_space,
                                       H5P_DEFAULT, plist, H5P_DEFAULT),
                            "cannot create " + d.path));
  copy_attributes(set, copy, d.path);
  return copy;
}

void rebuild_scales(hid_t source, hid_t target, const std::vector<Dataset>& datasets) {
  for (const auto& d : datasets) {  // scales first, then the attachments
    h5::Handle set(h5::check(H5Dopen2(source, d.path.c_str(), H5P_DEFAULT), d.path));
    if (H5DSis_scale(set) <= 0) continue;
    h5::Handle copy(h5::check(H5Dopen2(target, d.path.c_str(), H5P_DEFAULT), d.path));
    h5::make_scale(copy, scale_name(set, d.path));
  }
  for (const auto& d : datasets) {
    h5::Handle set(h5::check(H5Dopen2(source, d.path.c_str(), H5P_DEFAULT), d.path));
    if (H5DSis_scale(set) > 0) continue;
    h5::Handle space(h5::check(H5Dget_space(set), d.path));
    const auto rank = h5::extent(space, d.path).size();
    h5::Handle copy(h5::check(H5Dopen2(target, d.path.c_str(), H5P_DEFAULT), d.path));
    for (unsigned dim = 0; dim < rank; ++dim) {
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

// Writes rows of `path` from the shards to `target` in the order given, a block at a time.
void copy_rows(std::vector<Shard>& shards, hid_t target, const std::string& path,
               const Layout& layout, const std::vector<Source>& order) {
  h5::Handle out(h5::check(H5Dopen2(target, path.c_str(), H5P_DEFAULT), path));
  std::vector<hsize_t> dims = h5::shape(target, path);
  if (dims[0] != order.size()) {  // a per-run dataset, created empty
    dims[0] = order.size();
    h5::check(H5Dset_extent(out, dims.data()), "cannot extend " + path);
  }
  const std::size_t row_bytes = layout.row_bytes;
  const std::size_t block =
      std::max<std::size_t>(1, block_bytes / std::max<std::size_t>(row_bytes, 1));

  const h5::Handle transfer = h5::string_transfer();  // harmless for numbers
  std::vector<h5::Handle> in;
  for (auto& s : shards)
    in.emplace_back(h5::check(H5Dopen2(s.file, path.c_str(), H5P_DEFAULT), s.path.string() + path));
  std::vector<std::unique_ptr<Values>> parts(shards.size());
  for (auto& part : parts) part = std::make_unique<Values>(layout.memory_type);
  std::vector<std::byte> rows;
  for (std::size_t first = 0; first < order.size(); first += block) {
    const std::size_t count = std::min(block, order.size() - first);
    // The block's rows of each shard are consecutive there: read each range once.
    std::vector<std::uint64_t> lo(shards.size(), UINT64_MAX), hi(shards.size(), 0);
    for (std::size_t k = first; k < first + count; ++k) {
      lo[order[k].shard] = std::min(lo[order[k].shard], order[k].row);
      hi[order[k].shard] = std::max(hi[order[k].shard], order[k].row);
    }
    for (std::size_t s = 0; s < shards.size(); ++s)
      if (lo[s] != UINT64_MAX)
        parts[s]->read_rows(in[s], lo[s], hi[s] - lo[s] + 1, row_bytes,
                            shards[s].path.string() + ":" + path);
    rows.resize(count * row_bytes);
    for (std::size_t k = 0; k < count; ++k) {  // the strings stay the parts' to free
      const auto& o = order[first + k];
      std::memcpy(rows.data() + k * row_bytes,
                  parts[o.shard]->data() + (o.row - lo[o.shard]) * row_bytes, row_bytes);
    }
    const h5::RowSelection at = h5::select_rows(out, first, count, path);
    h5::check(
        H5Dwrite(out, layout.memory_type, at.memory_space, at.file_space, transfer, rows.data()),
        "cannot write " + path);
  }
}

// Refuses a shard whose datasets differ from the first shard's in type or shape, or whose
// per-run datasets do not hold one row per run it lists.
void check_layouts(const std::vector<Shard>& shards, const std::vector<Dataset>& datasets,
                   const std::vector<Layout>& first) {
  for (std::size_t s = 0; s < shards.size(); ++s) {
    const std::string label = shards[s].path.string();
    for (std::size_t i = 0; i < datasets.size(); ++i) {
      const Dataset& d = datasets[i];
      if (!h5::exists(shards[s].file, d.path))
        throw MergeError(label + ": lacks " + d.path + " (made by another icsim?)");
      const Layout l = s == 0 ? Layout{} : layout_of(shards[s].file, label, d.path);
      const Layout& mine = s == 0 ? first[i] : l;
      if (s > 0 && H5Tequal(mine.file_type, first[i].file_type) <= 0)
        throw MergeError(label + ":" + d.path + ": of another type than in " +
                         shards[0].path.string());
      std::vector<hsize_t> want = first[i].dims;
      if (d.per_run) want[0] = shards[s].runs.size();
      if (mine.dims != want)
        throw MergeError(label + ":" + d.path + ": " + shape_text(mine.dims) + ", expected " +
                         shape_text(want) +
                         (d.per_run ? " (a row per run of its /runs/run)"
                                    : " (as in " + shards[0].path.string() + ")"));
    }
  }
}

std::uint64_t whole_attribute(hid_t file, const std::string& label, const std::string& name,
                              std::uint64_t fallback) {
  const auto value = h5::integer_attribute(file, name);
  if (!value) return fallback;
  if (*value < 0) throw MergeError(label + ": attribute " + name + " is negative");
  return static_cast<std::uint64_t>(*value);
}

}  // namespace

MergeResult merge_sweeps(const std::vector<fs::path>& paths, const fs::path& output,
                         const std::string& command_line, const MergeProgress& progress) {
  h5::quiet();
  if (paths.empty()) throw MergeError("merge: no shard files given");
  std::vector<Shard> shards;
  std::string fingerprint;
  for (const auto& path : paths) {
    if (!fs::exists(path)) throw MergeError(path.string() + ": no such file");
    if (!fs::is_regular_file(path)) throw MergeError(path.string() + ": not a regular file");
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
    try {
      const Layout runs = layout_of(s.file, path.string(), "/runs/run");
      if (runs.dims.size() != 1 || H5Tget_class(runs.file_type) != H5T_INTEGER)
        throw MergeError(path.string() + ":/runs/run: not a list of run numbers");
      if (runs.dims[0] > max_shard_runs)
        throw MergeError(path.string() + ": more than " + std::to_string(max_shard_runs) +
                         " runs in one shard (merge holds every run number in memory)");
      s.runs = h5::read_all<std::int64_t>(s.file, "runs/run");
    } catch (const h5::Error& e) {
      throw MergeError(path.string() + ": " + e.what());
    }
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
  std::vector<Layout> layouts;
  const std::string first_label = shards.front().path.string();
  try {
    std::set<haddr_t> seen;
    collect(shards.front().file, first_label, "/", 0, seen, datasets, groups);
    for (const auto& d : datasets)
      layouts.push_back(layout_of(shards.front().file, first_label, d.path));
    check_layouts(shards, datasets, layouts);
  } catch (const h5::Error& e) {
    throw MergeError(first_label + ": " + e.what());
  }
  // Static tables are copied from the first shard, row after row.
  std::vector<Source> static_rows;

  TemporaryFile temporary(output);
  MergeResult result;
  {
    h5::Handle file = h5::create_file(temporary.path().string());
    hid_t source = shards.front().file;
    copy_attributes(source, file, first_label);
    result.expected = whole_attribute(source, first_label, "runs_total", order.size());
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
      copy_attributes(original, group, g);
    }
    for (std::size_t i = 0; i < datasets.size(); ++i)
      create_like(source, file, datasets[i], layouts[i]);
    rebuild_scales(source, file, datasets);
    for (std::size_t i = 0; i < datasets.size(); ++i) {
      const Dataset& d = datasets[i];
      if (d.per_run) {
        copy_rows(shards, file, d.path, layouts[i], order);
      } else {
        static_rows.resize(layouts[i].dims[0]);
        for (std::size_t r = 0; r < static_rows.size(); ++r) static_rows[r] = {0, r};
        copy_rows(shards, file, d.path, layouts[i], static_rows);
      }
      if (progress) progress(i + 1, datasets.size());
    }
    h5::close_file(file);
    temporary.commit();
  }
  result.runs = order.size();
  return result;
}

}  // namespace icsim
