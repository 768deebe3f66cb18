// Outputs written under a temporary name beside their final path and renamed into place at the
// end, so that a file under the requested name is always complete, and no temporary outlives a
// failure, a SIGINT, a SIGTERM or a SIGHUP.
#pragma once

#include <filesystem>

namespace icsim {

class TemporaryFile {
 public:
  // Names "<final>.partial-<pid>" (nothing is created here) and registers it for removal should
  // a signal end the process (see install_signal_cleanup).
  explicit TemporaryFile(const std::filesystem::path& final_path);
  ~TemporaryFile();  // removes the temporary unless commit() succeeded
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  const std::filesystem::path& path() const { return temporary_; }
  // Renames the temporary over the final path (atomic: readers see the old file or the new).
  void commit();

 private:
  std::filesystem::path final_, temporary_;
  int slot_ = -1;  // in the signal handler's table; -1: not registered (table full)
  bool committed_ = false;
};

// Handlers for SIGINT, SIGTERM and SIGHUP that remove every temporary file still registered and
// then let the signal end the process as it would have (exit status 128 + signal). Signals that
// were ignored when the process started stay ignored. For the command line: a program that embeds
// icsim (a notebook's Python) keeps its own signal handling.
void install_signal_cleanup();

}  // namespace icsim
