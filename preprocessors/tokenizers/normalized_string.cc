#include "preprocessors/tokenizers/normalized_string.h"

#include <algorithm>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "core/error.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

NormalizedString::NormalizedString(std::u32string original, uint32_t shift)
    : s_(std::move(original)), orig_start_(shift), orig_end_(shift + static_cast<uint32_t>(s_.size())) {
  align_.resize(s_.size());
  for (uint32_t i = 0; i < s_.size(); ++i) align_[i] = {shift + i, shift + i + 1};
}

Span NormalizedString::convert(size_t start, size_t end) const {
  // HF returns an empty target unchanged (in normalized coordinates, shifted).
  if (start >= end || end > align_.size())
    return {orig_start_ + static_cast<uint32_t>(start), orig_start_ + static_cast<uint32_t>(start)};
  return {align_[start].start, align_[end - 1].end};
}

NormalizedString NormalizedString::slice(size_t start, size_t end) const {
  NormalizedString out;
  Span o = convert(start, end);
  out.orig_start_ = o.start;
  out.orig_end_ = start < end ? o.end : o.start;
  out.s_ = s_.substr(start, end - start);
  out.align_.assign(align_.begin() + start, align_.begin() + end);
  return out;
}

void NormalizedString::transform_range(size_t start, size_t end, const std::vector<Change>& dest,
                                       size_t initial_offset) {
  std::u32string ns;
  std::vector<Span> na;
  ns.reserve(dest.size());
  na.reserve(dest.size());
  size_t idx = start + initial_offset;
  for (const Change& ch : dest) {
    Span a;
    if (ch.change > 0) {
      a = idx < 1 ? Span{orig_start_, orig_start_} : align_[idx - 1];
    } else {
      HEZAR_CHECK(idx < align_.size(), "normalizer transform out of range");
      a = align_[idx];
      idx += 1;
      if (ch.change < 0) idx += static_cast<size_t>(-ch.change);
    }
    ns.push_back(ch.c);
    na.push_back(a);
  }
  s_.replace(start, end - start, ns);
  align_.erase(align_.begin() + start, align_.begin() + end);
  align_.insert(align_.begin() + start, na.begin(), na.end());
}

void NormalizedString::filter(const std::function<bool(char32_t)>& keep) {
  std::vector<Change> t;
  t.reserve(s_.size());
  int removed = 0;
  size_t removed_start = 0;
  bool have_last = false;
  char32_t last = 0;
  for (char32_t c : s_) {
    if (keep(c)) {
      if (have_last) t.push_back({last, -removed});
      else removed_start = static_cast<size_t>(removed);
      last = c;
      have_last = true;
      removed = 0;
    } else {
      ++removed;
    }
  }
  if (have_last) t.push_back({last, -removed});
  else removed_start = static_cast<size_t>(removed);
  if (t.size() == s_.size()) return;
  transform(t, removed_start);
}

void NormalizedString::map(const std::function<char32_t(char32_t)>& f) {
  for (char32_t& c : s_) c = f(c);
}

void NormalizedString::prepend(const std::u32string& text) {
  if (s_.empty() || text.empty()) return;
  std::vector<Change> t;
  for (size_t i = 0; i < text.size(); ++i) t.push_back({text[i], i != 0 ? 1 : 0});
  t.push_back({s_[0], 1});
  transform_range(0, 1, t, 0);
}

void NormalizedString::append(const std::u32string& text) {
  if (text.empty()) return;
  if (s_.empty()) {
    std::vector<Change> t;
    for (char32_t c : text) t.push_back({c, 1});
    transform_range(0, 0, t, 0);
    return;
  }
  std::vector<Change> t{{s_.back(), 0}};
  for (char32_t c : text) t.push_back({c, 1});
  transform_range(s_.size() - 1, s_.size(), t, 0);
}

namespace {
template <class F>
void case_map(NormalizedString& n, F fn) {
  const std::u32string& s = n.get();
  std::vector<Change> t;
  t.reserve(s.size());
  std::u32string buf;
  bool changed_len = false;
  for (char32_t c : s) {
    buf.clear();
    fn(c, buf);
    for (size_t i = 0; i < buf.size(); ++i) t.push_back({buf[i], i > 0 ? 1 : 0});
    if (buf.size() != 1) changed_len = true;
  }
  if (!changed_len) {
    size_t i = 0;
    n.map([&](char32_t) { return t[i++].c; });
    return;
  }
  n.transform(t, 0);
}
}  // namespace

void NormalizedString::lowercase() { case_map(*this, to_lowercase); }
void NormalizedString::uppercase() { case_map(*this, to_uppercase); }

