// Pre-tokenizers (HF tokenizers/src/pre_tokenizers): Bert, Whitespace, WhitespaceSplit, Metaspace,
// Split, Punctuation, Digits, CharDelimiterSplit, FixedLength, Sequence; ByteLevel is in byte_level.cc.
#include <memory>

#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/pre_tokenizers_internal.h"
#include "preprocessors/tokenizers/regex.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

void PreTokenizedString::split(const std::function<void(NormalizedString&&, std::vector<NormalizedString>&)>& fn) {
  std::vector<Split> out;
  out.reserve(splits.size() * 2);
  std::vector<NormalizedString> pieces;
  for (Split& s : splits) {
    if (s.has_tokens) {
      out.push_back(std::move(s));
      continue;
    }
    pieces.clear();
    fn(std::move(s.normalized), pieces);
    for (auto& p : pieces)
      if (!p.empty()) out.push_back({std::move(p), false, {}});
  }
  splits = std::move(out);
}

void PreTokenizedString::split_with_tokens(const std::function<void(NormalizedString&&, std::vector<Split>&)>& fn) {
  std::vector<Split> out;
  std::vector<Split> pieces;
  for (Split& s : splits) {
    if (s.has_tokens) {
      out.push_back(std::move(s));
      continue;
    }
    pieces.clear();
    fn(std::move(s.normalized), pieces);
    for (auto& p : pieces)
      if (!p.normalized.empty()) out.push_back(std::move(p));
  }
  splits = std::move(out);
}

void PreTokenizedString::normalize(const std::function<void(NormalizedString&)>& fn) {
  for (Split& s : splits)
    if (!s.has_tokens) fn(s.normalized);
}

bool is_bert_punc(char32_t c) {
  if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return is_punctuation(c);
}

namespace {

class BertPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenizedString& p) const override {
    p.split([](NormalizedString&& n, std::vector<NormalizedString>& out) {
      out = n.split(find_char_matches(n.get(), is_whitespace), SplitBehavior::Removed);
    });
    p.split([](NormalizedString&& n, std::vector<NormalizedString>& out) {
      out = n.split(find_char_matches(n.get(), is_bert_punc), SplitBehavior::Isolated);
    });
  }
};

// `\w+|[^\w\s]+` kept, everything else removed.
std::vector<Match> whitespace_matches(const std::u32string& s) {
  if (s.empty()) return {{0, 0, false}};
  std::vector<Match> out;
  size_t i = 0, prev = 0;
  while (i < s.size()) {
    bool w = is_word_char(s[i]);
    if (!w && is_whitespace(s[i])) { ++i; continue; }
    size_t j = i + 1;
    if (w) while (j < s.size() && is_word_char(s[j])) ++j;
    else while (j < s.size() && !is_word_char(s[j]) && !is_whitespace(s[j])) ++j;
    if (prev != i) out.push_back({prev, i, true});  // removed (inverted)
    out.push_back({i, j, false});
    prev = i = j;
  }
  if (prev != s.size()) out.push_back({prev, s.size(), true});
  return out;
}

class WhitespacePreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenizedString& p) const override {
    p.split([](NormalizedString&& n, std::vector<NormalizedString>& out) {
      out = n.split(whitespace_matches(n.get()), SplitBehavior::Removed);
    });
  }
};

class WhitespaceSplit : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenizedString& p) const override {
    p.split([](NormalizedString&& n, std::vector<NormalizedString>& out) {
      out = n.split(find_char_matches(n.get(), is_whitespace), SplitBehavior::Removed);
    });
  }
};

class CharDelimiterSplit : public PreTokenizer {
 public:
  char32_t delimiter = ' ';
  void pre_tokenize(PreTokenizedString& p) const override {
    char32_t d = delimiter;
    p.split([d](NormalizedString&& n, std::vector<NormalizedString>& out) {
      out = n.split(find_char_matches(n.get(), [d](char32_t c) { return c == d; }), SplitBehavior::Removed);
    });
  }
};

class PunctuationPreTokenizer : public PreTokenizer {
 public:
  SplitBehavior behavior = SplitBehavior::Isolated;
  void pre_tokenize(PreTokenizedString& p) const override {
    SplitBehavior b = behavior;
    p.split([b](NormalizedString&& n, std::vector<NormalizedString>& out) {
      out = n.split(find_char_matches(n.get(), is_bert_punc), b);
    });
  }
};

class DigitsPreTokenizer : public PreTokenizer {
 public:
  bool individual = false;
  void pre_tokenize(PreTokenizedString& p) const override {
    SplitBehavior b = individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous;
    p.split([b](NormalizedString&& n, std::vector<NormalizedString>& out) {
      out = n.split(find_char_matches(n.get(), is_numeric), b);
    });
  }
};

