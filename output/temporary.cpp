#include "output/temporary.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <climits>
#include <cstring>
#include <string>

namespace icsim {
namespace {

// The signal handler may only read memory that no thread frees under it and call
// async-signal-safe functions (unlink, sigaction, raise): a fixed table of paths, each slot
// claimed with an atomic state.
enum SlotState : int { free_slot, filling, armed };
struct Slot {
  std::atomic<int> state{free_slot};
  char path[PATH_MAX]{};
};
std::array<Slot, 64> slots;
static_assert(std::atomic<int>::is_always_lock_free);

int claim(const std::filesystem::path& path) {
  const std::string text = std::filesystem::absolute(path).string();
  if (text.size() >= PATH_MAX) return -1;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    int expected = free_slot;
    if (!slots[i].state.compare_exchange_strong(expected, filling)) continue;
    std::memcpy(slots[i].path, text.c_str(), text.size() + 1);
    slots[i].state.store(armed);
    return static_cast<int>(i);
  }
  return -1;  // more temporaries than slots: they still go when their owner fails
}

void release(int slot) {
  if (slot >= 0) slots[static_cast<std::size_t>(slot)].state.store(free_slot);
}

extern "C" void remove_temporaries(int signal_number) {
  for (auto& slot : slots)
    if (slot.state.load() == armed) ::unlink(slot.path);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  ::sigaction(signal_number, &fallback, nullptr);
  ::raise(signal_number);  // delivered when this handler returns, with the default action
}

}  // namespace

TemporaryFile::TemporaryFile(const std::filesystem::path& final_path)
    : final_(final_path), temporary_(final_path) {
  temporary_ += ".partial-" + std::to_string(::getpid());
  slot_ = claim(temporary_);
}

TemporaryFile::~TemporaryFile() {
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
  release(slot_);
}

void TemporaryFile::commit() {
  std::filesystem::rename(temporary_, final_);
  committed_ = true;
  release(slot_);
  slot_ = -1;
}

void install_signal_cleanup() {
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    ::sigaction(signal_number, nullptr, &current);
    if (current.sa_handler == SIG_IGN) continue;  // nohup, or a background job's SIGINT
    struct sigaction handler {};
    handler.sa_handler = remove_temporaries;
    sigemptyset(&handler.sa_mask);
    ::sigaction(signal_number, &handler, nullptr);
  }
}

}  // namespace icsim
