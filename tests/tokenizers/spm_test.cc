// SentencePiece models trained by Debian's reference `spm_train` (sentencepiece 0.1.97, fetched by
// scripts/install-test-material.sh) on the php-faker Persian novel excerpt: our `.model` conversion
// must encode held-out lines and hard cases exactly as `spm_encode` does (same pieces, same ids).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "preprocessors/tokenizers/convert.h"
#include "preprocessors/tokenizers/tokenizer.h"
#include "tests/tokenizers/material.h"

namespace fs = std::filesystem;

namespace hezar::tok {
namespace {

using namespace hezar::test;

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string l;
  while (std::getline(ss, l)) out.push_back(l);
  return out;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string w;
  while (ss >> w) out.push_back(w);
  return out;
}

// spm_encode output (one line per input line) in the given format ("piece" or "id").
std::vector<std::string> spm_encode(const std::string& model, const std::string& input, const char* format,
                                    const std::string& out) {
  std::string cmd = "'" + spm_tool("spm_encode") + "' --model='" + model + "' --output_format=" + format +
                    " < '" + input + "' > '" + out + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return split_lines(read_file(out));
}

void check_model_type(const std::string& type, size_t vocab) {
  if (!fs::exists(spm_tool("spm_train")) || !fs::exists(faker_text_path("fa_IR")))
    GTEST_SKIP() << "needs scripts/install-test-material.sh";
  std::string dir = scratch_dir("spm_" + type);
  std::vector<std::string> train, held;
  split_heldout(faker_lines("fa_IR"), train, held);
  for (auto& h : {"می\u200cخواهم کتاب\u200cها را بخوانم", "سال ۱۴۰۲ و ٤٥٦ و 789", "\U0001F600 café e\u0301 Ångström",
                  "كتاب يك  با   فاصله\u200b", "tab\there\x01 end", "   leading and trailing   "})
    held.push_back(h);
  held.push_back(std::string(2000, 'x') + " " + std::string(300, 'b'));
  write_file(dir + "/train.txt", join_lines(train));
  write_file(dir + "/held.txt", join_lines(held));
  std::string prefix = dir + "/m";
  std::string cmd = "'" + spm_tool("spm_train") + "' --input='" + dir + "/train.txt' --model_prefix='" + prefix +
                    "' --vocab_size=" + std::to_string(vocab) + " --model_type=" + type +
                    " --minloglevel=2 > '" + dir + "/train.log' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto pieces = spm_encode(prefix + ".model", dir + "/held.txt", "piece", dir + "/pieces.txt");
  auto ids = spm_encode(prefix + ".model", dir + "/held.txt", "id", dir + "/ids.txt");
  ASSERT_EQ(pieces.size(), held.size());
  auto t = convert_legacy_file(prefix + ".model");
  size_t ok = 0;
  for (size_t i = 0; i < held.size(); ++i) {
    Encoding e = t->encode(held[i], false);
    std::vector<std::string> want_ids = split_ws(ids[i]), got_ids;
    for (uint32_t id : e.ids) got_ids.push_back(std::to_string(id));
    // spm_encode prints an unknown piece as its surface text; so do tokenizers' Unigram (and we), while
    // tokenizers' BPE prints the unk token.
    std::vector<std::string> want_tokens = split_ws(pieces[i]);
    for (size_t k = 0; k < want_tokens.size() && k < want_ids.size(); ++k)
      if (want_ids[k] == "0" && type == "bpe") want_tokens[k] = "<unk>";
    bool same = e.tokens == want_tokens && got_ids == want_ids;
    ok += same;
    if (!same) ADD_FAILURE() << type << " line " << i << "\n want " << pieces[i].substr(0, 300) << "\n got  "
                             << testing::PrintToString(e.tokens).substr(0, 300) << "\n want ids " << ids[i].substr(0, 200) << "\n got ids  " << testing::PrintToString(got_ids).substr(0, 300);
  }
  std::printf("[spm] %s vocab %zu: %zu/%zu held-out lines identical to spm_encode\n", type.c_str(), vocab, ok,
              held.size());
}

TEST(SpmTrain, UnigramModelEncodesLikeSpmEncode) { check_model_type("unigram", 1500); }
TEST(SpmTrain, BpeModelEncodesLikeSpmEncode) { check_model_type("bpe", 1500); }

}  // namespace
}  // namespace hezar::tok
