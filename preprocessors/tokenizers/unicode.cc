#include "preprocessors/tokenizers/unicode.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include "core/error.h"

namespace hezar::tok {

namespace {
// Decodes one code point at s[i]; returns its length or 0 if invalid.
size_t decode_one(std::string_view s, size_t i, char32_t& c) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c0 = b(i);
  if (c0 < 0x80) { c = c0; return 1; }
  size_t n = c0 >= 0xF0 ? 4 : c0 >= 0xE0 ? 3 : c0 >= 0xC2 ? 2 : 0;
  if (n == 0 || c0 > 0xF4 || i + n > s.size()) return 0;
  char32_t v = c0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
      (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  c = v;
  return n;
}
}  // namespace

bool utf8_valid(std::string_view s, size_t* bad_offset) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) { ++i; continue; }
    char32_t c;
    size_t n = decode_one(s, i, c);
    if (n == 0) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += n;
  }
  return true;
}

std::u32string utf8_decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c0 = static_cast<unsigned char>(s[i]);
    if (c0 < 0x80) { out.push_back(c0); ++i; continue; }
    char32_t c;
    size_t n = decode_one(s, i, c);
    HEZAR_CHECK_INPUT(n != 0, "invalid UTF-8 in input text at byte ", i);
    out.push_back(c);
    i += n;
  }
  return out;
}

namespace {
// Length of the maximal valid prefix of an invalid sequence at s[i] (at least 1): Rust's
// String::from_utf8_lossy replaces each such "maximal subpart" by one U+FFFD, not each byte.
size_t invalid_run(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c0 = b(i);
  size_t need = c0 >= 0xF0 && c0 <= 0xF4 ? 4 : c0 >= 0xE0 && c0 <= 0xEF ? 3 : c0 >= 0xC2 && c0 <= 0xDF ? 2 : 1;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range depends on the lead byte
  if (c0 == 0xE0) lo = 0xA0;
  if (c0 == 0xED) hi = 0x9F;
  if (c0 == 0xF0) lo = 0x90;
  if (c0 == 0xF4) hi = 0x8F;
  size_t k = 1;
  for (; k < need && i + k < s.size(); ++k) {
    unsigned char c = b(i + k);
    if (k == 1 ? (c < lo || c > hi) : (c & 0xC0) != 0x80) break;
  }
  return k;
}
}  // namespace

std::string utf8_lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    size_t n = decode_one(s, i, c);
    if (n == 0) { utf8_append(out, 0xFFFD); i += invalid_run(s, i); continue; }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

void utf8_append(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string utf8_encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) utf8_append(out, c);
  return out;
}

size_t utf8_count(std::string_view s) {
  size_t n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 9 && c <= 13);
  return u_isUWhiteSpace(static_cast<UChar32>(c));
}

bool is_alphanumeric(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  if (u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_ALPHABETIC)) return true;
  int8_t t = u_charType(static_cast<UChar32>(c));
  return t == U_DECIMAL_DIGIT_NUMBER || t == U_LETTER_NUMBER || t == U_OTHER_NUMBER;
}

bool assigned_by(char32_t c, uint8_t major) {
  UVersionInfo age;
  u_charAge(static_cast<UChar32>(c), age);
  return age[0] < major || (age[0] == major && age[1] == 0);
}

namespace {
bool assigned_by_unicode_8(char32_t c) { return assigned_by(c, 8); }
// U+111C9 SHARADA SANDHI MARK was Po until Unicode 12 made it Mn; HF's 8.0/9.0 tables still have Po (the one
// such change the oracle tests have met).
constexpr char32_t kSharadaSandhiMark = 0x111C9;
}  // namespace

bool is_punctuation(char32_t c) {
  int8_t t = u_charType(static_cast<UChar32>(c));
  if (c == kSharadaSandhiMark) return true;
  return (t == U_CONNECTOR_PUNCTUATION || t == U_DASH_PUNCTUATION || t == U_START_PUNCTUATION ||
          t == U_END_PUNCTUATION || t == U_INITIAL_PUNCTUATION || t == U_FINAL_PUNCTUATION ||
          t == U_OTHER_PUNCTUATION) &&
         assigned_by_unicode_8(c);
}

bool is_other(char32_t c) {
  int8_t t = u_charType(static_cast<UChar32>(c));
  return (t == U_CONTROL_CHAR || t == U_FORMAT_CHAR || t == U_PRIVATE_USE_CHAR || t == U_SURROGATE) &&
         assigned_by_unicode_8(c);
}

bool is_mark_nonspacing(char32_t c) {
  if (c < 0x300) return false;
  return u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK && assigned_by_unicode_8(c) &&
         c != kSharadaSandhiMark;
}

bool is_combining_mark(char32_t c) {
  if (c < 0x300) return false;
  const int8_t t = u_charType(static_cast<UChar32>(c));
  return (t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK || t == U_ENCLOSING_MARK) && assigned_by(c, 9) &&
         c != kSharadaSandhiMark;
}

bool is_numeric_digit(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER;
}

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  int8_t t = u_charType(static_cast<UChar32>(c));
  return t == U_DECIMAL_DIGIT_NUMBER || t == U_LETTER_NUMBER || t == U_OTHER_NUMBER;
}

bool is_word_char(char32_t c) {
  if (c < 0x80) return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  UChar32 u = static_cast<UChar32>(c);
  if (u_hasBinaryProperty(u, UCHAR_ALPHABETIC) || u_hasBinaryProperty(u, UCHAR_JOIN_CONTROL)) return true;
  int8_t t = u_charType(u);
  return t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_COMBINING_SPACING_MARK ||
         t == U_DECIMAL_DIGIT_NUMBER || t == U_CONNECTOR_PUNCTUATION;
}

namespace {
void full_case(char32_t c, std::u32string& out, bool lower) {
  UChar src[2];
  int32_t n = 0;
  U16_APPEND_UNSAFE(src, n, static_cast<UChar32>(c));
  UChar dst[8];
  UErrorCode err = U_ZERO_ERROR;
  int32_t m = lower ? u_strToLower(dst, 8, src, n, "", &err) : u_strToUpper(dst, 8, src, n, "", &err);
  if (U_FAILURE(err)) { out.push_back(c); return; }
  for (int32_t i = 0; i < m;) {
    UChar32 cp;
    U16_NEXT(dst, i, m, cp);
    out.push_back(static_cast<char32_t>(cp));
  }
}
}  // namespace

void to_lowercase(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
    return;
  }
  full_case(c, out, true);
}

void to_uppercase(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back((c >= 'a' && c <= 'z') ? c - 32 : c);
    return;
  }
  full_case(c, out, false);
}

}  // namespace hezar::tok
