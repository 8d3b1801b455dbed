// The Unigram trainer's model and lattice (HF models/unigram/{model,lattice}.rs as the trainer uses
// them): pieces matched with a trie at every character, a single-character unk node (score
// min_score - 10) where no one-character piece matches, Viterbi with first-best tie-breaking, and
// forward-backward marginals with HF's log-sum-exp (init on the first term, cut at 50).
// Internal to unigram_trainer.cc / unigram_seeds.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hezar::tok::unigram {

// (piece, score); index 0 is the training unk: never matched, its score (NaN) ignored.
using Pieces = std::vector<std::pair<std::u32string, double>>;

struct Node {
  uint32_t pos, len, id;
  double score;
};

// Nodes of one sentence by begin position, in insertion order (trie matches by length, then unk).
struct Lattice {
  size_t n = 0;
  std::vector<Node> nodes;
  std::vector<uint32_t> begin;  // nodes beginning at p are nodes[begin[p] .. begin[p+1])

  // Adds freq * P(node) to expected[node.id] for every node; returns freq * log Z.
  double marginal(double freq, std::vector<double>& expected) const;
  // Node indices of the best path; node `skip` (if any) is left out. Empty when no path exists.
  std::vector<uint32_t> viterbi(std::optional<uint32_t> skip = std::nullopt) const;

 private:
  mutable std::vector<double> a_, b_;
  mutable std::vector<int64_t> back_;
  mutable std::vector<char> seen_;
};

// A char trie as an open-addressing hash of (node, char) -> child.
class CharTrie {
 public:
  explicit CharTrie(const Pieces& pieces);
  // Calls fn(length, id) for every piece that is a prefix of s, shortest first.
  template <class F>
  void prefixes(std::u32string_view s, F fn) const {
    uint64_t node = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t child = find(node, s[i]);
      if (child < 0) return;
      node = static_cast<uint64_t>(child);
      if (terminal_[node] >= 0) fn(static_cast<uint32_t>(i + 1), static_cast<uint32_t>(terminal_[node]));
    }
  }

 private:
  int64_t find(uint64_t node, char32_t c) const;
  uint64_t slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> children_;
  std::vector<int32_t> terminal_;
  unsigned shift_ = 63;
};

class Model {
 public:
  explicit Model(const Pieces& pieces);
  size_t size() const { return scores_.size(); }
  double min_score() const { return min_score_; }
  double score(uint32_t id) const { return scores_[id]; }
  void populate(std::u32string_view sentence, Lattice& lattice) const;

 private:
  CharTrie trie_;
  std::vector<double> scores_;
  double min_score_;
};

double digamma(double x);

}  // namespace hezar::tok::unigram
