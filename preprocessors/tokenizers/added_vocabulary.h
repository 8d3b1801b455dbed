// Added tokens (HF tokenizer/added_vocabulary.rs): special and user tokens matched before the model,
// leftmost-longest, on the raw text (normalized=false) or on the normalized text (normalized=true),
// with lstrip/rstrip/single_word.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "preprocessors/tokenizers/components.h"

namespace hezar::tok {

struct AddedToken {
  std::string content;
  bool single_word = false, lstrip = false, rstrip = false, normalized = true, special = false;
};

class AddedVocabulary {
 public:
  // Adds tokens, recomputing ids as HF does (model id if the content is in the vocab, else next free).
  void add_tokens(const std::vector<AddedToken>& tokens, const Model& model, const Normalizer* normalizer);
  PreTokenizedString extract_and_normalize(const Normalizer* normalizer, const std::u32string& text) const;

  std::optional<uint32_t> token_to_id(const std::string& token) const;
  // Token used when decoding (normalized form for normalized tokens), or nullptr.
  const std::string* id_to_token(uint32_t id) const;
  bool is_special(const std::string& token) const { return special_.count(token) > 0; }
  size_t size() const { return by_content_.size(); }
  // (id, token) pairs sorted by id.
  std::vector<std::pair<uint32_t, AddedToken>> tokens() const;

 private:
  struct Matcher {
    std::vector<std::pair<std::u32string, uint32_t>> patterns;
    std::unordered_map<char32_t, std::vector<size_t>> by_first;  // longest first
    void build();
    bool empty() const { return patterns.empty(); }
  };
  void split_with(NormalizedString&& n, const Matcher& m, std::vector<Split>& out) const;
  void rebuild();

  std::unordered_map<std::string, uint32_t> by_content_;
  std::unordered_map<uint32_t, AddedToken> by_id_;
  std::unordered_map<uint32_t, std::string> normalized_cache_;
  std::unordered_set<std::string> special_;
  Matcher raw_, normalized_;
};

}  // namespace hezar::tok