void NormalizedString::strip(bool left, bool right) {
  size_t n = s_.size(), lead = 0, trail = 0;
  if (left) while (lead < n && is_whitespace(s_[lead])) ++lead;
  if (right) while (trail < n - lead && is_whitespace(s_[n - 1 - trail])) ++trail;
  if (lead == 0 && trail == 0) return;
  std::vector<Change> t;
  for (size_t i = lead; i < n - trail; ++i)
    t.push_back({s_[i], i == n - trail - 1 ? -static_cast<int>(trail) : 0});
  transform(t, lead);
}

namespace {
// form: 0 NFD, 1 NFKD, 2 NFC, 3 NFKC.
const icu::Normalizer2* icu_normalizer(int form) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  switch (form) {
    case 0: n = icu::Normalizer2::getNFDInstance(err); break;
    case 1: n = icu::Normalizer2::getNFKDInstance(err); break;
    case 2: n = icu::Normalizer2::getNFCInstance(err); break;
    default: n = icu::Normalizer2::getNFKCInstance(err); break;
  }
  HEZAR_CHECK(U_SUCCESS(err) && n, "ICU normalizer unavailable");
  return n;
}

icu::UnicodeString to_icu(const char32_t* s, size_t n) {
  return icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(s), static_cast<int32_t>(n));
}

// HF's normalization tables are Unicode 9.0 (unicode-normalization-alignments): a later character has no
// decomposition, no composition and combining class 0 there, so it acts as a starter.
constexpr uint8_t kHfNormalizationUnicode = 9;
bool known_to_hf(char32_t c) { return c < 0x300 || assigned_by(c, kHfNormalizationUnicode); }
uint8_t combining_class(char32_t c) {
  return known_to_hf(c) ? u_getCombiningClass(static_cast<UChar32>(c)) : 0;
}

// The changes HF attaches to a normalization (its unicode-normalization-alignments crate), which decide the
// offsets: decomposing a char gives (first, 0) then (rest, +1); marks are stably sorted by combining class
// between starters, each carrying its change; recomposing a mark into its starter charges the starter
// `change - 1` for it. So "e\u0301\u0301" -> NFC is (é, -1), (\u0301, 0): the removed mark is the one right
// after the starter, and the kept one stays aligned to itself. ICU supplies the Unicode data.
std::vector<Change> decompose_with_changes(const std::u32string& s, bool compatible) {
  const icu::Normalizer2* decomposer = icu_normalizer(compatible ? 1 : 0);
  std::vector<Change> out;
  out.reserve(s.size() + 8);
  size_t segment = 0;  // start of the marks not yet sorted
  auto sort_segment = [&] {
    std::stable_sort(out.begin() + segment, out.end(),
                     [](const Change& x, const Change& y) { return combining_class(x.c) < combining_class(y.c); });
    segment = out.size();
  };
  icu::UnicodeString mapping;
  for (char32_t c : s) {
    std::u32string parts(1, c);
    if (known_to_hf(c) && decomposer->getDecomposition(static_cast<UChar32>(c), mapping)) {
      parts.assign(static_cast<size_t>(mapping.countChar32()), 0);
      UErrorCode err = U_ZERO_ERROR;
      mapping.toUTF32(reinterpret_cast<UChar32*>(parts.data()), static_cast<int32_t>(parts.size()), err);
      HEZAR_CHECK(U_SUCCESS(err), "ICU decomposition failed");
    }
    for (size_t k = 0; k < parts.size(); ++k) {
      if (combining_class(parts[k]) == 0) sort_segment();
      out.push_back({parts[k], k == 0 ? 0 : 1});
    }
  }
  sort_segment();
  return out;
}

std::vector<Change> recompose_with_changes(const std::vector<Change>& in) {
  const icu::Normalizer2* composer = icu_normalizer(2);
  std::vector<Change> out, held;  // held: marks after the starter that did not compose
  out.reserve(in.size());
  bool have_starter = false;
  Change starter{0, 0};
  int last_class = -1;  // class of the last held mark; -1 = none
  for (const Change& ch : in) {
    const int cls = combining_class(ch.c);
    if (!have_starter) {
      if (cls != 0) {
        out.push_back(ch);
      } else {
        starter = ch;
        have_starter = true;
      }
      continue;
    }
    const bool blocked = last_class >= 0 && last_class >= cls;
    if (!blocked) {
      const UChar32 composed = composer->composePair(static_cast<UChar32>(starter.c), static_cast<UChar32>(ch.c));
      if (composed >= 0 && known_to_hf(ch.c) && known_to_hf(static_cast<char32_t>(composed))) {
        starter = {static_cast<char32_t>(composed), starter.change + ch.change - 1};
        continue;
      }
    }
    if (cls == 0) {  // a new starter: flush the old one and its marks
      out.push_back(starter);
      out.insert(out.end(), held.begin(), held.end());
      held.clear();
      starter = ch;
      last_class = -1;
      continue;
    }
    held.push_back(ch);
    last_class = cls;
  }
  if (have_starter) out.push_back(starter);
  out.insert(out.end(), held.begin(), held.end());
  return out;
}

