// mask_filling dataset: text lines, CSV and JSONL written here, BERT's dynamic masking statistics
// (15% chosen; 80% mask / 10% random / 10% kept) on a few thousand tokens, labels only at chosen
// positions, determinism in (seed, epoch, example index) whatever the batching or loader workers, a new
// masking each epoch through DataLoader::start_epoch, and its input errors.
#include "data/mask_filling/mask_filling.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstdio>

#include "data/data_loader.h"
#include "tests/data/text_test_util.h"
#include "tests/testing/bad_input.h"

namespace hezar {
namespace {

using testing::bad_input_message;
using testing::bert_wordpiece;
using testing::temp_dir;
using testing::to_vector;
using testing::with_tokenizer;
using testing::write_file;

MaskFillingDatasetConfig config_for(const std::string& path) {
  MaskFillingDatasetConfig c;
  c.path = path;
  return c;
}

std::shared_ptr<Dataset> build(const MaskFillingDatasetConfig& c, const std::string& split = "train") {
  return dataset_build(c, split, with_tokenizer(bert_wordpiece()));
}

// Lines of three sentences of the tokenizer's corpus (~30 tokens, so the one-token minimum hardly
// ever applies), repeated with variations.
std::string corpus_lines(size_t n) {
  const std::vector<std::string> base = {
      "the movie was good and the acting was great", "the film is bad and the story is boring",
      "a good film with a great story and good actors", "the board will meet on monday to discuss the new director",
      "این فیلم خیلی خوب بود و بازیگران عالی بودند", "the company said the shares rose in the market"};
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += base[i % base.size()] + " " + base[(i + 1) % base.size()] + " " + base[(i + 3) % base.size()] +
           (i % 2 ? " and the film" : "") + "\n";
  return out;
}

TEST(MaskFilling, LabelsAreTheOriginalIdsAtChosenPositions) {
  const std::string dir = temp_dir("mf_labels");
  write_file(dir + "/train.txt", corpus_lines(12));
  auto ds = build(config_for(dir));
  ASSERT_EQ(ds->size(), 12u);
  const auto tokenizer = bert_wordpiece();
  for (size_t i = 0; i < ds->size(); ++i) {
    const TensorMap ex = ds->get(i);
    const auto original = testing::token_ids(*tokenizer, ds->training_texts()[i]);
    const auto ids = to_vector(ex.at("token_ids")), labels = to_vector(ex.at("labels"));
    ASSERT_EQ(ids.size(), original.size());
    size_t chosen = 0;
    for (size_t j = 0; j < ids.size(); ++j) {
      if (labels[j] == -100) {
        EXPECT_EQ(ids[j], original[j]) << "unchosen tokens stay";
      } else {
        EXPECT_EQ(labels[j], original[j]);
        ++chosen;
      }
    }
    EXPECT_GE(chosen, 1u) << "every example has a masked token";
    EXPECT_EQ(labels.front(), -100);  // [CLS]
    EXPECT_EQ(labels.back(), -100);   // [SEP]
    EXPECT_EQ(to_vector(ex.at("attention_mask")), std::vector<int64_t>(ids.size(), 1));
  }
}

TEST(MaskFilling, MaskingStatisticsFollowBert) {
  const std::string dir = temp_dir("mf_stats");
  write_file(dir + "/train.txt", corpus_lines(200));
  auto ds = build(config_for(dir));
  const int64_t mask_id = *bert_wordpiece()->backend().token_to_id("[MASK]");
  std::vector<size_t> all(ds->size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const TensorMap batch = ds->get_batch(all);
  const auto tokenizer = bert_wordpiece();
  size_t candidates = 0, chosen = 0, masked = 0, random = 0, kept = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto original = testing::token_ids(*tokenizer, ds->training_texts()[i]);
    const auto ids = to_vector(batch.at("token_ids")[i]), labels = to_vector(batch.at("labels")[i]);
    candidates += original.size() - 2;
    for (size_t j = 0; j < original.size(); ++j) {
      if (labels[j] == -100) continue;
      ++chosen;
      if (ids[j] == mask_id) ++masked;
      else if (ids[j] == original[j]) ++kept;
      else ++random;
    }
  }
  ASSERT_GT(candidates, 5000u);
  std::printf("%zu candidate tokens, %zu chosen: %zu masked, %zu random, %zu kept\n", candidates, chosen, masked,
              random, kept);
  const double p = static_cast<double>(chosen) / candidates;
  EXPECT_NEAR(p, 0.15, 0.015) << chosen << " of " << candidates;
  EXPECT_NEAR(static_cast<double>(masked) / chosen, 0.8, 0.04);
  // A random token equal to the original (1 in ~300) counts as kept.
  EXPECT_NEAR(static_cast<double>(random) / chosen, 0.1, 0.03);
  EXPECT_NEAR(static_cast<double>(kept) / chosen, 0.1, 0.03);
}

TEST(MaskFilling, DeterministicPerSeedEpochAndIndex) {
  const std::string dir = temp_dir("mf_determinism");
  write_file(dir + "/train.txt", corpus_lines(40));
  auto ds = build(config_for(dir));
  auto again = build(config_for(dir));
  const TensorMap batch = ds->get_batch({5, 17, 3});
  // The same example masks the same way alone, in another batch, and in another dataset object.
  for (const auto& [key, value] : ds->collate({again->get(5), again->get(17), again->get(3)}))
    EXPECT_TRUE(at::equal(batch.at(key), value)) << key;
  // Another epoch masks differently, and going back gives the first masking again.
  std::vector<size_t> all(ds->size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const at::Tensor epoch0 = ds->get_batch(all).at("token_ids");
  ds->set_epoch(1);
  EXPECT_FALSE(at::equal(ds->get_batch(all).at("token_ids"), epoch0));
  ds->set_epoch(0);
  EXPECT_TRUE(at::equal(ds->get_batch(all).at("token_ids"), epoch0));
  // Another seed masks differently.
  auto c = config_for(dir);
  c.seed = 7;
  EXPECT_FALSE(at::equal(build(c)->get_batch(all).at("token_ids"), epoch0));
}

std::vector<TensorMap> epoch_batches(const Dataset& ds, size_t workers, int64_t epoch) {
  DataLoaderOptions o;
  o.batch_size = 8;
  o.shuffle = false;
  o.num_workers = workers;
  DataLoader loader(ds, o);
  loader.start_epoch(epoch);
  std::vector<TensorMap> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

TEST(MaskFilling, LoaderTellsTheEpochAndWorkersDoNotMatter) {
  const std::string dir = temp_dir("mf_loader");
  write_file(dir + "/train.txt", corpus_lines(30));
  auto ds = build(config_for(dir));
  const std::vector<size_t> first = {0, 1, 2, 3, 4, 5, 6, 7};
  ds->set_epoch(2);
  const TensorMap epoch2 = ds->get_batch(first);
  ds->set_epoch(0);
  const TensorMap epoch0 = ds->get_batch(first);
  ASSERT_FALSE(at::equal(epoch0.at("token_ids"), epoch2.at("token_ids")));
  // start_epoch(2) sets the dataset's epoch before building batches, with or without workers.
  const auto serial = epoch_batches(*ds, 0, 2);
  const auto threaded = epoch_batches(*ds, 2, 2);
  ASSERT_EQ(serial.size(), 4u);
  for (const auto& [key, value] : epoch2) EXPECT_TRUE(at::equal(serial[0].at(key), value)) << key;
  ASSERT_EQ(threaded.size(), serial.size());
  for (size_t b = 0; b < serial.size(); ++b)
    for (const auto& [key, value] : serial[b]) EXPECT_TRUE(at::equal(threaded[b].at(key), value)) << key;
  const auto again0 = epoch_batches(*ds, 0, 0);
  for (const auto& [key, value] : again0[0]) EXPECT_TRUE(at::equal(epoch0.at(key), value)) << key;
}

TEST(MaskFilling, CsvAndJsonlWithTextField) {
  const std::string dir = temp_dir("mf_formats");
  write_file(dir + "/train.csv", "id,body\n1,\"the movie was good, and great\"\n2,the film is bad\n");
  write_file(dir + "/test.jsonl", "{\"body\": \"این فیلم خیلی خوب بود\"}\n");
  auto c = config_for(dir);
  c.text_field = "body";
  EXPECT_EQ(build(c, "train")->training_texts(),
            (std::vector<std::string>{"the movie was good, and great", "the film is bad"}));
  EXPECT_EQ(build(c, "test")->size(), 1u);
  c.text_field = "text";
  const std::string message = bad_input_message([&] { build(c, "train"); });
  EXPECT_NE(message.find("no field 'text' (dataset.text_field)"), std::string::npos) << message;
}

TEST(MaskFilling, BadInputs) {
  const std::string dir = temp_dir("mf_bad");
  write_file(dir + "/train.txt", "the movie was good\n");
  auto c = config_for(dir);
  c.mlm_probability = 1.5;
  EXPECT_NE(bad_input_message([&] { build(c); }).find("mlm_probability"), std::string::npos);
  EXPECT_NE(bad_input_message([&] { dataset_build(config_for(dir), "train", PreprocessorSet{}); })
                .find("mask_filling dataset needs a tokenizer"),
            std::string::npos);
  // A tokenizer whose config names a mask token its vocabulary lacks.
  WordPieceTokenizerConfig tc;
  tc.mask_token = "<mask>";
  auto no_mask = std::make_shared<TextTokenizer>(tc, bert_wordpiece()->backend_ptr());
  auto ds = dataset_build(config_for(dir), "train", with_tokenizer(no_mask));
  const std::string message = bad_input_message([&] { ds->get(0); });
  EXPECT_NE(message.find("the tokenizer has no mask token '<mask>'"), std::string::npos) << message;
}

}  // namespace
}  // namespace hezar
