#include "output/hdf5.hpp"

#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

// Jenkins' lookup3 hash as HDF5 checksums its metadata with: exported by libhdf5 (H5checksum.c)
// but declared only in its private headers.
extern "C" std::uint32_t H5_checksum_metadata(const void* data, std::size_t length,
                                              std::uint32_t initial);

namespace icsim::h5 {

herr_t Handle::close() {
  const hid_t id = std::exchange(id_, -1);
  if (id < 0) return 0;
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      return H5Fclose(id);
    case H5I_GROUP:
      return H5Gclose(id);
    case H5I_DATASET:
      return H5Dclose(id);
    case H5I_DATASPACE:
      return H5Sclose(id);
    case H5I_DATATYPE:
      return H5Tclose(id);
    case H5I_ATTR:
      return H5Aclose(id);
    case H5I_GENPROP_LST:
      return H5Pclose(id);
    default:
      return 0;
  }
}

namespace {
// Walked from the innermost entry out: keeps the first description, and the system's message
// that HDF5's file driver quotes ("..., error message = 'No space left on device', ...").
struct ErrorText {
  std::string innermost, system;
};
herr_t read_entry(unsigned, const H5E_error2_t* e, void* out) {
  auto* text = static_cast<ErrorText*>(out);
  if (!e->desc || !*e->desc) return 0;
  const std::string_view desc(e->desc);
  if (text->innermost.empty()) text->innermost = desc;
  static constexpr std::string_view marker = "error message = '";
  if (const auto at = desc.find(marker); at != std::string_view::npos && text->system.empty()) {
    const auto begin = at + marker.size();
    text->system = desc.substr(begin, desc.find('\'', begin) - begin);
  }
  return 0;
}

Handle property(hid_t cls) {
  return Handle(check(H5Pcreate(cls), "property list"));
}

Handle chunked_compressed(int rank, const hsize_t* chunk) {
  Handle plist = property(H5P_DATASET_CREATE);
  check(H5Pset_chunk(plist, rank, chunk), "chunking");
  check(H5Pset_shuffle(plist), "shuffle filter");
  check(H5Pset_deflate(plist, 4), "deflate filter");
  return plist;
}
}  // namespace

std::string last_error() {
  ErrorText text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, read_entry, &text);
  // The lowest level often says only "file write failed"; errno's text is clearer.
  if (!text.system.empty()) return text.system;
  return text.innermost.empty() ? "HDF5 error" : text.innermost;
}

hid_t check(hid_t status, const std::string& what) {
  if (status < 0) {
    const std::string message = last_error();
    H5Eclear2(H5E_DEFAULT);
    throw Error(what + ": " + message);
  }
  return status;
}

std::size_t points(hid_t space, const std::string& what) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0) check(-1, what);
  return static_cast<std::size_t>(n);
}

std::vector<hsize_t> extent(hid_t space, const std::string& what, int max_rank) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 1 || rank > max_rank)
    throw Error(what + ": " + std::to_string(rank) + " dimensions, expected 1" +
                (max_rank > 1 ? " to " + std::to_string(max_rank) : std::string()));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), what);
  return dims;
}

void quiet() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

void skip_cleanup_at_exit() {
  H5dont_atexit();
}

Handle string_type() {
  Handle t(check(H5Tcopy(H5T_C_S1), "string type"));
  check(H5Tset_size(t, H5T_VARIABLE), "string type");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "string type");
  return t;
}

namespace {
Handle file_access() {
  Handle fapl = property(H5P_FILE_ACCESS);
  // The 1.8 object format: readable by every h5py and netCDF-4 in use.
  check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "file format");
  return fapl;
}
}  // namespace

Handle create_file(const std::string& path) {
  Handle fapl = file_access();
  return Handle(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
                      "cannot create '" + path + "'"));
}

Handle create_memory_file(const std::string& name) {
  Handle fapl = file_access();
  check(H5Pset_fapl_core(fapl, std::size_t{1} << 20, 0), "memory file " + name);
  return Handle(check(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
                      "cannot create memory file " + name));
}

