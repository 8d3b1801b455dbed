#include "preprocessors/tokenizers/unigram_lattice.h"

#include <cmath>
#include <limits>

namespace hezar::tok::unigram {

namespace {

constexpr uint64_t kEmpty = std::numeric_limits<uint64_t>::max();
constexpr double kUnkPenalty = 10.0;  // HF K_UNK_PENALTY

inline uint64_t edge_key(uint64_t node, char32_t c) { return (node << 21) | static_cast<uint64_t>(c); }

// HF lattice.rs log_sum_exp: log(exp(x) + exp(y)), y alone in init mode, the smaller term dropped when
// it is more than 50 below.
inline double log_sum_exp(double x, double y, bool init) {
  if (init) return y;
  double lo = x > y ? y : x, hi = x > y ? x : y;
  if (hi > lo + 50.0) return hi;
  return hi + std::log(std::exp(lo - hi) + 1.0);
}

}  // namespace

CharTrie::CharTrie(const Pieces& pieces) {
  size_t edges = 0;
  for (const auto& p : pieces) edges += p.first.size();
  size_t cap = 16;
  shift_ = 60;
  while (cap < 2 * edges + 16) cap <<= 1, --shift_;
  keys_.assign(cap, kEmpty);
  children_.assign(cap, 0);
  terminal_.assign(1, -1);
  const uint64_t mask = cap - 1;
  for (size_t id = 1; id < pieces.size(); ++id) {  // id 0 (the training unk) is never matched
    uint64_t node = 0;
    for (char32_t c : pieces[id].first) {
      uint64_t key = edge_key(node, c), s = slot(key);
      while (keys_[s] != kEmpty && keys_[s] != key) s = (s + 1) & mask;
      if (keys_[s] == kEmpty) {
        keys_[s] = key;
        children_[s] = static_cast<uint32_t>(terminal_.size());
        terminal_.push_back(-1);
      }
      node = children_[s];
    }
    terminal_[node] = static_cast<int32_t>(id);
  }
}

int64_t CharTrie::find(uint64_t node, char32_t c) const {
  const uint64_t key = edge_key(node, c), mask = keys_.size() - 1;
  for (uint64_t s = slot(key);; s = (s + 1) & mask) {
    if (keys_[s] == key) return children_[s];
    if (keys_[s] == kEmpty) return -1;
  }
}

Model::Model(const Pieces& pieces) : trie_(pieces), min_score_(std::numeric_limits<double>::infinity()) {
  scores_.reserve(pieces.size());
  for (const auto& p : pieces) {
    scores_.push_back(p.second);
    if (p.second < min_score_) min_score_ = p.second;  // NaN (the unk) never compares less
  }
}

void Model::populate(std::u32string_view s, Lattice& lat) const {
  lat.n = s.size();
  lat.nodes.clear();
  lat.begin.resize(s.size() + 1);
  const double unk_score = min_score_ - kUnkPenalty;
  for (size_t p = 0; p < s.size(); ++p) {
    lat.begin[p] = static_cast<uint32_t>(lat.nodes.size());
    bool single = false;
    trie_.prefixes(s.substr(p), [&](uint32_t len, uint32_t id) {
      lat.nodes.push_back({static_cast<uint32_t>(p), len, id, scores_[id]});
      single |= len == 1;
    });
    if (!single) lat.nodes.push_back({static_cast<uint32_t>(p), 1, 0, unk_score});
  }
  lat.begin[s.size()] = static_cast<uint32_t>(lat.nodes.size());
}

double Lattice::marginal(double freq, std::vector<double>& expected) const {
  // alpha of a node = a_[its begin]; beta of a node = b_[its end]. Terms are summed in HF's order
  // (a_[e]: nodes ending at e by begin position; b_[p]: nodes beginning at p in insertion order).
  a_.assign(n + 1, 0.0);
  b_.assign(n + 1, 0.0);
  seen_.assign(n + 1, 0);
  seen_[0] = 1;
  for (size_t p = 0; p < n; ++p)
    for (uint32_t k = begin[p]; k < begin[p + 1]; ++k) {
      const Node& nd = nodes[k];
      size_t e = p + nd.len;
      a_[e] = log_sum_exp(a_[e], a_[p] + nd.score, !seen_[e]);
      seen_[e] = 1;
    }
  for (size_t p = n; p-- > 0;)
    for (uint32_t k = begin[p]; k < begin[p + 1]; ++k) {
      const Node& nd = nodes[k];
      b_[p] = log_sum_exp(b_[p], nd.score + b_[p + nd.len], k == begin[p]);
    }
  const double z = a_[n];
  for (const Node& nd : nodes) expected[nd.id] += freq * std::exp(a_[nd.pos] + nd.score + b_[nd.pos + nd.len] - z);
  return freq * z;
}

std::vector<uint32_t> Lattice::viterbi(std::optional<uint32_t> skip) const {
  // a_[e] = best score of a path to position e, back_[e] = its last node (the first best one in
  // HF's end_nodes order, i.e. by begin position, wins ties).
  a_.assign(n + 1, 0.0);
  back_.assign(n + 1, -2);
  back_[0] = -1;
  for (size_t p = 0; p < n; ++p) {
    if (back_[p] == -2) continue;
    for (uint32_t k = begin[p]; k < begin[p + 1]; ++k) {
      if (skip && *skip == k) continue;
      const Node& nd = nodes[k];
      size_t e = p + nd.len;
      double s = a_[p] + nd.score;
      if (back_[e] == -2 || s > a_[e]) {
        a_[e] = s;
        back_[e] = k;
      }
    }
  }
  std::vector<uint32_t> path;
  if (n == 0 || back_[n] == -2) return path;
  for (size_t e = n; e > 0; e = nodes[static_cast<size_t>(back_[e])].pos)
    path.push_back(static_cast<uint32_t>(back_[e]));
  return {path.rbegin(), path.rend()};
}

// HF trainer.rs digamma: recurrence up to 7, then the asymptotic series.
double digamma(double x) {
  double result = 0.0;
  while (x < 7.0) {
    result -= 1.0 / x;
    x += 1.0;
  }
  x -= 0.5;
  double xx = 1.0 / x, xx2 = xx * xx, xx4 = xx2 * xx2;
  result += std::log(x) + (1.0 / 24.0) * xx2 - 7.0 / 960.0 * xx4 + (31.0 / 8064.0) * xx4 * xx2 -
            (127.0 / 30720.0) * xx4 * xx4;
  return result;
}

}  // namespace hezar::tok::unigram
