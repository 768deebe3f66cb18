// Records one run to HDF5 (DESIGN.md section 5): static tables once, then every metric of the
// metric registry each year, written by one writer thread. The file is written under a
// temporary name and renamed at the end, so a failed run never leaves a half-written file
// under the requested name; or it is kept in memory and saved on request (the Python bindings).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agents/world.hpp"
#include "output/tables.hpp"

namespace icsim {

class RunRecorder {
 public:
  // Creates the temporary file at once, so an unwritable path fails before any simulation.
  RunRecorder(const std::filesystem::path& path, const World& world, const Provenance& provenance,
              std::size_t queue_capacity = 8);
  // The same file, kept in memory: image() and save() give it as it stands.
  RunRecorder(const World& world, const Provenance& provenance, std::size_t queue_capacity = 8);
  ~RunRecorder();  // if finish() was not reached, removes the temporary file
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  void record(const World& world);  // the year just simulated
  void finish();                    // flushes, closes and renames into place (file on disk)

  // Sets a text attribute on the root (after the years recorded so far).
  void note(const std::string& name, const std::string& text);
  // The file's bytes with every year recorded so far (a flushed file that HDF5 reads as is).
  std::vector<char> image();
  // Writes image() to `path` through a temporary name renamed into place.
  void save(const std::filesystem::path& path);

  const std::filesystem::path& temporary_path() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace icsim
