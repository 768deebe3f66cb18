#include "output/chunk_codec.hpp"

#include <zlib.h>

#include <stdexcept>
#include <string>

namespace icsim::h5 {

struct ChunkEncoder::Stream {
  z_stream z{};
  Stream() {
    // A zlib stream with header and checksum and a 32 KiB window, as zlib's compress2 (which
    // HDF5's deflate filter calls) writes; but memLevel 6, a 16 KiB hash table cleared for every
    // chunk rather than the default 64 KiB (clearing cost as much as compressing small chunks).
    if (deflateInit2(&z, level, Z_DEFLATED, MAX_WBITS, 6, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("zlib: cannot start a deflate stream (out of memory)");
  }
  ~Stream() { deflateEnd(&z); }
};

ChunkEncoder::ChunkEncoder() : stream_(std::make_unique<Stream>()) {}
ChunkEncoder::~ChunkEncoder() = default;

std::size_t ChunkEncoder::encode(std::span<const std::byte> chunk, std::size_t element_size,
                                 PlaneChoice& choice, Mode mode, Bytes& out) {
  if (element_size == 0 || chunk.size() % element_size != 0)
    throw std::logic_error("chunk of " + std::to_string(chunk.size()) + " bytes is not whole " +
                           std::to_string(element_size) + "-byte elements");
  const std::size_t n = chunk.size() / element_size, planes = element_size;
  // HDF5's shuffle filter: byte j of element i goes to j * n + i (nothing moves for bytes).
  const std::byte* source = chunk.data();
  if (planes > 1) {
    shuffled_.resize(chunk.size());
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < planes; ++j) shuffled_[j * n + i] = source[i * planes + j];
    source = shuffled_.data();
  }
  choice.store_for.resize(planes, 0);

  z_stream& z = stream_->z;
  if (deflateReset(&z) != Z_OK) throw std::runtime_error("zlib: cannot reset the deflate stream");
  const std::size_t room = bound(chunk.size(), element_size);
  const std::size_t start = out.size();
  out.resize(start + room);
  z.next_out = reinterpret_cast<Bytef*>(out.data() + start);
  z.avail_out = static_cast<uInt>(room);
  const auto fail = [&](const char* what) {
    out.resize(start);
    throw std::runtime_error(std::string("zlib: ") + what +
                             (z.msg ? std::string(": ") + z.msg : ""));
  };
  for (std::size_t j = 0; j < planes; ++j) {
    const bool store = mode == Mode::store || choice.store_for[j] > 0;
    if (deflateParams(&z, store ? 0 : level, Z_DEFAULT_STRATEGY) != Z_OK)
      fail("cannot change the level between byte planes");
    const uLong before = z.total_out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(source + j * n));
    z.avail_in = static_cast<uInt>(n);
    // Z_BLOCK ends the plane's block, so that its compressed size is known.
    if (deflate(&z, Z_BLOCK) != Z_OK || z.avail_in != 0) fail("cannot compress a byte plane");
    if (mode != Mode::learn) continue;
    if (store) {
      --choice.store_for[j];
    } else if (2 * (z.total_out - before) > n) {  // saved less than half
      choice.store_for[j] = retry_after;
    }
  }
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) fail("cannot finish the chunk's stream");
  out.resize(start + z.total_out);
  return z.total_out;
}

}  // namespace icsim::h5
