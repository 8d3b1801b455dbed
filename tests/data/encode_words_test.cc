// Pre-split words (HF's is_split_into_words), as the sequence_labeling dataset tokenizes them: ids,
// tokens, word ids and offsets against the official Hugging Face binding (npm tokenizers@0.23.2, via
// oracle_words.js) on the WordPiece, byte-level BPE and Unigram fixture tokenizers, with real sentences
// (the WSJ word/TAG corpus of python3-pattern when installed) and Persian words; and truncation and
// padding of pre-split batches.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "preprocessors/text_tokenizer.h"
#include "preprocessors/tokenizers/tokenizer.h"
#include "tests/data/text_test_util.h"

namespace fs = std::filesystem;

namespace hezar {
namespace {

using nlohmann::json;

const char* kWsj = "/usr/share/doc/python3-pattern/test/corpora/tagged-en-wsj.txt";

std::string home_cache(const char* env, const char* sub) {
  const char* d = std::getenv(env);
  if (d && *d) return d;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/.cache/hezar/" + sub;
}

std::string fixture(const std::string& name) {
  const char* d = std::getenv("HEZAR_SHARED_DIR");
  return std::string(d && *d ? d : "/work/shared") + "/fixtures/hf-reference/tokenizers/" + name + "/tokenizer.json";
}

std::vector<std::vector<std::string>> word_lists() {
  std::vector<std::vector<std::string>> out = {
      {"Hello", "1/2", "wörld", "می‌خواهم", "کتاب‌ها", "۱۲۳"},
      {},
      {"", "x", "  spaced  ", "New York", "[MASK]", "👩‍👩‍👧", "café", "naïve"},
      {"A", std::string(150, 'a'), "end."},
  };
  std::ifstream in(kWsj);
  std::string line;
  for (int n = 0; n < 60 && std::getline(in, line); ++n) {
    std::istringstream pieces(line);
    std::vector<std::string> words;
    for (std::string p; pieces >> p;) words.push_back(p.substr(0, p.rfind('/')));
    out.push_back(words);
  }
  return out;
}

json run_oracle(const std::string& tokenizer_json, const std::vector<std::vector<std::string>>& inputs) {
  const std::string dir = testing::temp_dir("oracle_words_" + std::to_string(::getpid()));
  testing::write_file(dir + "/in.json", json(inputs).dump());
  std::string script = fs::path(__FILE__).parent_path().string() + "/oracle_words.js";
  if (!fs::exists(script)) script = "tests/data/oracle_words.js";
  const std::string cmd = "NODE_PATH='" + home_cache("HEZAR_NPM_DIR", "npm") + "/node_modules' node '" + script +
                          "' '" + tokenizer_json + "' '" + dir + "/in.json' '" + dir + "/out.json'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream out(dir + "/out.json");
  std::stringstream ss;
  ss << out.rdbuf();
  return json::parse(ss.str());
}

void check_against_oracle(const std::string& name) {
  if (!fs::exists(home_cache("HEZAR_NPM_DIR", "npm") + "/node_modules/tokenizers/package.json"))
    GTEST_SKIP() << "npm tokenizers not installed (run scripts/install-npm-peers.sh)";
  const std::string path = fixture(name);
  if (!fs::exists(path)) GTEST_SKIP() << "fixture " << path << " missing";
  const auto inputs = word_lists();
  const json ref = run_oracle(path, inputs);
  ASSERT_EQ(ref.size(), inputs.size());
  auto tokenizer = tok::Tokenizer::from_file(path);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const tok::Encoding e = tokenizer->encode_words(inputs[i], true);
    json words = json::array(), offsets = json::array();
    for (int64_t w : e.words) words.push_back(w < 0 ? json(nullptr) : json(w));
    for (auto [a, b] : e.offsets) offsets.push_back({a, b});
    EXPECT_EQ(json(e.ids), ref[i]["ids"]) << name << " example " << i;
    EXPECT_EQ(json(e.tokens), ref[i]["tokens"]) << name << " example " << i;
    EXPECT_EQ(words, ref[i]["word_ids"]) << name << " example " << i;
    EXPECT_EQ(offsets, ref[i]["offsets"]) << name << " example " << i;
  }
}

TEST(EncodeWords, WordPieceMatchesTheOracle) { check_against_oracle("wordpiece_bert"); }
TEST(EncodeWords, ByteLevelBpeMatchesTheOracle) { check_against_oracle("bpe_bytelevel"); }
TEST(EncodeWords, UnigramMatchesTheOracle) { check_against_oracle("unigram_metaspace"); }

TEST(EncodeWords, TruncationKeepsSpecialTokensAndPaddingHasNoWord) {
  auto tokenizer = testing::bert_wordpiece();
  const std::vector<std::string> words = {"the", "researchers", "reported", "کتاب",
                                          "the", "board",       "unseenword", "x"};
  const tok::Encoding full = tokenizer->encode_words({words}, TokenizeOptions{})[0];
  ASSERT_GT(full.size(), 8u);
  TokenizeOptions opts;
  opts.truncation = true;
  opts.max_length = 8;
  opts.padding = "longest";
  const auto batch = tokenizer->encode_words({words, {"good"}}, opts);
  ASSERT_EQ(batch[0].size(), 8u);
  ASSERT_EQ(batch[1].size(), 8u);
  // The first 6 word pieces of the untruncated encoding, between [CLS] and [SEP].
  EXPECT_EQ(batch[0].tokens.front(), "[CLS]");
  EXPECT_EQ(batch[0].tokens.back(), "[SEP]");
  for (size_t j = 1; j + 1 < 8; ++j) {
    EXPECT_EQ(batch[0].ids[j], full.ids[j]);
    EXPECT_EQ(batch[0].words[j], full.words[j]);
  }
  // Padding: no word, attention 0, the pad id.
  const uint32_t pad = *tokenizer->pad_token_id();
  EXPECT_EQ(batch[1].words, (std::vector<int64_t>{-1, 0, -1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(batch[1].attention_mask, (std::vector<uint32_t>{1, 1, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(batch[1].ids[7], pad);
}

TEST(EncodeWords, SameTokensAsEncodingEachWordAlone) {
  // The per-word pipeline, checked without the oracle on the trained tokenizer.
  auto tokenizer = testing::bert_wordpiece();
  const std::vector<std::string> words = {"Pierre", "Vinken", ",", "مدیر", "مدرسه", "exposed"};
  const tok::Encoding e = tokenizer->encode_words({words}, TokenizeOptions{})[0];
  std::vector<uint32_t> expected;
  std::vector<int64_t> expected_words;
  TokenizeOptions plain;
  plain.add_special_tokens = false;
  for (size_t w = 0; w < words.size(); ++w) {
    const tok::Encoding alone = tokenizer->encode({words[w]}, plain)[0];
    ASSERT_FALSE(alone.ids.empty()) << words[w];
    expected.insert(expected.end(), alone.ids.begin(), alone.ids.end());
    expected_words.insert(expected_words.end(), alone.size(), static_cast<int64_t>(w));
  }
  EXPECT_EQ(std::vector<uint32_t>(e.ids.begin() + 1, e.ids.end() - 1), expected);
  EXPECT_EQ(std::vector<int64_t>(e.words.begin() + 1, e.words.end() - 1), expected_words);
  EXPECT_EQ(e.words.front(), -1);
  EXPECT_EQ(e.words.back(), -1);
}

}  // namespace
}  // namespace hezar
