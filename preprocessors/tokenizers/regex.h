// Oniguruma regexes with Hugging Face's semantics (Ruby syntax, UTF-8, onig crate's find_iter).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "preprocessors/tokenizers/normalized_string.h"

namespace hezar::tok {

class Regex {
 public:
  // Invalid patterns are BadInput naming `where`.
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  const std::string& pattern() const { return pattern_; }
  // Non-overlapping matches in byte offsets of `utf8`.
  std::vector<std::pair<size_t, size_t>> find_iter(const std::string& utf8) const;
  // Pieces covering `s` (in chars), as HF's Pattern::find_matches.
  std::vector<Match> find_matches(const std::u32string& s) const;

 private:
  std::string pattern_;
  void* regex_ = nullptr;
};

}  // namespace hezar::tok

#include <nlohmann/json_fwd.hpp>

namespace hezar::tok {

// A tokenizer.json pattern: {"String": "..."} (literal) or {"Regex": "..."} (Oniguruma).
class TextPattern {
 public:
  TextPattern(const nlohmann::json& j, const std::string& path);
  std::vector<Match> find_matches(const std::u32string& s) const;

 private:
  std::u32string literal_;
  std::unique_ptr<Regex> regex_;
};

}  // namespace hezar::tok
