#include "preprocessors/tokenizer_training.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/trainers.h"
#include "preprocessors/tokenizers/unicode.h"
#include "preprocessors/tokenizers/unigram_trainer.h"

namespace hezar {

namespace {

using Json = nlohmann::json;

Json byte_level(bool add_prefix_space, bool trim_offsets) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", trim_offsets},
          {"use_regex", true}};
}

Json bpe_model(const BpeTokenizerConfig& c) {
  return {{"type", "BPE"}, {"dropout", c.dropout ? Json(*c.dropout) : Json()},
          {"unk_token", c.unk_token ? Json(*c.unk_token) : Json()},
          {"continuing_subword_prefix", c.continuing_subword_prefix}, {"end_of_word_suffix", c.end_of_word_suffix},
          {"fuse_unk", c.fuse_unk}, {"byte_fallback", false}, {"ignore_merges", false},
          {"vocab", Json::object()}, {"merges", Json::array()}};
}

// Hezar's build() of each tokenizer type. WordPiece differs on purpose: Hezar builds it without a
// normalizer or pre-tokenizer, so training on lines would learn whole lines; we use BERT's (cased).
Json build_json(const TokenizerConfigBase& config) {
  Json j{{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", Json::array()},
         {"normalizer", nullptr}, {"pre_tokenizer", nullptr}, {"post_processor", nullptr}, {"decoder", nullptr}};
  if (auto* wp = dynamic_cast<const WordPieceTokenizerConfig*>(&config)) {
    j["normalizer"] = {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
                       {"strip_accents", nullptr}, {"lowercase", false}};
    j["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
    j["decoder"] = {{"type", "WordPiece"}, {"prefix", wp->wordpieces_prefix}, {"cleanup", true}};
    j["model"] = {{"type", "WordPiece"}, {"unk_token", wp->unk_token.value_or("[UNK]")},
                  {"continuing_subword_prefix", wp->wordpieces_prefix}, {"max_input_chars_per_word", 100},
                  {"vocab", Json::object()}};
    return j;
  }
  if (auto* sp = dynamic_cast<const SentencePieceBpeTokenizerConfig*>(&config)) {
    Json meta{{"type", "Metaspace"}, {"replacement", sp->replacement},
              {"prepend_scheme", sp->add_prefix_space ? "always" : "never"}, {"split", true}};
    j["pre_tokenizer"] = meta;
    j["decoder"] = meta;
    j["model"] = bpe_model(*sp);
    return j;
  }
  if (auto* un = dynamic_cast<const SentencePieceUnigramTokenizerConfig*>(&config)) {
    // Hezar's build(): Nmt + NFKC + collapsed spaces, Metaspace, an empty Unigram (HF's default model).
    j["normalizer"] = {{"type", "Sequence"},
                       {"normalizers", Json::array({Json{{"type", "Nmt"}}, Json{{"type", "NFKC"}},
                                                    Json{{"type", "Replace"},
                                                         {"pattern", {{"Regex", " {2,}"}}},
                                                         {"content", " "}}})}};
    Json meta{{"type", "Metaspace"}, {"replacement", un->replacement},
              {"prepend_scheme", un->add_prefix_space ? "always" : "never"}, {"split", true}};
    j["pre_tokenizer"] = meta;
    j["decoder"] = meta;
    j["model"] = {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", Json::array({Json::array({"<unk>", 0.0})})},
                  {"byte_fallback", false}};
    return j;
  }
  auto* bpe = dynamic_cast<const BpeTokenizerConfig*>(&config);
  HEZAR_CHECK_INPUT(bpe != nullptr, config.name(), " cannot be trained");
  bool prefix_space = false;
  if (auto* w = dynamic_cast<const WhisperBpeTokenizerConfig*>(&config)) prefix_space = w->add_prefix_space;
  j["pre_tokenizer"] = byte_level(prefix_space, true);
  j["decoder"] = byte_level(true, true);
  j["post_processor"] = byte_level(true, false);
  j["model"] = bpe_model(*bpe);
  return j;
}

tok::BpeTrainerOptions trainer_options(const TokenizerConfigBase& c, bool byte_level_alphabet) {
  tok::BpeTrainerOptions o;
  HEZAR_CHECK_INPUT(c.vocab_size.value_or(30000) > 0, c.name(), ".vocab_size must be > 0");
  HEZAR_CHECK_INPUT(c.min_frequency >= 0, c.name(), ".min_frequency must be >= 0");
  o.vocab_size = static_cast<size_t>(c.vocab_size.value_or(30000));
  o.min_frequency = static_cast<uint64_t>(c.min_frequency);
  o.special_tokens = c.special_tokens();
  if (byte_level_alphabet) {  // Hezar's BPE: initial_alphabet=ByteLevel.alphabet(), no limit_alphabet
    const std::u32string& table = tok::bytes_to_chars();
    o.initial_alphabet.assign(table.begin(), table.end());
    return o;
  }
  o.limit_alphabet = static_cast<size_t>(std::max(0, c.limit_alphabet));
  for (const auto& s : c.initial_alphabet) {
    std::u32string cs = tok::utf8_decode(s);
    if (!cs.empty()) o.initial_alphabet.push_back(cs[0]);  // HF keeps the first char of each string
  }
  return o;
}

// Hezar's UnigramTrainer(vocab_size, special_tokens, initial_alphabet, unk_token); HF's other defaults.
tok::UnigramTrainerOptions unigram_options(const TokenizerConfigBase& c) {
  tok::UnigramTrainerOptions o;
  HEZAR_CHECK_INPUT(c.vocab_size.value_or(8000) > 0, c.name(), ".vocab_size must be > 0");
  o.vocab_size = static_cast<size_t>(c.vocab_size.value_or(8000));
  o.special_tokens = c.special_tokens();
  o.unk_token = c.unk_token;
  for (const auto& s : c.initial_alphabet) {
    std::u32string cs = tok::utf8_decode(s);
    if (!cs.empty()) o.initial_alphabet.push_back(cs[0]);
  }
  return o;
}

}  // namespace

std::string untrained_tokenizer_json(const TokenizerConfigBase& config, const std::string& normalizer_json) {
  Json j = build_json(config);
  Json extra = Json::parse(normalizer_json);
  if (!extra.is_null())
    j["normalizer"] = j["normalizer"].is_null()
                          ? extra
                          : Json{{"type", "Sequence"}, {"normalizers", Json::array({extra, j["normalizer"]})}};
  return j.dump();
}

namespace {
// A trained WordPiece tokenizer feeds BERT models, which classify from [CLS] and expect [SEP]: add BERT's
// post-processor (as every BERT tokenizer.json on the Hub has) when both tokens are in the vocabulary.
std::shared_ptr<tok::Tokenizer> with_bert_post_processor(std::shared_ptr<tok::Tokenizer> trained,
                                                         const WordPieceTokenizerConfig& config) {
  const std::string cls = config.cls_token.value_or("[CLS]"), sep = config.sep_token.value_or("[SEP]");
  const auto cls_id = trained->token_to_id(cls), sep_id = trained->token_to_id(sep);
  if (!cls_id || !sep_id) return trained;
  Json j = Json::parse(trained->to_json_string());
  j["post_processor"] = {{"type", "BertProcessing"}, {"sep", Json::array({sep, *sep_id})},
                         {"cls", Json::array({cls, *cls_id})}};
  return tok::Tokenizer::from_json_string(j.dump(), std::string(config.name()) + " (trained)");
}
}  // namespace

std::shared_ptr<TextTokenizer> train_text_tokenizer(const TokenizerConfigBase& config,
                                                    const std::vector<std::string>& files,
                                                    const TextNormalizer* normalizer) {
  HEZAR_CHECK_INPUT(!files.empty(), "tokenizer training needs at least one text file");
  std::string json = untrained_tokenizer_json(config, normalizer ? normalizer->tokenizers_json() : "null");
  auto base = tok::Tokenizer::from_json_string(json, std::string(config.name()) + " (untrained)");
  tok::WordCounts words = tok::count_words(*base, files);
  std::shared_ptr<tok::Tokenizer> trained;
  if (auto* wp = dynamic_cast<const WordPieceTokenizerConfig*>(&config)) {
    tok::BpeTrainerOptions o = trainer_options(config, false);
    o.continuing_subword_prefix = wp->wordpieces_prefix;
    trained = with_bert_post_processor(tok::train_wordpiece_tokenizer(*base, words, o), *wp);
  } else if (dynamic_cast<const SentencePieceUnigramTokenizerConfig*>(&config)) {
    trained = tok::train_unigram_tokenizer(*base, words, unigram_options(config));
  } else {
    bool sentencepiece = dynamic_cast<const SentencePieceBpeTokenizerConfig*>(&config) != nullptr;
    trained = tok::train_bpe_tokenizer(*base, words, trainer_options(config, !sentencepiece));
  }
  auto cfg = std::unique_ptr<TokenizerConfigBase>(static_cast<TokenizerConfigBase*>(config.clone().release()));
  cfg->vocab_size = static_cast<int>(trained->vocab_size(true));
  return std::make_shared<TextTokenizer>(*cfg, trained);
}

}  // namespace hezar
