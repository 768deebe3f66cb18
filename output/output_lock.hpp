// One writer per output file: an exclusive lock on OUT.lock, taken before anything slow is done
// for OUT, so that a second icsim writing the same file stops at once instead of racing the
// first (a requeued job while the first still runs, two sweeps started to one path).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace icsim {

class OutputLock {
 public:
  enum class Failure : unsigned char { none, held, unwritable };

  // Locks `output` (through `output` + ".lock"); on failure returns nothing and says why in
  // `failure` and `reason` (held: another process holds it; unwritable: the lock file cannot be
  // created, with the system's message).
  static std::optional<OutputLock> take(const std::filesystem::path& output, Failure& failure,
                                        std::string& reason);
  static std::filesystem::path lock_path(const std::filesystem::path& output);

  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&& other) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();  // removes the lock file, then unlocks

 private:
  OutputLock(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  void release();
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace icsim
