// BPE training, step for step as HF's BpeTrainer::do_train (models/bpe/trainer.rs), because merge
// order and ids must come out identical: special tokens first, then the (limited) alphabet sorted by
// code point, then a max-heap of pairs by (count, smallest pair ids) with lazily refreshed counts.
// HF's quirks are kept on purpose: a merged pair's own count is never decremented, so a pair whose
// occurrences were queued in two heap entries is merged twice and serialized once (at its later rank).
#include <algorithm>
#include <limits>
#include <map>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "preprocessors/tokenizers/trainers.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

namespace {

using Pair = uint64_t;  // (left id << 32) | right id: orders as HF's (u32, u32) tuples
inline Pair make_pair_key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

struct Sym {
  uint32_t c;
  size_t len;  // in chars, for max_token_length
};

// HF Word::merge: replaces every (c1, c2) left to right; returns the pair count changes.
void merge_word(std::vector<Sym>& w, uint32_t c1, uint32_t c2, uint32_t rep, size_t max_len,
                std::vector<std::pair<Pair, int32_t>>& changes) {
  for (size_t i = 0; i < w.size(); ++i) {
    if (!(w[i].c == c1 && i + 1 < w.size() && w[i + 1].c == c2)) continue;
    Sym first = w[i], second = w[i + 1];
    Sym ns{rep, first.len + second.len};
    if (i > 0) {
      changes.push_back({make_pair_key(w[i - 1].c, first.c), -1});
      if (w[i - 1].len + ns.len < max_len) changes.push_back({make_pair_key(w[i - 1].c, rep), 1});
    }
    w[i] = ns;
    w.erase(w.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    if (i + 1 < w.size()) {
      changes.push_back({make_pair_key(second.c, w[i + 1].c), -1});
      if (w[i + 1].len + ns.len < max_len) changes.push_back({make_pair_key(rep, w[i + 1].c), 1});
    }
  }
}

struct QueueItem {
  Pair pair;
  uint64_t count;
  std::vector<uint32_t> pos;  // word indices (a set: sorted, unique)
};
struct QueueLess {
  // Max-heap on count, then on the *smaller* pair (HF: "ascending order" for ties).
  bool operator()(const QueueItem& a, const QueueItem& b) const {
    if (a.count != b.count) return a.count < b.count;
    return a.pair > b.pair;
  }
};

class Vocabulary {
 public:
  uint32_t add(const std::string& s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(words_.size());
    words_.push_back(s);
    ids_.emplace(s, id);
    return id;
  }
  bool has(const std::string& s) const { return ids_.count(s) > 0; }
  size_t size() const { return words_.size(); }
  const std::string& word(uint32_t id) const { return words_[id]; }
  std::vector<std::string> take() { return std::move(words_); }

 private:
  std::vector<std::string> words_;
  std::unordered_map<std::string, uint32_t> ids_;
};

// HF compute_alphabet: chars weighted by word counts, initial alphabet always kept, the rarest
// dropped beyond limit_alphabet (ties: lower code point dropped first; HF's order is a hash order).
void add_alphabet(const WordCounts& words, const BpeTrainerOptions& o, Vocabulary& v) {
  std::map<char32_t, uint64_t> alphabet;
  for (const auto& [w, n] : words)
    for (char32_t c : utf8_decode(w)) alphabet[c] += n;
  for (char32_t c : o.initial_alphabet) alphabet[c] = std::numeric_limits<uint64_t>::max();
  std::vector<std::pair<char32_t, uint64_t>> kept(alphabet.begin(), alphabet.end());
  size_t to_remove = o.limit_alphabet && kept.size() > *o.limit_alphabet ? kept.size() - *o.limit_alphabet : 0;
  if (to_remove > 0) {
    std::stable_sort(kept.begin(), kept.end(), [](auto& a, auto& b) { return a.second < b.second; });
    kept.erase(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(to_remove));
    std::sort(kept.begin(), kept.end());
  }
  for (const auto& [c, n] : kept) v.add(utf8_encode(std::u32string(1, c)));
}

// HF tokenize_words: chars outside the alphabet are dropped; prefix/suffix tokens are added as met.
std::vector<std::vector<Sym>> split_words(const WordCounts& words, const BpeTrainerOptions& o, Vocabulary& v) {
  std::vector<std::vector<Sym>> out(words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    std::u32string cs = utf8_decode(words[i].first);
    for (size_t k = 0; k < cs.size(); ++k) {
      std::string s = utf8_encode(std::u32string(1, cs[k]));
      if (!v.has(s)) continue;
      if (k > 0 && o.continuing_subword_prefix) s = *o.continuing_subword_prefix + s;
      if (k + 1 == cs.size() && o.end_of_word_suffix) s += *o.end_of_word_suffix;
      out[i].push_back({v.add(s), 1});
    }
  }
  return out;
}

void push_updates(std::unordered_map<Pair, std::vector<uint32_t>>& where,
                  const std::unordered_map<Pair, int64_t>& counts,
                  std::priority_queue<QueueItem, std::vector<QueueItem>, QueueLess>& queue) {
  for (auto& [pair, pos] : where) {
    int64_t c = counts.at(pair);
    if (c <= 0) continue;
    std::sort(pos.begin(), pos.end());
    pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
    queue.push({pair, static_cast<uint64_t>(c), std::move(pos)});
  }
  where.clear();
}

}  // namespace

BpeTrainResult train_bpe(const WordCounts& words, const BpeTrainerOptions& o) {
  Vocabulary v;
  for (const auto& s : o.special_tokens) v.add(s);
  add_alphabet(words, o, v);
  std::vector<std::vector<Sym>> ws = split_words(words, o, v);
  const size_t max_len = o.max_token_length.value_or(std::numeric_limits<size_t>::max());

  std::unordered_map<Pair, int64_t> counts;
  std::unordered_map<Pair, std::vector<uint32_t>> where;
  for (size_t i = 0; i < ws.size(); ++i)
    for (size_t k = 0; k + 1 < ws[i].size(); ++k) {
      Pair p = make_pair_key(ws[i][k].c, ws[i][k + 1].c);
      counts[p] += static_cast<int64_t>(words[i].second);
      where[p].push_back(static_cast<uint32_t>(i));
    }
  std::priority_queue<QueueItem, std::vector<QueueItem>, QueueLess> queue;
  push_updates(where, counts, queue);

  std::vector<std::pair<Pair, uint32_t>> merges;
  std::vector<std::pair<Pair, int32_t>> changes;
  while (v.size() < o.vocab_size && !queue.empty()) {
    QueueItem top = queue.top();
    queue.pop();
    int64_t now = counts[top.pair];
    if (top.count != static_cast<uint64_t>(now)) {
      top.count = static_cast<uint64_t>(now);
      queue.push(std::move(top));
      continue;
    }
    if (top.count < 1 || o.min_frequency > top.count) break;
    uint32_t a = static_cast<uint32_t>(top.pair >> 32), b = static_cast<uint32_t>(top.pair);
    std::string part_b = v.word(b);
    const auto& pre = o.continuing_subword_prefix;
    if (pre && part_b.compare(0, pre->size(), *pre) == 0) part_b = part_b.substr(pre->size());
    uint32_t id = v.add(v.word(a) + part_b);
    merges.push_back({top.pair, id});
    for (uint32_t i : top.pos) {
      changes.clear();
      merge_word(ws[i], a, b, id, max_len, changes);
      for (const auto& [p, ch] : changes) {
        counts[p] += static_cast<int64_t>(ch) * static_cast<int64_t>(words[i].second);
        if (ch > 0) where[p].push_back(i);
      }
    }
    push_updates(where, counts, queue);
  }

  // HF keeps merges in a map pair -> rank: a pair merged twice keeps its later rank.
  std::unordered_map<Pair, size_t> last;
  for (size_t i = 0; i < merges.size(); ++i) last[merges[i].first] = i;
  BpeTrainResult r;
  for (size_t i = 0; i < merges.size(); ++i)
    if (last[merges[i].first] == i)
      r.merges.push_back({static_cast<uint32_t>(merges[i].first >> 32), static_cast<uint32_t>(merges[i].first)});
  r.vocab = v.take();
  return r;
}

}  // namespace hezar::tok
