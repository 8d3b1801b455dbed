#include "preprocessors/tokenizers/encoding.h"

#include <algorithm>

#include "core/error.h"

namespace hezar::tok {

void Encoding::reserve(size_t n) {
  ids.reserve(n); type_ids.reserve(n); tokens.reserve(n); words.reserve(n); offsets.reserve(n);
  special_tokens_mask.reserve(n); attention_mask.reserve(n);
}

void Encoding::push(uint32_t id, uint32_t type_id, std::string token, int64_t word, Offsets off,
                    uint32_t special) {
  ids.push_back(id);
  type_ids.push_back(type_id);
  tokens.push_back(std::move(token));
  words.push_back(word);
  offsets.push_back(off);
  special_tokens_mask.push_back(special);
  attention_mask.push_back(1);
}

std::vector<int64_t> Encoding::sequence_ids() const {
  std::vector<int64_t> out(ids.size(), -1);
  for (const auto& [seq, r] : sequence_ranges)
    for (size_t i = r.first; i < r.second && i < out.size(); ++i) out[i] = static_cast<int64_t>(seq);
  return out;
}

void Encoding::set_sequence_id(size_t id) {
  sequence_ranges.clear();
  sequence_ranges[id] = {0, ids.size()};
}

void Encoding::set_type_ids(uint32_t type_id) { std::fill(type_ids.begin(), type_ids.end(), type_id); }

Encoding Encoding::range(size_t start, size_t stop) const {
  Encoding e;
  e.ids.assign(ids.begin() + start, ids.begin() + stop);
  e.type_ids.assign(type_ids.begin() + start, type_ids.begin() + stop);
  e.tokens.assign(tokens.begin() + start, tokens.begin() + stop);
  e.words.assign(words.begin() + start, words.begin() + stop);
  e.offsets.assign(offsets.begin() + start, offsets.begin() + stop);
  e.special_tokens_mask.assign(special_tokens_mask.begin() + start, special_tokens_mask.begin() + stop);
  e.attention_mask.assign(attention_mask.begin() + start, attention_mask.begin() + stop);
  return e;
}

void Encoding::truncate(size_t max_len, size_t stride, Direction direction) {
  size_t n = ids.size();
  if (max_len >= n) return;
  if (max_len == 0) {
    Encoding o = std::move(*this);
    *this = Encoding();
    overflowing.push_back(std::move(o));
    return;
  }
  HEZAR_CHECK_INPUT(stride < max_len, "truncation stride (", stride, ") must be smaller than max_length (",
                    max_len, ") minus the special tokens");
  sequence_ranges.clear();
  size_t step = max_len - stride;
  std::vector<std::pair<size_t, size_t>> parts;
  bool end = false;
  if (direction == Direction::Right) {
    for (size_t start = 0; start < n && !end; start += step) {
      size_t stop = std::min(start + max_len, n);
      end = stop == n;
      parts.emplace_back(start, stop);
    }
  } else {
    for (size_t k = 0; k < n && !end; k += step) {
      size_t stop = n - k;
      size_t start = stop > max_len ? stop - max_len : 0;
      if (start < stop) {
        end = start == 0;
        parts.emplace_back(start, stop);
      }
    }
  }
  Encoding head = range(parts[0].first, parts[0].second);
  for (size_t i = 1; i < parts.size(); ++i) head.overflowing.push_back(range(parts[i].first, parts[i].second));
  *this = std::move(head);
}

void Encoding::merge_with(Encoding pair, bool growing_offsets) {
  std::vector<Encoding> overflowings;
  for (const Encoding& self_o : overflowing) {
    Encoding n = self_o;
    n.merge_with(pair, growing_offsets);
    overflowings.push_back(std::move(n));
    for (const Encoding& other_o : pair.overflowing) {
      Encoding m = self_o;
      m.merge_with(other_o, growing_offsets);
      overflowings.push_back(std::move(m));
    }
  }
  for (const Encoding& other_o : pair.overflowing) {
    Encoding n = *this;
    n.overflowing.clear();
    n.merge_with(other_o, growing_offsets);
    overflowings.push_back(std::move(n));
  }
  size_t len = ids.size();
  for (const auto& [seq, r] : pair.sequence_ranges) sequence_ranges[seq] = {len + r.first, len + r.second};
  uint32_t shift = growing_offsets && !offsets.empty() ? offsets.back().second : 0;
  ids.insert(ids.end(), pair.ids.begin(), pair.ids.end());
  type_ids.insert(type_ids.end(), pair.type_ids.begin(), pair.type_ids.end());
  for (auto& t : pair.tokens) tokens.push_back(std::move(t));
  words.insert(words.end(), pair.words.begin(), pair.words.end());
  for (auto o : pair.offsets) offsets.emplace_back(o.first + shift, o.second + shift);
  special_tokens_mask.insert(special_tokens_mask.end(), pair.special_tokens_mask.begin(),
                             pair.special_tokens_mask.end());
  attention_mask.insert(attention_mask.end(), pair.attention_mask.begin(), pair.attention_mask.end());
  overflowing = std::move(overflowings);
}

Encoding Encoding::merge(std::vector<Encoding> encodings, bool growing_offsets) {
  Encoding out;
  for (auto& e : encodings) out.merge_with(std::move(e), growing_offsets);
  return out;
}

void Encoding::pad(size_t target, uint32_t pad_id, uint32_t pad_type_id, const std::string& pad_token,
                   Direction direction) {
  for (auto& o : overflowing) o.pad(target, pad_id, pad_type_id, pad_token, direction);
  if (ids.size() >= target) return;
  size_t n = target - ids.size();
  auto ins = [&](auto& v, auto value) {
    if (direction == Direction::Left) v.insert(v.begin(), n, value);
    else v.insert(v.end(), n, value);
  };
  if (direction == Direction::Left)
    for (auto& [seq, r] : sequence_ranges) r = {r.first + n, r.second + n};
  ins(ids, pad_id);
  ins(type_ids, pad_type_id);
  ins(tokens, pad_token);
  ins(words, int64_t{-1});
  ins(offsets, Offsets{0, 0});
  ins(special_tokens_mask, uint32_t{1});
  ins(attention_mask, uint32_t{0});
}

void truncate_encodings(Encoding& a, Encoding* b, const TruncationParams& p) {
  if (p.max_length == 0) {
    a.truncate(0, p.stride, p.direction);
    if (b) b->truncate(0, p.stride, p.direction);
    return;
  }
  size_t total = a.size() + (b ? b->size() : 0);
  if (total <= p.max_length) return;
  size_t to_remove = total - p.max_length;
  if (p.strategy == TruncationStrategy::LongestFirst) {
    if (!b) {
      a.truncate(total - to_remove, p.stride, p.direction);
      return;
    }
    size_t n1 = a.size(), n2 = b->size();
    bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    if (n1 > p.max_length) n2 = n1;
    else n2 = std::max(n1, p.max_length - n1);
    if (n1 + n2 > p.max_length) {
      n1 = p.max_length / 2;
      n2 = n1 + p.max_length % 2;
    }
    if (swap) std::swap(n1, n2);
    a.truncate(n1, p.stride, p.direction);
    b->truncate(n2, p.stride, p.direction);
    return;
  }
  Encoding* target = p.strategy == TruncationStrategy::OnlyFirst ? &a : b;
  HEZAR_CHECK_INPUT(target != nullptr, "truncation strategy only_second needs a pair input");
  HEZAR_CHECK_INPUT(target->size() > to_remove,
                    "truncation error: the sequence to truncate is too short to respect max_length");
  target->truncate(target->size() - to_remove, p.stride, p.direction);
}

void pad_encodings(std::vector<Encoding>& encodings, const PaddingParams& p) {
  if (encodings.empty()) return;
  size_t target = p.fixed_length;
  if (!p.fixed) {
    target = 0;
    for (const auto& e : encodings) target = std::max(target, e.size());
  }
  if (p.pad_to_multiple_of > 0 && target % p.pad_to_multiple_of != 0)
    target += p.pad_to_multiple_of - target % p.pad_to_multiple_of;
  for (auto& e : encodings) e.pad(target, p.pad_id, p.pad_type_id, p.pad_token, p.direction);
}

}  // namespace hezar::tok
