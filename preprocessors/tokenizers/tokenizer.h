// A Hugging Face `tokenizers` Tokenizer loaded from tokenizer.json: normalizer -> pre-tokenizer ->
// model -> post-processor, added tokens, truncation, padding, batch encoding and decoding. Offsets are
// code points of the original text (as the fixtures and the Node binding).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "preprocessors/tokenizers/encoding.h"

namespace hezar::tok {

class Normalizer;
class PreTokenizer;
class Model;
class PostProcessor;
class Decoder;
class AddedVocabulary;
class PreTokenizedString;
struct AddedToken;

class Tokenizer {
 public:
  ~Tokenizer();
  // Malformed or unsupported files are BadInput naming the JSON path and component type.
  static std::shared_ptr<Tokenizer> from_file(const std::string& path);
  static std::shared_ptr<Tokenizer> from_json_string(const std::string& text, const std::string& source);

  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  Encoding encode_pair(std::string_view a, std::string_view b, bool add_special_tokens = true) const;
  // Encodes on `threads` threads (0 = hardware concurrency) and pads the batch if padding is set.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, bool add_special_tokens = true,
                                     size_t threads = 0) const;
  // Like encode_batch with explicit truncation/padding (the tokenizer's own settings are ignored).
  std::vector<Encoding> encode_batch_with(const std::vector<std::string>& texts, bool add_special_tokens,
                                          size_t threads, const std::optional<TruncationParams>& truncation,
                                          const std::optional<PaddingParams>& padding) const;
  // Pre-split input (HF's is_split_into_words): each word goes through the normalizer, pre-tokenizer and
  // model on its own, its tokens get the word's index in `words` and offsets relative to the word; then
  // the post-processor adds special tokens. Uses the tokenizer's truncation and padding settings.
  Encoding encode_words(const std::vector<std::string>& words, bool add_special_tokens = true) const;
  // encode_words over a batch on `threads` threads, with explicit truncation/padding (as encode_batch_with).
  std::vector<Encoding> encode_words_batch_with(const std::vector<std::vector<std::string>>& batch,
                                                bool add_special_tokens, size_t threads,
                                                const std::optional<TruncationParams>& truncation,
                                                const std::optional<PaddingParams>& padding) const;
  std::vector<Encoding> encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                           bool add_special_tokens = true, size_t threads = 0) const;
  std::string decode(const std::vector<uint32_t>& ids, bool skip_special_tokens = true) const;

  const std::optional<TruncationParams>& truncation() const { return truncation_; }
  const std::optional<PaddingParams>& padding() const { return padding_; }
  void set_truncation(std::optional<TruncationParams> t) { truncation_ = std::move(t); }
  void set_padding(std::optional<PaddingParams> p) { padding_ = std::move(p); }

  std::optional<uint32_t> token_to_id(const std::string& token) const;
  std::optional<std::string> id_to_token(uint32_t id) const;
  size_t vocab_size(bool with_added_tokens = true) const;
  std::unordered_map<std::string, uint32_t> vocab(bool with_added_tokens = true) const;
  bool is_special_token(const std::string& token) const;
  // Adds tokens (special or not) after loading, as HF's add_tokens / add_special_tokens.
  void add_tokens(const std::vector<AddedToken>& tokens);
  // Number of special tokens the post-processor adds.
  size_t num_special_tokens_to_add(bool is_pair) const;

  // tokenizer.json text (the loaded JSON with current truncation/padding/added tokens).
  std::string to_json_string() const;
  void save(const std::string& path) const;

  // Training hooks (trainers.h). The normalized pre-token strings of `text`, as HF's trainers count
  // them (added tokens extracted, normalizer, pre-tokenizer).
  std::vector<std::string> pre_tokenize_words(std::string_view text) const;
  // A copy of this tokenizer with `model_json` (a tokenizer.json "model" object) as its model and
  // `special` added as special tokens, as HF's Tokenizer::train does after the trainer ran.
  std::shared_ptr<Tokenizer> with_trained_model(const std::string& model_json,
                                                const std::vector<std::string>& special) const;
  // This tokenizer's "model" object (tokenizer.json text).
  std::string model_json() const;

 private:
  Tokenizer();
  // `text` through added-token extraction, normalizer, pre-tokenizer and model. With `truncation` (the one
  // the encoding will get), HF's early exit: splits are tokenized from the kept end only until they hold
  // max_length tokens and the rest are dropped (whole splits: post-processing truncates precisely). This
  // also decides how LongestFirst shares a pair, so it is applied as HF does, except to the first sequence
  // under OnlySecond.
  PreTokenizedString tokenize_splits(std::string_view text, const TruncationParams* truncation,
                                     uint32_t type_id) const;
  Encoding encode_sequence(std::string_view text, uint32_t type_id, const TruncationParams* truncation) const;
  // Appends the tokens of `text` to `e`, all with word id `word`.
  void append_word(std::string_view text, uint32_t type_id, int64_t word, Encoding& e,
                   const TruncationParams* truncation) const;
  Encoding encode_words_sequence(const std::vector<std::string>& words, uint32_t type_id,
                                 const TruncationParams* truncation) const;
  Encoding post_process(Encoding a, std::optional<Encoding> b, bool add_special_tokens,
                        const TruncationParams* truncation) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::optional<TruncationParams> truncation_;
  std::optional<PaddingParams> padding_;
};

}  // namespace hezar::tok
