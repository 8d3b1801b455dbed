// Seed pieces of the Unigram trainer (HF UnigramTrainer::make_seed_sentence_pieces). HF gets the frequent
// substrings from esaxx: the distinct words are joined with '\0' after each, and every internal node
// of the suffix tree (an LCP interval of >= 2 suffixes, i.e. a substring seen at least twice with two
// different continuations) is a candidate with its number of occurrences. We build the same intervals
// from our own suffix array (prefix doubling) and LCP array (Kasai), so the seeds are the same set in
// the same order.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "preprocessors/tokenizers/unigram_trainer.h"

namespace hezar::tok {

namespace {

// Suffix array of `s` (values < k) by prefix doubling with counting sorts, O(n log n). A unique smallest
// sentinel is appended so that sorting cyclic shifts sorts suffixes; it is dropped from the result.
std::vector<uint32_t> suffix_array(std::vector<uint32_t> s, uint32_t k) {
  for (auto& c : s) ++c;
  s.push_back(0);
  const size_t n = s.size();
  std::vector<uint32_t> p(n), c(n), pn(n), cn(n), cnt(std::max<size_t>(k + 1, n), 0);
  for (uint32_t x : s) ++cnt[x];
  for (size_t i = 1; i < k + 1; ++i) cnt[i] += cnt[i - 1];
  for (size_t i = n; i-- > 0;) p[--cnt[s[i]]] = static_cast<uint32_t>(i);
  c[p[0]] = 0;
  uint32_t classes = 1;
  for (size_t i = 1; i < n; ++i) {
    if (s[p[i]] != s[p[i - 1]]) ++classes;
    c[p[i]] = classes - 1;
  }
  for (size_t h = 1; h < n && classes < n; h <<= 1) {
    for (size_t i = 0; i < n; ++i) pn[i] = static_cast<uint32_t>((p[i] + n - h) % n);
    std::fill(cnt.begin(), cnt.begin() + classes, 0);
    for (size_t i = 0; i < n; ++i) ++cnt[c[pn[i]]];
    for (size_t i = 1; i < classes; ++i) cnt[i] += cnt[i - 1];
    for (size_t i = n; i-- > 0;) p[--cnt[c[pn[i]]]] = pn[i];
    cn[p[0]] = 0;
    classes = 1;
    for (size_t i = 1; i < n; ++i) {
      uint32_t a = p[i], b = p[i - 1];
      if (c[a] != c[b] || c[(a + h) % n] != c[(b + h) % n]) ++classes;
      cn[p[i]] = classes - 1;
    }
    c.swap(cn);
  }
  return std::vector<uint32_t>(p.begin() + 1, p.end());  // p[0] is the sentinel
}

// lcp[i] = common prefix length of the suffixes sa[i-1] and sa[i] (lcp[0] = 0), Kasai et al.
std::vector<uint32_t> lcp_array(const std::vector<uint32_t>& s, const std::vector<uint32_t>& sa) {
  const size_t n = s.size();
  std::vector<uint32_t> rank(n), lcp(n, 0);
  for (size_t i = 0; i < n; ++i) rank[sa[i]] = static_cast<uint32_t>(i);
  size_t h = 0;
  for (size_t i = 0; i < n; ++i) {
    if (rank[i] == 0) {
      h = 0;
      continue;
    }
    size_t j = sa[rank[i] - 1];
    while (i + h < n && j + h < n && s[i + h] == s[j + h]) ++h;
    lcp[rank[i]] = static_cast<uint32_t>(h);
    if (h > 0) --h;
  }
  return lcp;
}

struct Interval {
  uint32_t left, right, depth;  // suffixes sa[left..right) share their first `depth` chars
};

// The suffix tree's internal nodes as esaxx enumerates them (bottom-up over the LCP array with a stack;
// leaves are pushed with depth = suffix length + 1 so they never form a node of their own).
std::vector<Interval> internal_nodes(const std::vector<uint32_t>& sa, const std::vector<uint32_t>& lcp) {
  const int64_t n = static_cast<int64_t>(sa.size());
  std::vector<std::pair<int64_t, int64_t>> stack{{-1, -1}};
  std::vector<Interval> out;
  for (int64_t i = 0;; ++i) {
    std::pair<int64_t, int64_t> cur{i, i == n ? -1 : (i == 0 ? 0 : static_cast<int64_t>(lcp[i]))};
    while (stack.back().second > cur.second) {
      const auto& cand = stack.back();
      if (i - cand.first > 1)
        out.push_back(
            {static_cast<uint32_t>(cand.first), static_cast<uint32_t>(i), static_cast<uint32_t>(cand.second)});
      cur.first = cand.first;
      stack.pop_back();
    }
    if (stack.back().second < cur.second) stack.push_back(cur);
    if (i == n) break;
    stack.push_back({i, n - static_cast<int64_t>(sa[i]) + 1});
  }
  return out;
}

struct Substr {
  uint64_t score;  // occurrences x length
  uint32_t offset, len;
};

// The suffix tree's internal nodes of 2..max_len chars without a boundary, in HF's order: higher score
// first, then the greater string (HF sorts (score, chars) tuples in reverse).
std::vector<Substr> frequent_substrings(const std::vector<char32_t>& flat, size_t max_len) {
  // Dense ranks keep the order of code points, so the suffix order is that of the text.
  std::vector<char32_t> alphabet(flat.begin(), flat.end());
  std::sort(alphabet.begin(), alphabet.end());
  alphabet.erase(std::unique(alphabet.begin(), alphabet.end()), alphabet.end());
  std::vector<uint32_t> text(flat.size());
  for (size_t i = 0; i < flat.size(); ++i)
    text[i] = static_cast<uint32_t>(std::lower_bound(alphabet.begin(), alphabet.end(), flat[i]) - alphabet.begin());
  std::vector<uint32_t> sa = suffix_array(text, static_cast<uint32_t>(alphabet.size()));
  std::vector<uint32_t> lcp = lcp_array(text, sa);

  std::vector<Substr> out;
  for (const Interval& node : internal_nodes(sa, lcp)) {
    if (node.depth <= 1 || node.depth > max_len) continue;
    uint32_t off = sa[node.left];
    auto begin = flat.begin() + off, end = begin + node.depth;
    if (std::find(begin, end, U'\0') != end) continue;
    out.push_back({static_cast<uint64_t>(node.right - node.left) * node.depth, off, node.depth});
  }
  std::sort(out.begin(), out.end(), [&](const Substr& a, const Substr& b) {
    if (a.score != b.score) return a.score > b.score;
    return std::lexicographical_compare(flat.begin() + b.offset, flat.begin() + b.offset + b.len,
                                        flat.begin() + a.offset, flat.begin() + a.offset + a.len);
  });
  return out;
}

}  // namespace

std::vector<std::pair<std::u32string, double>> unigram_seed_pieces(const std::vector<UnigramSentence>& sentences,
                                                                   size_t max_piece_length, size_t seed_size) {
  std::vector<char32_t> flat;
  std::map<char32_t, uint64_t> char_counts;
  for (const auto& [w, count] : sentences) {
    if (w.empty()) continue;
    flat.insert(flat.end(), w.begin(), w.end());
    flat.push_back(U'\0');  // the sentence boundary
    for (char32_t c : w)
      if (c != U'\0') char_counts[c] += count;
  }
  // Every character first (by count, then code point, descending), then the substrings.
  std::vector<std::pair<uint64_t, char32_t>> chars;
  for (auto [c, n] : char_counts) chars.push_back({n, c});
  std::sort(chars.begin(), chars.end(), std::greater<>());
  std::vector<std::pair<std::u32string, double>> seeds;
  for (auto [n, c] : chars) seeds.push_back({std::u32string(1, c), static_cast<double>(n)});
  for (const Substr& s : frequent_substrings(flat, max_piece_length)) {
    seeds.push_back(
        {std::u32string(flat.begin() + s.offset, flat.begin() + s.offset + s.len), static_cast<double>(s.score)});
    if (seeds.size() >= seed_size) break;
  }
  double sum = 0;
  for (const auto& s : seeds) sum += s.second;
  const double logsum = std::log(sum);
  for (auto& s : seeds) s.second = std::log(s.second) - logsum;
  return seeds;
}

}  // namespace hezar::tok
