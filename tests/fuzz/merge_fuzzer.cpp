// libFuzzer harness: `icsim merge` reading a shard, from mutated sweep files (the corpus holds
// real ones). icsim checks ranks, shapes, sizes, types and links before it reads; a crash inside
// libhdf5 itself is recorded (tests/fuzz/README.md), not fixed here.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "output/hdf5.hpp"
#include "output/merge.hpp"

namespace {
const std::filesystem::path& folder() {
  static const std::filesystem::path path = [] {
    auto p =
        std::filesystem::temp_directory_path() / ("icsim-merge-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p;
  }();
  return path;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  icsim::h5::skip_cleanup_at_exit();
  icsim::h5::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto shard = folder() / "shard.h5", out = folder() / "merged.h5";
  std::ofstream(shard, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    icsim::merge_sweeps({shard}, out, "fuzz");
  } catch (const icsim::MergeError&) {
  } catch (const icsim::h5::Error&) {
  }
  std::error_code ignored;
  std::filesystem::remove(out, ignored);
  return 0;
}
