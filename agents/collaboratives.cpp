#include "agents/collaboratives.hpp"

namespace icsim {

CollaborativeState collaborative_state(const World& w, const Decisions& d) {
  const auto& cand = w.collaboratives.candidates;
  const std::size_t nc = w.collaboratives.size();
  CollaborativeState s{std::vector<double>(nc, 0.0), std::vector<double>(nc, 0.0)};
  std::vector<std::int32_t> mark(w.size(), -1);
  for (std::size_t c = 0; c < nc; ++c) {
    for (std::uint32_t k = cand.offsets[c]; k < cand.offsets[c + 1]; ++k) {
      s.members[c] += d.member[k];
      mark[cand.items[k]] = d.member[k] ? std::int32_t(c) : -1;
    }
    double sum = 0;
    int count = 0;
    for (const auto e : w.collaborative_edges[c])
      if (mark[w.graph.edges().source[e]] == std::int32_t(c) &&
          mark[w.graph.edges().target[e]] == std::int32_t(c)) {
        sum += w.trust[e];
        ++count;
      }
    s.trust[c] = count ? sum / count : w.params.initial_trust;
    for (const auto i : cand[c]) mark[i] = -1;
  }
  return s;
}

}  // namespace icsim
