// Unigram model (HF models/unigram, encode_optimized): Viterbi over a byte trie of the pieces, unknown
// chars scored min_score - 10 and fused, optional byte_fallback.
#include <cmath>
#include <memory>
#include <unordered_map>

#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/models_internal.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

namespace {

class ByteTrie {
 public:
  ByteTrie() : terminal_(1, -1) {}
  void insert(const std::string& key, int32_t value) {
    uint32_t node = 0;
    for (unsigned char c : key) {
      uint64_t k = (static_cast<uint64_t>(node) << 8) | c;
      auto it = edges_.find(k);
      if (it == edges_.end()) {
        uint32_t nn = static_cast<uint32_t>(terminal_.size());
        terminal_.push_back(-1);
        edges_.emplace(k, nn);
        node = nn;
      } else {
        node = it->second;
      }
    }
    terminal_[node] = value;
  }
  // Calls fn(length, value) for every key that is a prefix of s[start..].
  template <class F>
  void prefixes(const std::string& s, size_t start, F fn) const {
    uint32_t node = 0;
    for (size_t i = start; i < s.size(); ++i) {
      auto it = edges_.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(s[i]));
      if (it == edges_.end()) return;
      node = it->second;
      if (terminal_[node] >= 0) fn(i + 1 - start, terminal_[node]);
    }
  }

 private:
  std::unordered_map<uint64_t, uint32_t> edges_;
  std::vector<int32_t> terminal_;
};

class Unigram : public VocabModel {
 public:
  Unigram(const Json& j, const std::string& path) {
    const Json& v = json_array(j, "vocab", path);
    if (v.empty()) json_fail(path + ".vocab", "empty vocabulary");
    scores_.reserve(v.size());
    min_score_ = INFINITY;
    for (size_t i = 0; i < v.size(); ++i) {
      const Json& e = v[i];
      std::string p = path + ".vocab[" + std::to_string(i) + "]";
      if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
        json_fail(p, "expected [piece, score]");
      std::string piece = e[0].get<std::string>();
      double score = e[1].get<double>();
      vocab_.add(piece, static_cast<uint32_t>(i));
      trie_.insert(piece, static_cast<int32_t>(i));
      scores_.push_back(score);
      min_score_ = std::min(min_score_, score);
    }
    if (const Json* u = json_get(j, "unk_id"); u && !u->is_null()) {
      int64_t id = json_int(j, "unk_id", path);
      if (id < 0 || static_cast<size_t>(id) >= v.size()) json_fail(path + ".unk_id", "not in the vocabulary");
      unk_id_ = static_cast<int64_t>(id);
    }
    byte_fallback_ = json_bool(j, "byte_fallback", path, false);
  }

  void tokenize(const std::u32string& text, std::vector<Token>& out) const override {
    if (text.empty()) return;
    std::string s;
    std::vector<uint32_t> byte_to_char;
    s.reserve(text.size() * 2);
    for (size_t i = 0; i < text.size(); ++i) {
      size_t before = s.size();
      utf8_append(s, text[i]);
      byte_to_char.insert(byte_to_char.end(), s.size() - before, static_cast<uint32_t>(i));
    }
    byte_to_char.push_back(static_cast<uint32_t>(text.size()));
    std::vector<std::pair<size_t, size_t>> pieces = viterbi(s);  // byte ranges, unks fused
    for (auto [a, b] : pieces) {
      std::string piece = s.substr(a, b - a);
      uint32_t ca = byte_to_char[a], cb = byte_to_char[b];
      if (const uint32_t* id = vocab_.find(piece)) {
        out.push_back({*id, piece, ca, cb});
        continue;
      }
      if (byte_fallback_ && push_bytes(piece, ca, cb, out)) continue;
      HEZAR_CHECK_INPUT(unk_id_ >= 0, "Unigram: unknown piece but the model has no unk_id");
      out.push_back({static_cast<uint32_t>(unk_id_), piece, ca, cb});
    }
  }

