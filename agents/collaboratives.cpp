#include "agents/collaboratives.hpp"

#include "agents/parallel.hpp"

namespace icsim {

CollaborativeState collaborative_state(const World& w, const Decisions& d) {
  const auto& cand = w.collaboratives.candidates;
  const std::size_t nc = w.collaboratives.size();
  CollaborativeState s{std::vector<double>(nc, 0.0), std::vector<double>(nc, 0.0)};
  const auto& edges = w.collaborative_edges;
  detail::for_each_index(
      nc,
      [&](std::size_t c) {
        for (std::uint32_t k = cand.offsets[c]; k < cand.offsets[c + 1]; ++k)
          s.members[c] += d.member[k];
        double sum = 0;
        int count = 0;
        for (std::uint32_t k = edges.offsets[c]; k < edges.offsets[c + 1]; ++k) {
          const auto [a, b] = w.collaborative_edge_slots[k];
          if (d.member[a] && d.member[b]) {
            sum += w.trust[edges.items[k]];
            ++count;
          }
        }
        s.trust[c] = count ? sum / count : w.params.initial_trust;
      },
      1);
  return s;
}

}  // namespace icsim
