// SentencePiece's precompiled charsmap normalizer (HF normalizers/precompiled.rs + spm_precompiled):
// a darts-clone double array mapping UTF-8 prefixes to replacement strings, applied per grapheme
// cluster (shorter than 6 bytes) or else per char; the shortest matching prefix wins.
#include <unicode/brkiter.h>
#include <unicode/unistr.h>

#include <cstring>
#include <memory>

#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/normalizers_internal.h"
#include "preprocessors/tokenizers/regex.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

namespace {

std::string base64_decode(const std::string& in, const std::string& path) {
  static int8_t table[256];
  static bool init = [] {
    std::memset(table, -1, sizeof(table));
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    return true;
  }();
  (void)init;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    if (ch == '=') break;
    if (ch == '\n' || ch == '\r') continue;
    int8_t v = table[static_cast<unsigned char>(ch)];
    if (v < 0) json_fail(path, "invalid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

class Precompiled : public Normalizer {
 public:
  Precompiled(const std::string& blob, const std::string& path) {
    if (blob.size() < 4) json_fail(path, "precompiled_charsmap too short");
    uint32_t trie_size;
    std::memcpy(&trie_size, blob.data(), 4);
    if (trie_size % 4 != 0 || 4 + static_cast<size_t>(trie_size) > blob.size())
      json_fail(path, "precompiled_charsmap: bad trie size");
    units_.resize(trie_size / 4);
    std::memcpy(units_.data(), blob.data() + 4, trie_size);
    normalized_ = blob.substr(4 + trie_size);
    if (units_.empty()) json_fail(path, "precompiled_charsmap: empty trie");
  }

  // Replacement for the shortest rule matching a prefix of `key`, or nullptr.
  bool transform(const char* key, size_t len, std::string_view& out) const {
    size_t node = 0;
    uint32_t unit = units_[0];
    node ^= offset(unit);
    for (size_t i = 0; i < len; ++i) {
      unsigned char c = static_cast<unsigned char>(key[i]);
      if (c == 0) return false;
      node ^= c;
      if (node >= units_.size()) return false;
      unit = units_[node];
      if ((unit & ((1u << 31) | 0xFF)) != c) return false;
      node ^= offset(unit);
      if ((unit >> 8) & 1) {
        if (node >= units_.size()) return false;
        size_t start = units_[node] & ((1u << 31) - 1);
        if (start >= normalized_.size()) return false;
        size_t end = normalized_.find('\0', start);
        if (end == std::string::npos) end = normalized_.size();
        out = std::string_view(normalized_).substr(start, end - start);
        return true;
      }
    }
    return false;
  }

  void normalize(NormalizedString& n) const override {
    const std::u32string& s = n.get();
    std::vector<size_t> bounds = graphemes(s);
    std::vector<Change> t;
    t.reserve(s.size());
    bool modified = false;
    std::string buf;
    std::string_view rep;
    for (size_t g = 0; g + 1 < bounds.size(); ++g) {
      size_t a = bounds[g], b = bounds[g + 1];
      buf.clear();
      for (size_t i = a; i < b; ++i) utf8_append(buf, s[i]);
      if (buf.size() < 6 && transform(buf.data(), buf.size(), rep)) {
        modified = true;
        push_replacement(t, b - a, rep);
        continue;
      }
      for (size_t i = a; i < b; ++i) {
        buf.clear();
        utf8_append(buf, s[i]);
        if (transform(buf.data(), buf.size(), rep)) {
          modified = true;
          push_replacement(t, 1, rep);
        } else {
          t.push_back({s[i], 0});
        }
      }
    }
    if (modified) n.transform(t, 0);
  }

 private:
  static size_t offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

  static void push_replacement(std::vector<Change>& t, size_t old_count, std::string_view rep) {
    std::u32string nw = utf8_decode(rep);
    long diff = static_cast<long>(nw.size()) - static_cast<long>(old_count);
    for (char32_t c : nw) t.push_back({c, 0});
    if (diff > 0) {
      for (long k = 0; k < diff && k < static_cast<long>(t.size()); ++k) t[t.size() - 1 - k].change = 1;
    } else if (diff < 0 && !t.empty()) {
      t.back().change += static_cast<int>(diff);
    }
  }

  // Extended grapheme cluster boundaries (char indices, first 0, last size).
  static std::vector<size_t> graphemes(const std::u32string& s) {
    std::vector<size_t> b{0};
    bool ascii = true;
    for (char32_t c : s) ascii = ascii && c < 0x80;
    if (ascii) {
      for (size_t i = 1; i <= s.size(); ++i)
        if (i == s.size() || !(s[i - 1] == '\r' && s[i] == '\n')) b.push_back(i);
      if (s.empty()) b.push_back(0);
      return b;
    }
    icu::UnicodeString u = icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(s.data()),
                                                         static_cast<int32_t>(s.size()));
    thread_local std::unique_ptr<icu::BreakIterator> it;
    if (!it) {
      UErrorCode err = U_ZERO_ERROR;
      it.reset(icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), err));
    }
    it->setText(u);
    // Map UTF-16 index -> char index.
    std::vector<size_t> u16_to_char(static_cast<size_t>(u.length()) + 1, 0);
    size_t ci = 0;
    for (int32_t i = 0; i < u.length(); ++ci) {
      u16_to_char[static_cast<size_t>(i)] = ci;
      i += U16_IS_LEAD(u.charAt(i)) && i + 1 < u.length() ? 2 : 1;
    }
    u16_to_char[static_cast<size_t>(u.length())] = s.size();
    for (int32_t p = it->next(); p != icu::BreakIterator::DONE; p = it->next())
      b.push_back(u16_to_char[static_cast<size_t>(p)]);
    if (b.back() != s.size()) b.push_back(s.size());
    return b;
  }

  std::vector<uint32_t> units_;
  std::string normalized_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(const Json& j, const std::string& path)
      : pattern_(json_object(j, "pattern", path), path + ".pattern"),
        content_(utf8_decode(json_string(j, "content", path))) {}
  void normalize(NormalizedString& n) const override { n.replace(pattern_.find_matches(n.get()), content_); }

 private:
  TextPattern pattern_;
  std::u32string content_;
};

}  // namespace

std::unique_ptr<Normalizer> make_replace_normalizer(const Json& j, const std::string& path) {
  return std::make_unique<ReplaceNormalizer>(j, path);
}

std::unique_ptr<Normalizer> make_precompiled_normalizer(const Json& j, const std::string& path) {
  const Json* v = json_get(j, "precompiled_charsmap");
  if (!v || v->is_null()) {
    struct Identity : Normalizer {
      void normalize(NormalizedString&) const override {}
    };
    return std::make_unique<Identity>();
  }
  if (!v->is_string()) json_fail(path + ".precompiled_charsmap", "expected a base64 string");
  return std::make_unique<Precompiled>(base64_decode(v->get<std::string>(), path + ".precompiled_charsmap"),
                                       path + ".precompiled_charsmap");
}

}  // namespace hezar::tok
