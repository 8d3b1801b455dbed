#include "preprocessors/text_tokenizer.h"
#include "preprocessors/whisper_decoding.h"

#include <filesystem>

#include "core/error.h"
#include "preprocessors/tokenizers/convert.h"

namespace fs = std::filesystem;

namespace hezar {

void TokenizerConfigBase::visit_common(FieldVisitor& v) {
  v("max_length", max_length, "deprecated in Hezar; pass max_length per call");
  v("truncation", truncation, "deprecated in Hezar");
  v("truncation_side", truncation_side, "right or left");
  v("padding", padding, "deprecated in Hezar");
  v("padding_side", padding_side, "right or left");
  v("stride", stride, "overlap of overflowing windows when truncating");
  v("pad_to_multiple_of", pad_to_multiple_of, "deprecated in Hezar");
  v("pad_token_type_id", pad_token_type_id, "token type id of padding");
  v("bos_token", bos_token);
  v("eos_token", eos_token);
  v("unk_token", unk_token);
  v("sep_token", sep_token);
  v("pad_token", pad_token);
  v("cls_token", cls_token);
  v("mask_token", mask_token);
  v("additional_special_tokens", additional_special_tokens);
}

std::vector<std::string> TokenizerConfigBase::special_tokens() const {
  std::vector<std::string> out;
  for (const auto* t : {&bos_token, &eos_token, &unk_token, &sep_token, &pad_token, &cls_token, &mask_token})
    if (*t && std::find(out.begin(), out.end(), **t) == out.end()) out.push_back(**t);
  if (additional_special_tokens)
    for (const auto& t : *additional_special_tokens)
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  return out;
}

namespace {
void visit_training(TokenizerConfigBase& c, FieldVisitor& v) {
  v("vocab_size", c.vocab_size, "vocabulary size (training; set to the real size on save)");
  v("min_frequency", c.min_frequency, "training: minimum pair/word frequency");
  v("limit_alphabet", c.limit_alphabet, "training: maximum initial alphabet size");
  v("initial_alphabet", c.initial_alphabet, "training: characters always in the alphabet");
  v("show_progress", c.show_progress, "training: show progress");
}
}  // namespace

WordPieceTokenizerConfig::WordPieceTokenizerConfig() {
  pad_token = "[PAD]";
  unk_token = "[UNK]";
  sep_token = "[SEP]";
  cls_token = "[CLS]";
  mask_token = "[MASK]";
  vocab_size = 30000;
}

void WordPieceTokenizerConfig::visit(FieldVisitor& v) {
  visit_common(v);
  v("wordpieces_prefix", wordpieces_prefix, "prefix of word continuations");
  visit_training(*this, v);
}

BpeTokenizerConfig::BpeTokenizerConfig() {
  bos_token = "<s>";
  eos_token = "</s>";
  unk_token = "<unk>";
  sep_token = "<sep>";
  pad_token = "<pad>";
  cls_token = "<cls>";
  mask_token = "<mask>";
  vocab_size = 30000;
}

void BpeTokenizerConfig::visit(FieldVisitor& v) {
  visit_common(v);
  v("dropout", dropout);
  v("continuing_subword_prefix", continuing_subword_prefix);
  v("end_of_word_suffix", end_of_word_suffix);
  v("fuse_unk", fuse_unk);
  visit_training(*this, v);
}

void SentencePieceBpeTokenizerConfig::visit(FieldVisitor& v) {
  BpeTokenizerConfig::visit(v);
  v("replacement", replacement, "Metaspace replacement char");
  v("add_prefix_space", add_prefix_space);
}

void SentencePieceUnigramTokenizerConfig::visit(FieldVisitor& v) {
  BpeTokenizerConfig::visit(v);
  v("replacement", replacement, "Metaspace replacement char");
  v("add_prefix_space", add_prefix_space);
}

WhisperBpeTokenizerConfig::WhisperBpeTokenizerConfig() {
  bos_token = eos_token = unk_token = sep_token = pad_token = cls_token = mask_token = std::string("<|endoftext|>");
}

void WhisperBpeTokenizerConfig::visit(FieldVisitor& v) {
  BpeTokenizerConfig::visit(v);
  v("translate_token", translate_token);
  v("transcribe_token", transcribe_token);
  v("notimestamps_token", notimestamps_token);
  v("add_prefix_space", add_prefix_space);
  v("model_max_length", model_max_length);
  v("language", language);
  v("task", task);
  v("predict_timestamps", predict_timestamps);
}

HEZAR_REGISTER_PREPROCESSOR("wordpiece_tokenizer", TextTokenizer, WordPieceTokenizerConfig,
                            "WordPiece tokenizer (BERT style), tokenizer.json + tokenizer_config.yaml");
HEZAR_REGISTER_PREPROCESSOR("bpe_tokenizer", TextTokenizer, BpeTokenizerConfig,
                            "byte-level BPE tokenizer (GPT-2/RoBERTa style)");
HEZAR_REGISTER_PREPROCESSOR("sentencepiece_bpe_tokenizer", TextTokenizer, SentencePieceBpeTokenizerConfig,
                            "SentencePiece-style BPE tokenizer (Metaspace)");
HEZAR_REGISTER_PREPROCESSOR("sentencepiece_unigram_tokenizer", TextTokenizer,
                            SentencePieceUnigramTokenizerConfig, "SentencePiece-style Unigram tokenizer (T5)");
HEZAR_REGISTER_PREPROCESSOR("whisper_bpe_tokenizer", TextTokenizer, WhisperBpeTokenizerConfig,
                            "Whisper's byte-level BPE tokenizer");

TextTokenizer::TextTokenizer(const TokenizerConfigBase& config, const std::string& load_dir)
    : config_(static_cast<TokenizerConfigBase*>(config.clone().release())) {
  if (!load_dir.empty()) {
    std::string file = load_dir + "/tokenizer.json";
    HEZAR_CHECK_INPUT(fs::exists(file), config.name(), ": missing ", file);
    backend_ = tok::Tokenizer::from_file(file);
  }
}

TextTokenizer::TextTokenizer(const TokenizerConfigBase& config, std::shared_ptr<tok::Tokenizer> backend)
    : config_(static_cast<TokenizerConfigBase*>(config.clone().release())), backend_(std::move(backend)) {}

const tok::Tokenizer& TextTokenizer::backend() const {
  HEZAR_CHECK_INPUT(backend_ != nullptr, config_->name(),
                    " has no vocabulary: load a preprocessor folder with tokenizer.json or train it first");
  return *backend_;
}

void TextTokenizer::save(const std::string& dir) const {
  fs::create_directories(dir);
  std::unique_ptr<Config> copy = config_->clone();
  auto& cfg = static_cast<TokenizerConfigBase&>(*copy);
  if (backend_) {
    cfg.vocab_size = static_cast<int>(backend_->vocab_size(true));
    backend_->save(dir + "/tokenizer.json");
  }
  config_save(cfg, dir + "/tokenizer_config.yaml");
}

std::optional<uint32_t> TextTokenizer::pad_token_id() const {
  if (!config_->pad_token || !backend_) return std::nullopt;
  return backend_->token_to_id(*config_->pad_token);
}

namespace {
// Per-call truncation/padding, as Hezar toggles them on every call.
struct CallParams {
  std::optional<tok::TruncationParams> trunc;
  std::optional<tok::PaddingParams> pad;
};

CallParams call_params(const TokenizerConfigBase* config, std::optional<uint32_t> pad_id,
                       const TokenizeOptions& opts) {
  std::optional<tok::TruncationParams> trunc;
  std::optional<tok::PaddingParams> pad;
  if (opts.truncation || (opts.max_length && opts.padding != "max_length")) {
    HEZAR_CHECK_INPUT(opts.max_length.has_value(), "truncation needs max_length");
    tok::TruncationParams tp;
    tp.max_length = static_cast<size_t>(*opts.max_length);
    tp.stride = static_cast<size_t>(config->stride.value_or(0));
    tp.direction = config->truncation_side.value_or("right") == "left" ? tok::Direction::Left : tok::Direction::Right;
    trunc = tp;
  }
  if (!opts.padding.empty()) {
    HEZAR_CHECK_INPUT(opts.padding == "longest" || opts.padding == "max_length",
                      "padding must be longest or max_length, got '", opts.padding, "'");
    tok::PaddingParams pp;
    if (opts.padding == "max_length") {
      HEZAR_CHECK_INPUT(opts.max_length.has_value(), "padding=max_length needs max_length");
      pp.fixed = true;
      pp.fixed_length = static_cast<size_t>(*opts.max_length);
    }
    pp.direction = config->padding_side.value_or("right") == "left" ? tok::Direction::Left : tok::Direction::Right;
    pp.pad_type_id = static_cast<uint32_t>(config->pad_token_type_id);
    pp.pad_token = config->pad_token.value_or("[PAD]");
    pp.pad_id = pad_id.value_or(0);
    pad = pp;
  }
  return {trunc, pad};
}
}  // namespace

std::vector<tok::Encoding> TextTokenizer::encode(const std::vector<std::string>& texts,
                                                 const TokenizeOptions& opts) const {
  const tok::Tokenizer& b = backend();
  const CallParams p = call_params(config_.get(), pad_token_id(), opts);
  return b.encode_batch_with(texts, opts.add_special_tokens, opts.threads, p.trunc, p.pad);
}

std::vector<tok::Encoding> TextTokenizer::encode_words(const std::vector<std::vector<std::string>>& batch,
                                                       const TokenizeOptions& opts) const {
  const tok::Tokenizer& b = backend();
  const CallParams p = call_params(config_.get(), pad_token_id(), opts);
  return b.encode_words_batch_with(batch, opts.add_special_tokens, opts.threads, p.trunc, p.pad);
}

TensorMap TextTokenizer::operator()(const std::vector<std::string>& texts, const TokenizeOptions& opts) const {
  std::vector<tok::Encoding> encs = encode(texts, opts);
  size_t len = encs.empty() ? 0 : encs[0].size();
  for (const auto& e : encs)
    HEZAR_CHECK_INPUT(e.size() == len, "texts have different token lengths; use padding=longest");
  auto n = static_cast<int64_t>(encs.size());
  auto make = [&](auto getter) {
    at::Tensor t = at::empty({n, static_cast<int64_t>(len)}, at::kLong);
    auto* p = t.data_ptr<int64_t>();
    for (size_t i = 0; i < encs.size(); ++i) {
      const auto& v = getter(encs[i]);
      for (size_t k = 0; k < len; ++k) p[i * len + k] = static_cast<int64_t>(v[k]);
    }
    return t;
  };
  TensorMap out;
  out["token_ids"] = make([](const tok::Encoding& e) -> const std::vector<uint32_t>& { return e.ids; });
  out["attention_mask"] = make([](const tok::Encoding& e) -> const std::vector<uint32_t>& { return e.attention_mask; });
  out["token_type_ids"] = make([](const tok::Encoding& e) -> const std::vector<uint32_t>& { return e.type_ids; });
  out["special_tokens_mask"] =
      make([](const tok::Encoding& e) -> const std::vector<uint32_t>& { return e.special_tokens_mask; });
  return out;
}

std::string TextTokenizer::decode(const std::vector<uint32_t>& ids, bool skip_special_tokens) const {
  // Whisper ids include timestamps (<|x.xx|>) and a prompt that plain BPE decoding does not know.
  if (dynamic_cast<const WhisperBpeTokenizerConfig*>(config_.get()))
    return WhisperDecoding(backend_ptr()).decode(ids, {skip_special_tokens});
  return backend().decode(ids, skip_special_tokens);
}

std::shared_ptr<tok::Tokenizer> load_any_tokenizer(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) {
    for (const char* cand : {"tokenizer.json", "preprocessor/tokenizer.json"})
      if (fs::exists(p / cand)) return tok::Tokenizer::from_file((p / cand).string());
    return tok::convert_legacy_folder(path);
  }
  HEZAR_CHECK_INPUT(fs::exists(p), "no such tokenizer file or folder: ", path);
  if (p.extension() == ".json" && p.filename() != "vocab.json") return tok::Tokenizer::from_file(path);
  return tok::convert_legacy_file(path);
}

}  // namespace hezar
