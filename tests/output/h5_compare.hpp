// Test helper: compares two HDF5 files by their datasets (paths, types, shapes, values, units,
// descriptions and dimension scales), not by bytes, which hold timestamps and layout.
#pragma once

#include <hdf5.h>
#include <hdf5_hl.h>

#include <cstring>
#include <string>
#include <vector>

#include "output/hdf5.hpp"

namespace icsim::test {

inline std::vector<std::string> dataset_paths(hid_t group, const std::string& prefix = "") {
  std::vector<std::string> names, out;
  const auto visit = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names);
  for (const auto& name : names) {
    const h5::Handle object(H5Oopen(group, name.c_str(), H5P_DEFAULT));
    if (H5Iget_type(object) == H5I_DATASET) {
      out.push_back(prefix + name);
    } else {
      for (auto& p : dataset_paths(object, prefix + name + "/")) out.push_back(std::move(p));
    }
  }
  return out;
}

// The names of the scales attached to each dimension of a dataset ("" for none).
inline std::vector<std::string> scale_names(hid_t set) {
  const h5::Handle space(H5Dget_space(set));
  std::vector<std::string> names;
  for (unsigned d = 0; d < static_cast<unsigned>(H5Sget_simple_extent_ndims(space)); ++d) {
    std::string name;
    const auto visit = [](hid_t, unsigned, hid_t scale, void* data) -> herr_t {
      char buffer[256] = {};
      H5Iget_name(scale, buffer, sizeof buffer);
      *static_cast<std::string*>(data) = buffer;
      return 1;
    };
    if (H5DSget_num_scales(set, d) > 0) H5DSiterate_scales(set, d, nullptr, visit, &name);
    names.push_back(name);
  }
  return names;
}

// Every difference between the datasets of two files, one line each; empty if they are equal.
inline std::vector<std::string> dataset_differences(const std::string& a, const std::string& b) {
  h5::quiet();
  const h5::Handle fa = h5::open_file(a, false), fb = h5::open_file(b, false);
  const auto pa = dataset_paths(fa), pb = dataset_paths(fb);
  std::vector<std::string> out;
  if (pa != pb) out.push_back("different datasets");
  for (const auto& path : pa) {
    if (!h5::exists(fb, path)) continue;
    const h5::Handle sa(H5Dopen2(fa, path.c_str(), H5P_DEFAULT)),
        sb(H5Dopen2(fb, path.c_str(), H5P_DEFAULT));
    const h5::Handle ta(H5Dget_type(sa)), tb(H5Dget_type(sb));
    if (H5Tequal(ta, tb) <= 0) out.push_back(path + ": types differ");
    if (h5::shape(fa, path) != h5::shape(fb, path)) {
      out.push_back(path + ": shapes differ");
      continue;
    }
    for (const char* attr : {"units", "description"})
      if (h5::string_attribute(sa, attr) != h5::string_attribute(sb, attr))
        out.push_back(path + ": attribute " + attr + " differs");
    if (scale_names(sa) != scale_names(sb)) out.push_back(path + ": dimension scales differ");
    if (H5Tget_class(ta) == H5T_STRING) {
      if (h5::read_strings(fa, path) != h5::read_strings(fb, path))
        out.push_back(path + ": values differ");
      continue;
    }
    const h5::Handle native(H5Tget_native_type(ta, H5T_DIR_ASCEND));
    const h5::Handle space(H5Dget_space(sa));
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    std::vector<char> va(n * H5Tget_size(native)), vb(va.size());
    if (n) {
      H5Dread(sa, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, va.data());
      H5Dread(sb, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, vb.data());
    }
    if (va != vb) out.push_back(path + ": values differ");  // bitwise: NaN equals NaN
  }
  return out;
}

}  // namespace icsim::test
