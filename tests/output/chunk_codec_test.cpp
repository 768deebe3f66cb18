#include "output/chunk_codec.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <random>

#include "output/hdf5.hpp"

using namespace icsim;
namespace fs = std::filesystem;

namespace {

template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

// Model-like doubles: a smooth part that shuffles well, and noise in the low mantissa bytes.
std::vector<double> noisy(std::size_t n, std::uint32_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> v(n);
  for (auto& x : v) x = 0.5 + 0.25 * u(random);
  return v;
}

// Undoes deflate with zlib and the shuffle by hand: what HDF5's filters do on reading.
std::vector<std::byte> decode(const h5::Bytes& encoded, std::size_t bytes,
                              std::size_t element_size) {
  std::vector<std::byte> shuffled(bytes), out(bytes);
  uLongf length = static_cast<uLongf>(bytes);
  REQUIRE(uncompress(reinterpret_cast<Bytef*>(shuffled.data()), &length,
                     reinterpret_cast<const Bytef*>(encoded.data()),
                     static_cast<uLong>(encoded.size())) == Z_OK);
  REQUIRE(length == bytes);
  const std::size_t n = bytes / element_size;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < element_size; ++j) out[i * element_size + j] = shuffled[j * n + i];
  return out;
}

}  // namespace

TEST_CASE("chunk encoder: zlib and the unshuffle give back every byte", "[chunk_codec]") {
  h5::ChunkEncoder encoder;
  const auto check = [&](std::span<const std::byte> data, std::size_t element_size) {
    h5::PlaneChoice choice;
    h5::Bytes encoded;
    for (int round = 0; round < 3; ++round) {  // planes stored after the first round
      encoded.clear();
      encoder.encode(data, element_size, choice, h5::ChunkEncoder::Mode::learn, encoded);
      const auto decoded = decode(encoded, data.size(), element_size);
      REQUIRE(std::memcmp(decoded.data(), data.data(), data.size()) == 0);
    }
  };
  check(bytes_of(noisy(4096, 1)), 8);
  check(bytes_of(std::vector<double>(1000, 3.25)), 8);
  check(bytes_of(std::vector<std::int32_t>{1, -1, 7, 1 << 30, 0}), 4);
  std::vector<std::uint8_t> flags(70000);  // more than a stored block holds
  for (std::size_t i = 0; i < flags.size(); ++i)
    flags[i] = static_cast<std::uint8_t>(i * 2654435761u >> 24);
  check(bytes_of(flags), 1);
  check(bytes_of(std::vector<double>{42.0}), 8);

  // Chunks are appended: the bytes already there stay.
  h5::PlaneChoice choice;
  h5::Bytes two;
  const auto first = noisy(512, 4), second = noisy(512, 5);
  const std::size_t a =
      encoder.encode(bytes_of(first), 8, choice, h5::ChunkEncoder::Mode::learn, two);
  const h5::Bytes one(two.begin(), two.end());
  const std::size_t b =
      encoder.encode(bytes_of(second), 8, choice, h5::ChunkEncoder::Mode::learn, two);
  REQUIRE(two.size() == a + b);
  CHECK(std::equal(one.begin(), one.end(), two.begin()));
  const auto decoded = decode(h5::Bytes(two.begin() + static_cast<std::ptrdiff_t>(a), two.end()),
                              second.size() * 8, 8);
  CHECK(std::memcmp(decoded.data(), second.data(), decoded.size()) == 0);
}

