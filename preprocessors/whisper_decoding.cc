#include "preprocessors/whisper_decoding.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace hezar {

namespace {

using Json = nlohmann::json;

// Name -> code aliases HF accepts besides the language names.
const std::vector<std::pair<std::string, std::string>> kAliases = {
    {"burmese", "my"},       {"valencian", "ca"}, {"flemish", "nl"},   {"haitian", "ht"},
    {"letzeburgesch", "lb"}, {"pushto", "ps"},    {"panjabi", "pa"},   {"moldavian", "ro"},
    {"moldovan", "ro"},      {"sinhalese", "si"}, {"castilian", "es"}, {"mandarin", "zh"}};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string format_seconds(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "<|%.2f|>", seconds);
  return buf;
}

// Removes every "<|digits.digits|>" (HF's timestamp_pat) from decoded text.
std::string filter_timestamp_text(const std::string& s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 2, "<|") == 0) {
      size_t j = i + 2, int_digits = 0, frac_digits = 0;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, ++int_digits;
      if (int_digits > 0 && j < s.size() && s[j] == '.') {
        ++j;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, ++frac_digits;
        if (frac_digits > 0 && s.compare(j, 2, "|>") == 0) {
          i = j + 2;
          continue;
        }
      }
    }
    out += s[i++];
  }
  return out;
}

