// text_normalizer (Hezar) and persian_normalizer on real Persian prose (php-faker's «مدیر مدرسه»,
// scripts/install-test-material.sh): identical output to the npm Hugging Face binding running the same
// normalizer JSON; Arabic-script corruption of the real text (Arabic yeh/kaf, tatweel, diacritics, ZWNJ
// mistakes) is undone exactly; config round trip through preprocessor/normalizer_config.yaml.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "preprocessors/preprocessor.h"
#include "preprocessors/text_normalizer.h"
#include "tests/tokenizers/material.h"

namespace hezar {
namespace {

using nlohmann::json;
using namespace hezar::test;

std::vector<std::string> persian_lines() {
  auto lines = faker_lines("fa_IR");
  if (lines.empty()) return {};
  std::vector<std::string> out;
  for (auto& l : lines)
    if (!l.empty()) out.push_back(l);
  return out;
}

// Replaces every occurrence of `from` by `to`.
std::string sub(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// What careless Arabic-keyboard typing does to correct Persian text.
std::string arabize(const std::string& s) {
  std::string t = sub(sub(s, "ی", "ي"), "ک", "ك");
  t = sub(t, "\u200c", "\u200c\u200c");  // doubled ZWNJ
  t = sub(t, "ست ", "ســت ");            // tatweel
  return sub(t, "از ", "اَز ");           // a fatha
}

std::vector<std::string> hard_cases() {
  return {"",
          "كتاب يك ي ى",
          "ﻛﺘﺎﺏ ﺧﻮﺏ",  // Arabic presentation forms
          "می\u200c\u200cخواهم \u200cکتاب\u200c ها\u200c",
          "نمی\u200dدانم و\u200bنه",
          "۱۲۳ ٤٥٦ 789 ۰٠0",
          "مُحَمَّد قرآنٌ ـــــ کشیـــده",
          "\U0001F469\u200D\U0001F469\u200D\U0001F467 café e\u0301 \uFB01 ①",
          "tab\there\x01\x7f end",
          std::string(5000, 'x') + " " + std::string(1000, 'y')};
}

void expect_npm_parity(const TextNormalizer& n, const std::vector<std::string>& texts, const std::string& tag) {
  if (!have_npm_tokenizers()) GTEST_SKIP() << "npm tokenizers missing (scripts/install-npm-peers.sh)";
  std::string dir = scratch_dir("norm_" + tag);
  json tj = json::parse(R"({"version":"1.0","added_tokens":[],"pre_tokenizer":null,"post_processor":null,"decoder":null,
    "model":{"type":"WordLevel","vocab":{"[UNK]":0},"unk_token":"[UNK]"}})");
  tj["normalizer"] = json::parse(n.tokenizers_json());
  write_file(dir + "/t.json", tj.dump());
  write_file(dir + "/in.json", json(texts).dump());
  ASSERT_EQ(run_node("oracle_normalize.js", {dir + "/t.json", dir + "/in.json", dir + "/out.json"}), 0);
  json ref = json::parse(read_file(dir + "/out.json"));
  size_t ok = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string got = n.normalize(texts[i]);
    ok += got == ref[i].get<std::string>();
    if (got != ref[i].get<std::string>())
      ADD_FAILURE() << tag << " " << i << ": " << json(texts[i]).dump().substr(0, 200) << "\n want "
                    << ref[i].dump().substr(0, 200) << "\n got  " << json(got).dump().substr(0, 200);
  }
  std::printf("[normalizer] %s: %zu/%zu identical to the npm binding\n", tag.c_str(), ok, texts.size());
}

std::vector<std::string> all_texts() {
  std::vector<std::string> texts = persian_lines();
  size_t n = texts.size();
  for (size_t i = 0; i < n; ++i) texts.push_back(arabize(texts[i]));
  for (auto& h : hard_cases()) texts.push_back(h);
  return texts;
}

TEST(TextNormalizer, HezarNormalizerMatchesNpmBindingOnPersianProse) {
  if (persian_lines().empty()) GTEST_SKIP() << "php-faker missing (scripts/install-test-material.sh)";
  TextNormalizerConfig c;
  c.replace_patterns = std::vector<std::vector<std::string>>{{"ك", "ک"}, {"[يى]", "ی"}, {"[\u064B-\u065F]", ""}, {" {2,}", " "}};
  expect_npm_parity(TextNormalizer(c, ""), all_texts(), "text_normalizer");
}

TEST(TextNormalizer, PersianNormalizerMatchesNpmBindingForEveryDigitMode) {
  if (persian_lines().empty()) GTEST_SKIP() << "php-faker missing (scripts/install-test-material.sh)";
  for (const char* d : {"none", "persian", "latin"}) {
    PersianNormalizerConfig c;
    c.digits = d;
    expect_npm_parity(TextNormalizer(c, ""), all_texts(), std::string("persian_normalizer.digits=") + d);
  }
}

TEST(TextNormalizer, PersianNormalizerUndoesArabicTypingOfRealProse) {
  auto lines = persian_lines();
  if (lines.empty()) GTEST_SKIP() << "php-faker missing (scripts/install-test-material.sh)";
  PersianNormalizerConfig c;
  TextNormalizer n(c, "");
  size_t restored = 0, clean = 0;
  for (const auto& l : lines) {
    if (n.normalize(l) != l) continue;  // lines the normalizer itself changes (ZWNJ before a space, ...)
    ++clean;
    restored += n.normalize(arabize(l)) == l;
  }
  EXPECT_GT(clean, lines.size() * 8 / 10);
  EXPECT_EQ(restored, clean);
  EXPECT_EQ(n.normalize("كتاب‌‌ها ي ك"), "کتاب‌ها ی ک");
  EXPECT_EQ(n.normalize("مُحَمَّد کشیـــده"), "محمد کشیده");
  EXPECT_EQ(n.normalize("می \u200cخواهم\u200c"), "می خواهم");
  EXPECT_EQ(n.normalize("ﻛﺘﺎﺏ"), "کتاب");
  c.digits = "latin";
  EXPECT_EQ(TextNormalizer(c, "").normalize("۱۲۳ ٤٥٦"), "123 456");
  std::printf("[normalizer] arabized real lines restored: %zu/%zu\n", restored, clean);
}

TEST(TextNormalizer, SavedAsNormalizerConfigYamlAndLoadedBack) {
  PersianNormalizerConfig c;
  c.digits = "persian";
  c.replace_patterns = std::vector<std::vector<std::string>>{{"ـ+", ""}};
  PreprocessorSet set;
  set.add(std::make_shared<TextNormalizer>(c, ""));
  std::string dir = scratch_dir("norm_save");
  preprocessors_save(set, dir);
  ASSERT_TRUE(std::filesystem::exists(dir + "/normalizer_config.yaml"));
  auto loaded = preprocessors_load(dir).find<TextNormalizer>();
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->normalize("كتاب 123"), "کتاب ۱۲۳");
  EXPECT_EQ(loaded->tokenizers_json(), TextNormalizer(c, "").tokenizers_json());
}

TEST(TextNormalizer, BadInputIsAClearError) {
  TextNormalizerConfig c;
  c.replace_patterns = std::vector<std::vector<std::string>>{{"only-one"}};
  EXPECT_THROW(TextNormalizer(c, ""), BadInput);
  PersianNormalizerConfig p;
  p.digits = "roman";
  EXPECT_THROW(TextNormalizer(p, ""), BadInput);
  EXPECT_THROW(TextNormalizer(PersianNormalizerConfig(), "").normalize("bad \xff"), BadInput);
}

}  // namespace
}  // namespace hezar