TEST_CASE("chunk encoder: planes deflate cannot shrink are stored - then tried again",
          "[chunk_codec]") {
  h5::ChunkEncoder encoder;
  h5::PlaneChoice choice;
  h5::Bytes encoded;
  const auto data = noisy(8192, 2);
  encoded.clear();
  encoder.encode(bytes_of(data), 8, choice, h5::ChunkEncoder::Mode::learn, encoded);
  REQUIRE(choice.store_for.size() == 8);
  // Little-endian: planes 0-5 are mantissa noise, plane 7 sign and exponent (one value).
  for (std::size_t j = 0; j < 6; ++j) CHECK(choice.store_for[j] == h5::ChunkEncoder::retry_after);
  CHECK(choice.store_for[7] == 0);
  // Stored planes cost their size and a few bytes; the exponent plane still shrinks to little.
  const std::size_t plane = data.size();
  CHECK(encoded.size() < 7 * plane);
  CHECK(encoded.size() > 6 * plane);

  const h5::PlaneChoice before = choice;
  const auto mode = GENERATE(h5::ChunkEncoder::Mode::follow, h5::ChunkEncoder::Mode::store);
  encoded.clear();
  encoder.encode(bytes_of(data), 8, choice, mode, encoded);  // a partial chunk: learns nothing
  CHECK(choice.store_for == before.store_for);
  if (mode == h5::ChunkEncoder::Mode::store) {  // every plane stored, the exponent's too
    CHECK(encoded.size() > 8 * plane);
    const auto decoded = decode(encoded, data.size() * 8, 8);
    CHECK(std::memcmp(decoded.data(), data.data(), decoded.size()) == 0);
  }
  for (int k = 0; k < h5::ChunkEncoder::retry_after; ++k) {
    encoded.clear();
    encoder.encode(bytes_of(data), 8, choice, h5::ChunkEncoder::Mode::learn, encoded);
  }
  CHECK(choice.store_for[0] == 0);  // tried again next time
  const auto compressible = std::vector<double>(8192, 0.625);
  encoded.clear();
  encoder.encode(bytes_of(compressible), 8, choice, h5::ChunkEncoder::Mode::learn, encoded);
  for (std::size_t j = 0; j < 8; ++j) CHECK(choice.store_for[j] == 0);
  CHECK(encoded.size() < plane / 8);
}

TEST_CASE("chunk encoder: HDF5 reads chunks written raw through its shuffle and deflate filters",
          "[chunk_codec]") {
  h5::quiet();
  const fs::path path = fs::temp_directory_path() / "icsim-chunk-codec-test.h5";
  const hsize_t rows = 40, width = 3, chunk_rows = 16;
  std::vector<double> values = noisy(rows * width, 3);
  for (std::size_t i = 0; i < 30; ++i) values[i] = 1.5;  // a compressible stretch
  std::vector<std::int32_t> counts(rows * width);
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<std::int32_t>(i % 7) - 3;
  {
    h5::Handle file = h5::create_file(path.string());
    const auto write = [&](const char* name, hid_t type, const void* data, std::size_t element) {
      const hsize_t dims[2] = {rows, width}, chunk[2] = {chunk_rows, width};
      h5::Handle space(H5Screate_simple(2, dims, nullptr));
      h5::Handle plist(H5Pcreate(H5P_DATASET_CREATE));
      H5Pset_chunk(plist, 2, chunk);
      H5Pset_shuffle(plist);
      H5Pset_deflate(plist, 1);
      h5::Handle set(H5Dcreate2(file, name, type, space, H5P_DEFAULT, plist, H5P_DEFAULT));
      REQUIRE(set.get() >= 0);
      h5::ChunkEncoder encoder;
      h5::PlaneChoice choice;
      std::vector<std::byte> padded(chunk_rows * width * element);
      h5::Bytes encoded;
      for (hsize_t c = 0; c * chunk_rows < rows; ++c) {
        const hsize_t take = std::min(chunk_rows, rows - c * chunk_rows);
        std::fill(padded.begin(), padded.end(), std::byte{0});
        std::memcpy(padded.data(),
                    static_cast<const std::byte*>(data) + c * chunk_rows * width * element,
                    take * width * element);
        encoded.clear();
        encoder.encode(padded, element, choice,
                       take == chunk_rows ? h5::ChunkEncoder::Mode::learn
                       : element == 8     ? h5::ChunkEncoder::Mode::follow
                                          : h5::ChunkEncoder::Mode::store,
                       encoded);
        const hsize_t offset[2] = {c * chunk_rows, 0};
        REQUIRE(H5Dwrite_chunk(set, H5P_DEFAULT, 0, offset, encoded.size(), encoded.data()) >= 0);
      }
    };
    write("values", H5T_NATIVE_DOUBLE, values.data(), sizeof(double));
    write("counts", H5T_NATIVE_INT32, counts.data(), sizeof(std::int32_t));
  }
  const h5::Handle file = h5::open_file(path.string(), false);
  CHECK(h5::read_all<double>(file, "values") == values);
  CHECK(h5::read_all<std::int32_t>(file, "counts") == counts);
  fs::remove(path);
}