Json special_token_entry(const std::string& token, uint32_t id) {
  return {{"id", token}, {"ids", {id}}, {"tokens", {token}}};
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& whisper_languages() {
  static const std::vector<std::pair<std::string, std::string>> langs = {
      {"en", "english"},        {"zh", "chinese"},     {"de", "german"},        {"es", "spanish"},
      {"ru", "russian"},        {"ko", "korean"},      {"fr", "french"},        {"ja", "japanese"},
      {"pt", "portuguese"},     {"tr", "turkish"},     {"pl", "polish"},        {"ca", "catalan"},
      {"nl", "dutch"},          {"ar", "arabic"},      {"sv", "swedish"},       {"it", "italian"},
      {"id", "indonesian"},     {"hi", "hindi"},       {"fi", "finnish"},       {"vi", "vietnamese"},
      {"he", "hebrew"},         {"uk", "ukrainian"},   {"el", "greek"},         {"ms", "malay"},
      {"cs", "czech"},          {"ro", "romanian"},    {"da", "danish"},        {"hu", "hungarian"},
      {"ta", "tamil"},          {"no", "norwegian"},   {"th", "thai"},          {"ur", "urdu"},
      {"hr", "croatian"},       {"bg", "bulgarian"},   {"lt", "lithuanian"},    {"la", "latin"},
      {"mi", "maori"},          {"ml", "malayalam"},   {"cy", "welsh"},         {"sk", "slovak"},
      {"te", "telugu"},         {"fa", "persian"},     {"lv", "latvian"},       {"bn", "bengali"},
      {"sr", "serbian"},        {"az", "azerbaijani"}, {"sl", "slovenian"},     {"kn", "kannada"},
      {"et", "estonian"},       {"mk", "macedonian"},  {"br", "breton"},        {"eu", "basque"},
      {"is", "icelandic"},      {"hy", "armenian"},    {"ne", "nepali"},        {"mn", "mongolian"},
      {"bs", "bosnian"},        {"kk", "kazakh"},      {"sq", "albanian"},      {"sw", "swahili"},
      {"gl", "galician"},       {"mr", "marathi"},     {"pa", "punjabi"},       {"si", "sinhala"},
      {"km", "khmer"},          {"sn", "shona"},       {"yo", "yoruba"},        {"so", "somali"},
      {"af", "afrikaans"},      {"oc", "occitan"},     {"ka", "georgian"},      {"be", "belarusian"},
      {"tg", "tajik"},          {"sd", "sindhi"},      {"gu", "gujarati"},      {"am", "amharic"},
      {"yi", "yiddish"},        {"lo", "lao"},         {"uz", "uzbek"},         {"fo", "faroese"},
      {"ht", "haitian creole"}, {"ps", "pashto"},      {"tk", "turkmen"},       {"nn", "nynorsk"},
      {"mt", "maltese"},        {"sa", "sanskrit"},    {"lb", "luxembourgish"}, {"my", "myanmar"},
      {"bo", "tibetan"},        {"tl", "tagalog"},     {"mg", "malagasy"},      {"as", "assamese"},
      {"tt", "tatar"},          {"haw", "hawaiian"},   {"ln", "lingala"},       {"ha", "hausa"},
      {"ba", "bashkir"},        {"jw", "javanese"},    {"su", "sundanese"},     {"yue", "cantonese"}};
  return langs;
}

std::string whisper_language_code(const std::string& language) {
  const std::string l = lower(language);
  for (const auto& [code, name] : whisper_languages())
    if (l == name || l == code) return code;
  for (const auto& [alias, code] : kAliases)
    if (l == alias) return code;
  std::string codes;
  for (const auto& [code, name] : whisper_languages()) codes += (codes.empty() ? "" : ", ") + code;
  throw BadInput("unsupported Whisper language '" + language +
                 "'; use a language name (e.g. persian) or one of: " + codes);
}

WhisperDecoding::WhisperDecoding(std::shared_ptr<const tok::Tokenizer> tokenizer) : tok_(std::move(tokenizer)) {
  HEZAR_CHECK_INPUT(tok_ != nullptr, "Whisper decoding needs a tokenizer");
  sot_ = id_of("<|startoftranscript|>");
  translate_ = id_of("<|translate|>");
  transcribe_ = id_of("<|transcribe|>");
  notimestamps_ = id_of("<|notimestamps|>");
  timestamp_begin_ = notimestamps_ + 1;
  startofprev_ = tok_->token_to_id("<|startofprev|>");
}

uint32_t WhisperDecoding::id_of(const std::string& token) const {
  auto id = tok_->token_to_id(token);
  HEZAR_CHECK_INPUT(id.has_value(), "the tokenizer has no ", token,
                    " token: it is not a Whisper tokenizer (whisper_bpe_tokenizer needs Whisper's special tokens)");
  return *id;
}

std::string WhisperDecoding::decode_run(const std::vector<uint32_t>& ids, bool skip_special) const {
  if (ids.empty()) return "";
  return filter_timestamp_text(tok_->decode(ids, skip_special));
}

// HF _strip_prompt: a sequence starting with <|startofprev|> keeps only what follows from
// <|startoftranscript|> on (nothing when there is none).
std::vector<uint32_t> WhisperDecoding::strip_prompt(const std::vector<uint32_t>& ids) const {
  if (ids.empty() || !startofprev_ || ids[0] != *startofprev_) return ids;
  auto it = std::find(ids.begin(), ids.end(), sot_);
  return {it, ids.end()};
}

std::string WhisperDecoding::decode(const std::vector<uint32_t>& ids, const WhisperDecodeOptions& o) const {
  const bool skip = o.skip_special_tokens;
  const std::vector<uint32_t> v = skip ? strip_prompt(ids) : ids;
  if (!o.timestamps.value_or(!skip)) {
    std::vector<uint32_t> text;
    for (uint32_t id : v)
      if (!is_timestamp(id)) text.push_back(id);
    return decode_run(text, skip);
  }
  // HF _decode_with_timestamps: alternating text runs and timestamps. When timestamps restart (a new
  // 30 s window), later ones are shifted: by a whole window after a single end timestamp, else by the
  // window's last start (and the duplicated pair is dropped).
  struct Part {
    std::string stamp;  // empty for a text run
    std::vector<uint32_t> run;
  };
  std::vector<Part> parts(1);
  double cur_max = 0, prev_len = 0, penultimate = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!is_timestamp(v[i])) {
      parts.back().run.push_back(v[i]);
      continue;
    }
    double t = static_cast<double>(v[i] - timestamp_begin_) * o.time_precision;
    if (t < cur_max) {
      bool single_ending = i >= 2 && !(is_timestamp(v[i - 1]) && is_timestamp(v[i - 2]));
      if (single_ending) {
        prev_len += o.time_precision * o.segment_size;
      } else {
        cur_max = penultimate;
        prev_len += penultimate;
        parts.resize(parts.size() - 2);
      }
    }
    penultimate = cur_max;
    cur_max = t;
    parts.push_back({format_seconds(t + prev_len), {}});
    parts.push_back({});
  }
  std::string out;
  for (const auto& p : parts) out += p.stamp.empty() ? decode_run(p.run, skip) : p.stamp;
  return out;
}

