#include "network/input_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "network/csv.hpp"

namespace icsim {
namespace {

std::string kind_of(std::filesystem::file_type type) {
  switch (type) {
    case std::filesystem::file_type::directory:
      return "a directory";
    case std::filesystem::file_type::character:
    case std::filesystem::file_type::block:
      return "a device";
    case std::filesystem::file_type::fifo:
      return "a FIFO";
    case std::filesystem::file_type::socket:
      return "a socket";
    default:
      return "not a regular file";
  }
}

std::string size_text(std::uintmax_t bytes) {
  if (bytes == 0 || bytes % (1u << 20)) return std::to_string(bytes) + " bytes";
  return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

std::string read_input_file(const std::filesystem::path& path, std::uintmax_t limit) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) throw DataError(path.string() + ": no such file");
  if (!std::filesystem::is_regular_file(status))
    throw DataError(path.string() + ": " + kind_of(status.type()) + ", not a file icsim reads");
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (!error && size > limit)
    throw DataError(path.string() + ": " + size_text(size) + ", more than the " + size_text(limit) +
                    " this file may have");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path.string() + ": cannot read: " + std::strerror(errno));
  std::string text(static_cast<std::size_t>(std::min(size, limit)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw DataError(path.string() + ": cannot read: " + std::strerror(errno));
  return text;
}

std::string printable(std::string_view text, std::size_t limit) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    if (out.size() >= limit) return out + "...";
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += digits[byte >> 4];
      out += digits[byte & 15];
    }
  }
  return out;
}

}  // namespace icsim