std::vector<char> file_image(hid_t file) {
  check(H5Fflush(file, H5F_SCOPE_GLOBAL), "cannot flush the file");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  check(static_cast<hid_t>(size), "file image");
  std::vector<char> image(static_cast<std::size_t>(size));
  check(static_cast<hid_t>(H5Fget_file_image(file, image.data(), image.size())), "file image");
  // H5Fget_file_image clears the superblock's "open for writing" flags but, before HDF5 1.14.7
  // (HDFGroup/hdf5#1915, fixed by #5489), leaves its checksum as it was, so that the image does
  // not open. A version 2 or 3 superblock (the 1.8 format and later) with 8-byte addresses is
  // 44 bytes and its checksum; recomputing it is harmless where the library got it right.
  constexpr std::size_t superblock = 44;
  if (image.size() >= superblock + 4 && (image[8] == 2 || image[8] == 3) && image[9] == 8) {
    const std::uint32_t sum = H5_checksum_metadata(image.data(), superblock, 0);
    for (std::size_t k = 0; k < 4; ++k)
      image[superblock + k] = static_cast<char>((sum >> (8 * k)) & 0xFF);
  }
  return image;
}

void save_image(const std::vector<char>& image, const std::string& path) {
  const std::string temporary = path + ".partial-" + std::to_string(::getpid());
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  out.write(image.data(), static_cast<std::streamsize>(image.size()));
  out.close();
  if (!out || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw Error("cannot write " + path);
  }
}

Handle open_file(const std::string& path, bool write) {
  return Handle(check(H5Fopen(path.c_str(), write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT),
                      "cannot open '" + path + "'"));
}

void close_file(Handle& file) {
  if (file.close() < 0) check(-1, "cannot finish writing");
}

Handle create_group(hid_t parent, const std::string& name) {
  Handle lcpl = property(H5P_LINK_CREATE);
  check(H5Pset_create_intermediate_group(lcpl, 1), "group " + name);
  return Handle(check(H5Gcreate2(parent, name.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT),
                      "cannot create group " + name));
}

Handle open_group(hid_t parent, const std::string& name) {
  return Handle(check(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), "cannot open group " + name));
}

