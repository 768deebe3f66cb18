// How much memory a run or a sweep will take, estimated from its sizes before anything is built,
// so that a size the machine cannot hold is refused at once with one line naming the key, instead
// of ending in std::bad_alloc or in minutes of paging.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agents/parameters.hpp"

namespace icsim {

struct Sweep;

// What a world holds, by its sizes.
struct Footprint {
  double organisations = 0;  // the health model's agents
  double nodes = 0;          // a classic model's players or nodes
  double edges = 0;          // of the relationship graph
  double other_bytes = 0;    // results held whole (cascade realisations), an edge list's text
  std::string key;           // the parameter behind the largest part
};

// The estimate in bytes: the one place that turns sizes into memory.
double estimated_bytes(const Footprint& footprint);
// The sizes of the world `params` builds (an edge list is read to count its nodes).
Footprint world_footprint(const Params& params);

// Bytes icsim may use: the machine's available memory (MemAvailable in /proc/meminfo), or 0 when
// it cannot be read (then nothing is refused).
std::uint64_t available_memory();
// "8G", "512M", "1.5T", "100000" (bytes); K, M, G and T are powers of 1024. None if malformed.
std::optional<std::uint64_t> parse_bytes(std::string_view text);
struct MemoryLimit {
  std::uint64_t bytes = 0;  // 0: no limit known
  std::string origin;       // "--max-memory" or "MemAvailable"
};
// The limit --max-memory gives (`option`, InputError if malformed), or else the memory available.
MemoryLimit memory_limit(const std::string& option);
// "1.5 GiB".
std::string bytes_text(double bytes);

// Why `copies` worlds of `params` at once, and `extra_bytes` besides, do not fit in `limit` bytes:
// "key 'K': V makes ... (about X), more than the Y available (...)"; none when they fit or the
// limit is 0. `limit_origin` says where the limit comes from ("MemAvailable", "--max-memory").
std::optional<std::string> memory_refusal(const Params& params, unsigned copies, double extra_bytes,
                                          std::uint64_t limit, const std::string& limit_origin);
// The same for a sweep run on `threads` threads, at the largest value of every size axis.
std::optional<std::string> sweep_memory_refusal(const Sweep& sweep, unsigned threads,
                                                std::uint64_t limit,
                                                const std::string& limit_origin);

}  // namespace icsim
