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

inline const EmbeddedFile* find(std::string_view path) {
  for (const auto& f : files())
    if (f.path == path) return &f;
  return nullptr;
}

}  // namespace icsim::embedded