void normalize_form(NormalizedString& ns, int form) {
  const std::u32string& s = ns.get();
  UErrorCode err = U_ZERO_ERROR;
  icu::UnicodeString whole = to_icu(s.data(), s.size());
  // Already normalized text maps every char onto itself (all changes 0): nothing to do.
  if (icu_normalizer(form)->isNormalized(whole, err) && U_SUCCESS(err)) return;
  std::vector<Change> t = decompose_with_changes(s, form == 1 || form == 3);
  if (form >= 2) t = recompose_with_changes(t);
  ns.transform(t, 0);
}
}  // namespace

void NormalizedString::nfd() { normalize_form(*this, 0); }
void NormalizedString::nfkd() { normalize_form(*this, 1); }
void NormalizedString::nfc() { normalize_form(*this, 2); }
void NormalizedString::nfkc() { normalize_form(*this, 3); }

void NormalizedString::replace(const std::vector<Match>& matches, const std::u32string& content) {
  bool any = false;
  for (const Match& m : matches) any = any || m.is_match;
  if (!any) return;
  std::u32string ns;
  std::vector<Span> na;
  ns.reserve(s_.size());
  na.reserve(s_.size());
  size_t last_end = 0;
  for (const Match& m : matches) {
    if (!m.is_match) continue;
    ns.append(s_, last_end, m.start - last_end);
    na.insert(na.end(), align_.begin() + last_end, align_.begin() + m.start);
    // Every inserted char takes the alignment of the char before the removed range's end.
    size_t idx = m.end;
    Span a = idx < 1 ? Span{orig_start_, orig_start_} : align_[idx - 1];
    for (char32_t c : content) {
      ns.push_back(c);
      na.push_back(a);
    }
    last_end = m.end;
  }
  ns.append(s_, last_end, std::u32string::npos);
  na.insert(na.end(), align_.begin() + last_end, align_.end());
  s_ = std::move(ns);
  align_ = std::move(na);
}

std::vector<NormalizedString> NormalizedString::split(const std::vector<Match>& matches,
                                                      SplitBehavior behavior) const {
  std::vector<Match> parts;  // is_match here means "remove"
  parts.reserve(matches.size());
  bool prev = false;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (auto m : matches) parts.push_back({m.start, m.end, false});
      break;
    case SplitBehavior::Removed:
      parts = matches;
      break;
    case SplitBehavior::Contiguous:
      for (auto m : matches) {
        if (m.is_match == prev && !parts.empty()) parts.back().end = m.end;
        else parts.push_back({m.start, m.end, false});
        prev = m.is_match;
      }
      break;
    case SplitBehavior::MergedWithPrevious:
      for (auto m : matches) {
        if (m.is_match && !prev && !parts.empty()) parts.back().end = m.end;
        else parts.push_back({m.start, m.end, false});
        prev = m.is_match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
        if (it->is_match && !prev && !parts.empty()) parts.back().start = it->start;
        else parts.push_back({it->start, it->end, false});
        prev = it->is_match;
      }
      std::reverse(parts.begin(), parts.end());
      break;
  }
  std::vector<NormalizedString> out;
  out.reserve(parts.size());
  for (const Match& p : parts)
    if (!p.is_match) out.push_back(slice(p.start, p.end));
  return out;
}

std::vector<Match> find_char_matches(const std::u32string& s, const std::function<bool(char32_t)>& pred) {
  std::vector<Match> out;
  if (s.empty()) return {{0, 0, false}};
  size_t last = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (pred(s[i])) {
      if (last < i) out.push_back({last, i, false});
      out.push_back({i, i + 1, true});
      last = i + 1;
    }
  }
  if (last < s.size()) out.push_back({last, s.size(), false});
  return out;
}

std::vector<Match> find_string_matches(const std::u32string& s, const std::u32string& needle) {
  if (needle.empty()) return {{0, s.size(), false}};
  if (s.empty()) return {{0, 0, false}};
  std::vector<Match> out;
  size_t prev = 0, pos = 0;
  while ((pos = s.find(needle, pos)) != std::u32string::npos) {
    if (prev != pos) out.push_back({prev, pos, false});
    out.push_back({pos, pos + needle.size(), true});
    pos += needle.size();
    prev = pos;
  }
  if (prev != s.size()) out.push_back({prev, s.size(), false});
  return out;
}

void invert_matches(std::vector<Match>& m) {
  for (auto& x : m) x.is_match = !x.is_match;
}

}  // namespace hezar::tok
