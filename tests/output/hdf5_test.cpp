// Issue 15, items 3 and 17: the HDF5 layer under failing writes and files it did not write.
#include "output/hdf5.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "output/run_recorder.hpp"
#include "tests/support.hpp"

using namespace icsim;
namespace fs = std::filesystem;

namespace {
fs::path temp(const std::string& name) {
  return fs::temp_directory_path() / ("icsim-hdf5-" + std::to_string(::getpid()) + "-" + name);
}

// Files may not grow beyond `bytes` while it lives: writes fail with EFBIG, as on a full disk.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, SIG_IGN);  // the write fails instead of the process ending
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &old_); }

 private:
  rlimit old_{};
};

// 512 KiB that deflate cannot shrink: one chunk, which fits HDF5's chunk cache.
std::vector<double> noise() {
  std::vector<double> values(1 << 16);
  std::uint64_t x = 88172645463325252ull;
  for (auto& v : values) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v = static_cast<double>(x);
  }
  return values;
}
}  // namespace

TEST_CASE("hdf5: a run whose file cannot be written fails with an error - closed once", "[hdf5]") {
  // Before: the failed H5Fclose was followed by a second close of the same id (SIGSEGV).
  const auto path = temp("full.h5");
  fs::path temporary;
  h5::quiet();
  const Params p = test::params({"run.years=30"});
  World w = make_world(p);
  std::uintmax_t start = 0;  // the file once the static tables are in
  {
    RunRecorder measure(path, w, {});
    start = fs::file_size(measure.temporary_path());
  }
  std::string error;
  {
    const FileSizeLimit limit(start + (64 << 10));
    try {
      RunRecorder recorder(path, w, {});
      temporary = recorder.temporary_path();
      simulate(w, [&](const World& world) { recorder.record(world); });
      recorder.finish();
    } catch (const h5::Error& e) {
      error = e.what();
    }
  }
  CHECK(error.find("File too large") != std::string::npos);
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(temporary.empty());
  CHECK_FALSE(fs::exists(temporary));
}

TEST_CASE("hdf5: a file that cannot even be created leaves no empty temporary", "[hdf5]") {
  // Before: H5Fcreate made a 0-byte OUT.partial-PID, then failed, and nothing removed it.
  const auto path = temp("empty.h5");
  h5::quiet();
  const World w = make_world(test::params({"run.years=1"}));
  fs::path temporary = path;
  temporary += ".partial-" + std::to_string(::getpid());
  {
    const FileSizeLimit limit(0);
    CHECK_THROWS_AS(RunRecorder(path, w, {}), h5::Error);
  }
  CHECK_FALSE(fs::exists(temporary));
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("hdf5: a close whose writes fail says why in the system's words - and closes once",
          "[hdf5]") {
  const auto path = temp("close.h5");
  h5::quiet();
  h5::Handle file = h5::create_file(path.string());
  std::string error;
  {
    const FileSizeLimit limit(64 << 10);
    try {
      h5::write_vector<double>(file, "values", noise());  // held in HDF5's chunk cache
      h5::close_file(file);
    } catch (const h5::Error& e) {
      error = e.what();
    }
  }
  CHECK(error == "cannot finish writing: File too large");  // errno's words, not HDF5's
  CHECK(file.get() == -1);  // forgotten: the destructor does not close it again
  fs::remove(path);
}

TEST_CASE("hdf5: datasets and attributes of an unexpected shape are refused - not overrun",
          "[hdf5]") {
  const auto path = temp("shapes.h5");
  h5::quiet();
  {
    h5::Handle file = h5::create_file(path.string());
    const hsize_t dims[3] = {2, 3, 4};
    h5::Handle space(H5Screate_simple(3, dims, nullptr));
    h5::Handle cube(
        H5Dcreate2(file, "cube", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    h5::Handle scalar_space(H5Screate(H5S_SCALAR));
    h5::Handle scalar(H5Dcreate2(file, "scalar", H5T_NATIVE_DOUBLE, scalar_space, H5P_DEFAULT,
                                 H5P_DEFAULT, H5P_DEFAULT));
    const hsize_t pair = 2;
    h5::Handle pair_space(H5Screate_simple(1, &pair, nullptr));
    for (const char* name : {"two_numbers", "two_words"}) {
      const bool words = name[4] == 'w';
      h5::Handle type = words ? h5::string_type() : h5::Handle(H5Tcopy(H5T_NATIVE_INT64));
      h5::Handle attr(H5Acreate2(file, name, type, pair_space, H5P_DEFAULT, H5P_DEFAULT));
      const char* text[2] = {"a", "b"};
      const std::int64_t numbers[2] = {1, 2};
      H5Awrite(attr, type, words ? static_cast<const void*>(text) : numbers);
    }
    h5::set_attribute(file, "real", 1.5);
  }
  h5::Handle file = h5::open_file(path.string(), false);
  // Appendable read two dimensions into a fixed array whatever the rank.
  CHECK_THROWS_WITH(h5::Appendable(file, "cube"), Catch::Contains("3 dimensions"));
  CHECK_THROWS_AS(h5::shape(file, "scalar"), h5::Error);
  // A one-value read of an attribute with two values wrote past the value.
  CHECK_THROWS_WITH(h5::number_attribute(file, "two_numbers"),
                    Catch::Contains("more than one value"));
  CHECK_THROWS_WITH(h5::string_attribute(file, "two_words"),
                    Catch::Contains("more than one value"));
  CHECK_THROWS_WITH(h5::integer_attribute(file, "real"), Catch::Contains("not a whole number"));
  CHECK(h5::number_attribute(file, "real") == 1.5);
  file.reset();
  fs::remove(path);
}
