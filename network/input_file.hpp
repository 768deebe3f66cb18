// Reading a user's input file (scenario, sweep file, edge list): regular files only, and none
// larger than its reader accepts, so that a directory, a device or a FIFO is refused at once
// instead of being read as empty text or read forever.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace icsim {

// The file's bytes. Throws DataError, one line naming the path: not found, not a regular file
// (following symbolic links), larger than `limit` bytes, or unreadable.
std::string read_input_file(const std::filesystem::path& path, std::uintmax_t limit);

// `text` as it may be quoted in a one-line message: control and non-ASCII bytes as \xNN, and
// at most `limit` characters (then "...").
std::string printable(std::string_view text, std::size_t limit = 80);

}  // namespace icsim