 private:
  bool push_bytes(const std::string& piece, uint32_t ca, uint32_t cb, std::vector<Token>& out) const {
    std::vector<Token> tmp;
    char code[8];
    for (unsigned char c : piece) {
      std::snprintf(code, sizeof(code), "<0x%02X>", c);
      const uint32_t* id = vocab_.find(code);
      if (!id) return false;
      tmp.push_back({*id, code, ca, cb});
    }
    out.insert(out.end(), tmp.begin(), tmp.end());
    return true;
  }

  std::vector<std::pair<size_t, size_t>> viterbi(const std::string& s) const {
    struct Node {
      int64_t id = 0;
      double score = 0;
      int64_t starts_at = -1;
    };
    size_t n = s.size();
    double unk_score = min_score_ - 10.0;
    std::vector<Node> best(n + 1);
    size_t pos = 0;
    while (pos < n) {
      double here = best[pos].score;
      unsigned char c0 = static_cast<unsigned char>(s[pos]);
      size_t mblen = c0 < 0x80 ? 1 : c0 >= 0xF0 ? 4 : c0 >= 0xE0 ? 3 : 2;
      bool single = false;
      trie_.prefixes(s, pos, [&](size_t len, int32_t id) {
        Node& t = best[pos + len];
        double cand = scores_[static_cast<size_t>(id)] + here;
        if (t.starts_at < 0 || cand > t.score) {
          t.score = cand;
          t.starts_at = static_cast<int64_t>(pos);
          t.id = id;
        }
        if (len == mblen) single = true;
      });
      if (!single) {
        Node& t = best[pos + mblen];
        double cand = unk_score + here;
        if (t.starts_at < 0 || cand > t.score) {
          HEZAR_CHECK_INPUT(unk_id_ >= 0, "Unigram: unknown character but the model has no unk_id");
          t.score = cand;
          t.starts_at = static_cast<int64_t>(pos);
          t.id = unk_id_;
        }
      }
      pos += mblen;
    }
    std::vector<std::pair<size_t, size_t>> rev;
    size_t end = n;
    bool in_unk = false;
    size_t unk_end = 0;
    while (end > 0) {
      const Node& node = best[end];
      size_t start = static_cast<size_t>(node.starts_at);
      if (unk_id_ >= 0 && node.id == unk_id_) {
        if (!in_unk) { in_unk = true; unk_end = end; }
      } else {
        if (in_unk) { rev.emplace_back(end, unk_end); in_unk = false; }
        rev.emplace_back(start, end);
      }
      end = start;
    }
    if (in_unk) rev.emplace_back(0, unk_end);
    return {rev.rbegin(), rev.rend()};
  }

  ByteTrie trie_;
  std::vector<double> scores_;
  double min_score_ = 0;
  int64_t unk_id_ = -1;
  bool byte_fallback_ = false;
};

}  // namespace

std::unique_ptr<Model> make_unigram(const Json& j, const std::string& path) {
  return std::make_unique<Unigram>(j, path);
}

std::unique_ptr<Model> model_from_json(const Json& j, const std::string& path) {
  if (!j.is_object()) json_fail(path, "expected an object");
  std::string type;
  if (j.contains("type")) {
    type = json_type(j, path);
  } else if (j.contains("merges")) {
    type = "BPE";
  } else if (j.contains("vocab") && j["vocab"].is_array()) {
    type = "Unigram";
  } else if (j.contains("continuing_subword_prefix") || j.contains("max_input_chars_per_word")) {
    type = "WordPiece";
  } else if (j.contains("vocab")) {
    type = "WordLevel";
  } else {
    json_fail(path + ".type", "missing model type");
  }
  if (type == "BPE") return make_bpe(j, path);
  if (type == "WordPiece") return make_wordpiece(j, path);
  if (type == "WordLevel") return make_wordlevel(j, path);
  if (type == "Unigram") return make_unigram(j, path);
  json_unsupported(path, type);
}

}  // namespace hezar::tok
