// Normalizers (HF tokenizers/src/normalizers): Bert, NFC/NFD/NFKC/NFKD, Lowercase, StripAccents,
// Replace, Prepend, Strip, Nmt, ByteLevel, Precompiled (in precompiled.cc) and Sequence.
#include <memory>

#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/normalizers_internal.h"
#include "preprocessors/tokenizers/regex.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

namespace {

bool bert_is_whitespace(char32_t c) { return c == '\t' || c == '\n' || c == '\r' || is_whitespace(c); }
bool bert_is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  if (c >= 0x20 && c < 0x7F) return false;
  return is_other(c);
}
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) ||
         (c >= 0x2B920 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer : public Normalizer {
 public:
  bool clean_text = true, handle_chinese_chars = true, lowercase = true;
  std::optional<bool> strip_accents;
  void normalize(NormalizedString& n) const override {
    if (clean_text) {
      n.filter([](char32_t c) { return !(c == 0 || c == 0xFFFD || bert_is_control(c)); });
      n.map([](char32_t c) { return bert_is_whitespace(c) ? U' ' : c; });
    }
    if (handle_chinese_chars) {
      const std::u32string& s = n.get();
      bool any = false;
      for (char32_t c : s) any = any || is_chinese_char(c);
      if (any) {
        std::vector<Change> t;
        t.reserve(s.size() + 8);
        for (char32_t c : s) {
          if (is_chinese_char(c)) {
            t.push_back({U' ', 0});
            t.push_back({c, 1});
            t.push_back({U' ', 1});
          } else {
            t.push_back({c, 0});
          }
        }
        n.transform(t, 0);
      }
    }
    if (strip_accents.value_or(lowercase)) {
      n.nfd();
      n.filter([](char32_t c) { return !is_mark_nonspacing(c); });
    }
    if (lowercase) n.lowercase();
  }
};

class FormNormalizer : public Normalizer {
 public:
  explicit FormNormalizer(int form) : form_(form) {}
  void normalize(NormalizedString& n) const override {
    switch (form_) {
      case 0: n.nfd(); break;
      case 1: n.nfkd(); break;
      case 2: n.nfc(); break;
      default: n.nfkc(); break;
    }
  }

 private:
  int form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& n) const override { n.lowercase(); }
};

class StripAccentsNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& n) const override {
    n.filter([](char32_t c) { return !is_combining_mark(c); });
  }
};

class StripNormalizer : public Normalizer {
 public:
  bool left = true, right = true;
  void normalize(NormalizedString& n) const override { n.strip(left, right); }
};

class PrependNormalizer : public Normalizer {
 public:
  std::u32string prepend;
  void normalize(NormalizedString& n) const override {
    if (!n.empty()) n.prepend(prepend);
  }
};

class NmtNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& n) const override {
    n.filter([](char32_t c) {
      return !((c >= 1 && c <= 8) || c == 0xB || (c >= 0xE && c <= 0x1F) || c == 0x7F || c == 0x8F ||
               c == 0x9F);
    });
    n.map([](char32_t c) {
      bool space = c == 9 || c == 0xA || c == 0xC || c == 0xD || c == 0x1680 || (c >= 0x200B && c <= 0x200F) ||
                   c == 0x2028 || c == 0x2029 || c == 0x2581 || c == 0xFEFF || c == 0xFFFD;
      return space ? U' ' : c;
    });
  }
};

class ByteLevelNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& n) const override { byte_level_transform(n); }
};

class SequenceNormalizer : public Normalizer {
 public:
  std::vector<std::unique_ptr<Normalizer>> items;
  void normalize(NormalizedString& n) const override {
    for (const auto& x : items) x->normalize(n);
  }
};

}  // namespace

std::unique_ptr<Normalizer> normalizer_from_json(const Json& j, const std::string& path) {
  std::string type = json_type(j, path);
  if (type == "BertNormalizer") {
    auto n = std::make_unique<BertNormalizer>();
    n->clean_text = json_bool(j, "clean_text", path, true);
    n->handle_chinese_chars = json_bool(j, "handle_chinese_chars", path, true);
    n->lowercase = json_bool(j, "lowercase", path, true);
    const Json* sa = json_get(j, "strip_accents");
    if (sa && !sa->is_null()) n->strip_accents = json_bool(j, "strip_accents", path);
    return n;
  }
  if (type == "NFD") return std::make_unique<FormNormalizer>(0);
  if (type == "NFKD") return std::make_unique<FormNormalizer>(1);
  if (type == "NFC") return std::make_unique<FormNormalizer>(2);
  if (type == "NFKC") return std::make_unique<FormNormalizer>(3);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Nmt") return std::make_unique<NmtNormalizer>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (type == "Strip") {
    auto n = std::make_unique<StripNormalizer>();
    n->left = json_bool(j, "strip_left", path, true);
    n->right = json_bool(j, "strip_right", path, true);
    return n;
  }
  if (type == "Prepend") {
    auto n = std::make_unique<PrependNormalizer>();
    n->prepend = utf8_decode(json_string(j, "prepend", path));
    return n;
  }
  if (type == "Replace") return make_replace_normalizer(j, path);
  if (type == "Precompiled") return make_precompiled_normalizer(j, path);
  if (type == "Sequence") {
    auto n = std::make_unique<SequenceNormalizer>();
    const Json& arr = json_array(j, "normalizers", path);
    for (size_t i = 0; i < arr.size(); ++i)
      n->items.push_back(normalizer_from_json(arr[i], path + ".normalizers[" + std::to_string(i) + "]"));
    return n;
  }
  json_unsupported(path, type);
}

}  // namespace hezar::tok
