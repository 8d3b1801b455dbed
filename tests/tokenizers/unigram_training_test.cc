// Unigram training against the official Hugging Face UnigramTrainer (npm tokenizers@0.23.2, whose
// node binding trains with the model's default trainer: vocab_size 8000, no special tokens, no unk) on
// real prose from Debian's php-faker, with Hezar's sentencepiece_unigram_tokenizer layout (Nmt + NFKC
// + collapsed spaces, Metaspace). Seeds are checked exactly (HF's own unit-test example, and a brute
// force count of repeated substrings on real words); vocabularies by overlap with HF's.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "preprocessors/tokenizer_training.h"
#include "preprocessors/tokenizers/tokenizer.h"
#include "preprocessors/tokenizers/unicode.h"
#include "preprocessors/tokenizers/unigram_lattice.h"
#include "preprocessors/tokenizers/unigram_trainer.h"
#include "tests/tokenizers/material.h"

namespace fs = std::filesystem;

namespace hezar::tok {
namespace {

using hezar::PreprocessorSet;
using hezar::SentencePieceUnigramTokenizerConfig;
using hezar::TextTokenizer;
using hezar::train_text_tokenizer;
using nlohmann::json;
using namespace hezar::test;

std::string unigram_template() { return untrained_tokenizer_json(SentencePieceUnigramTokenizerConfig(), "null"); }

bool have_material() { return have_npm_tokenizers() && fs::exists(faker_text_path("fa_IR")); }
#define REQUIRE_MATERIAL() \
  if (!have_material()) GTEST_SKIP() << "needs scripts/install-npm-peers.sh and scripts/install-test-material.sh"

struct Corpus {
  std::vector<std::string> train, heldout;
  std::string path;
};

Corpus make_corpus(const std::string& name, const std::vector<std::string>& locales, const std::string& dir) {
  Corpus c;
  for (const auto& l : locales) split_heldout(faker_lines(l), c.train, c.heldout);
  c.path = dir + "/" + name + ".txt";
  write_file(c.path, join_lines(c.train));
  return c;
}

json hf_train(const Corpus& c, const std::string& dir, const std::string& name) {
  std::string t = dir + "/" + name + ".template.json", out = dir + "/" + name + ".hf.json";
  write_file(t, unigram_template());
  EXPECT_EQ(run_node("oracle_train.js", {t, out, c.path}), 0);
  return json::parse(read_file(out));
}

std::map<std::string, double> pieces_of(const json& model) {
  std::map<std::string, double> out;
  for (const auto& e : model["vocab"]) out[e[0].get<std::string>()] = e[1].get<double>();
  return out;
}

// How close our vocabulary is to HF's: the fraction of HF's pieces we also have, and the largest score
// difference on them, leaving out the characters EM dropped (finalize gives those min_score plus a
// penalty growing by 1e-4 in HF's hash-set order, so their scores are a permutation of each other's).
struct Agreement {
  double common = 0, max_score_diff = 0;
  size_t penalty_chars = 0;
};

Agreement agreement(const std::map<std::string, double>& ours, const std::map<std::string, double>& hf,
                    const std::string& name) {
  double hf_min = INFINITY;
  for (const auto& [p, s] : hf) hf_min = std::min(hf_min, s);
  Agreement a;
  size_t common = 0;
  for (const auto& [p, s] : hf) {
    auto it = ours.find(p);
    if (it == ours.end()) continue;
    ++common;
    bool penalty = utf8_count(p) == 1 && s < hf_min + 1e-4 * static_cast<double>(hf.size()) &&
                   it->second < hf_min + 1e-4 * static_cast<double>(hf.size());
    if (penalty)
      ++a.penalty_chars;
    else
      a.max_score_diff = std::max(a.max_score_diff, std::abs(it->second - s));
  }
  a.common = static_cast<double>(common) / static_cast<double>(hf.size());
  std::printf("[unigram] %s: ours %zu, HF %zu pieces, %zu common (%.2f%%), max score diff %.3g (%zu penalty chars)\n",
              name.c_str(), ours.size(), hf.size(), common, 100 * a.common, a.max_score_diff, a.penalty_chars);
  return a;
}

// Measured: 100% of HF's pieces on every corpus below, scores within 4e-11. The floors leave room
// for floating-point ties that could fall differently on another machine.
void expect_close_to_hf(const std::map<std::string, double>& ours, const std::map<std::string, double>& hf,
                        const std::string& name) {
  Agreement a = agreement(ours, hf, name);
  EXPECT_EQ(ours.size(), hf.size()) << name;
  EXPECT_GE(a.common, 0.99) << name;
  EXPECT_LT(a.max_score_diff, 1e-6) << name;
}

UnigramTrainerOptions hf_default_options() { return {}; }  // what the node binding's train() uses

std::shared_ptr<Tokenizer> ours_train(const Corpus& c, const UnigramTrainerOptions& o) {
  auto base = Tokenizer::from_json_string(unigram_template(), "unigram template");
  return train_unigram_tokenizer(*base, count_words(*base, {c.path}), o);
}

// HF trainer.rs test_unigram_chars: the seeds of two short sentences, strings and log-probabilities.
TEST(UnigramTraining, SeedPiecesMatchHfUnitTest) {
  std::vector<UnigramSentence> s{{U"This is a", 1}, {U"こんにちは友達", 1}};
  auto seeds = unigram_seed_pieces(s, 16, 1000000);
  std::vector<std::u32string> want{U"s",  U"i",  U" ", U"達", U"友", U"ん",  U"は", U"に",
                                   U"ち", U"こ", U"h", U"a",  U"T",  U"is ", U"s "};
  std::vector<double> scores{-2.5649493574615367, -2.5649493574615367, -2.5649493574615367, -3.258096538021482,
                             -3.258096538021482,  -3.258096538021482,  -3.258096538021482,  -3.258096538021482,
                             -3.258096538021482,  -3.258096538021482,  -3.258096538021482,  -3.258096538021482,
                             -3.258096538021482,  -1.4663370687934272, -1.8718021769015916};
  ASSERT_EQ(seeds.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(seeds[i].first, want[i]) << i;
    EXPECT_NEAR(seeds[i].second, scores[i], 1e-12) << i;
  }
}

// HF's digamma is a truncated asymptotic series (about 1e-10 off), kept because the M step uses it.
TEST(UnigramTraining, DigammaMatchesKnownValues) {
  EXPECT_NEAR(unigram::digamma(1.0), -0.5772156649015329, 1e-9);  // -Euler-Mascheroni
  EXPECT_NEAR(unigram::digamma(0.5), -1.9635100260214235, 1e-9);  // -gamma - 2 ln 2
  EXPECT_NEAR(unigram::digamma(10.0), 2.251752589066721, 1e-9);
}

// The suffix-tree seeds are exactly the substrings (2..16 chars, within a word) that occur at least
// twice among the distinct words and are followed by two different characters (or the word end and
// something), counted by a brute force over real Persian and English words.
TEST(UnigramTraining, SeedSubstringsAreTheRepeatedBranchingSubstrings) {
  if (!fs::exists(faker_text_path("fa_IR"))) GTEST_SKIP() << "needs scripts/install-test-material.sh";
  auto base = Tokenizer::from_json_string(unigram_template(), "unigram template");
  for (const char* loc : {"fa_IR", "en_US"}) {
    auto lines = faker_lines(loc);
    lines.resize(std::min<size_t>(lines.size(), 60));
    std::vector<UnigramSentence> sentences;
    for (const auto& [w, n] : count_words_in_lines(*base, lines)) sentences.push_back({utf8_decode(w), n});
    struct Info {
      uint64_t occurrences = 0;
      std::set<char32_t> next;  // U'\0' = word end
    };
    std::unordered_map<std::u32string, Info> all;
    for (const auto& [w, n] : sentences)
      for (size_t i = 0; i < w.size(); ++i)
        for (size_t len = 2; len <= 16 && i + len <= w.size(); ++len) {
          Info& info = all[w.substr(i, len)];
          ++info.occurrences;
          info.next.insert(i + len < w.size() ? w[i + len] : U'\0');
        }
    std::map<std::u32string, double> want;
    for (const auto& [s, info] : all)
      if (info.occurrences >= 2 && info.next.size() >= 2) want[s] = static_cast<double>(info.occurrences * s.size());
    std::map<std::u32string, double> got;
    auto seeds = unigram_seed_pieces(sentences, 16, 1000000);
    double sum = 0;
    for (const auto& [s, lp] : seeds) sum += std::exp(lp);
    for (const auto& [s, lp] : seeds)
      if (s.size() >= 2) got[s] = std::exp(lp);  // probabilities: compare counts through the total
    ASSERT_EQ(got.size(), want.size()) << loc;
    double total = 0;
    for (const auto& [s, c] : want) total += c;
    for (const auto& [s, n] : sentences) total += static_cast<double>(n * s.size());  // the characters
    for (const auto& [s, c] : want) {
      ASSERT_TRUE(got.count(s)) << loc;
      EXPECT_NEAR(got[s] * total, c, 1e-6 * c) << loc;
    }
    EXPECT_NEAR(sum, 1.0, 1e-9);
    std::printf("[unigram] %s: %zu words, %zu seed substrings = brute force\n", loc, sentences.size(), want.size());
  }
}

// Persian and English prose (every 10th line held out): too small for pruning, so the vocabulary is
// what survives EM, seeds in HF's order.
TEST(UnigramTraining, SmallCorporaMatchHfVocabulary) {
  REQUIRE_MATERIAL();
  std::string dir = scratch_dir("unigram_small");
  for (const char* loc : {"fa_IR", "en_US"}) {
    Corpus c = make_corpus(loc, {loc}, dir);
    auto hf = pieces_of(hf_train(c, dir, loc)["model"]);
    auto ours = pieces_of(json::parse(ours_train(c, hf_default_options())->model_json()));
    expect_close_to_hf(ours, hf, loc);
  }
}

// Several languages together: large enough that HF prunes down to the 8000 pieces.
TEST(UnigramTraining, PrunedCorpusOverlapsHfVocabulary) {
  REQUIRE_MATERIAL();
  std::string dir = scratch_dir("unigram_pruned");
  Corpus c = make_corpus("multi", {"fa_IR", "en_US", "de_DE", "fr_FR"}, dir);
  auto hf = pieces_of(hf_train(c, dir, "multi")["model"]);
  auto t0 = std::chrono::steady_clock::now();
  auto ours = pieces_of(json::parse(ours_train(c, hf_default_options())->model_json()));
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[unigram] trained in %.2f s\n", s);
  expect_close_to_hf(ours, hf, "fa+en+de+fr");
}

// All 30 php-faker languages (CJK lines are single long "words"): seeds reach the suffix tree's full
// size and pruning runs for many rounds.
TEST(UnigramTraining, ThirtyLanguagesOverlapHfVocabulary) {
  REQUIRE_MATERIAL();
  std::vector<std::string> locales;
  for (const auto& e : fs::directory_iterator(material_dir() + "/root/usr/share/php/Faker/Provider"))
    if (fs::exists(e.path() / "Text.php")) locales.push_back(e.path().filename().string());
  std::sort(locales.begin(), locales.end());
  std::string dir = scratch_dir("unigram_all");
  Corpus c = make_corpus("all", locales, dir);
  auto t0 = std::chrono::steady_clock::now();
  auto hf = pieces_of(hf_train(c, dir, "all")["model"]);
  auto t1 = std::chrono::steady_clock::now();
  auto ours = pieces_of(json::parse(ours_train(c, hf_default_options())->model_json()));
  auto t2 = std::chrono::steady_clock::now();
  std::printf("[unigram] %zu languages: HF %.1f s, ours %.1f s\n", locales.size(),
              std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count());
  expect_close_to_hf(ours, hf, "all");
}

// Our trained file is a valid tokenizer.json for the official binding: ids, tokens, offsets and decoded
// text of held-out lines and hard cases agree.
void expect_same_encodings(const std::string& tokenizer_json, const std::vector<std::string>& texts,
                           const std::string& dir) {
  write_file(dir + "/in.json", json(texts).dump());
  ASSERT_EQ(run_node("oracle.js", {tokenizer_json, dir + "/in.json", dir + "/out.json"}), 0);
  json ref = json::parse(read_file(dir + "/out.json"));
  auto t = Tokenizer::from_file(tokenizer_json);
  size_t same = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    Encoding e = t->encode(texts[i], true);
    json offs = json::array();
    for (auto [a, b] : e.offsets) offs.push_back({a, b});
    bool ok = json(e.ids) == ref[i]["ids"] && json(e.tokens) == ref[i]["tokens"] && offs == ref[i]["offsets"] &&
              t->decode(e.ids, true) == ref[i]["decoded"].get<std::string>();
    same += ok;
    if (!ok)
      ADD_FAILURE() << "text " << i << ": " << json(texts[i]).dump().substr(0, 200) << "\n want "
                    << ref[i].dump().substr(0, 300) << "\n got  " << json(e.tokens).dump().substr(0, 300);
  }
  std::printf("[unigram] %zu/%zu texts encode identically in the HF binding\n", same, texts.size());
}

// `hezar tokenizer train` path: Hezar's sentencepiece_unigram_tokenizer config (7 special tokens, unk
// "<unk>", vocab_size 8000) on Persian prose.
TEST(UnigramTraining, HezarConfigGivesAValidTokenizerCoveringTheCorpus) {
  REQUIRE_MATERIAL();
  std::string dir = scratch_dir("unigram_hezar");
  Corpus c = make_corpus("fa", {"fa_IR"}, dir);
  auto hf = pieces_of(hf_train(c, dir, "fa")["model"]);
  SentencePieceUnigramTokenizerConfig cfg;
  auto t = train_text_tokenizer(cfg, {c.path});
  json m = json::parse(t->backend().model_json());
  ASSERT_EQ(m["type"], "Unigram");
  EXPECT_EQ(m["unk_id"], 2);  // <s> </s> <unk> <sep> <pad> <cls> <mask>
  EXPECT_EQ(m["byte_fallback"], false);
  std::vector<std::string> specials{"<s>", "</s>", "<unk>", "<sep>", "<pad>", "<cls>", "<mask>"};
  for (size_t i = 0; i < specials.size(); ++i) {
    EXPECT_EQ(m["vocab"][i][0], specials[i]);
    EXPECT_TRUE(t->backend().is_special_token(specials[i]));
  }
  // Small corpus: fewer than 8000 pieces, the same ones HF's trainer keeps, after the special tokens.
  std::map<std::string, double> ours;
  for (size_t i = specials.size(); i < m["vocab"].size(); ++i) {
    ASSERT_TRUE(m["vocab"][i].is_array() && m["vocab"][i][0].is_string() && m["vocab"][i][1].is_number());
    ours[m["vocab"][i][0]] = m["vocab"][i][1];
    if (i > specials.size()) EXPECT_LE(m["vocab"][i][1].get<double>(), m["vocab"][i - 1][1].get<double>());
  }
  expect_close_to_hf(ours, hf, "hezar fa");
  EXPECT_EQ(*static_cast<const SentencePieceUnigramTokenizerConfig&>(t->config()).vocab_size,
            static_cast<int>(m["vocab"].size()));
  // Every character of the (normalized, pre-tokenized) corpus is a piece: no training line needs unk.
  auto& b = t->backend();
  for (const auto& [w, n] : count_words(b, {c.path}))
    for (char32_t ch : utf8_decode(w)) ASSERT_TRUE(b.token_to_id(utf8_encode(std::u32string(1, ch)))) << w;
  for (const auto& line : c.train) {
    auto ids = b.encode(line, false).ids;
    ASSERT_EQ(std::count(ids.begin(), ids.end(), 2u), 0) << line;
  }
  // Saved in Hezar's layout, reloaded through the registry, and read identically by the HF binding.
  PreprocessorSet set;
  set.add(t);
  preprocessors_save(set, dir + "/preprocessor");
  auto back = preprocessors_load(dir + "/preprocessor").find<TextTokenizer>();
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->config().name(), std::string("sentencepiece_unigram_tokenizer"));
  std::vector<std::string> texts = c.heldout;
  for (const char* h : {"", "می\u200cخواهم کتاب\u200cها را بخوانم", "سال ۱۴۰۲ و ٤٥٦ و 789", "café naïve Ångström",
                        "\U0001F600 unseen 漢字", "  many   spaces  "})
    texts.push_back(h);
  for (const auto& l : texts) EXPECT_EQ(back->backend().encode(l).ids, b.encode(l).ids);
  expect_same_encodings(dir + "/preprocessor/tokenizer.json", texts, dir);
}

