#include "network/random.hpp"

namespace icsim {

// Compiled for the wider vector units too, picked at load time (GCC on x86-64 Linux, not under
// the sanitizers): integer arithmetic only, so every version gives the same bits.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void philox_blocks(std::uint64_t key, std::uint32_t year, Purpose purpose,
                   std::uint32_t first_agent, std::uint32_t count, std::uint32_t first_block,
                   std::uint32_t blocks, std::uint64_t* out) {
  const std::array<std::uint32_t, 2> k{static_cast<std::uint32_t>(key),
                                       static_cast<std::uint32_t>(key >> 32)};
  const auto stream = static_cast<std::uint32_t>(purpose);
  for (std::uint32_t b = 0; b < blocks; ++b)
    for (std::uint32_t a = 0; a < count; ++a) {
      const auto r = detail::philox4x32_10({year, first_agent + a, stream, first_block + b}, k);
      std::uint64_t* word = out + 2 * (std::size_t{a} * blocks + b);
      word[0] = (std::uint64_t{r[0]} << 32) | r[1];
      word[1] = (std::uint64_t{r[2]} << 32) | r[3];
    }
}

}  // namespace icsim
