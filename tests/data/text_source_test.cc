// The shared input side of the text datasets: record formats (CSV with quotes/BOM/no header, TSV,
// JSONL, JSON arrays, text lines) with file:line locations, per-split files in a folder, the seeded
// eval_fraction hold-out of a single file, and the padding collator and label sets.
#include "data/text_source.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <set>

#include "data/text_batch.h"
#include "tests/data/text_test_util.h"
#include "tests/testing/bad_input.h"

namespace hezar {
namespace {

using testing::bad_input_message;
using testing::LogCapture;
using testing::temp_dir;
using testing::write_file;

// A config for the shared fields only (the text datasets' configs derive from it the same way).
struct SourceConfig : TextDatasetConfig {
  HEZAR_CONFIG(SourceConfig, "source_test", "dataset")
  void visit(FieldVisitor& v) override {
    visit_source(v, "auto", true);
    visit_limits(v);
  }
};

TextFileReader reader(const std::optional<std::vector<std::string>>& columns = std::nullopt) {
  return [columns](const std::string& file) { return text_records_read(file, "auto", columns); };
}

std::vector<std::string> texts_of(const std::vector<TextRecord>& records, const std::string& field = "text") {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(record_text(r, field, "text_field"));
  return out;
}

TEST(TextRecords, CsvWithQuotesBomAndLineNumbers) {
  const std::string file = write_file(temp_dir("csv") + "/data.csv",
                                      "\xEF\xBB\xBFtext,label\n"
                                      "\"a, quoted \"\"text\"\"\",pos\n"
                                      "\n"
                                      "\"two\nlines\",neg\n"
                                      "plain,pos\n");
  const auto records = text_records_read(file, "auto", std::nullopt);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(record_text(records[0], "text", "text_field"), "a, quoted \"text\"");
  EXPECT_EQ(record_text(records[1], "text", "text_field"), "two\nlines");
  EXPECT_EQ(record_text(records[2], "label", "label_field"), "pos");
  EXPECT_EQ(records[0].where, file + ":2");
  EXPECT_EQ(records[1].where, file + ":4");
  EXPECT_EQ(records[2].where, file + ":6");  // the quoted newline counts as a line
}

TEST(TextRecords, HeaderlessCsvNamedByColumns) {
  const std::string file = write_file(temp_dir("headerless") + "/data.csv",
                                      "\xEF\xBB\xBF\"1\",\"first text\n\"\n\"-1\",\"second\"\n");
  const auto records = text_records_read(file, "csv", std::vector<std::string>{"label", "text"});
  ASSERT_EQ(records.size(), 2u);  // no row is taken as a header
  EXPECT_EQ(record_text(records[0], "label", "label_field"), "1");
  EXPECT_EQ(record_text(records[0], "text", "text_field"), "first text\n");
  EXPECT_EQ(records[1].where, file + ":3");
  const std::string message = bad_input_message(
      [&] { text_records_read(file, "csv", std::vector<std::string>{"label", "text", "extra"}); });
  EXPECT_NE(message.find("names 3 columns but the rows have 2 fields"), std::string::npos) << message;
  EXPECT_NE(message.find(file + ":1"), std::string::npos) << message;
}

TEST(TextRecords, TsvJsonlJsonArrayAndLines) {
  const std::string dir = temp_dir("formats");
  const auto tsv = text_records_read(write_file(dir + "/a.tsv", "text\tlabel\nhello, world\tx\n"), "auto", {});
  ASSERT_EQ(tsv.size(), 1u);
  EXPECT_EQ(record_text(tsv[0], "text", "text_field"), "hello, world");

  const std::string jsonl = write_file(dir + "/a.jsonl", "{\"text\": \"سلام دنیا\", \"label\": 3}\n\n"
                                                         "{\"text\": \"b\", \"label\": true}\n");
  const auto j = text_records_read(jsonl, "auto", {});
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(record_text(j[0], "text", "text_field"), "سلام دنیا");
  EXPECT_EQ(record_text(j[0], "label", "label_field"), "3");
  EXPECT_EQ(record_text(j[1], "label", "label_field"), "true");
  EXPECT_EQ(j[1].where, jsonl + ":3");

  const std::string json_array = write_file(dir + "/b.json", "[{\"text\": \"x\"}, {\"text\": \"y\"}]");
  const auto array = text_records_read(json_array, "auto", {});
  EXPECT_EQ(texts_of(array), (std::vector<std::string>{"x", "y"}));

  const std::string txt = write_file(dir + "/c.txt", "first line\r\n\r\n  \nsecond line");
  const auto lines = text_records_read(txt, "auto", {}, "body");
  EXPECT_EQ(texts_of(lines, "body"), (std::vector<std::string>{"first line", "second line"}));
  EXPECT_EQ(lines[1].where, txt + ":4");
}

TEST(TextRecords, MalformedInputNamesFileAndLine) {
  const std::string dir = temp_dir("malformed");
  const std::string bad_json = write_file(dir + "/bad.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"\n");
  std::string message = bad_input_message([&] { text_records_read(bad_json, "auto", {}); });
  EXPECT_NE(message.find(bad_json + ":2: not valid JSON"), std::string::npos) << message;

  const std::string not_object = write_file(dir + "/list.jsonl", "[1, 2]\n");
  message = bad_input_message([&] { text_records_read(not_object, "jsonl", {}); });
  EXPECT_NE(message.find("expected a JSON object"), std::string::npos) << message;

  const std::string empty = write_file(dir + "/empty.csv", "");
  message = bad_input_message([&] { text_records_read(empty, "auto", {}); });
  EXPECT_NE(message.find("empty"), std::string::npos) << message;

  const std::string ragged = write_file(dir + "/ragged.csv", "text,label\na,b\nc\n");
  message = bad_input_message([&] { text_records_read(ragged, "auto", {}); });
  EXPECT_NE(message.find(ragged + ":3"), std::string::npos) << message;
}

TEST(TextRecords, MissingFieldSuggestsTheClosestName) {
  const std::string file = write_file(temp_dir("missing") + "/d.csv", "text,label\nx,y\n");
  const auto records = text_records_read(file, "auto", {});
  const std::string message = bad_input_message([&] { record_text(records[0], "txt", "text_field"); });
  EXPECT_NE(message.find(file + ":2: no field 'txt' (dataset.text_field)"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'text'"), std::string::npos) << message;
  EXPECT_NE(message.find("dataset.columns"), std::string::npos) << message;  // the header-less hint
}

TEST(TextSplits, FolderWithAFilePerSplit) {
  const std::string dir = temp_dir("folder");
  write_file(dir + "/train.csv", "text,label\na,x\nb,y\n");
  write_file(dir + "/test.jsonl", "{\"text\": \"c\", \"label\": \"z\"}\n");
  SourceConfig c;
  c.path = dir;
  TextSplit train = text_split_load(c, "train", reader(), true);
  EXPECT_EQ(texts_of(train.records), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(texts_of(train.all), (std::vector<std::string>{"a", "b", "c"}));  // both splits, for label sets
  EXPECT_EQ(texts_of(text_split_load(c, "test", reader(), false).records), (std::vector<std::string>{"c"}));

  std::string message = bad_input_message([&] { text_split_load(c, "validation", reader(), false); });
  EXPECT_NE(message.find("no file for split 'validation'"), std::string::npos) << message;
  EXPECT_NE(message.find("test.jsonl, train.csv"), std::string::npos) << message;

  write_file(dir + "/train.tsv", "text\tlabel\n");
  message = bad_input_message([&] { text_split_load(c, "train", reader(), false); });
  EXPECT_NE(message.find("keep one of them"), std::string::npos) << message;

  c.eval_fraction = 0.5;
  message = bad_input_message([&] { text_split_load(c, "test", reader(), false); });
  EXPECT_NE(message.find("eval_fraction applies to a single data file"), std::string::npos) << message;
}

TEST(TextSplits, ParquetFolderIsRefusedClearly) {
  const std::string dir = temp_dir("parquet");
  write_file(dir + "/data/train-00000-of-00001.parquet", "PAR1");
  SourceConfig c;
  c.path = dir;
  const std::string message = bad_input_message([&] { text_split_load(c, "train", reader(), false); });
  EXPECT_NE(message.find("Parquet is not supported yet; convert to CSV/JSONL"), std::string::npos) << message;
}

TEST(TextSplits, EmptyFileAndMissingPath) {
  const std::string dir = temp_dir("empty");
  SourceConfig c;
  c.path = write_file(dir + "/blank.txt", "\n\n");
  std::string message = bad_input_message([&] { text_split_load(c, "train", reader(), false); });
  EXPECT_NE(message.find("has no records (the file is empty)"), std::string::npos) << message;
  c.path = dir + "/nothing.csv";
  message = bad_input_message([&] { text_split_load(c, "train", reader(), false); });
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

std::string numbered_lines(size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) text += "line " + std::to_string(i) + "\n";
  return text;
}

TEST(TextSplits, EvalFractionHoldsOutADisjointSeededPart) {
  SourceConfig c;
  c.path = write_file(temp_dir("fraction") + "/all.txt", numbered_lines(101));
  c.eval_fraction = 0.2;
  const auto train = texts_of(text_split_load(c, "train", reader(), false).records);
  const auto eval = texts_of(text_split_load(c, "test", reader(), false).records);
  EXPECT_EQ(eval.size(), 20u);  // round(101 * 0.2)
  EXPECT_EQ(train.size(), 81u);
  std::set<std::string> together(train.begin(), train.end());
  together.insert(eval.begin(), eval.end());
  EXPECT_EQ(together.size(), 101u);  // disjoint and complete
  // Deterministic for a seed, different for another; in random order (not the file's), so that max_size
  // keeps a random sample.
  EXPECT_EQ(texts_of(text_split_load(c, "test", reader(), false).records), eval);
  std::vector<int> numbers;
  for (const auto& line : eval) numbers.push_back(std::stoi(line.substr(5)));
  EXPECT_FALSE(std::is_sorted(numbers.begin(), numbers.end()));
  c.split_seed = 7;
  EXPECT_NE(texts_of(text_split_load(c, "test", reader(), false).records), eval);

  std::string message = bad_input_message([&] { text_split_load(c, "validation", reader(), false); });
  EXPECT_NE(message.find("split 'validation' does not exist"), std::string::npos) << message;
  c.eval_fraction = 1.5;
  message = bad_input_message([&] { text_split_load(c, "train", reader(), false); });
  EXPECT_NE(message.find("eval_fraction must be between 0 and 1"), std::string::npos) << message;
}

TEST(TextSplits, SingleFileWithoutFractionServesEverySplitWithAWarning) {
  SourceConfig c;
  c.path = write_file(temp_dir("whole") + "/all.txt", numbered_lines(5));
  LogCapture log;
  EXPECT_EQ(text_split_load(c, "train", reader(), false).records.size(), 5u);
  EXPECT_EQ(log.count("train and eval are the same data"), 0u);
  EXPECT_EQ(text_split_load(c, "test", reader(), false).records.size(), 5u);
  EXPECT_EQ(log.count("train and eval are the same data"), 1u);
}

TEST(TextSplits, SeededPermutationIsAPermutation) {
  const auto a = seeded_permutation(1000, 42), b = seeded_permutation(1000, 42), c = seeded_permutation(1000, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<size_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
}

TEST(TextBatch, CollatePadsEachKeyWithItsOwnValue) {
  auto ex = [](std::vector<int64_t> ids, int64_t label) {
    const auto n = static_cast<int64_t>(ids.size());
    return TensorMap{{"token_ids", at::tensor(ids, at::kLong)},
                     {"attention_mask", at::ones({n}, at::kLong)},
                     {"token_type_ids", at::zeros({n}, at::kLong)},
                     {"special_tokens_mask", at::zeros({n}, at::kLong)},
                     {"labels", at::tensor(ids, at::kLong) + label}};
  };
  const TensorMap batch = collate_padded({ex({5, 6, 7}, 1), ex({8}, 2)}, /*pad_token_id=*/3);
  using testing::to_vector;
  EXPECT_EQ(to_vector(batch.at("token_ids")), (std::vector<int64_t>{5, 6, 7, 8, 3, 3}));
  EXPECT_EQ(to_vector(batch.at("attention_mask")), (std::vector<int64_t>{1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(to_vector(batch.at("token_type_ids")), (std::vector<int64_t>{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(to_vector(batch.at("special_tokens_mask")), (std::vector<int64_t>{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(to_vector(batch.at("labels")), (std::vector<int64_t>{6, 7, 8, 10, -100, -100}));

  const TensorMap scalars = collate_padded({{{"labels", at::scalar_tensor(4, at::kLong)}},
                                            {{"labels", at::scalar_tensor(9, at::kLong)}}}, 0);
  EXPECT_EQ(scalars.at("labels").sizes(), at::IntArrayRef({2}));
  EXPECT_EQ(to_vector(scalars.at("labels")), (std::vector<int64_t>{4, 9}));
}

TEST(TextBatch, LabelsSortNumericallyWhenAllAreIntegers) {
  EXPECT_EQ(labels_from_names({"1", "-1", "10", "2", "1"}),
            (std::map<int, std::string>{{0, "-1"}, {1, "1"}, {2, "2"}, {3, "10"}}));
  EXPECT_EQ(labels_from_names({"pos", "neg", "مثبت"}),
            (std::map<int, std::string>{{0, "neg"}, {1, "pos"}, {2, "مثبت"}}));
  const LabelIndex index({{0, "neg"}, {1, "pos"}});
  EXPECT_EQ(index.id("pos", "f.csv:2", "label"), 1);
  const std::string message = bad_input_message([&] { index.id("neutral", "f.csv:7", "label"); });
  EXPECT_NE(message.find("f.csv:7: label 'neutral' is not one of the labels in dataset.id2label ('neg', 'pos')"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace hezar