// A vocab_size below the corpus size is met exactly, every character kept; below the number of
// characters it is a clear error.
TEST(UnigramTraining, VocabSizeIsMetAndTooSmallIsBadInput) {
  REQUIRE_MATERIAL();
  std::string dir = scratch_dir("unigram_size");
  Corpus c = make_corpus("fa", {"fa_IR"}, dir);
  auto base = Tokenizer::from_json_string(unigram_template(), "unigram template");
  WordCounts words = count_words(*base, {c.path});
  std::set<char32_t> chars;
  for (const auto& [w, n] : words)
    for (char32_t ch : utf8_decode(w)) chars.insert(ch);
  UnigramTrainerOptions o;
  o.vocab_size = 500;
  o.special_tokens = {"<pad>", "<unk>"};
  o.unk_token = "<unk>";
  UnigramTrainResult r = train_unigram(words, o);
  ASSERT_EQ(r.vocab.size(), 500u);
  EXPECT_EQ(r.unk_id, 1u);
  std::set<std::string> vocab;
  for (const auto& [p, s] : r.vocab) vocab.insert(p);
  EXPECT_EQ(vocab.size(), 500u);  // no duplicates
  for (char32_t ch : chars) EXPECT_TRUE(vocab.count(utf8_encode(std::u32string(1, ch))));
  o.unk_token = "[UNK]";  // not a special token: HF puts it first
  r = train_unigram(words, o);
  EXPECT_EQ(r.vocab[0].first, "[UNK]");
  EXPECT_EQ(r.unk_id, 0u);
  EXPECT_EQ(r.vocab.size(), 500u);

  o.vocab_size = chars.size();
  try {
    train_unigram(words, o);
    FAIL() << "expected BadInput";
  } catch (const BadInput& e) {
    EXPECT_NE(std::string(e.what()).find("vocab_size " + std::to_string(chars.size()) + " is too small"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hezar::tok