bool exists(hid_t parent, const std::string& path) {
  // Walk the path so that a missing intermediate group is "no", not an error.
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix == "/") continue;
    if (H5Lexists(parent, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

void remove_attribute(hid_t object, const std::string& name) {
  if (check(H5Aexists(object, name.c_str()), "attribute " + name) > 0)
    check(H5Adelete(object, name.c_str()), "cannot replace attribute " + name);
}

void set_attribute(hid_t object, const std::string& name, const std::string& value) {
  Handle type = string_type();
  Handle space(check(H5Screate(H5S_SCALAR), "attribute " + name));
  remove_attribute(object, name);
  Handle attr(check(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                    "attribute " + name));
  const char* text = value.c_str();
  check(H5Awrite(attr, type, &text), "attribute " + name);
}

template <class T>
static void set_number(hid_t object, const std::string& name, T value) {
  Handle space(check(H5Screate(H5S_SCALAR), "attribute " + name));
  remove_attribute(object, name);
  Handle attr(check(H5Acreate2(object, name.c_str(), type_of<T>(), space, H5P_DEFAULT, H5P_DEFAULT),
                    "attribute " + name));
  check(H5Awrite(attr, type_of<T>(), &value), "attribute " + name);
}
void set_attribute(hid_t object, const std::string& name, double value) {
  set_number(object, name, value);
}
void set_attribute(hid_t object, const std::string& name, std::int64_t value) {
  set_number(object, name, value);
}

namespace {
// The attribute `name` if it exists and holds one value; its file type in `file_type`.
std::optional<Handle> open_single(hid_t object, const std::string& name, Handle& file_type) {
  if (H5Aexists(object, name.c_str()) <= 0) return std::nullopt;
  Handle attr(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "attribute " + name));
  Handle space(check(H5Aget_space(attr), "attribute " + name));
  if (points(space, "attribute " + name) != 1)
    throw Error("attribute " + name + ": more than one value");
  file_type = Handle(check(H5Aget_type(attr), "attribute " + name));
  return attr;
}
}  // namespace

std::optional<std::string> string_attribute(hid_t object, const std::string& name) {
  Handle file_type;
  const auto opened = open_single(object, name, file_type);
  if (!opened) return std::nullopt;
  const Handle& attr = *opened;
  if (H5Tget_class(file_type) != H5T_STRING) return std::nullopt;
  if (H5Tis_variable_str(file_type) > 0) {
    Handle type = string_type();
    char* text = nullptr;
    check(H5Aread(attr, type, &text), "attribute " + name);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  const std::size_t size = H5Tget_size(file_type);
  if (size > (64u << 20))
    throw Error("attribute " + name + ": a string of " + std::to_string(size) + " bytes");
  std::string value(size, '\0');
  check(H5Aread(attr, file_type, value.data()), "attribute " + name);
  value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
  return value;
}

std::optional<double> number_attribute(hid_t object, const std::string& name) {
  Handle file_type;
  const auto attr = open_single(object, name, file_type);
  if (!attr) return std::nullopt;
  double value = 0;
  check(H5Aread(*attr, H5T_NATIVE_DOUBLE, &value), "attribute " + name);
  return value;
}

std::optional<std::int64_t> integer_attribute(hid_t object, const std::string& name) {
  Handle file_type;
  const auto attr = open_single(object, name, file_type);
  if (!attr) return std::nullopt;
  if (H5Tget_class(file_type) != H5T_INTEGER)
    throw Error("attribute " + name + ": not a whole number");
  std::int64_t value = 0;
  check(H5Aread(*attr, H5T_NATIVE_INT64, &value), "attribute " + name);
  return value;
}

void describe(hid_t dataset, const std::string& units, const std::string& description) {
  set_attribute(dataset, "units", units);
  set_attribute(dataset, "description", description);
}

template <class T>
Handle write_vector(hid_t group, const std::string& name, std::span<const T> values) {
  const hsize_t n = values.size();
  const hsize_t chunk = std::clamp<hsize_t>(n, 1, 1 << 16);
  Handle space(check(H5Screate_simple(1, &n, nullptr), name));
  Handle plist = chunked_compressed(1, &chunk);
  Handle set(
      check(H5Dcreate2(group, name.c_str(), type_of<T>(), space, H5P_DEFAULT, plist, H5P_DEFAULT),
            "cannot create dataset " + name));
  if (n)
    check(H5Dwrite(set, type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
          "cannot write " + name);
  return set;
}
template Handle write_vector<double>(hid_t, const std::string&, std::span<const double>);
template Handle write_vector<std::int64_t>(hid_t, const std::string&,
                                           std::span<const std::int64_t>);
template Handle write_vector<std::int32_t>(hid_t, const std::string&,
                                           std::span<const std::int32_t>);
template Handle write_vector<std::uint32_t>(hid_t, const std::string&,
                                            std::span<const std::uint32_t>);
template Handle write_vector<std::uint8_t>(hid_t, const std::string&,
                                           std::span<const std::uint8_t>);

Handle write_strings(hid_t group, const std::string& name, const std::vector<std::string>& values) {
  const hsize_t n = values.size();
  const hsize_t chunk = std::clamp<hsize_t>(n, 1, 1 << 14);
  std::vector<const char*> text(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) text[i] = values[i].c_str();
  Handle type = string_type();
  Handle space(check(H5Screate_simple(1, &n, nullptr), name));
  Handle plist = chunked_compressed(1, &chunk);
  Handle set(check(H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, plist, H5P_DEFAULT),
                   "cannot create dataset " + name));
  if (n)
    check(H5Dwrite(set, type, H5S_ALL, H5S_ALL, string_transfer(), text.data()),
          "cannot write " + name);
  return set;
}

Appendable::Appendable(hid_t group, const std::string& name, hid_t type, std::size_t width,
                       std::size_t chunk_rows)
    : width_(width), name_(name) {
  const int rank = width ? 2 : 1;
  const hsize_t dims[2] = {0, width}, max[2] = {H5S_UNLIMITED, width};
  const hsize_t chunk[2] = {std::max<hsize_t>(chunk_rows, 1),
                            std::clamp<hsize_t>(width, 1, 1 << 16)};
  Handle space(check(H5Screate_simple(rank, dims, max), name));
  Handle plist = chunked_compressed(rank, chunk);
  dataset_ =
      Handle(check(H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, plist, H5P_DEFAULT),
                   "cannot create dataset " + name));
}

Appendable::Appendable(hid_t group, const std::string& name) : name_(name) {
  dataset_ = Handle(check(H5Dopen2(group, name.c_str(), H5P_DEFAULT), "cannot open " + name));
  Handle space(check(H5Dget_space(dataset_), name));
  const std::vector<hsize_t> dims = extent(space, name, 2);
  rows_ = dims[0];
  width_ = dims.size() == 2 ? dims[1] : 0;
}

void Appendable::append(const void* data, std::size_t rows, hid_t memory_type) {
  rows_ = append_rows(dataset_, data, rows, memory_type, name_);
}

RowSelection select_rows(hid_t set, hsize_t first, hsize_t count, const std::string& name) {
  RowSelection out;
  out.file_space = Handle(check(H5Dget_space(set), name));
  std::vector<hsize_t> dims = extent(out.file_space, name);
  if (first > dims[0] || count > dims[0] - first)
    throw Error(name + ": rows " + std::to_string(first) + " to " + std::to_string(first + count) +
                " of " + std::to_string(dims[0]));
  std::vector<hsize_t> start(dims.size(), 0);
  start[0] = first;
  dims[0] = count;
  check(H5Sselect_hyperslab(out.file_space, H5S_SELECT_SET, start.data(), nullptr, dims.data(),
                            nullptr),
        name);
  out.memory_space =
      Handle(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), name));
  return out;
}

