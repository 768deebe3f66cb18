#include "experiments/batch.hpp"

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <iomanip>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>

#include "experiments/scenario.hpp"
#include "output/hdf5.hpp"

namespace icsim {
namespace fs = std::filesystem;

std::uint64_t runs_in_shard(std::uint64_t runs, const Shard& s) {
  return runs >= s.index ? (runs - s.index) / s.count + 1 : 0;
}

std::uint64_t shard_run(const Shard& s, std::uint64_t i) {
  return s.index - 1 + i * s.count;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  std::ostringstream out;
  if (s >= 3600)
    out << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << "m";
  else if (s >= 60)
    out << s / 60 << "m" << std::setw(2) << std::setfill('0') << s % 60 << "s";
  else
    out << s << "s";
  return out.str();
}

namespace {
std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}
std::string hex(std::uint64_t x) {
  std::ostringstream out;
  out << std::hex << std::setw(16) << std::setfill('0') << x;
  return out.str();
}
}  // namespace

std::string fingerprint_of(std::string_view canonical) {
  return hex(fnv1a(canonical, 0xCBF29CE484222325ull)) +
         hex(fnv1a(canonical, 0x84222325CBF29CE4ull));
}

double BatchCounts::rate() const {
  return seconds > 0 ? static_cast<double>(saved - resumed) / seconds : 0;
}

// --- progress --------------------------------------------------------------------------------

// A line every few seconds (a log) or a line redrawn in place (a terminal), from its own thread,
// saying what is saved in the file, so that what it reports is what a kill leaves.
struct BatchRunner::Display {
  Display(ProgressStyle style, std::ostream* out, double log_interval, std::string prefix,
          std::function<std::string(bool bar)> line)
      : style_(out ? style : ProgressStyle::quiet),
        out_(out),
        interval_(style_ == ProgressStyle::bar ? 0.25 : std::max(log_interval, 0.1)),
        prefix_(std::move(prefix)),
        line_(std::move(line)) {
    if (style_ != ProgressStyle::quiet) thread_ = std::thread([this] { loop(); });
  }
  ~Display() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (style_ == ProgressStyle::bar) *out_ << "\r" << line_(true) << "\x1b[K\n" << std::flush;
  }
  void note(const std::string& text) {
    if (style_ == ProgressStyle::quiet) return;
    std::lock_guard lock(mutex_);
    if (style_ == ProgressStyle::bar)
      *out_ << "\r" << text << "\x1b[K\n" << std::flush;
    else
      *out_ << prefix_ << text << "\n" << std::flush;
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopped_) {
      wake_.wait_for(lock, std::chrono::duration<double>(interval_), [&] { return stopped_; });
      if (stopped_) break;
      if (style_ == ProgressStyle::bar)
        *out_ << "\r" << line_(true) << "\x1b[K" << std::flush;
      else
        *out_ << prefix_ << line_(false) << "\n" << std::flush;
    }
  }

  ProgressStyle style_;
  std::ostream* out_;
  double interval_;
  std::string prefix_;
  std::function<std::string(bool bar)> line_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
};

// --- the runner ------------------------------------------------------------------------------

namespace {

// Refuses to resume a file of another batch or shard, with one line naming both.
void check_identity(const BatchIdentity& identity, const Shard& shard, const fs::path& output) {
  h5::quiet();
  h5::Handle file;
  try {
    file = h5::open_file(output.string(), false);
  } catch (const h5::Error&) {
    throw InputError(output.string() + ": cannot resume: not an HDF5 file");
  }
  const auto print = h5::string_attribute(file, "fingerprint");
  if (!print)
    throw InputError(output.string() + ": cannot resume: not an icsim " + identity.what + " file");
  if (*print != identity.fingerprint)
    throw InputError(output.string() + ": cannot resume: it holds another " + identity.what +
                     " (fingerprint " + *print + ", " + identity.source + " has " +
                     identity.fingerprint + ")");
  const auto index = h5::number_attribute(file, "shard_index");
  const auto count = h5::number_attribute(file, "shard_count");
  if (!index || !count || static_cast<std::uint64_t>(*index) != shard.index ||
      static_cast<std::uint64_t>(*count) != shard.count)
    throw InputError(output.string() + ": cannot resume: it holds shard " +
                     std::to_string(static_cast<long long>(index.value_or(0))) + "/" +
                     std::to_string(static_cast<long long>(count.value_or(0))) + ", not " +
                     std::to_string(shard.index) + "/" + std::to_string(shard.count));
}

}  // namespace

OutputLock lock_output(const fs::path& output, const std::string& what) {
  OutputLock::Failure failure{};
  std::string reason;
  std::optional<OutputLock> lock = OutputLock::take(output, failure, reason);
  if (failure == OutputLock::Failure::held)
    throw std::runtime_error(output.string() + ": another icsim is writing this " + what +
                             " file (it holds " + OutputLock::lock_path(output).string() + ")");
  if (!lock) {
    const fs::path parent = output.has_parent_path() ? output.parent_path() : fs::path(".");
    throw InputError(output.string() + ": cannot write the output: directory '" + parent.string() +
                     "' is not writable (" + reason + ")");
  }
  return std::move(*lock);
}

