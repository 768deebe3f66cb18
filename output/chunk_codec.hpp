// HDF5's shuffle + deflate filter pipeline done by us, so that a chunk written to two files is
// compressed once, and so that byte planes deflate cannot shrink are not searched for matches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace icsim::h5 {

// Bytes that grow without being zeroed first: encoded chunks are written over them at once.
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitialisedAllocator<U>;
  };
  UninitialisedAllocator() = default;
  template <class U>
  UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using Bytes = std::vector<std::byte, UninitialisedAllocator<std::byte>>;

// What one dataset's chunks taught the encoder: for each byte plane of its elements, how many
// more chunks to store that plane rather than compress it.
struct PlaneChoice {
  std::vector<std::uint8_t> store_for;
};

// Encodes whole chunks exactly as a dataset created with H5Pset_shuffle then H5Pset_deflate
// stores them, so that H5Dwrite_chunk can write them and any HDF5 reader decodes them with the
// standard filters. The zlib stream stores, rather than compresses, the byte planes that saved
// less than half last time they were tried (the low mantissa bytes of model output: deflate
// spends most of its time on them for little), trying each again after 64 chunks. On England
// sweep series this deflates 3.5 times less data for a file 10% larger than deflating it all.
// One encoder per thread: it keeps a zlib stream and a shuffle buffer between chunks.
class ChunkEncoder {
 public:
  ChunkEncoder();
  ~ChunkEncoder();
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  // learn: a full chunk, whose planes steer the choices for later chunks. follow: a chunk
  // encoded as the choices say, without changing them (a partial chunk that may stay, so that
  // what a file holds depends on the data alone, not on when commits happen). store: every plane
  // stored (a partial chunk that a later write replaces).
  enum class Mode : std::uint8_t { learn, follow, store };
  // Appends the encoded `chunk` (whole elements of `element_size` bytes) to `out`; returns its
  // size in bytes.
  std::size_t encode(std::span<const std::byte> chunk, std::size_t element_size,
                     PlaneChoice& choice, Mode mode, Bytes& out);

  // The most bytes encode() appends for a chunk of `bytes` bytes.
  static std::size_t bound(std::size_t bytes, std::size_t element_size) {
    // Every plane stored (5 bytes a 64 KiB stored block), a block boundary per plane, the
    // header and the checksum.
    return bytes + (bytes >> 12) + 32 * element_size + 64;
  }

  static constexpr int level = 1;                  // zlib level of the planes compressed
  static constexpr std::uint8_t retry_after = 64;  // chunks a plane is stored before a new try

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  std::vector<std::byte> shuffled_;
};

}  // namespace icsim::h5
