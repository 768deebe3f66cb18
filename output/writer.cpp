#include "output/writer.hpp"

#include "output/hdf5.hpp"

namespace icsim {

AsyncWriter::AsyncWriter(std::size_t capacity) {
  queue_.set_capacity(static_cast<std::ptrdiff_t>(capacity));
  thread_ = std::thread([this] { run(); });
}

AsyncWriter::~AsyncWriter() {
  if (!finished_) {
    try {
      finish();
    } catch (...) {  // the owner is unwinding from another error already
    }
  }
}

void AsyncWriter::run() {
  // HDF5 keeps its error printing per thread: this thread's errors are exceptions too, not
  // pages of HDF5-DIAG on stderr.
  h5::quiet();
  for (;;) {
    std::function<void()> task;
    queue_.pop(task);
    if (!task) return;  // the empty task ends the thread
    bool failed = false;
    {
      std::lock_guard lock(mutex_);
      failed = error_ != nullptr;
    }
    std::exception_ptr error;
    if (!failed) {  // after an error, drain without writing
      try {
        task();
      } catch (...) {
        error = std::current_exception();
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (error) error_ = error;
      ++completed_;
    }
    done_.notify_all();
  }
}

void AsyncWriter::check() {
  std::lock_guard lock(mutex_);
  if (error_) std::rethrow_exception(error_);
}

void AsyncWriter::submit(std::function<void()> task) {
  check();
  {
    std::lock_guard lock(mutex_);
    ++submitted_;
  }
  queue_.push(std::move(task));
}

void AsyncWriter::drain() {
  {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = submitted_;
    done_.wait(lock, [&] { return completed_ >= target; });
  }
  check();
}

void AsyncWriter::finish() {
  if (!finished_) {
    finished_ = true;
    queue_.push({});
    thread_.join();
  }
  check();
}

}  // namespace icsim
