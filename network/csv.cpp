#include "network/csv.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "network/input_file.hpp"

namespace icsim {
namespace {

// Splits one record starting at `pos`; advances `pos` past its line end. Quotes may hold commas.
std::vector<std::string> split_record(std::string_view text, std::size_t& pos, bool& bad_quote) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (quoted) {
      if (c == '"' && pos + 1 < text.size() && text[pos + 1] == '"') {
        fields.back() += '"';
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++pos;
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  bad_quote = quoted;
  return fields;
}

}  // namespace

CsvTable::CsvTable(std::string label, std::string_view text,
                   const std::vector<std::string>& required)
    : label_(std::move(label)) {
  std::size_t pos = 0, line = 1;
  bool bad_quote = false;
  const auto header = split_record(text, pos, bad_quote);
  for (std::size_t i = 0; i < header.size(); ++i) columns_.emplace(header[i], i);
  for (const auto& name : required)
    if (!columns_.count(name)) throw DataError(label_ + ":1: missing column '" + name + "'");
  while (pos < text.size()) {
    ++line;
    auto fields = split_record(text, pos, bad_quote);
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (bad_quote) throw DataError(label_ + ":" + std::to_string(line) + ": unterminated quote");
    if (fields.size() != header.size())
      throw DataError(label_ + ":" + std::to_string(line) + ": " + std::to_string(fields.size()) +
                      " fields, the header has " + std::to_string(header.size()));
    rows_.push_back(std::move(fields));
    lines_.push_back(line);
  }
}

const std::string& CsvTable::at(std::size_t row, std::string_view column) const {
  const auto it = columns_.find(column);
  if (it == columns_.end()) throw DataError(label_ + ": no column '" + std::string(column) + "'");
  return rows_[row][it->second];
}

double CsvTable::number(std::size_t row, std::string_view column) const {
  const std::string& text = at(row, column);
  if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
  double x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(x))
    fail(row, "column '" + std::string(column) + "': '" + text + "' is not a number");
  return x;
}

void CsvTable::fail(std::size_t row, const std::string& message) const {
  // The message quotes the data: its bytes are shown, not sent to the terminal.
  throw DataError(label_ + ":" + std::to_string(lines_[row]) + ": " + printable(message, 400));
}

}  // namespace icsim