hsize_t append_rows(hid_t set, const void* data, hsize_t rows, hid_t memory_type,
                    const std::string& name, hid_t transfer) {
  Handle space(check(H5Dget_space(set), name));
  std::vector<hsize_t> dims = extent(space, name);
  if (rows == 0) return dims[0];
  const hsize_t first = dims[0];
  dims[0] += rows;
  check(H5Dset_extent(set, dims.data()), "cannot extend " + name);
  const RowSelection at = select_rows(set, first, rows, name);
  check(H5Dwrite(set, memory_type, at.memory_space, at.file_space, transfer, data),
        "cannot write " + name);
  return dims[0];
}

Handle string_transfer() {
  Handle transfer(check(H5Pcreate(H5P_DATASET_XFER), "transfer properties"));
  check(H5Pset_buffer(transfer, 16u << 10, nullptr, nullptr), "conversion buffer");
  return transfer;
}

void make_scale(hid_t scale, const std::string& name) {
  check(H5DSset_scale(scale, name.c_str()), "dimension scale " + name);
}

void attach_scale(hid_t dataset, hid_t scale, unsigned dim) {
  check(H5DSattach_scale(dataset, scale, dim), "attaching a dimension scale");
}

std::vector<hsize_t> shape(hid_t parent, const std::string& path) {
  Handle set(check(H5Dopen2(parent, path.c_str(), H5P_DEFAULT), "cannot open " + path));
  Handle space(check(H5Dget_space(set), path));
  return extent(space, path);
}

template <class T>
std::vector<T> read_all(hid_t parent, const std::string& path) {
  Handle set(check(H5Dopen2(parent, path.c_str(), H5P_DEFAULT), "cannot open " + path));
  Handle space(check(H5Dget_space(set), path));
  std::vector<T> values(points(space, path));
  if (!values.empty())
    check(H5Dread(set, type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
          "cannot read " + path);
  return values;
}
template std::vector<double> read_all<double>(hid_t, const std::string&);
template std::vector<std::int64_t> read_all<std::int64_t>(hid_t, const std::string&);
template std::vector<std::int32_t> read_all<std::int32_t>(hid_t, const std::string&);
template std::vector<std::uint32_t> read_all<std::uint32_t>(hid_t, const std::string&);
template std::vector<std::uint8_t> read_all<std::uint8_t>(hid_t, const std::string&);

std::vector<std::string> read_strings(hid_t parent, const std::string& path) {
  Handle set(check(H5Dopen2(parent, path.c_str(), H5P_DEFAULT), "cannot open " + path));
  Handle space(check(H5Dget_space(set), path));
  const std::size_t n = points(space, path);
  std::vector<char*> text(n, nullptr);
  Handle type = string_type();
  if (n)
    check(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()), "cannot read " + path);
  std::vector<std::string> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = text[i] ? text[i] : "";
  if (n) H5Dvlen_reclaim(type, space, H5P_DEFAULT, text.data());
  return values;
}

}  // namespace icsim::h5
