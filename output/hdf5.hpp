// A thin, checked layer over the HDF5 C API: owned handles, typed 1-D and 2-D datasets with
// units and descriptions, dimension scales, and errors that name the file and the object.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace icsim::h5 {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Owns an HDF5 identifier and closes it with the right function.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  void reset() { close(); }
  // Closes the object now and forgets its id whatever the outcome: HDF5 keeps a file whose
  // H5Fclose failed (a full disk), and closing that id a second time crashes inside the library.
  herr_t close();

 private:
  hid_t id_ = -1;
};

// The clearest message on HDF5's error stack: the system's own ("No space left on device")
// when a read or write failed, otherwise the innermost description.
std::string last_error();
// Throws Error("<what>: <HDF5 message>") when status < 0; returns status otherwise.
hid_t check(hid_t status, const std::string& what);
// The number of elements of a dataspace; throws Error instead of returning a negative count.
std::size_t points(hid_t space, const std::string& what);
// The extent of a dataspace of rank 1 to `max_rank`; throws Error for any other rank.
std::vector<hsize_t> extent(hid_t space, const std::string& what, int max_rank = H5S_MAX_RANK);

template <class T>
hid_t type_of();
template <>
inline hid_t type_of<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
inline hid_t type_of<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
inline hid_t type_of<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
inline hid_t type_of<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
inline hid_t type_of<std::uint32_t>() {
  return H5T_NATIVE_UINT32;
}
template <>
inline hid_t type_of<std::uint8_t>() {
  return H5T_NATIVE_UINT8;
}

Handle string_type();  // variable-length UTF-8

Handle create_file(const std::string& path);  // truncates
// A file held in memory only (no file on disk); `name` must be unique among open files.
Handle create_memory_file(const std::string& name);
// The bytes of an open file as they would stand on disk after a flush (H5Fget_file_image).
std::vector<char> file_image(hid_t file);
// Writes a file image to `path` under a temporary name (`path`.partial-<pid>) renamed at the end.
void save_image(const std::vector<char>& image, const std::string& path);
Handle open_file(const std::string& path, bool write);
// Closes `file`, throwing Error("cannot finish writing: <why>") when the last writes fail.
void close_file(Handle& file);
Handle create_group(hid_t parent, const std::string& name);  // makes intermediate groups
Handle open_group(hid_t parent, const std::string& name);
bool exists(hid_t parent, const std::string& path);

// Removes an attribute if present (to write it anew); checked.
void remove_attribute(hid_t object, const std::string& name);
void set_attribute(hid_t object, const std::string& name, const std::string& value);
void set_attribute(hid_t object, const std::string& name, double value);
void set_attribute(hid_t object, const std::string& name, std::int64_t value);
// One-value attributes; none when absent (or, for a string, of another type); Error when the
// attribute holds more than one value.
std::optional<std::string> string_attribute(hid_t object, const std::string& name);
std::optional<double> number_attribute(hid_t object, const std::string& name);
// Read exactly; Error when it is not an integer.
std::optional<std::int64_t> integer_attribute(hid_t object, const std::string& name);

// Describes a dataset for a reader without our code.
void describe(hid_t dataset, const std::string& units, const std::string& description);

// 1-D datasets (static tables), chunked and compressed.
template <class T>
Handle write_vector(hid_t group, const std::string& name, std::span<const T> values);
Handle write_strings(hid_t group, const std::string& name, const std::vector<std::string>& values);

// Rows [first, first + count) of a dataset of any rank: the selection in the file and the
// memory dataspace of the same shape.
struct RowSelection {
  Handle file_space, memory_space;
};
RowSelection select_rows(hid_t set, hsize_t first, hsize_t count, const std::string& name);
// Grows `set` (extendible along its first dimension) by `rows` and writes them there, laid out
// row after row. Returns the dataset's rows.
hsize_t append_rows(hid_t set, const void* data, hsize_t rows, hid_t memory_type,
                    const std::string& name, hid_t transfer = H5P_DEFAULT);
// A transfer property list for writing strings: HDF5 converts them through a buffer it zeroes
// on every write, 1 MiB unless told otherwise; this one is 16 KiB.
Handle string_transfer();

// Extendible dataset of shape [rows..., width] (width 0 for 1-D) that grows along rows.
class Appendable {
 public:
  Appendable() = default;
  Appendable(hid_t group, const std::string& name, hid_t type, std::size_t width,
             std::size_t chunk_rows = 1);
  // Opens an existing one to append to.
  Appendable(hid_t group, const std::string& name);
  // Appends `rows` rows of raw values laid out row by row.
  void append(const void* data, std::size_t rows, hid_t memory_type);
  template <class T>
  void append(std::span<const T> values) {
    append(values.data(), width_ ? values.size() / width_ : values.size(), type_of<T>());
  }
  std::size_t rows() const { return rows_; }
  hid_t id() const { return dataset_.get(); }

 private:
  Handle dataset_;
  std::size_t width_ = 0, rows_ = 0;
  std::string name_;
};

// Makes `scale` a dimension scale named `name` and attaches it to dimension `dim` of `dataset`.
void make_scale(hid_t scale, const std::string& name);
void attach_scale(hid_t dataset, hid_t scale, unsigned dim);

// Reads a whole dataset (for tests, merge and resume).
template <class T>
std::vector<T> read_all(hid_t parent, const std::string& path);
std::vector<std::string> read_strings(hid_t parent, const std::string& path);
std::vector<hsize_t> shape(hid_t parent, const std::string& path);

// Silences HDF5's automatic error printing: errors come back as exceptions instead.
void quiet();
// For a program's main(), before any other HDF5 call: HDF5 will not close at exit what is still
// open. A file whose last writes failed (a full disk) cannot be closed, and HDF5's clean-up at
// exit would crash on it; icsim closes every file it writes itself.
void skip_cleanup_at_exit();

}  // namespace icsim::h5
