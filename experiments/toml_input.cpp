#include "experiments/toml_input.hpp"

#include "experiments/scenario.hpp"
#include "network/csv.hpp"
#include "network/input_file.hpp"

namespace icsim {
namespace {

// Finds, without parsing, the longest dotted key and the deepest nesting of brackets and braces,
// skipping strings and comments. Dots are counted in runs of key characters, whitespace and
// quoted strings, so a number ("1.5") counts one dot and a key "a.b.c" two: the count never
// falls short of a key's depth. Throws InputError at the first line beyond a limit.
void check_nesting(std::string_view text, const std::string& label) {
  int dots = 0, nesting = 0;
  std::size_t line = 1;
  const auto refuse = [&](const std::string& what) {
    throw InputError(label + ":" + std::to_string(line) + ": " + what);
  };
  const auto skip_string = [&](std::size_t& i) {  // i at the opening quote; ends at the closing
    const char quote = text[i];
    const bool triple = text.substr(i, 3) == std::string(3, quote);
    const std::string_view end = triple ? text.substr(i, 3) : text.substr(i, 1);
    for (i += end.size(); i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        if (!triple) return;  // unterminated: toml++ reports it
      }
      if (quote == '"' && text[i] == '\\') {
        if (i + 1 < text.size() && text[i + 1] == '\n') ++line;
        ++i;
        continue;
      }
      if (text.substr(i, end.size()) == end) {
        i += end.size() - 1;
        return;
      }
    }
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      skip_string(i);
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '.') {
      if (++dots >= max_key_parts)
        refuse("a key of more than " + std::to_string(max_key_parts) + " dotted parts");
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
               c == ' ' || c == '\t') {
      // part of a key, a number or the space between
    } else {
      dots = 0;
      if (c == '\n') ++line;
      if (c == '[' || c == '{') {
        if (++nesting > max_bracket_nesting)
          refuse("brackets or braces nested more than " + std::to_string(max_bracket_nesting) +
                 " deep");
      } else if ((c == ']' || c == '}') && nesting > 0) {
        --nesting;
      }
    }
  }
}

}  // namespace

std::string read_toml_file(const std::filesystem::path& path) {
  try {
    return read_input_file(path, max_toml_bytes);
  } catch (const DataError& e) {
    throw InputError(e.what());
  }
}

toml::table parse_toml(std::string_view text, const std::string& label) {
  check_nesting(text, label);
  try {
    return toml::parse(text, label);
  } catch (const toml::parse_error& e) {
    throw InputError(label + ":" + std::to_string(e.source().begin.line) + ":" +
                     std::to_string(e.source().begin.column) +
                     ": malformed TOML: " + printable(e.description(), 200));
  }
}

}  // namespace icsim
