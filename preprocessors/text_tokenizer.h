// Hezar's tokenizer preprocessors (`wordpiece_tokenizer`, `bpe_tokenizer`, `sentencepiece_bpe_tokenizer`,
// `sentencepiece_unigram_tokenizer`, `whisper_bpe_tokenizer`): a tokenizers::Tokenizer backend plus
// Hezar's TokenizerConfig, saved as preprocessor/tokenizer.json + preprocessor/tokenizer_config.yaml.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/tensor_map.h"
#include "preprocessors/preprocessor.h"
#include "preprocessors/tokenizers/tokenizer.h"

namespace hezar {

// Fields shared by every Hezar TokenizerConfig (hezar/preprocessors/tokenizers/tokenizer.py).
struct TokenizerConfigBase : Config {
  // Deprecated in Hezar (kept as strings so old files load): max_length, truncation, padding, pad_to_multiple_of.
  std::optional<std::string> max_length, truncation, padding, pad_to_multiple_of;
  std::optional<std::string> truncation_side = std::string("right");
  std::optional<std::string> padding_side = std::string("right");
  std::optional<int> stride = 0;
  int pad_token_type_id = 0;
  std::optional<std::string> bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token;
  std::optional<std::vector<std::string>> additional_special_tokens;
  // Training parameters.
  std::optional<int> vocab_size;
  int min_frequency = 2;
  int limit_alphabet = 1000;
  std::vector<std::string> initial_alphabet;
  bool show_progress = true;

  void visit_common(FieldVisitor& v);
  // Special tokens in Hezar's order (non-null ones).
  std::vector<std::string> special_tokens() const;
};

struct WordPieceTokenizerConfig : TokenizerConfigBase {
  HEZAR_CONFIG(WordPieceTokenizerConfig, "wordpiece_tokenizer", "preprocessor")
  WordPieceTokenizerConfig();
  std::string wordpieces_prefix = "##";
  void visit(FieldVisitor& v) override;
};

struct BpeTokenizerConfig : TokenizerConfigBase {
  HEZAR_CONFIG(BpeTokenizerConfig, "bpe_tokenizer", "preprocessor")
  BpeTokenizerConfig();
  std::optional<double> dropout;
  std::string continuing_subword_prefix, end_of_word_suffix;
  bool fuse_unk = false;
  void visit(FieldVisitor& v) override;
};

struct SentencePieceBpeTokenizerConfig : BpeTokenizerConfig {
  HEZAR_CONFIG(SentencePieceBpeTokenizerConfig, "sentencepiece_bpe_tokenizer", "preprocessor")
  std::string replacement = "_";
  bool add_prefix_space = true;
  void visit(FieldVisitor& v) override;
};

struct SentencePieceUnigramTokenizerConfig : BpeTokenizerConfig {
  HEZAR_CONFIG(SentencePieceUnigramTokenizerConfig, "sentencepiece_unigram_tokenizer", "preprocessor")
  SentencePieceUnigramTokenizerConfig() { vocab_size = 8000; }
  std::string replacement = "_";
  bool add_prefix_space = true;
  void visit(FieldVisitor& v) override;
};

struct WhisperBpeTokenizerConfig : BpeTokenizerConfig {
  HEZAR_CONFIG(WhisperBpeTokenizerConfig, "whisper_bpe_tokenizer", "preprocessor")
  WhisperBpeTokenizerConfig();
  std::string translate_token = "<|translate|>", transcribe_token = "<|transcribe|>",
              notimestamps_token = "<|notimestamps|>";
  bool add_prefix_space = false;
  int model_max_length = 1024;
  std::optional<std::string> language, task;
  bool predict_timestamps = false;
  void visit(FieldVisitor& v) override;
};

// Options of one tokenizer call (Hezar's Tokenizer.__call__).
struct TokenizeOptions {
  std::string padding;          // "" (none), "longest", "max_length"
  bool truncation = false;
  std::optional<int> max_length;
  bool add_special_tokens = true;
  size_t threads = 0;           // 0 = hardware concurrency
};

class TextTokenizer : public Preprocessor {
 public:
  // Loads `load_dir`/tokenizer.json when load_dir is set; otherwise the tokenizer is empty until trained
  // or given a backend.
  TextTokenizer(const TokenizerConfigBase& config, const std::string& load_dir);
  TextTokenizer(const TokenizerConfigBase& config, std::shared_ptr<tok::Tokenizer> backend);
  const Config& config() const override { return *config_; }
  void save(const std::string& dir) const override;

  bool has_backend() const { return backend_ != nullptr; }
  const tok::Tokenizer& backend() const;
  std::shared_ptr<tok::Tokenizer> backend_ptr() const { return backend_; }
  void set_backend(std::shared_ptr<tok::Tokenizer> b) { backend_ = std::move(b); }

  std::vector<tok::Encoding> encode(const std::vector<std::string>& texts, const TokenizeOptions& opts) const;
  // Pre-split words per example (HF's is_split_into_words): Encoding::words holds each token's word index
  // (-1 for special tokens and padding); truncation/padding as in encode().
  std::vector<tok::Encoding> encode_words(const std::vector<std::vector<std::string>>& batch,
                                          const TokenizeOptions& opts) const;
  // {"token_ids", "attention_mask", "token_type_ids", "special_tokens_mask"} as int64 [N, L]; needs equal
  // lengths (use padding) when N > 1.
  TensorMap operator()(const std::vector<std::string>& texts, const TokenizeOptions& opts) const;
  std::string decode(const std::vector<uint32_t>& ids, bool skip_special_tokens = true) const;
  std::optional<uint32_t> pad_token_id() const;

 private:
  std::unique_ptr<TokenizerConfigBase> config_;
  std::shared_ptr<tok::Tokenizer> backend_;
};

// Loads a tokenizer from a model folder, a preprocessor/ folder, a tokenizer.json file, or an older
// format (vocab.txt, vocab.json + merges.txt) — see preprocessors/tokenizers/convert.h.
std::shared_ptr<tok::Tokenizer> load_any_tokenizer(const std::string& path);

}  // namespace hezar
