#include "preprocessors/tokenizers/added_vocabulary.h"

#include <algorithm>

#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

void AddedVocabulary::add_tokens(const std::vector<AddedToken>& tokens, const Model& model,
                                 const Normalizer* normalizer) {
  uint32_t vocab_size = static_cast<uint32_t>(model.vocab_size());
  uint32_t next_id = vocab_size;
  if (!by_id_.empty()) {
    uint32_t mx = 0;
    for (const auto& [id, t] : by_id_) mx = std::max(mx, id);
    next_id = (mx >= vocab_size || vocab_size == 0) ? mx + 1 : vocab_size;
  }
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;
    std::optional<uint32_t> id = token_to_id(t.content);
    if (!id) id = model.token_to_id(t.content);
    uint32_t new_id = id ? *id : next_id++;
    if (t.normalized && normalizer) {
      NormalizedString n(utf8_decode(t.content));
      normalizer->normalize(n);
      std::string normed = utf8_encode(n.get());
      if (normed != t.content) normalized_cache_[new_id] = normed;
    }
    by_content_[t.content] = new_id;
    if (t.special) special_.insert(t.content);
    by_id_[new_id] = t;
  }
  rebuild();
}

void AddedVocabulary::Matcher::build() {
  by_first.clear();
  for (size_t i = 0; i < patterns.size(); ++i) by_first[patterns[i].first[0]].push_back(i);
  for (auto& [c, v] : by_first)
    std::stable_sort(v.begin(), v.end(), [&](size_t a, size_t b) {
      return patterns[a].first.size() > patterns[b].first.size();
    });
}

void AddedVocabulary::rebuild() {
  raw_.patterns.clear();
  normalized_.patterns.clear();
  std::vector<uint32_t> ids;
  for (const auto& [id, t] : by_id_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (uint32_t id : ids) {
    const AddedToken& t = by_id_[id];
    if (t.normalized) {
      auto it = normalized_cache_.find(id);
      std::u32string p = utf8_decode(it != normalized_cache_.end() ? it->second : t.content);
      if (!p.empty()) normalized_.patterns.emplace_back(std::move(p), id);
    } else {
      raw_.patterns.emplace_back(utf8_decode(t.content), id);
    }
  }
  raw_.build();
  normalized_.build();
}

std::optional<uint32_t> AddedVocabulary::token_to_id(const std::string& token) const {
  auto it = by_content_.find(token);
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const std::string* AddedVocabulary::id_to_token(uint32_t id) const {
  auto c = normalized_cache_.find(id);
  if (c != normalized_cache_.end()) return &c->second;
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second.content;
}

std::vector<std::pair<uint32_t, AddedToken>> AddedVocabulary::tokens() const {
  std::vector<std::pair<uint32_t, AddedToken>> out(by_id_.begin(), by_id_.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

void AddedVocabulary::split_with(NormalizedString&& n, const Matcher& m, std::vector<Split>& out) const {
  const std::u32string& s = n.get();
  if (m.empty() || s.empty()) {
    out.push_back({std::move(n), false, {}});
    return;
  }
  size_t start_offset = 0, i = 0;
  std::vector<std::pair<size_t, size_t>> ranges;
  std::vector<int64_t> range_ids;
  while (i < s.size()) {
    auto it = m.by_first.find(s[i]);
    const std::pair<std::u32string, uint32_t>* hit = nullptr;
    if (it != m.by_first.end()) {
      for (size_t k : it->second) {
        const auto& p = m.patterns[k];
        if (p.first.size() <= s.size() - i && s.compare(i, p.first.size(), p.first) == 0) {
          hit = &p;
          break;
        }
      }
    }
    if (!hit) { ++i; continue; }
    size_t start = i, stop = i + hit->first.size();
    i = stop;
    const AddedToken& t = by_id_.at(hit->second);
    if (t.single_word) {
      bool start_space = start == 0 || !is_word_char(s[start - 1]);
      bool stop_space = stop == s.size() || !is_word_char(s[stop]);
      if (!start_space || !stop_space) continue;
    }
    if (t.lstrip) {
      size_t ns = start;
      while (ns > 0 && is_whitespace(s[ns - 1])) --ns;
      start = std::max(ns, start_offset);
    }
    if (t.rstrip) {
      while (stop < s.size() && is_whitespace(s[stop])) ++stop;
      i = stop;
    }
    if (start_offset < start) { ranges.emplace_back(start_offset, start); range_ids.push_back(-1); }
    ranges.emplace_back(start, stop);
    range_ids.push_back(hit->second);
    start_offset = stop;
  }
  if (ranges.empty()) {
    out.push_back({std::move(n), false, {}});
    return;
  }
  if (start_offset != s.size()) { ranges.emplace_back(start_offset, s.size()); range_ids.push_back(-1); }
  for (size_t r = 0; r < ranges.size(); ++r) {
    NormalizedString piece = n.slice(ranges[r].first, ranges[r].second);
    if (range_ids[r] < 0) {
      out.push_back({std::move(piece), false, {}});
    } else {
      auto len = static_cast<uint32_t>(piece.size());
      std::string value = utf8_encode(piece.get());
      out.push_back({std::move(piece), true, {{static_cast<uint32_t>(range_ids[r]), std::move(value), 0, len}}});
    }
  }
}

PreTokenizedString AddedVocabulary::extract_and_normalize(const Normalizer* normalizer,
                                                          const std::u32string& text) const {
  PreTokenizedString p(NormalizedString(text, 0));
  p.split_with_tokens([this](NormalizedString&& n, std::vector<Split>& out) { split_with(std::move(n), raw_, out); });
  p.split_with_tokens([this, normalizer](NormalizedString&& n, std::vector<Split>& out) {
    if (normalizer) normalizer->normalize(n);
    split_with(std::move(n), normalized_, out);
  });
  return p;
}

}  // namespace hezar::tok
