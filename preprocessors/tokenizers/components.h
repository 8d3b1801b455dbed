// The pipeline stages of a tokenizer (Hugging Face tokenizers' traits): normalizer, pre-tokenizer,
// model, post-processor and decoder, plus PreTokenizedString. Each family is built from its
// tokenizer.json object by a `*_from_json` function that names the JSON path in every error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "preprocessors/tokenizers/encoding.h"
#include "preprocessors/tokenizers/normalized_string.h"

namespace hezar::tok {

using Json = nlohmann::json;

// A token produced by a model; offsets in chars of the split it came from.
struct Token {
  uint32_t id;
  std::string value;
  uint32_t start, end;
};

struct Split {
  NormalizedString normalized;
  bool has_tokens = false;
  std::vector<Token> tokens;
};

class PreTokenizedString {
 public:
  PreTokenizedString() = default;
  explicit PreTokenizedString(NormalizedString n) { splits.push_back({std::move(n), false, {}}); }
  // Replaces every untokenized split by the non-empty pieces `fn` produces.
  void split(const std::function<void(NormalizedString&&, std::vector<NormalizedString>&)>& fn);
  void split_with_tokens(const std::function<void(NormalizedString&&, std::vector<Split>&)>& fn);
  void normalize(const std::function<void(NormalizedString&)>& fn);
  std::vector<Split> splits;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& n) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(PreTokenizedString& p) const = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of one pre-token to `out`.
  virtual void tokenize(const std::u32string& text, std::vector<Token>& out) const = 0;
  virtual std::optional<uint32_t> token_to_id(const std::string& token) const = 0;
  virtual std::optional<std::string> id_to_token(uint32_t id) const = 0;
  virtual size_t vocab_size() const = 0;
  virtual std::unordered_map<std::string, uint32_t> vocab() const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual size_t added_tokens(bool is_pair) const = 0;
  // encodings: one or two (pair), processed in place (HF process_encodings).
  virtual std::vector<Encoding> process_encodings(std::vector<Encoding> encodings, bool add_special_tokens) const = 0;
  // process_encodings, then merged into one encoding.
  Encoding process(std::vector<Encoding> encodings, bool add_special_tokens) const;
};

// HF's default processing (no post-processor): pairs get sequence ids and are merged.
Encoding default_process(std::vector<Encoding> encodings);

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual std::vector<std::string> decode_chain(std::vector<std::string> tokens) const = 0;
  std::string decode(std::vector<std::string> tokens) const;
};

// ---- factories (tokenizer.json) -----------------------------------------------------------------
std::unique_ptr<Normalizer> normalizer_from_json(const Json& j, const std::string& path);
std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(const Json& j, const std::string& path);
std::unique_ptr<Model> model_from_json(const Json& j, const std::string& path);
std::unique_ptr<PostProcessor> post_processor_from_json(const Json& j, const std::string& path);
std::unique_ptr<Decoder> decoder_from_json(const Json& j, const std::string& path);

// The GPT-2 byte <-> unicode-char table of the ByteLevel components.
const std::u32string& bytes_to_chars();
int char_to_byte(char32_t c);  // -1 when not in the table

}  // namespace hezar::tok
