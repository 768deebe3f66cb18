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

void Handle::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      H5Fclose(id_);
      break;
    case H5I_GROUP:
      H5Gclose(id_);
      break;
    case H5I_DATASET:
      H5Dclose(id_);
      break;
    case H5I_DATASPACE:
      H5Sclose(id_);
      break;
    case H5I_DATATYPE:
      H5Tclose(id_);
      break;
    case H5I_ATTR:
      H5Aclose(id_);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id_);
      break;
    default:
      break;
  }
  id_ = -1;
}

namespace {
herr_t innermost(unsigned, const H5E_error2_t* e, void* out) {
  auto* message = static_cast<std::string*>(out);
  if (e->desc && *e->desc) *message = e->desc;
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
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &message);
  // The lowest level often says only "file write failed"; errno's text is clearer.
  return message.empty() ? "HDF5 error" : message;
}

hid_t check(hid_t status, const std::string& what) {
  if (status < 0) {
    const std::string message = last_error();
    H5Eclear2(H5E_DEFAULT);
    throw Error(what + ": " + message);
  }
  return status;
}

void quiet() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
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

void set_attribute(hid_t object, const std::string& name, const std::string& value) {
  Handle type = string_type();
  Handle space(check(H5Screate(H5S_SCALAR), "attribute " + name));
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
  Handle attr(check(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                    "attribute " + name));
  const char* text = value.c_str();
  check(H5Awrite(attr, type, &text), "attribute " + name);
}

template <class T>
static void set_number(hid_t object, const std::string& name, T value) {
  Handle space(check(H5Screate(H5S_SCALAR), "attribute " + name));
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
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

std::optional<std::string> string_attribute(hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) <= 0) return std::nullopt;
  Handle attr(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "attribute " + name));
  Handle file_type(check(H5Aget_type(attr), "attribute " + name));
  if (H5Tget_class(file_type) != H5T_STRING) return std::nullopt;
  if (H5Tis_variable_str(file_type) > 0) {
    Handle type = string_type();
    char* text = nullptr;
    check(H5Aread(attr, type, &text), "attribute " + name);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(file_type), '\0');
  check(H5Aread(attr, file_type, value.data()), "attribute " + name);
  value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
  return value;
}

std::optional<double> number_attribute(hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) <= 0) return std::nullopt;
  Handle attr(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "attribute " + name));
  double value = 0;
  check(H5Aread(attr, H5T_NATIVE_DOUBLE, &value), "attribute " + name);
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
  hsize_t dims[2] = {0, 0};
  const int rank = H5Sget_simple_extent_ndims(space);
  H5Sget_simple_extent_dims(space, dims, nullptr);
  rows_ = dims[0];
  width_ = rank == 2 ? dims[1] : 0;
}

void Appendable::append(const void* data, std::size_t rows, hid_t memory_type) {
  rows_ = append_rows(dataset_, data, rows, memory_type, name_);
}

RowSelection select_rows(hid_t set, hsize_t first, hsize_t count, const std::string& name) {
  RowSelection out;
  out.file_space = Handle(check(H5Dget_space(set), name));
  const int rank = H5Sget_simple_extent_ndims(out.file_space);
  std::vector<hsize_t> start(static_cast<std::size_t>(std::max(rank, 1)), 0), extent(start.size());
  H5Sget_simple_extent_dims(out.file_space, extent.data(), nullptr);
  start[0] = first;
  extent[0] = count;
  check(H5Sselect_hyperslab(out.file_space, H5S_SELECT_SET, start.data(), nullptr, extent.data(),
                            nullptr),
        name);
  out.memory_space = Handle(check(H5Screate_simple(rank, extent.data(), nullptr), name));
  return out;
}

hsize_t append_rows(hid_t set, const void* data, hsize_t rows, hid_t memory_type,
                    const std::string& name, hid_t transfer) {
  Handle space(check(H5Dget_space(set), name));
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
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
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return dims;
}

template <class T>
std::vector<T> read_all(hid_t parent, const std::string& path) {
  Handle set(check(H5Dopen2(parent, path.c_str(), H5P_DEFAULT), "cannot open " + path));
  Handle space(check(H5Dget_space(set), path));
  const auto n = H5Sget_simple_extent_npoints(space);
  std::vector<T> values(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
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
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
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
