// Decoders (HF decoders/): WordPiece, ByteLevel, Metaspace, BPEDecoder, CTC, Replace, ByteFallback,
// Fuse, Strip and Sequence.
#include <memory>

#include "preprocessors/tokenizers/byte_level.h"
#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/pre_tokenizers_internal.h"
#include "preprocessors/tokenizers/regex.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

std::string Decoder::decode(std::vector<std::string> tokens) const {
  std::string out;
  for (const auto& t : decode_chain(std::move(tokens))) out += t;
  return out;
}

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  std::string out;
  size_t pos = 0, hit;
  while ((hit = s.find(from, pos)) != std::string::npos) {
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  s = std::move(out);
}

std::string wordpiece_cleanup(std::string s) {
  static const char* pairs[][2] = {{" .", "."},   {" ?", "?"},     {" !", "!"},        {" ,", ","},
                                   {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},      {" do not", " don't"},
                                   {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (auto& p : pairs) replace_all(s, p[0], p[1]);
  return s;
}

class WordPieceDecoder : public Decoder {
 public:
  std::string prefix = "##";
  bool cleanup = true;
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix.size(), prefix) == 0) t = t.substr(prefix.size());
        else t = " " + t;
      }
      if (cleanup) t = wordpiece_cleanup(std::move(t));
    }
    return tokens;
  }
};

class ByteLevelDecoder : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    return {byte_level_decode(tokens)};
  }
};

class MetaspaceDecoder : public Decoder {
 public:
  char32_t replacement = 0x2581;
  std::string scheme = "always";
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      for (char32_t c : utf8_decode(tokens[i])) {
        if (c == replacement) {
          if (i == 0 && scheme != "never") continue;
          out.push_back(' ');
        } else {
          utf8_append(out, c);
        }
      }
      tokens[i] = std::move(out);
    }
    return tokens;
  }
};

class BpeDecoder : public Decoder {
 public:
  std::string suffix = "</w>";
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) replace_all(tokens[i], suffix, i + 1 == tokens.size() ? "" : " ");
    return tokens;
  }
};

class CtcDecoder : public Decoder {
 public:
  std::string pad = "<pad>", delimiter = "|";
  bool cleanup = true;
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;
      std::string t = tokens[i];
      replace_all(t, pad, "");
      if (cleanup) {
        t = wordpiece_cleanup(std::move(t));
        replace_all(t, delimiter, " ");
      }
      if (!t.empty()) out.push_back(std::move(t));
    }
    return out;
  }
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(const Json& j, const std::string& path)
      : pattern_(json_object(j, "pattern", path), path + ".pattern"), content_(json_string(j, "content", path)) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (auto& t : tokens) {
      std::u32string u = utf8_decode(t);
      std::string out;
      for (const Match& m : pattern_.find_matches(u)) {
        if (m.is_match) out += content_;
        else out += utf8_encode(u.substr(m.start, m.end - m.start));
      }
      t = std::move(out);
    }
    return tokens;
  }

 private:
  TextPattern pattern_;
  std::string content_;
};

class ByteFallbackDecoder : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t nbytes = 0;
    auto flush = [&] {
      if (nbytes == 0) return;
      if (utf8_valid(bytes)) out.push_back(bytes);
      else for (size_t k = 0; k < nbytes; ++k) out.push_back("\xEF\xBF\xBD");
      bytes.clear();
      nbytes = 0;
    };
    for (auto& t : tokens) {
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && std::isxdigit(static_cast<unsigned char>(t[3])) &&
          std::isxdigit(static_cast<unsigned char>(t[4]))) {
        bytes.push_back(static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16)));
        ++nbytes;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    return out;
  }
};

class FuseDecoder : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::string all;
    for (auto& t : tokens) all += t;
    return {all};
  }
};

class StripDecoder : public Decoder {
 public:
  char32_t content = ' ';
  size_t start = 0, stop = 0;
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (auto& t : tokens) {
      std::u32string u = utf8_decode(t);
      size_t a = 0, b = u.size();
      for (size_t k = 0; k < start && a < b && u[a] == content; ++k) ++a;
      for (size_t k = 0; k < stop && b > a && u[b - 1] == content; ++k) --b;
      t = utf8_encode(u.substr(a, b - a));
    }
    return tokens;
  }
};

class SequenceDecoder : public Decoder {
 public:
  std::vector<std::unique_ptr<Decoder>> items;
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (const auto& d : items) tokens = d->decode_chain(std::move(tokens));
    return tokens;
  }
};

}  // namespace

std::unique_ptr<Decoder> decoder_from_json(const Json& j, const std::string& path) {
  std::string type = json_type(j, path);
  if (type == "WordPiece") {
    auto d = std::make_unique<WordPieceDecoder>();
    d->prefix = json_string(j, "prefix", path, std::string("##"));
    d->cleanup = json_bool(j, "cleanup", path, true);
    return d;
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    auto d = std::make_unique<MetaspaceDecoder>();
    d->replacement = json_char(j, "replacement", path);
    d->scheme = metaspace_scheme_from_json(j, path);
    return d;
  }
  if (type == "BPEDecoder") {
    auto d = std::make_unique<BpeDecoder>();
    d->suffix = json_string(j, "suffix", path, std::string("</w>"));
    return d;
  }
  if (type == "CTC") {
    auto d = std::make_unique<CtcDecoder>();
    d->pad = json_string(j, "pad_token", path, std::string("<pad>"));
    d->delimiter = json_string(j, "word_delimiter_token", path, std::string("|"));
    d->cleanup = json_bool(j, "cleanup", path, true);
    return d;
  }
  if (type == "Replace") return std::make_unique<ReplaceDecoder>(j, path);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    auto d = std::make_unique<StripDecoder>();
    d->content = json_char(j, "content", path);
    d->start = static_cast<size_t>(json_int(j, "start", path, 0));
    d->stop = static_cast<size_t>(json_int(j, "stop", path, 0));
    return d;
  }
  if (type == "Sequence") {
    auto d = std::make_unique<SequenceDecoder>();
    const Json& arr = json_array(j, "decoders", path);
    for (size_t i = 0; i < arr.size(); ++i)
      d->items.push_back(decoder_from_json(arr[i], path + ".decoders[" + std::to_string(i) + "]"));
    return d;
  }
  json_unsupported(path, type);
}

}  // namespace hezar::tok
