// A small CSV reader for the population files: quoted fields, a header row, and errors that
// name the file and line.
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace icsim {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CsvTable {
 public:
  // `label` names the file in errors ("data/england/trusts.csv").
  CsvTable(std::string label, std::string_view text, const std::vector<std::string>& required);

  std::size_t size() const { return rows_.size(); }
  const std::string& label() const { return label_; }
  const std::string& at(std::size_t row, std::string_view column) const;
  double number(std::size_t row, std::string_view column) const;  // empty -> NaN
  bool empty(std::size_t row, std::string_view column) const { return at(row, column).empty(); }
  std::size_t line(std::size_t row) const { return lines_[row]; }
  // Throws DataError "FILE:LINE: message".
  [[noreturn]] void fail(std::size_t row, const std::string& message) const;

 private:
  std::string label_;
  std::map<std::string, std::size_t, std::less<>> columns_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::size_t> lines_;
};

}  // namespace icsim
