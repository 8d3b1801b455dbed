// text_classification dataset, built through the registry as the trainer does: CSV/TSV/JSONL files
// written here (quotes, BOM, header-less with columns, Persian), label sets, lazy tokenization with a
// tokenizer trained after the dataset exists, truncation, batching, the loader, its input errors, and
// the real Pang & Lee sentences of python3-pattern when installed.
#include "data/text_classification/text_classification.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <set>

#include "data/data_loader.h"
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

const char* kPangLee = "/usr/share/doc/python3-pattern/test/corpora/polarity-en-pang&lee2.csv";

std::shared_ptr<Dataset> build(const TextClassificationDatasetConfig& c, const std::string& split = "train") {
  return dataset_build(c, split, with_tokenizer(bert_wordpiece()));
}

TextClassificationDatasetConfig config_for(const std::string& path) {
  TextClassificationDatasetConfig c;
  c.path = path;
  return c;
}

TEST(TextClassification, CsvExamplesAreTokenizedTexts) {
  const std::string dir = temp_dir("tc_csv");
  write_file(dir + "/train.csv", "\xEF\xBB\xBFtext,label\n"
                                 "\"the movie was good, and the acting was great\",pos\n"
                                 "  the film is bad  ,neg\n"
                                 "\"این فیلم خیلی خوب بود\",pos\n");
  auto ds = build(config_for(dir));
  ASSERT_EQ(ds->size(), 3u);
  EXPECT_EQ(ds->id2label(), (std::map<int, std::string>{{0, "neg"}, {1, "pos"}}));
  const TensorMap ex = ds->get(1);
  const auto tokenizer = bert_wordpiece();
  EXPECT_EQ(to_vector(ex.at("token_ids")), testing::token_ids(*tokenizer, "the film is bad"));  // stripped
  EXPECT_EQ(ex.at("labels").dim(), 0);
  EXPECT_EQ(ex.at("labels").item<int64_t>(), 0);
  EXPECT_EQ(to_vector(ex.at("attention_mask")), std::vector<int64_t>(ex.at("token_ids").numel(), 1));
  EXPECT_EQ(ex.at("token_type_ids").sizes(), ex.at("token_ids").sizes());
  // Persian text round-trips through the tokenizer.
  const TensorMap fa = ds->get(2);
  const auto ids = to_vector(fa.at("token_ids"));
  EXPECT_EQ(tokenizer->decode(std::vector<uint32_t>(ids.begin(), ids.end())), "این فیلم خیلی خوب بود");
  EXPECT_EQ(ds->training_texts(), (std::vector<std::string>{"the movie was good, and the acting was great",
                                                            "the film is bad", "این فیلم خیلی خوب بود"}));
}

TEST(TextClassification, BatchEqualsCollatedExamples) {
  const std::string dir = temp_dir("tc_batch");
  write_file(dir + "/train.tsv", "label\ttext\n1\tgood\n0\tthe story is boring and the film is bad\n1\tgreat film\n");
  auto ds = build(config_for(dir));
  const TensorMap batch = ds->get_batch({2, 0, 1});
  const TensorMap collated = ds->collate({ds->get(2), ds->get(0), ds->get(1)});
  ASSERT_EQ(batch.size(), 4u);
  for (const auto& [key, value] : collated) EXPECT_TRUE(at::equal(batch.at(key), value)) << key;
  EXPECT_EQ(to_vector(batch.at("labels")), (std::vector<int64_t>{1, 1, 0}));
  const int64_t pad = *bert_wordpiece()->pad_token_id();
  EXPECT_EQ(batch.at("token_ids")[0][-1].item<int64_t>(), pad);  // "great film" is padded
  EXPECT_EQ(batch.at("attention_mask")[0][-1].item<int64_t>(), 0);
}

TEST(TextClassification, HeaderlessCsvJsonlAndLabelsOverBothSplits) {
  const std::string dir = temp_dir("tc_splits");
  write_file(dir + "/train.csv", "\"b\",\"good film\n\"\n\"a\",\"bad film\"\n");
  write_file(dir + "/test.jsonl", "{\"text\": \"great\", \"label\": \"c\"}\n");
  auto c = config_for(dir);
  c.columns = std::vector<std::string>{"label", "text"};
  auto train = build(c, "train");
  auto test = build(c, "test");
  const std::map<int, std::string> all = {{0, "a"}, {1, "b"}, {2, "c"}};
  EXPECT_EQ(train->id2label(), all);  // "c" only occurs in the test split
  EXPECT_EQ(test->id2label(), all);
  EXPECT_EQ(test->get(0).at("labels").item<int64_t>(), 2);
  EXPECT_EQ(train->training_texts(), (std::vector<std::string>{"good film", "bad film"}));
}

TEST(TextClassification, UnknownLabelNamesFileLineAndTheLabels) {
  const std::string dir = temp_dir("tc_unknown");
  const std::string file = write_file(dir + "/train.csv", "text,label\ngood,pos\nmeh,neutral\n");
  auto c = config_for(dir);
  c.id2label = {{0, "neg"}, {1, "pos"}};
  const std::string message = bad_input_message([&] { build(c); });
  EXPECT_NE(message.find(file + ":3: label 'neutral' is not one of the labels in dataset.id2label ('neg', 'pos')"),
            std::string::npos)
      << message;
}

