// SentencePiece ModelProto (.model) -> tokenizer.json, with a minimal protobuf wire-format reader
// (pieces, trainer_spec.model_type/unk_id/byte_fallback, normalizer_spec.precompiled_charsmap/
// add_dummy_prefix), laid out as transformers' T5/Llama converters do.
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "preprocessors/tokenizers/convert.h"

namespace hezar::tok {

namespace {

using Json = nlohmann::json;

struct Reader {
  std::string_view d;
  size_t i = 0;
  const std::string* path;
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      HEZAR_CHECK_INPUT(i < d.size(), *path, ": truncated SentencePiece model");
      auto b = static_cast<unsigned char>(d[i++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    throw BadInput(*path + ": bad varint in SentencePiece model");
  }
  // Calls fn(field, wire_type, value-or-0, bytes) for every field.
  template <class F>
  void each(F fn) {
    while (i < d.size()) {
      uint64_t key = varint();
      int field = static_cast<int>(key >> 3), wt = static_cast<int>(key & 7);
      if (wt == 0) fn(field, wt, varint(), std::string_view());
      else if (wt == 1) { HEZAR_CHECK_INPUT(i + 8 <= d.size(), *path, ": truncated"); fn(field, wt, 0, d.substr(i, 8)); i += 8; }
      else if (wt == 5) { HEZAR_CHECK_INPUT(i + 4 <= d.size(), *path, ": truncated"); fn(field, wt, 0, d.substr(i, 4)); i += 4; }
      else if (wt == 2) {
        uint64_t n = varint();
        HEZAR_CHECK_INPUT(i + n <= d.size(), *path, ": truncated SentencePiece model");
        fn(field, wt, 0, d.substr(i, n));
        i += n;
      } else {
        throw BadInput(*path + ": not a SentencePiece model (bad protobuf wire type)");
      }
    }
  }
};

std::string base64(std::string_view in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(a[(v >> (6 * k)) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += {a[(v >> 18) & 63], a[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += {a[(v >> 18) & 63], a[(v >> 12) & 63], a[(v >> 6) & 63], '='};
  }
  return out;
}

struct Piece {
  std::string piece;
  float score = 0;
  int type = 1;  // 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte
};

}  // namespace

std::string sentencepiece_json_from_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HEZAR_CHECK_INPUT(in.good(), "cannot open '", path, "'");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  std::vector<Piece> pieces;
  int model_type = 1;
  int64_t unk_id = 0;
  bool byte_fallback = false, add_dummy_prefix = true, remove_extra_whitespaces = true;
  std::string charsmap;
  Reader top{data, 0, &path};
  top.each([&](int field, int wt, uint64_t, std::string_view bytes) {
    if (field == 1 && wt == 2) {
      Piece p;
      Reader r{bytes, 0, &path};
      r.each([&](int f, int w, uint64_t v, std::string_view b) {
        if (f == 1 && w == 2) p.piece = std::string(b);
        else if (f == 2 && w == 5) std::memcpy(&p.score, b.data(), 4);
        else if (f == 3 && w == 0) p.type = static_cast<int>(v);
      });
      pieces.push_back(std::move(p));
    } else if (field == 2 && wt == 2) {
      Reader r{bytes, 0, &path};
      r.each([&](int f, int w, uint64_t v, std::string_view) {
        if (f == 3 && w == 0) model_type = static_cast<int>(v);
        else if (f == 40 && w == 0) unk_id = static_cast<int64_t>(v);
        else if (f == 35 && w == 0) byte_fallback = v != 0;
      });
    } else if (field == 3 && wt == 2) {
      Reader r{bytes, 0, &path};
      r.each([&](int f, int w, uint64_t v, std::string_view b) {
        if (f == 2 && w == 2) charsmap = std::string(b);
        else if (f == 3 && w == 0) add_dummy_prefix = v != 0;
        else if (f == 4 && w == 0) remove_extra_whitespaces = v != 0;
      });
    }
  });
  HEZAR_CHECK_INPUT(!pieces.empty(), path, ": not a SentencePiece model (no pieces)");
  HEZAR_CHECK_INPUT(model_type == 1 || model_type == 2, path, ": SentencePiece model type ", model_type,
                    " not supported (only unigram and bpe)");
  Json added = Json::array();
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i].type == 2 || pieces[i].type == 3)
      added.push_back({{"id", i}, {"content", pieces[i].piece}, {"single_word", false}, {"lstrip", false},
                       {"rstrip", false}, {"normalized", false}, {"special", true}});
  Json normalizers = Json::array();
  if (!charsmap.empty()) normalizers.push_back({{"type", "Precompiled"}, {"precompiled_charsmap", base64(charsmap)}});
  // spm's remove_extra_whitespaces drops leading/trailing spaces and collapses runs (after the charsmap,
  // which turns e.g. U+200B into a space): without the strip a trailing ZWSP became a lone "▁".
  if (remove_extra_whitespaces) {
    normalizers.push_back({{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}});
    normalizers.push_back({{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}});
  }
  Json meta{{"type", "Metaspace"}, {"replacement", "\u2581"},
            {"prepend_scheme", add_dummy_prefix ? "always" : "never"}, {"split", true}};
  Json j{{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", added},
         {"normalizer", {{"type", "Sequence"}, {"normalizers", normalizers}}}, {"pre_tokenizer", meta},
         {"decoder", meta}};
  int64_t eos = -1;
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i].piece == "</s>") eos = static_cast<int64_t>(i);
  if (eos >= 0) {
    auto sp = [](const char* id, uint32_t t) { return Json{{"SpecialToken", {{"id", id}, {"type_id", t}}}}; };
    auto sq = [](const char* id, uint32_t t) { return Json{{"Sequence", {{"id", id}, {"type_id", t}}}}; };
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", {sq("A", 0), sp("</s>", 0)}},
                           {"pair", {sq("A", 0), sp("</s>", 0), sq("B", 0), sp("</s>", 0)}},
                           {"special_tokens", {{"</s>", {{"id", "</s>"}, {"ids", {eos}}, {"tokens", {"</s>"}}}}}}};
  } else {
    j["post_processor"] = nullptr;
  }
  if (model_type == 1) {
    Json vocab = Json::array();
    for (const auto& p : pieces) vocab.push_back({p.piece, static_cast<double>(p.score)});
    j["model"] = {{"type", "Unigram"}, {"unk_id", unk_id}, {"vocab", vocab}, {"byte_fallback", byte_fallback}};
  } else {
    // BPE: merges ordered by the score of the merged piece (as transformers' SentencePieceExtractor).
    Json vocab = Json::object();
    for (size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i].piece] = i;
    std::unordered_map<std::string, size_t> ids;
    for (size_t i = 0; i < pieces.size(); ++i) ids.emplace(pieces[i].piece, i);
    std::vector<std::tuple<float, size_t, size_t, std::string, std::string>> merges;
    for (size_t i = 0; i < pieces.size(); ++i) {
      const std::string& m = pieces[i].piece;
      for (size_t k = 1; k < m.size(); ++k) {
        if ((static_cast<unsigned char>(m[k]) & 0xC0) == 0x80) continue;
        std::string a = m.substr(0, k), b = m.substr(k);
        auto ia = ids.find(a), ib = ids.find(b);
        if (ia != ids.end() && ib != ids.end()) merges.emplace_back(-pieces[i].score, ia->second, ib->second, a, b);
      }
    }
    std::sort(merges.begin(), merges.end());
    Json mj = Json::array();
    for (const auto& m : merges) mj.push_back({std::get<3>(m), std::get<4>(m)});
    j["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", pieces[static_cast<size_t>(unk_id)].piece},
                  {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", true},
                  {"byte_fallback", byte_fallback}, {"ignore_merges", false}, {"vocab", vocab}, {"merges", mj}};
  }
  return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace hezar::tok