BatchRunner::BatchRunner(const BatchOptions& options, const BatchIdentity& identity)
    : options_(options), identity_(identity), lock_(lock_output(options.output, identity.what)) {
  const fs::path& output = options_.output;
  const bool exists = fs::exists(output);
  if (exists && !options_.resume && !options_.overwrite)
    throw InputError(output.string() + " already exists: pass --resume to continue its " +
                     identity.what + ", or --overwrite to start again");
  resume_ = exists && options_.resume;
  if (resume_) {
    check_identity(identity_, options_.shard, output);
    recorded_ = SweepRecorder::recorded_runs(output);
    std::sort(recorded_.begin(), recorded_.end());
  }
  saved_ = recorded_.size();
}

BatchRunner::~BatchRunner() {
  recorder_.reset();  // commits what was added
  display_.reset();
}

bool BatchRunner::is_recorded(std::uint64_t run) const {
  return std::binary_search(recorded_.begin(), recorded_.end(), static_cast<std::int64_t>(run));
}

BatchCounts BatchRunner::counts() const {
  BatchCounts c;
  c.resumed = recorded_.size();
  c.saved = saved_.load();
  c.ran = ran_.load();
  c.failed = failed_.load();
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return c;
}

void BatchRunner::open(const SweepFileInfo& info, const SweepSchema& schema, const World& base,
                       Line line) {
  SweepRecorder::Options recorder_options;
  recorder_options.commit_interval = options_.commit_interval;
  recorder_options.on_commit = [this](std::uint64_t n) { saved_.store(n); };
  recorder_ = std::make_unique<SweepRecorder>(options_.output, info, schema, base, recorder_options,
                                              resume_, std::move(lock_));
  lock_.reset();
  if (line)
    display_ = std::make_unique<Display>(options_.progress, options_.progress_out,
                                         options_.log_interval, "icsim " + identity_.what + ": ",
                                         [this, line](bool bar) { return line(counts(), bar); });
}

void BatchRunner::note(const std::string& text) {
  if (display_) display_->note(text);
}

BatchRunner::Next BatchRunner::shard_runs(std::uint64_t total) const {
  const Shard shard = options_.shard;
  const std::uint64_t n = runs_in_shard(total, shard);
  return [shard, n, next = std::uint64_t{0}](std::uint64_t& run) mutable {
    if (next >= n) return false;
    run = shard_run(shard, next++);
    return true;
  };
}

void BatchRunner::run(const Next& next, const Simulate& simulate, const Receive& receive) {
  // Stages hand rows over through TBB, which ThreadSanitizer cannot see (Debian's oneTBB is not
  // instrumented): a mutex released by the simulating thread and taken by the recording stage
  // shows it the order that TBB guarantees.
  std::mutex handover;
  SeriesPool* pool = &recorder_->series_pool();
  // The recorder's first error (a full disk) stops the input and is rethrown once the runs in
  // flight are drained: an exception out of a filter would leave them undestroyed in oneTBB.
  std::exception_ptr record_error;
  std::atomic<bool> recording_failed{false};
  const std::size_t tokens = 2 * static_cast<std::size_t>(tbb::this_task_arena::max_concurrency());
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, std::uint64_t>(tbb::filter_mode::serial_in_order,
                                            [&](tbb::flow_control& control) -> std::uint64_t {
                                              if (recording_failed.load()) {
                                                control.stop();
                                                return 0;
                                              }
                                              if (options_.stop && options_.stop()) {
                                                stopped_ = true;
                                                control.stop();
                                                return 0;
                                              }
                                              std::uint64_t run = 0;
                                              while (next(run))
                                                if (!is_recorded(run)) return run;
                                              control.stop();
                                              return 0;
                                            }) &
          tbb::make_filter<std::uint64_t, std::shared_ptr<RunRow>>(tbb::filter_mode::parallel,
                                                                   [&](std::uint64_t run) {
                                                                     auto row = simulate(run, pool);
                                                                     {
                                                                       std::lock_guard publish(
                                                                           handover);
                                                                     }
                                                                     return row;
                                                                   }) &
          tbb::make_filter<std::shared_ptr<RunRow>, void>(
              tbb::filter_mode::serial_in_order, [&](std::shared_ptr<RunRow> row) {
                { std::lock_guard receive_lock(handover); }
                if (record_error) return;
                try {
                  ++ran_;
                  if (!row->error.empty()) ++failed_;
                  if (receive) receive(*row);
                  recorder_->add(std::move(row));
                } catch (...) {
                  record_error = std::current_exception();
                  recording_failed.store(true);
                }
              }));
  if (record_error) std::rethrow_exception(record_error);  // the file keeps what it committed
}

void BatchRunner::finish() {
  recorder_->finish();
  saved_.store(recorder_->committed());
  recorder_.reset();
  display_.reset();
}

}  // namespace icsim