TEST(TextClassification, BadInputs) {
  const std::string dir = temp_dir("tc_bad");
  const std::string file = write_file(dir + "/train.csv", "review,label\ngood,pos\n");
  auto c = config_for(dir);
  std::string message = bad_input_message([&] { build(c); });
  EXPECT_NE(message.find(file + ":2: no field 'text' (dataset.text_field)"), std::string::npos) << message;
  c.text_field = "reviw";
  message = bad_input_message([&] { build(c); });
  EXPECT_NE(message.find("did you mean 'review'"), std::string::npos) << message;

  message = bad_input_message([&] { dataset_build(config_for(dir), "train", PreprocessorSet{}); });
  EXPECT_NE(message.find("text_classification dataset needs a tokenizer"), std::string::npos) << message;

  write_file(dir + "/test.txt", "just lines\n");
  message = bad_input_message([&] { build(config_for(dir), "test"); });
  EXPECT_NE(message.find("reads csv, tsv or jsonl files"), std::string::npos) << message;

  auto empty = config_for(write_file(dir + "/empty.jsonl", "\n"));
  message = bad_input_message([&] { build(empty); });
  EXPECT_NE(message.find("no records"), std::string::npos) << message;
}

TEST(TextClassification, TruncatesToMaxLengthAndWarnsOnce) {
  const std::string dir = temp_dir("tc_trunc");
  write_file(dir + "/train.csv", "text,label\n"
                                 "the movie was good and the acting was great and the story was good,1\n"
                                 "good,0\n"
                                 "the film is bad and the story is boring and the actors are bad too,0\n");
  auto c = config_for(dir);
  c.max_length = 6;
  auto ds = build(c);
  LogCapture log;
  const TensorMap batch = ds->get_batch({0, 1, 2});
  EXPECT_EQ(batch.at("token_ids").size(1), 6);
  EXPECT_EQ(log.count("2 of 3 examples are longer than max_length=6 tokens"), 1u) << log.text();
  EXPECT_NE(log.text().find(dir + "/train.csv:2"), std::string::npos) << log.text();  // the first one
  EXPECT_EQ(ds->get(2).at("token_ids").numel(), 6);
  ds->get_batch({0});
  EXPECT_EQ(log.count("longer than max_length"), 1u);  // once per dataset
}

TEST(TextClassification, MaxSizeKeepsACountOrAFraction) {
  const std::string dir = temp_dir("tc_max");
  write_file(dir + "/train.csv", "text,label\na,x\nb,y\nc,x\nd,y\n");
  auto c = config_for(dir);
  c.max_size = 2;
  EXPECT_EQ(build(c)->size(), 2u);
  c.max_size = 0.75;
  EXPECT_EQ(build(c)->size(), 3u);
}

TEST(TextClassification, TokenizerTrainedAfterTheDatasetIsBuilt) {
  // The training job's order: build the dataset with an untrained tokenizer, train it on
  // training_texts(), then set its backend; examples are tokenized only when fetched.
  const std::string dir = temp_dir("tc_late");
  write_file(dir + "/train.csv", "text,label\nthe movie was good,1\nthe film was bad,0\n");
  WordPieceTokenizerConfig tc;
  tc.vocab_size = 100;
  tc.min_frequency = 1;
  auto untrained = std::make_shared<TextTokenizer>(tc, std::string());
  auto ds = dataset_build(config_for(dir), "train", with_tokenizer(untrained));
  EXPECT_NE(bad_input_message([&] { ds->get(0); }).find("has no vocabulary"), std::string::npos);
  std::string corpus;
  for (const auto& t : ds->training_texts()) corpus += t + "\n";
  auto trained = train_text_tokenizer(tc, {write_file(dir + "/corpus.txt", corpus)});
  untrained->set_backend(trained->backend_ptr());
  EXPECT_EQ(to_vector(ds->get(0).at("token_ids")), testing::token_ids(*trained, "the movie was good"));
}

TEST(TextClassification, LoaderBatchesWithWorkers) {
  const std::string dir = temp_dir("tc_loader");
  std::string csv = "text,label\n";
  for (int i = 0; i < 50; ++i)
    csv += std::string(i % 3 ? "good film" : "the story is boring and bad") + "," + std::to_string(i % 2) + "\n";
  write_file(dir + "/train.csv", csv);
  auto ds = build(config_for(dir));
  DataLoaderOptions o;
  o.batch_size = 8;
  o.num_workers = 2;
  DataLoader loader(*ds, o);
  loader.start_epoch(0);
  size_t examples = 0;
  while (auto batch = loader.next()) {
    EXPECT_EQ(batch->at("token_ids").sizes(), batch->at("attention_mask").sizes());
    EXPECT_EQ(batch->at("labels").size(0), batch->at("token_ids").size(0));
    examples += batch->at("labels").size(0);
  }
  EXPECT_EQ(examples, 50u);
}

TEST(TextClassification, PangLeeSentences) {
  if (!std::filesystem::exists(kPangLee)) GTEST_SKIP() << kPangLee << " missing (apt install python3-pattern)";
  TextClassificationDatasetConfig c = config_for(kPangLee);
  c.columns = std::vector<std::string>{"label", "text"};
  c.eval_fraction = 0.2;
  auto train = build(c, "train");
  auto test = build(c, "test");
  EXPECT_EQ(train->size() + test->size(), 4000u);
  EXPECT_EQ(test->size(), 800u);
  EXPECT_EQ(train->id2label(), (std::map<int, std::string>{{0, "-1"}, {1, "1"}}));
  // Both labels in the held-out part although the file is sorted by label; texts are stripped.
  std::set<int64_t> labels;
  for (size_t i = 0; i < 50; ++i) labels.insert(test->get(i).at("labels").item<int64_t>());
  EXPECT_EQ(labels.size(), 2u);
  for (const auto& t : train->training_texts()) ASSERT_EQ(t, strip_whitespace(t));
  const TensorMap batch = train->get_batch({0, 1, 2, 3});
  EXPECT_EQ(batch.at("token_ids").size(0), 4);
  EXPECT_LE(batch.at("token_ids").size(1), 512);
}

}  // namespace
}  // namespace hezar
