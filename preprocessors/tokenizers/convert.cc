#include "preprocessors/tokenizers/convert.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace fs = std::filesystem;

namespace hezar::tok {

using Json = nlohmann::json;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HEZAR_CHECK_INPUT(in.good(), "cannot open '", path, "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json added_token(uint32_t id, const std::string& content) {
  return Json{{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
              {"rstrip", false}, {"normalized", false}, {"special", true}};
}

Json special_piece(const std::string& t, uint32_t type_id) {
  return Json{{"SpecialToken", {{"id", t}, {"type_id", type_id}}}};
}
Json seq_piece(const char* s, uint32_t type_id) { return Json{{"Sequence", {{"id", s}, {"type_id", type_id}}}}; }

std::string dump(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace); }

}  // namespace

std::string wordpiece_json_from_vocab_txt(const std::string& path, bool lowercase) {
  std::istringstream in(read_all(path));
  Json vocab = Json::object();
  std::string line;
  uint32_t id = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!vocab.contains(line)) vocab[line] = id;
    ++id;
  }
  HEZAR_CHECK_INPUT(vocab.contains("[UNK]"), path, ": vocab.txt has no [UNK] token");
  Json added = Json::array();
  for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (vocab.contains(t)) added.push_back(added_token(vocab[t].get<uint32_t>(), t));
  std::sort(added.begin(), added.end(), [](const Json& a, const Json& b) { return a["id"] < b["id"]; });
  Json j{{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", added}};
  j["normalizer"] = {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
                     {"strip_accents", nullptr}, {"lowercase", lowercase}};
  j["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
  if (vocab.contains("[CLS]") && vocab.contains("[SEP]")) {
    j["post_processor"] = {
        {"type", "TemplateProcessing"},
        {"single", {special_piece("[CLS]", 0), seq_piece("A", 0), special_piece("[SEP]", 0)}},
        {"pair",
         {special_piece("[CLS]", 0), seq_piece("A", 0), special_piece("[SEP]", 0), seq_piece("B", 1),
          special_piece("[SEP]", 1)}},
        {"special_tokens",
         {{"[CLS]", {{"id", "[CLS]"}, {"ids", {vocab["[CLS]"]}}, {"tokens", {"[CLS]"}}}},
          {"[SEP]", {{"id", "[SEP]"}, {"ids", {vocab["[SEP]"]}}, {"tokens", {"[SEP]"}}}}}}};
  } else {
    j["post_processor"] = nullptr;
  }
  j["decoder"] = {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}};
  j["model"] = {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
                {"max_input_chars_per_word", 100}, {"vocab", vocab}};
  return dump(j);
}

std::string bpe_json_from_files(const std::string& vocab_path, const std::string& merges_path) {
  Json vocab;
  try {
    vocab = Json::parse(read_all(vocab_path));
  } catch (const Json::parse_error& e) {
    throw BadInput(vocab_path + ": not valid JSON: " + e.what());
  }
  HEZAR_CHECK_INPUT(vocab.is_object(), vocab_path, ": expected a JSON object {token: id}");
  std::istringstream in(read_all(merges_path));
  Json merges = Json::array();
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#version", 0) == 0 || line.empty()) continue;
    size_t sp = line.find(' ');
    HEZAR_CHECK_INPUT(sp != std::string::npos && line.find(' ', sp + 1) == std::string::npos, merges_path, ":",
                      lineno, ": expected 'left right'");
    merges.push_back({line.substr(0, sp), line.substr(sp + 1)});
  }
  bool roberta = vocab.contains("<s>") && vocab.contains("</s>");
  Json added = Json::array();
  for (const char* t : {"<s>", "<pad>", "</s>", "<unk>", "<mask>", "<|endoftext|>"})
    if (vocab.contains(t)) {
      Json a = added_token(vocab[t].get<uint32_t>(), t);
      if (std::strcmp(t, "<mask>") == 0) a["lstrip"] = true;
      added.push_back(a);
    }
  std::sort(added.begin(), added.end(), [](const Json& a, const Json& b) { return a["id"] < b["id"]; });
  Json bl{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  Json j{{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", added},
         {"normalizer", nullptr}, {"pre_tokenizer", bl}, {"decoder", bl}};
  if (roberta)
    j["post_processor"] = {{"type", "RobertaProcessing"}, {"sep", {"</s>", vocab["</s>"]}},
                           {"cls", {"<s>", vocab["<s>"]}}, {"trim_offsets", true}, {"add_prefix_space", false}};
  else
    j["post_processor"] = bl;
  j["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", vocab.contains("<unk>") ? Json("<unk>") : Json(nullptr)},
                {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""}, {"fuse_unk", false},
                {"byte_fallback", false}, {"ignore_merges", false}, {"vocab", vocab}, {"merges", merges}};
  return dump(j);
}

std::shared_ptr<Tokenizer> convert_legacy_file(const std::string& path) {
  fs::path p(path);
  std::string name = p.filename().string();
  if (p.extension() == ".txt" && name != "merges.txt")
    return Tokenizer::from_json_string(wordpiece_json_from_vocab_txt(path), path);
  if (name == "vocab.json" || name == "encoder.json") {
    for (const char* m : {"merges.txt", "vocab.bpe"}) {
      fs::path merges = p.parent_path() / m;
      if (fs::exists(merges)) return Tokenizer::from_json_string(bpe_json_from_files(path, merges.string()), path);
    }
    throw BadInput(path + ": no merges.txt or vocab.bpe beside it");
  }
  if (p.extension() == ".model")
    return Tokenizer::from_json_string(sentencepiece_json_from_model(path), path);
  throw BadInput(path + ": unknown tokenizer file (expected tokenizer.json, vocab.txt, vocab.json + merges.txt "
                        "or a SentencePiece .model)");
}

std::shared_ptr<Tokenizer> convert_legacy_folder(const std::string& dir) {
  fs::path d(dir);
  for (const char* f : {"vocab.json", "encoder.json", "vocab.txt", "spiece.model", "sentencepiece.bpe.model",
                        "tokenizer.model"})
    if (fs::exists(d / f)) return convert_legacy_file((d / f).string());
  for (const auto& e : fs::directory_iterator(d))
    if (e.path().extension() == ".model") return convert_legacy_file(e.path().string());
  throw BadInput(dir + ": no tokenizer.json, vocab.txt, vocab.json + merges.txt or .model file");
}

}  // namespace hezar::tok
