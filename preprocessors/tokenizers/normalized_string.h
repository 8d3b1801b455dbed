// NormalizedString: a text being normalized, with each normalized character aligned to the span of
// the original text it came from (Hugging Face's NormalizedString, kept in code points instead of
// bytes). Offsets are absolute code-point positions in the original input.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace hezar::tok {

struct Span {
  uint32_t start = 0, end = 0;
  bool operator==(const Span& o) const { return start == o.start && end == o.end; }
};

// One piece of a pattern search: [start, end) in characters and whether it is a match.
struct Match {
  size_t start, end;
  bool is_match;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// A transformation step: the new char and its change (1 inserted, 0 replaces, -N replaces and removes
// the N following chars), as in Hugging Face's NormalizedString::transform.
struct Change {
  char32_t c;
  int change;
};

class NormalizedString {
 public:
  NormalizedString() = default;
  // Identity alignment over `original`, whose first char is at absolute offset `shift`.
  explicit NormalizedString(std::u32string original, uint32_t shift = 0);

  const std::u32string& get() const { return s_; }
  const std::vector<Span>& alignments() const { return align_; }
  size_t size() const { return s_.size(); }
  bool empty() const { return s_.empty(); }
  Span original_span() const { return {orig_start_, orig_end_}; }

  // Normalized [start, end) -> absolute original span (HF convert_offsets).
  Span convert(size_t start, size_t end) const;
  NormalizedString slice(size_t start, size_t end) const;

  void transform(const std::vector<Change>& dest, size_t initial_offset) {
    transform_range(0, s_.size(), dest, initial_offset);
  }
  void transform_range(size_t start, size_t end, const std::vector<Change>& dest, size_t initial_offset);

  void filter(const std::function<bool(char32_t)>& keep);
  void map(const std::function<char32_t(char32_t)>& f);
  void prepend(const std::u32string& text);
  void append(const std::u32string& text);
  void lowercase();
  void uppercase();
  void strip(bool left, bool right);
  void nfd();
  void nfkd();
  void nfc();
  void nfkc();
  // Replaces every match with `content` (HF NormalizedString::replace).
  void replace(const std::vector<Match>& matches, const std::u32string& content);
  std::vector<NormalizedString> split(const std::vector<Match>& matches, SplitBehavior behavior) const;

 private:
  std::u32string s_;
  std::vector<Span> align_;
  uint32_t orig_start_ = 0, orig_end_ = 0;
};

// ---- patterns: every function returns pieces covering the whole string -------------------------
std::vector<Match> find_char_matches(const std::u32string& s, const std::function<bool(char32_t)>& pred);
std::vector<Match> find_string_matches(const std::u32string& s, const std::u32string& needle);
void invert_matches(std::vector<Match>& m);

}  // namespace hezar::tok
