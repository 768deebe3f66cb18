#include "output/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace icsim {
namespace fs = std::filesystem;

fs::path OutputLock::lock_path(const fs::path& output) {
  fs::path p = output;
  p += ".lock";
  return p;
}

std::optional<OutputLock> OutputLock::take(const fs::path& output, Failure& failure,
                                           std::string& reason) {
  const fs::path path = lock_path(output);
  // The holder removes the lock file before it unlocks, so a lock won on a file that is no
  // longer at `path` protects nothing: try again on the new one.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      failure = Failure::unwritable;
      reason = std::strerror(errno);
      return std::nullopt;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      failure = error == EWOULDBLOCK ? Failure::held : Failure::unwritable;
      reason = error == EWOULDBLOCK ? "another process holds " + path.string()
                                    : std::string(std::strerror(error));
      return std::nullopt;
    }
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
        held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
      failure = Failure::none;
      return OutputLock(path, fd);
    }
    ::close(fd);
  }
  failure = Failure::held;
  reason = path.string() + " keeps changing";
  return std::nullopt;
}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

OutputLock::~OutputLock() {
  release();
}

void OutputLock::release() {
  if (fd_ < 0) return;
  std::error_code ignored;
  fs::remove(path_, ignored);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace icsim
