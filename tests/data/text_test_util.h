// Helpers for the text dataset tests: temp folders and files, a real WordPiece tokenizer trained here
// (with BERT's [CLS] ... [SEP] template added, as BERT checkpoints have), and a capture of log lines.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "preprocessors/preprocessor.h"
#include "preprocessors/text_tokenizer.h"
#include "preprocessors/tokenizer_training.h"

namespace hezar::testing {

namespace fs = std::filesystem;

inline std::string temp_dir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / ("hezar_text_data_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

inline std::string write_file(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  EXPECT_TRUE(out.good()) << path;
  return path;
}

// Text the tokenizer is trained on: English and Persian prose, so frequent words are whole tokens and
// rare ones split into ## pieces.
inline const char* kTokenizerCorpus =
    "the movie was good and the acting was great\n"
    "the film is bad and the story is boring\n"
    "a good film with a great story and good actors\n"
    "the board will meet on monday to discuss the new director\n"
    "Pierre Vinken will join the board as a director\n"
    "the company said the shares rose in the market\n"
    "researchers reported that the group of workers was exposed\n"
    "این فیلم خیلی خوب بود و بازیگران عالی بودند\n"
    "داستان فیلم خسته کننده بود\n"
    "من کتاب را خواندم و آن را دوست داشتم\n"
    "مدیر مدرسه به کلاس آمد\n"
    "the movie the film the story the board the market good bad great\n"
    "the board , the market . the film !\n";

// A WordPiece tokenizer trained on kTokenizerCorpus, with [CLS] $A [SEP] post-processing.
inline std::shared_ptr<TextTokenizer> bert_wordpiece() {
  static std::shared_ptr<TextTokenizer> cached = [] {
    const std::string corpus = write_file(temp_dir("tokenizer_corpus") + "/corpus.txt", kTokenizerCorpus);
    WordPieceTokenizerConfig config;
    config.vocab_size = 300;
    config.min_frequency = 1;
    config.show_progress = false;
    auto trained = train_text_tokenizer(config, {corpus});
    nlohmann::json j = nlohmann::json::parse(trained->backend().to_json_string());
    const uint32_t cls = *trained->backend().token_to_id("[CLS]"), sep = *trained->backend().token_to_id("[SEP]");
    const std::string template_json = R"({"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
        "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [CLS_ID], "tokens": ["[CLS]"]},
                           "[SEP]": {"id": "[SEP]", "ids": [SEP_ID], "tokens": ["[SEP]"]}}})";
    std::string filled = template_json;
    filled.replace(filled.find("CLS_ID"), 6, std::to_string(cls));
    filled.replace(filled.find("SEP_ID"), 6, std::to_string(sep));
    j["post_processor"] = nlohmann::json::parse(filled);
    auto backend = tok::Tokenizer::from_json_string(j.dump(), "bert_wordpiece");
    return std::make_shared<TextTokenizer>(config, backend);
  }();
  return cached;
}

inline PreprocessorSet with_tokenizer(std::shared_ptr<TextTokenizer> tokenizer) {
  PreprocessorSet set;
  set.add(std::move(tokenizer));
  return set;
}

// The token ids of `text` (with special tokens, untruncated).
inline std::vector<int64_t> token_ids(const TextTokenizer& tokenizer, const std::string& text) {
  const auto encodings = tokenizer.encode({text}, TokenizeOptions{});
  return std::vector<int64_t>(encodings[0].ids.begin(), encodings[0].ids.end());
}

inline std::vector<int64_t> to_vector(const at::Tensor& t) {
  at::Tensor c = t.contiguous().to(at::kLong);
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// Log lines written while it lives (all levels that pass the logger's level).
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() const { return stream_.str(); }
  size_t count(const std::string& needle) const {
    const std::string s = text();
    size_t n = 0;
    for (size_t pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace hezar::testing
