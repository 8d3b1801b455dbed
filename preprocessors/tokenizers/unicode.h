// Unicode helpers for the tokenizers: UTF-8 <-> code points and the character classes Hugging Face's
// Rust code uses (char::is_whitespace, unicode_categories, ...), answered by ICU.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hezar::tok {

// Strict UTF-8 decoding; invalid input is BadInput naming the byte offset.
std::u32string utf8_decode(std::string_view s);
// Appends the UTF-8 encoding of `c` to `out`.
void utf8_append(std::string& out, char32_t c);
std::string utf8_encode(std::u32string_view s);
inline size_t utf8_len(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }
// Number of code points in valid UTF-8.
size_t utf8_count(std::string_view s);
bool utf8_valid(std::string_view s, size_t* bad_offset = nullptr);
// Lossy decoding as Rust String::from_utf8_lossy: each maximal invalid subpart becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);

bool is_whitespace(char32_t c);          // Rust char::is_whitespace (White_Space)
bool is_alphanumeric(char32_t c);        // Rust char::is_alphanumeric
// Whether `c` was assigned in Unicode `major`.0 or earlier (ICU's character age).
bool assigned_by(char32_t c, uint8_t major);
// HF takes these three from the unicode_categories crate, whose tables are Unicode 8.0 (BertNormalizer's
// clean_text and accent stripping, the Bert/Punctuation pre-tokenizers), so characters assigned later do
// not count, whatever their category today (checked against the binding).
bool is_punctuation(char32_t c);         // general category P*, assigned by Unicode 8.0
bool is_other(char32_t c);               // Cc, Cf, Co, Cs (not unassigned), assigned by Unicode 8.0
bool is_mark_nonspacing(char32_t c);     // Mn, assigned by Unicode 8.0
// Mn, Mc or Me, assigned by Unicode 9.0: the StripAccents normalizer's test (unicode-normalization-alignments).
bool is_combining_mark(char32_t c);
bool is_word_char(char32_t c);           // regex \w (Unicode)
bool is_numeric_digit(char32_t c);       // Nd
bool is_numeric(char32_t c);             // Rust char::is_numeric (Nd, Nl, No)
// Rust char::to_lowercase (full, context free) appended to out.
void to_lowercase(char32_t c, std::u32string& out);
void to_uppercase(char32_t c, std::u32string& out);

}  // namespace hezar::tok
