// WordPiece and WordLevel models (HF models/wordpiece, models/wordlevel).
#include <memory>

#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/models_internal.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

void vocab_from_json(const Json& j, const std::string& path, Vocab& vocab) {
  if (!j.is_object()) json_fail(path, "expected an object {token: id}");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_unsigned() && !it.value().is_number_integer())
      json_fail(path + "." + it.key(), "expected an integer id");
    int64_t id = it.value().get<int64_t>();
    if (id < 0 || id > 0x7FFFFFFF) json_fail(path + "." + it.key(), "id out of range");
    vocab.add(it.key(), static_cast<uint32_t>(id));
  }
}

namespace {

class WordPiece : public VocabModel {
 public:
  WordPiece(const Json& j, const std::string& path) {
    vocab_from_json(json_object(j, "vocab", path), path + ".vocab", vocab_);
    unk_ = json_string(j, "unk_token", path, std::string("[UNK]"));
    prefix_ = json_string(j, "continuing_subword_prefix", path, std::string("##"));
    max_chars_ = static_cast<size_t>(json_int(j, "max_input_chars_per_word", path, 100));
  }

  void tokenize(const std::u32string& text, std::vector<Token>& out) const override {
    size_t n = text.size();
    if (n > max_chars_) return push_unk(n, out);
    std::string utf8;
    std::vector<uint32_t> pos;  // byte offset of each char (+ end)
    pos.reserve(n + 1);
    for (char32_t c : text) {
      pos.push_back(static_cast<uint32_t>(utf8.size()));
      utf8_append(utf8, c);
    }
    pos.push_back(static_cast<uint32_t>(utf8.size()));
    size_t first = out.size();
    std::string key;
    size_t start = 0;
    while (start < n) {
      size_t end = n;
      bool found = false;
      while (start < end) {
        std::string_view sub(utf8.data() + pos[start], pos[end] - pos[start]);
        const uint32_t* id;
        if (start > 0) {
          key.assign(prefix_);
          key.append(sub);
          id = vocab_.find(key);
        } else {
          id = vocab_.find(sub);
        }
        if (id) {
          out.push_back({*id, start > 0 ? key : std::string(sub), static_cast<uint32_t>(start),
                         static_cast<uint32_t>(end)});
          found = true;
          break;
        }
        --end;
      }
      if (!found) {
        out.resize(first);
        return push_unk(n, out);
      }
      start = end;
    }
  }

 private:
  void push_unk(size_t n, std::vector<Token>& out) const {
    const uint32_t* id = vocab_.find(unk_);
    HEZAR_CHECK_INPUT(id != nullptr, "WordPiece: unk_token '", unk_, "' is not in the vocabulary");
    out.push_back({*id, unk_, 0, static_cast<uint32_t>(n)});
  }
  std::string unk_, prefix_;
  size_t max_chars_ = 100;
};

class WordLevel : public VocabModel {
 public:
  WordLevel(const Json& j, const std::string& path) {
    vocab_from_json(json_object(j, "vocab", path), path + ".vocab", vocab_);
    unk_ = json_string(j, "unk_token", path, std::string("<unk>"));
  }
  void tokenize(const std::u32string& text, std::vector<Token>& out) const override {
    std::string s = utf8_encode(text);
    auto n = static_cast<uint32_t>(text.size());
    if (const uint32_t* id = vocab_.find(s)) {
      out.push_back({*id, s, 0, n});
      return;
    }
    const uint32_t* unk = vocab_.find(unk_);
    HEZAR_CHECK_INPUT(unk != nullptr, "WordLevel: unk_token '", unk_, "' is not in the vocabulary");
    out.push_back({*unk, unk_, 0, n});
  }

 private:
  std::string unk_;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(const Json& j, const std::string& path) {
  return std::make_unique<WordPiece>(j, path);
}
std::unique_ptr<Model> make_wordlevel(const Json& j, const std::string& path) {
  return std::make_unique<WordLevel>(j, path);
}

}  // namespace hezar::tok
