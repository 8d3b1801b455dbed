// sequence_labeling dataset, built through the registry: CoNLL columns, JSONL lists and word/TAG lines
// written here, sub-word label alignment both ways (label_all_tokens) with word ids from the tokenizer,
// IOB continuation, special tokens and padding at ignore_index, truncation, its input errors, and the
// real WSJ word/TAG sentences of python3-pattern when installed.
#include "data/sequence_labeling/sequence_labeling.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>

#include "core/strings.h"
#include "tests/data/text_test_util.h"
#include "tests/testing/bad_input.h"

namespace hezar {
namespace {

using testing::bad_input_message;
using testing::bert_wordpiece;
using testing::LogCapture;
using testing::temp_dir;
using testing::to_vector;
using testing::with_tokenizer;
using testing::write_file;

const char* kWsj = "/usr/share/doc/python3-pattern/test/corpora/tagged-en-wsj.txt";

SequenceLabelingDatasetConfig config_for(const std::string& path) {
  SequenceLabelingDatasetConfig c;
  c.path = path;
  return c;
}

std::shared_ptr<Dataset> build(const SequenceLabelingDatasetConfig& c, const std::string& split = "train") {
  return dataset_build(c, split, with_tokenizer(bert_wordpiece()));
}

std::vector<std::string> strings(const nlohmann::json& list) { return list.get<std::vector<std::string>>(); }

TEST(SequenceLabelingFormats, ConllSentencesSkipDocstart) {
  const std::string file = write_file(temp_dir("sl_conll") + "/train.conll",
                                      "-DOCSTART- -X- -X- O\n\n"
                                      "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\n"
                                      "Peter\tB-PER\nBlackburn\tI-PER\n");
  const auto records = conll_read(file, "tokens", "tags");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(strings(records[0].fields["tokens"]), (std::vector<std::string>{"EU", "rejects"}));
  EXPECT_EQ(strings(records[0].fields["tags"]), (std::vector<std::string>{"B-ORG", "O"}));  // the last column
  EXPECT_EQ(records[0].where, file + ":3");
  EXPECT_EQ(strings(records[1].fields["tags"]), (std::vector<std::string>{"B-PER", "I-PER"}));
  EXPECT_EQ(records[1].where, file + ":7");
  const std::string bad = write_file(temp_dir("sl_conll_bad") + "/x.conll", "EU B-ORG\nlonely\n");
  const std::string message = bad_input_message([&] { conll_read(bad, "tokens", "tags"); });
  EXPECT_NE(message.find(bad + ":2: a CoNLL line needs a token and its tag"), std::string::npos) << message;
}

TEST(SequenceLabelingFormats, WordTagSplitsAtTheLastSlash) {
  const std::string file = write_file(temp_dir("sl_wt") + "/train.txt",
                                      "Pierre/NNP 1/2/CD ,/, years/NNS\n\nthe/DT board/NN\n");
  const auto records = word_tag_read(file, "tokens", "tags");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(strings(records[0].fields["tokens"]), (std::vector<std::string>{"Pierre", "1/2", ",", "years"}));
  EXPECT_EQ(strings(records[0].fields["tags"]), (std::vector<std::string>{"NNP", "CD", ",", "NNS"}));
  EXPECT_EQ(records[1].where, file + ":3");
  EXPECT_EQ(sentence_format_sniff(file), "word_tag");
  const std::string conll = write_file(temp_dir("sl_sniff") + "/train.txt", "1/2 CD\nyears NNS\n");
  EXPECT_EQ(sentence_format_sniff(conll), "conll");
  const std::string bad = write_file(temp_dir("sl_wt_bad") + "/b.txt", "the/DT board\n");
  const std::string message = bad_input_message([&] { word_tag_read(bad, "tokens", "tags"); });
  EXPECT_NE(message.find(bad + ":1: 'board' is not word/TAG"), std::string::npos) << message;
}

// Checks labels against the tokenizer's own word ids for `words`/`tags` (ids through id2label).
void expect_aligned(const TensorMap& ex, const std::vector<std::string>& words, const std::vector<std::string>& tags,
                    const std::map<int, std::string>& id2label, bool all_tokens) {
  const auto e = bert_wordpiece()->encode_words({words}, TokenizeOptions{})[0];
  ASSERT_EQ(to_vector(ex.at("token_ids")), std::vector<int64_t>(e.ids.begin(), e.ids.end()));
  std::map<std::string, int64_t> label2id;
  for (const auto& [id, name] : id2label) label2id[name] = id;
  const auto labels = to_vector(ex.at("labels"));
  for (size_t j = 0; j < e.size(); ++j) {
    const int64_t w = e.words[j];
    const bool first_piece = w >= 0 && (j == 0 || e.words[j - 1] != w);
    const int64_t expected = w < 0 ? -100 : (first_piece || all_tokens) ? label2id.at(tags[w]) : -100;
    EXPECT_EQ(labels[j], expected) << "token " << j << " '" << e.tokens[j] << "'";
  }
}

TEST(SequenceLabeling, LabelAllTokensBothWays) {
  const std::string dir = temp_dir("sl_align");
  const std::vector<std::string> words = {"Vinken", "boringly", "reported", "کتابها", "."};
  const std::vector<std::string> tags = {"NNP", "NNS", "VBD", "NN", "."};
  write_file(dir + "/train.jsonl", nlohmann::json({{"tokens", words}, {"tags", tags}}).dump() + "\n");
  auto c = config_for(dir);
  auto all = build(c);
  const TensorMap ex = all->get(0);
  // Some word is split into sub-words, so the two settings differ.
  const auto e = bert_wordpiece()->encode_words({words}, TokenizeOptions{})[0];
  ASSERT_GT(e.size(), words.size() + 2) << join(e.tokens, " ");
  expect_aligned(ex, words, tags, all->id2label(), true);
  c.label_all_tokens = false;
  expect_aligned(build(c)->get(0), words, tags, all->id2label(), false);
  EXPECT_EQ(all->training_texts(), (std::vector<std::string>{"Vinken boringly reported کتابها ."}));
}

TEST(SequenceLabeling, IobContinuationAndIgnoreIndex) {
  const std::string dir = temp_dir("sl_iob");
  write_file(dir + "/train.conll", "Vinken B-PER\nreported O\nکتابها B-LOC\n\nthe O\nboard I-LOC\n");
  auto c = config_for(dir);
  c.is_iob_schema = true;
  c.ignore_index = -1;
  auto ds = build(c);
  const auto& id2label = ds->id2label();
  EXPECT_EQ(id2label, (std::map<int, std::string>{{0, "B-LOC"}, {1, "B-PER"}, {2, "I-LOC"}, {3, "O"}}));
  const TensorMap ex = ds->get(0);
  const auto e = bert_wordpiece()->encode_words({{"Vinken", "reported", "کتابها"}}, TokenizeOptions{})[0];
  const auto labels = to_vector(ex.at("labels"));
  int64_t later_loc_pieces = 0;
  for (size_t j = 0; j < e.size(); ++j) {
    if (e.words[j] < 0) EXPECT_EQ(labels[j], -1);
    else if (e.words[j] == 2 && e.words[j - 1] == 2) {
      EXPECT_EQ(labels[j], 2);  // I-LOC after the B-LOC piece
      ++later_loc_pieces;
    }
  }
  EXPECT_GT(later_loc_pieces, 0) << join(e.tokens, " ");
  // B-PER has no I-PER in the label set: later pieces keep B-PER.
  for (size_t j = 1; j < e.size(); ++j)
    if (e.words[j] == 0 && e.words[j - 1] == 0) EXPECT_EQ(labels[j], 1);
  // Padding uses ignore_index too.
  const TensorMap batch = ds->get_batch({1, 0});
  EXPECT_EQ(batch.at("labels")[0][-1].item<int64_t>(), -1);
  const TensorMap collated = ds->collate({ds->get(1), ds->get(0)});
  for (const auto& [key, value] : collated) EXPECT_TRUE(at::equal(batch.at(key), value)) << key;
}

TEST(SequenceLabeling, UnknownTagNamesTheTokensLine) {
  const std::string dir = temp_dir("sl_unknown");
  const std::string file = write_file(dir + "/train.conll", "the DT\nboard NN\n\nwill MD\nsoar XYZ\n");
  auto c = config_for(dir);
  c.id2label = {{0, "DT"}, {1, "NN"}, {2, "MD"}};
  const std::string message = bad_input_message([&] { build(c); });
  EXPECT_NE(message.find(file + ":5: tag 'XYZ' is not one of the labels in dataset.id2label ('DT', 'NN', 'MD')"),
            std::string::npos)
      << message;
}

TEST(SequenceLabeling, JsonlErrors) {
  const std::string dir = temp_dir("sl_jsonl_bad");
  const std::string file = write_file(dir + "/train.jsonl", "{\"tokens\": [\"a\", \"b\"], \"tags\": [\"X\"]}\n");
  std::string message = bad_input_message([&] { build(config_for(dir)); });
  EXPECT_NE(message.find(file + ":1: 2 words but 1 tags"), std::string::npos) << message;
  write_file(file, "{\"words\": [\"a\"], \"tags\": [\"X\"]}\n");
  message = bad_input_message([&] { build(config_for(dir)); });
  EXPECT_NE(message.find("no field 'tokens' (dataset.tokens_field)"), std::string::npos) << message;
  message = bad_input_message([&] { dataset_build(config_for(dir), "train", PreprocessorSet{}); });
  EXPECT_NE(message.find("sequence_labeling dataset needs a tokenizer"), std::string::npos) << message;
}

TEST(SequenceLabeling, IntegerTagsAndTruncation) {
  const std::string dir = temp_dir("sl_trunc");
  std::string lines;
  lines += nlohmann::json({{"tokens", {"the", "board", "will", "meet", "on", "monday", "researchers", "reported"}},
                           {"tags", {0, 1, 2, 10, 3, 1, 1, 10}}})
               .dump() +
           "\n";
  lines += nlohmann::json({{"tokens", {"good"}}, {"tags", {2}}}).dump() + "\n";
  write_file(dir + "/train.jsonl", lines);
  auto c = config_for(dir);
  c.max_length = 6;
  auto ds = build(c);
  EXPECT_EQ(ds->id2label(), (std::map<int, std::string>{{0, "0"}, {1, "1"}, {2, "2"}, {3, "3"}, {4, "10"}}));
  LogCapture log;
  const TensorMap batch = ds->get_batch({0, 1});
  EXPECT_EQ(batch.at("labels").size(1), 6);
  EXPECT_EQ(log.count("1 of 2 examples are longer than max_length=6 tokens"), 1u) << log.text();
  const auto first = to_vector(batch.at("labels")[0]);
  EXPECT_EQ(first.front(), -100);  // [CLS]
  EXPECT_EQ(first.back(), -100);   // [SEP] after truncation
  EXPECT_EQ(first[1], 0);          // "the"
}

TEST(SequenceLabeling, FolderSplitsWithWordTagAndConll) {
  const std::string dir = temp_dir("sl_folder");
  write_file(dir + "/train.txt", "the/DT board/NN\nwill/MD soar/VB\n");
  write_file(dir + "/test.conll", "the DT\nmarket NN\nrose VBD\n");
  auto train = build(config_for(dir), "train");
  auto test = build(config_for(dir), "test");
  EXPECT_EQ(train->size(), 2u);
  EXPECT_EQ(test->size(), 1u);
  EXPECT_EQ(train->id2label(), test->id2label());  // VBD from test is in both
  EXPECT_EQ(train->id2label().size(), 5u);
}

TEST(SequenceLabeling, WsjSentences) {
  if (!std::filesystem::exists(kWsj)) GTEST_SKIP() << kWsj << " missing (apt install python3-pattern)";
  auto c = config_for(kWsj);
  c.eval_fraction = 0.1;
  auto train = build(c, "train");
  auto test = build(c, "test");
  // The README says 1000 sentences; the file has 1001 lines (the last without a line break).
  EXPECT_EQ(train->size() + test->size(), 1001u);
  EXPECT_EQ(test->size(), 100u);
  const auto& labels = train->id2label();
  EXPECT_GE(labels.size(), 30u);
  std::set<std::string> names;
  for (const auto& [id, name] : labels) names.insert(name);
  for (const char* tag : {"NN", "NNP", "DT", "VBD", ",", "."}) EXPECT_TRUE(names.count(tag)) << tag;
  const TensorMap batch = train->get_batch({0, 1, 2, 3, 4, 5, 6, 7});
  const at::Tensor l = batch.at("labels");
  EXPECT_TRUE((((l >= 0) & (l < static_cast<int64_t>(labels.size()))) | (l == -100)).all().item<bool>());
  EXPECT_GT((l >= 0).sum().item<int64_t>(), 50);
}

}  // namespace
}  // namespace hezar