std::vector<WhisperOffset> WhisperDecoding::offsets(const std::vector<uint32_t>& ids, double time_precision,
                                                    int segment_size) const {
  // HF _compute_offsets: segments end where two timestamps follow each other, and after the last one.
  std::vector<size_t> ends, stamps;
  for (size_t i = 0; i < ids.size(); ++i)
    if (is_timestamp(ids[i])) stamps.push_back(i);
  for (size_t i = 0; i + 1 < ids.size(); ++i)
    if (is_timestamp(ids[i]) && is_timestamp(ids[i + 1])) ends.push_back(i + 1);
  if (ends.empty() && stamps.size() <= 1) return {};
  if (std::find(ends.begin(), ends.end(), stamps.back() + 1) == ends.end()) ends.push_back(stamps.back() + 1);

  std::vector<WhisperOffset> out;
  size_t last = stamps.front();
  int64_t cur_max = 0, prev_len = 0;
  for (size_t end : ends) {
    if (end - last > 1) {
      int64_t start_pos = static_cast<int64_t>(ids[last]) - timestamp_begin_;
      int64_t end_pos = static_cast<int64_t>(ids[end - 1]) - timestamp_begin_;
      if (start_pos < cur_max) {  // a new window began
        bool single_ending = last >= 2 && !(is_timestamp(ids[last - 2]) && is_timestamp(ids[last - 1]));
        prev_len += single_ending ? segment_size : cur_max;
      }
      cur_max = end_pos;
      std::vector<uint32_t> text;
      for (size_t k = last; k < end; ++k)
        if (!is_timestamp(ids[k])) text.push_back(ids[k]);
      out.push_back({decode_run(text, false), start_pos * time_precision + prev_len * time_precision,
                     end_pos * time_precision + prev_len * time_precision});
    }
    last = end;
  }
  return out;
}

std::vector<uint32_t> WhisperDecoding::prefix_tokens(const std::optional<std::string>& language,
                                                     const std::optional<std::string>& task,
                                                     bool predict_timestamps) const {
  std::vector<uint32_t> seq{sot_};
  if (language) {
    std::string token = "<|" + whisper_language_code(*language) + "|>";
    auto id = tok_->token_to_id(token);
    HEZAR_CHECK_INPUT(id.has_value(), "Whisper language '", *language, "': the tokenizer has no ", token,
                      " token (an English-only or older Whisper vocabulary); pick another language");
    seq.push_back(*id);
  }
  if (task) {
    HEZAR_CHECK_INPUT(*task == "transcribe" || *task == "translate", "unsupported Whisper task '", *task,
                      "'; use transcribe or translate");
    seq.push_back(*task == "transcribe" ? transcribe_ : translate_);
  }
  if (!predict_timestamps) seq.push_back(notimestamps_);
  return seq;
}

std::shared_ptr<tok::Tokenizer> WhisperDecoding::with_prefix(const std::vector<uint32_t>& prefix,
                                                             const std::string& eos_token) const {
  Json j = Json::parse(tok_->to_json_string());
  const uint32_t eos = id_of(eos_token);
  Json single = Json::array(), pair = Json::array(), specials = Json::object();
  specials[eos_token] = special_token_entry(eos_token, eos);
  for (uint32_t id : prefix) {
    auto token = tok_->id_to_token(id);
    HEZAR_CHECK_INPUT(token.has_value(), "Whisper prefix id ", id, " is not in the tokenizer's vocabulary");
    single.push_back({{"SpecialToken", {{"id", *token}, {"type_id", 0}}}});
    pair.push_back(single.back());
    specials[*token] = special_token_entry(*token, id);
  }
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  single.push_back({{"SpecialToken", {{"id", eos_token}, {"type_id", 0}}}});
  pair.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  pair.push_back({{"Sequence", {{"id", "B"}, {"type_id", 1}}}});
  pair.push_back({{"SpecialToken", {{"id", eos_token}, {"type_id", 1}}}});
  j["post_processor"] = {
      {"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", specials}};
  return tok::Tokenizer::from_json_string(j.dump(), "Whisper tokenizer with prefix tokens");
}

std::vector<uint32_t> whisper_prefix_tokens(const TextTokenizer& tokenizer) {
  const auto* cfg = dynamic_cast<const WhisperBpeTokenizerConfig*>(&tokenizer.config());
  HEZAR_CHECK_INPUT(cfg != nullptr, tokenizer.config().name(), " is not a whisper_bpe_tokenizer");
  tokenizer.backend();  // a clear error when it has no vocabulary yet
  WhisperDecoding d(tokenizer.backend_ptr());
  return d.prefix_tokens(cfg->language, cfg->task, cfg->predict_timestamps);
}

}  // namespace hezar
