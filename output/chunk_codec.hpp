// HDF5's shuffle + deflate filter pipeline done by us, so that a chunk written to two files is
// compressed once, and so that byte planes deflate cannot shrink are not searched for matches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace icsim::h5 {

// What one dataset's chunks taught the encoder: for each byte plane of its elements, how many
// more chunks to store that plane rather than compress it.
struct PlaneChoice {
  std::vector<std::uint8_t> store_for;
};

// Encodes whole chunks exactly as a dataset created with H5Pset_shuffle then H5Pset_deflate
// stores them, so that H5Dwrite_chunk can write them and any HDF5 reader decodes them with the
// standard filters. The zlib stream stores, rather than compresses, the byte planes that saved
// less than half last time they were tried (the low mantissa bytes of model output: deflate
// spends most of its time on them for little), trying each again after 16 chunks. On England
// sweep series this deflates 3.5 times less data for a file 10% larger than deflating it all.
// One encoder per thread: it keeps a zlib stream and a shuffle buffer between chunks.
class ChunkEncoder {
 public:
  ChunkEncoder();
  ~ChunkEncoder();
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  // `chunk`: whole elements of `element_size` bytes. `learn`: let this chunk's planes steer the
  // choices for later chunks (false for a partial chunk written early, so that what a file
  // holds depends on the data alone, not on when commits happen).
  void encode(std::span<const std::byte> chunk, std::size_t element_size, PlaneChoice& choice,
              bool learn, std::vector<std::byte>& out);

  static constexpr int level = 1;               // zlib level of the planes compressed
  static constexpr std::uint8_t retry_after = 16;  // chunks a plane is stored before a new try

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  std::vector<std::byte> shuffled_, encoded_;
};

}  // namespace icsim::h5