class FixedLengthPreTokenizer : public PreTokenizer {
 public:
  size_t length = 5;
  void pre_tokenize(PreTokenizedString& p) const override {
    size_t len = length;
    p.split([len](NormalizedString&& n, std::vector<NormalizedString>& out) {
      for (size_t i = 0; i < n.size(); i += len) out.push_back(n.slice(i, std::min(n.size(), i + len)));
    });
  }
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(const Json& j, const std::string& path)
      : pattern(json_object(j, "pattern", path), path + ".pattern") {}
  TextPattern pattern;
  SplitBehavior behavior = SplitBehavior::Isolated;
  bool invert = false;
  void pre_tokenize(PreTokenizedString& p) const override {
    p.split([this](NormalizedString&& n, std::vector<NormalizedString>& out) {
      std::vector<Match> m = pattern.find_matches(n.get());
      if (invert) invert_matches(m);
      out = n.split(m, behavior);
    });
  }
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  char32_t replacement = 0x2581;
  std::string scheme = "always";
  bool split = true;
  void pre_tokenize(PreTokenizedString& p) const override {
    p.split([this](NormalizedString&& n, std::vector<NormalizedString>& out) {
      std::u32string rep(1, replacement);
      n.replace(find_char_matches(n.get(), [](char32_t c) { return c == U' '; }), rep);
      bool starts = !n.empty() && n.get()[0] == replacement;
      if (scheme == "always" && !starts) n.prepend(rep);
      if (scheme == "first" && !starts && n.original_span().start == 0) n.prepend(rep);
      if (split) {
        char32_t r = replacement;
        out = n.split(find_char_matches(n.get(), [r](char32_t c) { return c == r; }), SplitBehavior::MergedWithNext);
      } else {
        out.push_back(std::move(n));
      }
    });
  }
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  std::vector<std::unique_ptr<PreTokenizer>> items;
  void pre_tokenize(PreTokenizedString& p) const override {
    for (const auto& x : items) x->pre_tokenize(p);
  }
};

}  // namespace

SplitBehavior split_behavior_from_json(const Json& j, const char* key, const std::string& path,
                                       SplitBehavior def) {
  const Json* v = json_get(j, key);
  if (!v || v->is_null()) return def;
  std::string s = json_string(j, key, path);
  if (s == "Removed") return SplitBehavior::Removed;
  if (s == "Isolated") return SplitBehavior::Isolated;
  if (s == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (s == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (s == "Contiguous") return SplitBehavior::Contiguous;
  json_fail(path + "." + key, "unknown split behavior '" + s + "'");
}

std::string metaspace_scheme_from_json(const Json& j, const std::string& path) {
  std::string scheme = "always";
  if (const Json* ps = json_get(j, "prepend_scheme"); ps && !ps->is_null()) {
    scheme = json_string(j, "prepend_scheme", path);
    if (scheme != "always" && scheme != "first" && scheme != "never")
      json_fail(path + ".prepend_scheme", "expected always, first or never, got '" + scheme + "'");
  } else if (const Json* aps = json_get(j, "add_prefix_space"); aps && aps->is_boolean()) {
    scheme = aps->get<bool>() ? "always" : "never";
  }
  return scheme;
}

std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(const Json& j, const std::string& path) {
  std::string type;
  if (j.is_object() && !j.contains("type") && j.contains("delimiter")) type = "CharDelimiterSplit";
  else type = json_type(j, path);
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "ByteLevel") return make_byte_level_pre_tokenizer(j, path);
  if (type == "CharDelimiterSplit" || type == "Delimiter") {
    auto p = std::make_unique<CharDelimiterSplit>();
    p->delimiter = json_char(j, "delimiter", path);
    return p;
  }
  if (type == "Punctuation") {
    auto p = std::make_unique<PunctuationPreTokenizer>();
    p->behavior = split_behavior_from_json(j, "behavior", path, SplitBehavior::Isolated);
    return p;
  }
  if (type == "Digits") {
    auto p = std::make_unique<DigitsPreTokenizer>();
    p->individual = json_bool(j, "individual_digits", path, false);
    return p;
  }
  if (type == "FixedLength") {
    auto p = std::make_unique<FixedLengthPreTokenizer>();
    int64_t len = json_int(j, "length", path, 5);
    if (len <= 0) json_fail(path + ".length", "must be > 0");
    p->length = static_cast<size_t>(len);
    return p;
  }
  if (type == "Split") {
    auto p = std::make_unique<SplitPreTokenizer>(j, path);
    p->behavior = split_behavior_from_json(j, "behavior", path, SplitBehavior::Isolated);
    p->invert = json_bool(j, "invert", path, false);
    return p;
  }
  if (type == "Metaspace") {
    auto p = std::make_unique<MetaspacePreTokenizer>();
    p->replacement = json_char(j, "replacement", path);
    p->scheme = metaspace_scheme_from_json(j, path);
    p->split = json_bool(j, "split", path, true);
    return p;
  }
  if (type == "Sequence") {
    auto p = std::make_unique<SequencePreTokenizer>();
    const Json& arr = json_array(j, "pretokenizers", path);
    for (size_t i = 0; i < arr.size(); ++i)
      p->items.push_back(pre_tokenizer_from_json(arr[i], path + ".pretokenizers[" + std::to_string(i) + "]"));
    return p;
  }
  json_unsupported(path, type);
}

}  // namespace hezar::tok
