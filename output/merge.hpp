// Joins the shards of a sweep into one file equal to the unsharded sweep's: the same datasets and
// attributes, rows in run order, streamed block by block so that memory stays flat.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace icsim {

// Shards that do not belong together (another sweep, the same run twice) or a file that is not
// a sweep file; what() is one line naming the files.
class MergeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MergeResult {
  std::uint64_t runs = 0;      // rows written
  std::uint64_t expected = 0;  // runs of the whole sweep
};

// Called after each dataset is merged with (datasets done, datasets in all).
using MergeProgress = std::function<void(std::size_t, std::size_t)>;

// Writes `output` (under a temporary name, renamed at the end) from the shards, which must share
// one sweep fingerprint, hold no run twice and agree on every dataset's type and shape; nothing
// is read before its rank, shape and type are checked. Runs missing from every shard stay
// missing: the caller compares runs with expected.
MergeResult merge_sweeps(const std::vector<std::filesystem::path>& shards,
                         const std::filesystem::path& output, const std::string& command_line,
                         const MergeProgress& progress = {});

}  // namespace icsim
