// Text files compiled into the library (the England population, the shipped scenarios), so
// that icsim runs from any directory without the checkout beside it.
#pragma once

#include <span>
#include <string_view>

namespace icsim::embedded {

struct EmbeddedFile {
  std::string_view path;  // "england/trusts.csv", "scenarios/england-2019.toml"
  std::string_view text;
};

std::span<const EmbeddedFile> files();
// The first 16 hex digits of the SHA-256 of every embedded file's name and text.
std::string_view hash();

inline const EmbeddedFile* find(std::string_view path) {
  for (const auto& f : files())
    if (f.path == path) return &f;
  return nullptr;
}

}  // namespace icsim::embedded
