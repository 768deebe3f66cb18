// Reading the user's TOML files (scenarios, sweep files, and any file of that kind to come, such
// as calibration files): regular files of bounded size, whose keys and brackets are checked to be
// shallow before toml++ parses them, so that no input can exhaust the stack of the parser or of
// the code that walks its tables.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace icsim {

inline constexpr std::uintmax_t max_toml_bytes = 16u << 20;
inline constexpr int max_key_parts = 32;        // a.b.c has 3
inline constexpr int max_bracket_nesting = 32;  // [[1]] has 2; toml++ itself allows 256

// The text of a TOML input file; InputError, one line naming it, if it is missing, not a regular
// file or larger than max_toml_bytes.
std::string read_toml_file(const std::filesystem::path& path);
// Parses `text`; InputError "LABEL:LINE:COLUMN: ..." for malformed TOML or nesting beyond the
// limits above.
toml::table parse_toml(std::string_view text, const std::string& label);

}  // namespace icsim
