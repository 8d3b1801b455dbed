#include "preprocessors/tokenizers/regex.h"

#include <oniguruma.h>

#include <mutex>

#include "core/error.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

namespace {
void onig_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding enc = ONIG_ENCODING_UTF8;
    onig_initialize(&enc, 1);
  });
}
}  // namespace

Regex::Regex(const std::string& pattern, const std::string& where) : pattern_(pattern) {
  onig_init_once();
  OnigRegex re = nullptr;
  OnigErrorInfo einfo;
  const auto* p = reinterpret_cast<const OnigUChar*>(pattern.data());
  int r = onig_new(&re, p, p + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_RUBY,
                   &einfo);
  if (r != ONIG_NORMAL) {
    OnigUChar buf[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(buf, r, &einfo);
    throw BadInput(detail::concat(where, ": invalid regex '", pattern, "': ", reinterpret_cast<char*>(buf)));
  }
  regex_ = re;
}

Regex::~Regex() {
  if (regex_) onig_free(static_cast<OnigRegex>(regex_));
}

std::vector<std::pair<size_t, size_t>> Regex::find_iter(const std::string& text) const {
  std::vector<std::pair<size_t, size_t>> out;
  auto re = static_cast<OnigRegex>(regex_);
  OnigRegion* region = onig_region_new();
  const auto* str = reinterpret_cast<const OnigUChar*>(text.data());
  const OnigUChar* end = str + text.size();
  size_t last_end = 0;
  bool have_last = false;
  size_t last_match_end = 0;
  while (last_end <= text.size()) {
    int r = onig_search(re, str, end, str + last_end, end, region, ONIG_OPTION_NONE);
    if (r < 0) break;
    size_t s = static_cast<size_t>(region->beg[0]), e = static_cast<size_t>(region->end[0]);
    if (s == e && have_last && last_match_end == e) {
      // No empty match right after the previous match: step one char.
      if (last_end >= text.size()) break;
      unsigned char c = static_cast<unsigned char>(text[last_end]);
      last_end += c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      continue;
    }
    last_end = e;
    have_last = true;
    last_match_end = e;
    out.emplace_back(s, e);
    if (s == e) {
      // onig crate: an empty match is followed by a search from the same place, which is rejected above.
    }
  }
  onig_region_free(region, 1);
  return out;
}

std::vector<Match> Regex::find_matches(const std::u32string& s) const {
  if (s.empty()) return {{0, 0, false}};
  std::string utf8;
  utf8.reserve(s.size());
  std::vector<uint32_t> byte_to_char;
  byte_to_char.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size(); ++i) {
    size_t before = utf8.size();
    utf8_append(utf8, s[i]);
    for (size_t k = before; k < utf8.size(); ++k) byte_to_char.push_back(static_cast<uint32_t>(i));
  }
  byte_to_char.push_back(static_cast<uint32_t>(s.size()));
  std::vector<Match> out;
  size_t prev = 0;
  for (auto [bs, be] : find_iter(utf8)) {
    size_t cs = byte_to_char[bs], ce = byte_to_char[be];
    if (prev != cs) out.push_back({prev, cs, false});
    out.push_back({cs, ce, true});
    prev = ce;
  }
  if (prev != s.size()) out.push_back({prev, s.size(), false});
  return out;
}

}  // namespace hezar::tok

#include "preprocessors/tokenizers/json_util.h"

namespace hezar::tok {

TextPattern::TextPattern(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) json_fail(path, "expected {\"String\": ...} or {\"Regex\": ...}");
  if (const Json* s = json_get(j, "String")) {
    if (!s->is_string()) json_fail(path + ".String", "expected a string");
    literal_ = utf8_decode(s->get<std::string>());
  } else if (const Json* r = json_get(j, "Regex")) {
    if (!r->is_string()) json_fail(path + ".Regex", "expected a string");
    regex_ = std::make_unique<Regex>(r->get<std::string>(), "tokenizer.json: " + path + ".Regex");
  } else {
    json_fail(path, "expected {\"String\": ...} or {\"Regex\": ...}");
  }
}

std::vector<Match> TextPattern::find_matches(const std::u32string& s) const {
  if (regex_) return regex_->find_matches(s);
  if (literal_.empty()) return {{0, s.size(), false}};
  return find_string_matches(s, literal_);
}

}  // namespace hezar::tok
