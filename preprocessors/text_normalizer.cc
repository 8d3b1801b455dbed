#include "preprocessors/text_normalizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar {

namespace {

using Json = nlohmann::json;

Json replace(const std::string& regex, const std::string& content) {
  return Json{{"type", "Replace"}, {"pattern", {{"Regex", regex}}}, {"content", content}};
}

void add_patterns(Json& steps, const std::optional<std::vector<std::vector<std::string>>>& patterns,
                  const char* who) {
  if (!patterns) return;
  for (size_t i = 0; i < patterns->size(); ++i) {
    const auto& p = (*patterns)[i];
    HEZAR_CHECK_INPUT(p.size() == 2, who, ".replace_patterns[", i, "] must be a [regex, replacement] pair, got ",
                      p.size(), " strings");
    steps.push_back(replace(p[0], p[1]));
  }
}

// Digits of the three scripts Persian text mixes; `to` is the target script's zero..nine.
void map_digits(Json& steps, const std::string& mode) {
  static const char* latin[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  static const char* persian[] = {"۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"};
  static const char* arabic[] = {"٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"};
  if (mode == "none") return;
  HEZAR_CHECK_INPUT(mode == "persian" || mode == "latin", "persian_normalizer.digits must be none, persian or latin, got '",
                    mode, "'");
  const char** to = mode == "persian" ? persian : latin;
  const char** from_a = mode == "persian" ? latin : persian;
  for (int d = 0; d < 10; ++d) {
    steps.push_back(replace(from_a[d], to[d]));
    steps.push_back(replace(arabic[d], to[d]));
  }
}

Json persian_steps(const PersianNormalizerConfig& c) {
  Json steps = Json::array();
  if (c.nfkc) steps.push_back({{"type", "NFKC"}});
  if (c.arabic_letters) {
    steps.push_back(replace("[\u064A\u0649]", "\u06CC"));  // Arabic yeh, alef maksura -> Persian yeh
    steps.push_back(replace("\u0643", "\u06A9"));          // Arabic kaf -> Persian keheh
  }
  if (c.remove_diacritics) steps.push_back(replace("[\u064B-\u065F\u0670]", ""));
  if (c.remove_tatweel) steps.push_back(replace("\u0640", ""));
  if (c.zwnj_cleanup) {
    // ZWJ/ZWSP typed where a ZWNJ was meant; runs collapse; a ZWNJ touching a space or an end of the
    // text separates nothing and is dropped.
    steps.push_back(replace("[\u200D\u200B]", "\u200C"));
    steps.push_back(replace("\u200C{2,}", "\u200C"));
    steps.push_back(replace("\\s*\u200C\\s+|\\s+\u200C", " "));
    steps.push_back(replace("^\u200C|\u200C$", ""));
  }
  map_digits(steps, c.digits);
  add_patterns(steps, c.replace_patterns, "persian_normalizer");
  return steps;
}

Json hezar_steps(const TextNormalizerConfig& c) {
  Json steps = Json::array();
  if (c.nfkd) steps.push_back({{"type", "NFKD"}});
  if (c.nfkc) steps.push_back({{"type", "NFKC"}});
  add_patterns(steps, c.replace_patterns, "text_normalizer");
  return steps;
}

}  // namespace

void TextNormalizerConfig::visit(FieldVisitor& v) {
  v("replace_patterns", replace_patterns, "[[regex, replacement], ...] applied after NFKD/NFKC");
  v("nfkd", nfkd, "apply NFKD first");
  v("nfkc", nfkc, "then NFKC");
}

void PersianNormalizerConfig::visit(FieldVisitor& v) {
  v("nfkc", nfkc, "NFKC first (Arabic presentation forms -> letters)");
  v("arabic_letters", arabic_letters, "Arabic yeh/alef maksura/kaf -> Persian ی/ک");
  v("remove_diacritics", remove_diacritics, "drop harakat (U+064B..U+065F) and superscript alef");
  v("remove_tatweel", remove_tatweel, "drop kashida U+0640");
  v("zwnj_cleanup", zwnj_cleanup, "ZWJ/ZWSP -> ZWNJ, collapse runs, drop ZWNJ next to spaces/ends");
  v("digits", digits, "none | persian | latin");
  v("replace_patterns", replace_patterns, "[[regex, replacement], ...] applied last");
}

HEZAR_REGISTER_PREPROCESSOR("text_normalizer", TextNormalizer, TextNormalizerConfig,
                            "Hezar's text normalizer: NFKD, NFKC, regex replacements");
HEZAR_REGISTER_PREPROCESSOR("persian_normalizer", TextNormalizer, PersianNormalizerConfig,
                            "Persian normalizer: Arabic yeh/kaf, diacritics, tatweel, ZWNJ, digits");

TextNormalizer::TextNormalizer(const Config& config, const std::string&) : config_(config.clone()) {
  Json steps;
  if (auto* p = dynamic_cast<const PersianNormalizerConfig*>(&config)) steps = persian_steps(*p);
  else steps = hezar_steps(config_cast<TextNormalizerConfig>(config));
  if (steps.empty()) {
    json_ = "null";
    return;
  }
  Json seq{{"type", "Sequence"}, {"normalizers", steps}};
  json_ = seq.dump();
  normalizer_ = tok::normalizer_from_json(seq, std::string(config.name()));
}

void TextNormalizer::save(const std::string& dir) const { config_save(*config_, dir + "/normalizer_config.yaml"); }

std::string TextNormalizer::normalize(const std::string& text) const {
  std::u32string chars = tok::utf8_decode(text);
  if (!normalizer_) return text;
  tok::NormalizedString n(chars);
  normalizer_->normalize(n);
  return tok::utf8_encode(n.get());
}

std::vector<std::string> TextNormalizer::operator()(const std::vector<std::string>& texts) const {
  std::vector<std::string> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(normalize(t));
  return out;
}

std::string TextNormalizer::tokenizers_json() const { return json_; }

}  // namespace hezar
