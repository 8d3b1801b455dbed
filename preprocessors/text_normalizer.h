// Text normalizers, saved as preprocessor/normalizer_config.yaml:
//   text_normalizer     Hezar's TextNormalizer: NFKD, then NFKC, then regex replacements, in that order
//                       (hezar/preprocessors/text_normalizer.py).
//   persian_normalizer  (beyond Hezar) Persian cleanup: NFKC (Arabic presentation forms -> letters),
//                       Arabic yeh/kaf -> Persian ی/ک, diacritic and tatweel removal, ZWNJ cleanup,
//                       optional digit mapping, then user replacements.
// Both are compiled to a Hugging Face tokenizers normalizer (tokenizers_json()), run by our tokenizers
// library (ICU for Unicode normalization, Oniguruma for the regexes), so the same JSON can sit in a
// tokenizer.json and the npm binding gives identical output (tested).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "preprocessors/preprocessor.h"

namespace hezar {

namespace tok {
class Normalizer;
}

struct TextNormalizerConfig : Config {
  HEZAR_CONFIG(TextNormalizerConfig, "text_normalizer", "preprocessor")
  // [[regex, replacement], ...] applied in order (Oniguruma syntax, as HF's Regex).
  std::optional<std::vector<std::vector<std::string>>> replace_patterns;
  bool nfkd = true;
  bool nfkc = true;
  void visit(FieldVisitor& v) override;
};

struct PersianNormalizerConfig : Config {
  HEZAR_CONFIG(PersianNormalizerConfig, "persian_normalizer", "preprocessor")
  bool nfkc = true;                // presentation forms, compatibility characters
  bool arabic_letters = true;      // ي ى -> ی, ك -> ک, ة stays
  bool remove_diacritics = true;   // harakat U+064B..U+065F, superscript alef U+0670
  bool remove_tatweel = true;      // kashida U+0640
  bool zwnj_cleanup = true;        // repeated ZWNJ, ZWNJ next to spaces or at the ends, ZWJ/ZWSP -> ZWNJ
  std::string digits = "none";     // none | persian (۰-۹) | latin (0-9): maps ASCII, Arabic-Indic, Persian
  std::optional<std::vector<std::vector<std::string>>> replace_patterns;
  void visit(FieldVisitor& v) override;
};

class TextNormalizer : public Preprocessor {
 public:
  TextNormalizer(const Config& config, const std::string& load_dir);
  const Config& config() const override { return *config_; }
  void save(const std::string& dir) const override;  // dir/normalizer_config.yaml

  std::string normalize(const std::string& text) const;  // invalid UTF-8 is BadInput
  std::vector<std::string> operator()(const std::vector<std::string>& texts) const;
  // The "normalizer" object of a tokenizer.json doing the same (null when there is nothing to do).
  std::string tokenizers_json() const;

 private:
  std::unique_ptr<Config> config_;
  std::string json_;
  std::shared_ptr<tok::Normalizer> normalizer_;
};

}  // namespace hezar
