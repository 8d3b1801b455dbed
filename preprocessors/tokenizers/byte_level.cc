// ByteLevel (GPT-2) components: the byte <-> char table, the pre-tokenizer (GPT-2 regex + bytes to
// chars), the decoder, the offset-trimming post-processor and the ByteLevel normalizer's transform.
#include <memory>

#include "preprocessors/tokenizers/byte_level.h"
#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/normalizers_internal.h"
#include "preprocessors/tokenizers/pre_tokenizers_internal.h"
#include "preprocessors/tokenizers/regex.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

const std::u32string& bytes_to_chars() {
  static const std::u32string table = [] {
    std::u32string t(256, 0);
    std::vector<bool> direct(256, false);
    for (int b = '!'; b <= '~'; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    int n = 0;
    for (int b = 0; b < 256; ++b) t[b] = direct[b] ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
    return t;
  }();
  return table;
}

int char_to_byte(char32_t c) {
  static const std::vector<int> inv = [] {
    std::vector<int> v(512, -1);
    const std::u32string& t = bytes_to_chars();
    for (int b = 0; b < 256; ++b) v[t[b]] = b;
    return v;
  }();
  return c < 512 ? inv[c] : -1;
}

void byte_level_transform(NormalizedString& n) {
  const std::u32string& s = n.get();
  const std::u32string& table = bytes_to_chars();
  bool ascii_direct = true;
  for (char32_t c : s) ascii_direct = ascii_direct && c < 0x80 && table[c] == c;
  if (ascii_direct) return;
  std::vector<Change> t;
  t.reserve(s.size() * 2);
  char buf[4];
  for (char32_t c : s) {
    std::string tmp;
    utf8_append(tmp, c);
    for (size_t i = 0; i < tmp.size(); ++i)
      t.push_back({table[static_cast<unsigned char>(tmp[i])], i > 0 ? 1 : 0});
  }
  (void)buf;
  n.transform(t, 0);
}

namespace {

const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

const Regex& gpt2_regex() {
  static const Regex re(kGpt2Pattern, "ByteLevel");
  return re;
}

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  bool add_prefix_space = true, use_regex = true;
  void pre_tokenize(PreTokenizedString& p) const override {
    p.split([this](NormalizedString&& n, std::vector<NormalizedString>& out) {
      if (add_prefix_space && (n.empty() || n.get()[0] != U' ')) n.prepend(U" ");
      if (use_regex) out = n.split(gpt2_regex().find_matches(n.get()), SplitBehavior::Isolated);
      else out.push_back(std::move(n));
    });
    p.normalize(byte_level_transform);
  }
};

}  // namespace

std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(const Json& j, const std::string& path) {
  auto p = std::make_unique<ByteLevelPreTokenizer>();
  p->add_prefix_space = json_bool(j, "add_prefix_space", path, true);
  p->use_regex = json_bool(j, "use_regex", path, true);
  return p;
}

void byte_level_process_offsets(Encoding& e, bool add_prefix_space) {
  for (size_t i = 0; i < e.tokens.size(); ++i) {
    std::u32string tok = utf8_decode(e.tokens[i]);
    auto is_space = [](char32_t c) { return c == 0x120 || is_whitespace(c); };
    size_t lead = 0, trail = 0;
    while (lead < tok.size() && is_space(tok[lead])) ++lead;
    while (trail < tok.size() && is_space(tok[tok.size() - 1 - trail])) ++trail;
    if (lead == 0 && trail == 0) continue;
    Offsets& o = e.offsets[i];
    if (lead > 0) {
      bool is_first = i == 0 || o.first == 0;
      if (is_first && add_prefix_space && lead == 1) lead = 0;
      o.first = std::min<uint32_t>(o.first + static_cast<uint32_t>(lead), o.second);
    }
    if (trail > 0 && o.second >= trail) o.second = std::max<uint32_t>(o.second - static_cast<uint32_t>(trail), o.first);
  }
}

std::string byte_level_decode(const std::vector<std::string>& tokens) {
  std::string bytes;
  for (const std::string& t : tokens) {
    std::u32string u = utf8_decode(t);
    std::string piece;
    bool ok = true;
    for (char32_t c : u) {
      int b = char_to_byte(c);
      if (b < 0) { ok = false; break; }
      piece.push_back(static_cast<char>(b));
    }
    bytes += ok ? piece : t;
  }
  return utf8_lossy(bytes);
}

}  // namespace hezar::tok
