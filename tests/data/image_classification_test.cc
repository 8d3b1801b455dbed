// image_classification dataset: image folders, CSV lists and IDX files (the real Fashion-MNIST test split),
// built through the registry as the trainer does, and its input errors.
#include "data/image_classification/image_classification.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "core/error.h"
#include "data/idx.h"
#include "preprocessors/image_io.h"
#include "preprocessors/image_processor.h"

namespace fs = std::filesystem;

namespace hezar {
namespace {

const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

std::string test_dir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / ("image_classification_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void write_file(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

// uint8 [h, w, 3] with a pixel pattern that differs per position and channel.
at::Tensor pattern_image(int64_t h, int64_t w, int seed) {
  at::Tensor image = at::empty({h, w, 3}, at::kByte);
  auto a = image.accessor<uint8_t, 3>();
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t c = 0; c < 3; ++c) a[y][x][c] = static_cast<uint8_t>((seed * 37 + y * 50 + x * 13 + c * 80) % 256);
  return image;
}

at::Tensor solid_image(int64_t h, int64_t w, uint8_t r, uint8_t g, uint8_t b) {
  at::Tensor image = at::empty({h, w, 3}, at::kByte);
  image.select(2, 0).fill_(r);
  image.select(2, 1).fill_(g);
  image.select(2, 2).fill_(b);
  return image;
}

void save_png(const std::string& path, const at::Tensor& image) {
  fs::create_directories(fs::path(path).parent_path());
  image_save_png(path, image);
}

PreprocessorSet processors(const ImageProcessorConfig& config) {
  PreprocessorSet set;
  set.add(preprocessor_build(config));
  return set;
}

// Resize to 4 (wide) x 3 (high), RGB, values scaled to 0..1.
PreprocessorSet rgb_4x3() {
  ImageProcessorConfig c;
  c.size = std::vector<int>{4, 3};
  c.rescale = 1.0 / 255.0;
  return processors(c);
}

// The Fashion-MNIST preprocessing of configs/image_classification/sample_net_fashion_mnist.yaml.
ImageProcessorConfig fashion_processor_config() {
  ImageProcessorConfig c;
  c.gray_scale = true;
  c.size = std::vector<int>{28, 28};
  c.rescale = 0.00392156862745098;
  c.mean = std::vector<double>{0.2860};
  c.std = std::vector<double>{0.3530};
  return c;
}

ImageClassificationDatasetConfig dataset_config(const std::string& path, const std::string& format = "auto") {
  ImageClassificationDatasetConfig c;
  c.path = path;
  c.format = format;
  return c;
}

// The BadInput message fn throws; fails the test if it throws nothing or something else.
std::string bad_input_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const BadInput& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected BadInput, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected BadInput, nothing was thrown";
  return "";
}

std::vector<int64_t> labels_of(const Dataset& dataset) {
  std::vector<int64_t> labels;
  for (size_t i = 0; i < dataset.size(); ++i) labels.push_back(dataset.get(i).at("labels").item<int64_t>());
  return labels;
}

// expected uint8 HWC image -> float CHW / 255
at::Tensor scaled_chw(const at::Tensor& hwc) { return hwc.permute({2, 0, 1}).to(at::kFloat) / 255.0; }

// ---- image folders ------------------------------------------------------------------------------------

class FolderDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = test_dir("folder");
    const std::string train = root_ + "/train";
    known_ = pattern_image(3, 4, 1);  // already 4x3: the resize is the identity
    save_png(train + "/cat/b.png", known_);
    save_png(train + "/cat/a.png", solid_image(5, 6, 200, 100, 50));
    save_png(train + "/ant/z.png", pattern_image(8, 8, 2));
    save_png(train + "/bee/m.png", pattern_image(2, 2, 3));
    write_file(train + "/bee/notes.txt", "not an image");   // ignored: not an image extension
    write_file(train + "/README.png.txt", "ignored");       // ignored: not in a class folder
    save_png(root_ + "/test/ant/q.png", pattern_image(4, 4, 4));
  }
  std::string root_;
  at::Tensor known_;
};

TEST_F(FolderDatasetTest, ReadsClassFoldersSortedByName) {
  auto dataset = dataset_build(dataset_config(root_), "train", rgb_4x3());
  ASSERT_EQ(dataset->size(), 4u);
  const std::map<int, std::string> expected_labels = {{0, "ant"}, {1, "bee"}, {2, "cat"}};
  EXPECT_EQ(dataset->id2label(), expected_labels);
  // Examples: classes in name order, files in name order within a class.
  EXPECT_EQ(labels_of(*dataset), (std::vector<int64_t>{0, 1, 2, 2}));
  // The config the dataset reports carries the derived labels (the trainer copies them to the model).
  const auto& config = dynamic_cast<const ImageClassificationDatasetConfig&>(dataset->config());
  EXPECT_EQ(config.id2label, expected_labels);

  for (size_t i = 0; i < dataset->size(); ++i) {
    TensorMap example = dataset->get(i);
    EXPECT_EQ(example.at("pixel_values").sizes(), (std::vector<int64_t>{3, 3, 4})) << "example " << i;
    EXPECT_EQ(example.at("pixel_values").scalar_type(), at::kFloat);
    EXPECT_EQ(example.at("labels").scalar_type(), at::kLong);
    EXPECT_EQ(example.at("labels").dim(), 0);
  }

  // cat/b.png: exact pixels, rescaled, in CHW order.
  const at::Tensor b = dataset->get(3).at("pixel_values");
  EXPECT_TRUE(at::allclose(b, scaled_chw(known_), 0, 1e-6)) << b << scaled_chw(known_);
  // cat/a.png: a solid 6x5 color resized to 4x3 stays that color.
  const at::Tensor a = dataset->get(2).at("pixel_values");
  EXPECT_NEAR(a[0].min().item<double>(), 200 / 255.0, 1e-6);
  EXPECT_NEAR(a[0].max().item<double>(), 200 / 255.0, 1e-6);
  EXPECT_NEAR(a[1].mean().item<double>(), 100 / 255.0, 1e-6);
  EXPECT_NEAR(a[2].mean().item<double>(), 50 / 255.0, 1e-6);

  // Batches of differently sized source images collate, since all come out 4x3.
  TensorMap batch = dataset->collate({dataset->get(0), dataset->get(1), dataset->get(2), dataset->get(3)});
  EXPECT_EQ(batch.at("pixel_values").sizes(), (std::vector<int64_t>{4, 3, 3, 4}));
  EXPECT_TRUE(batch.at("labels").equal(at::tensor({0, 1, 2, 2}, at::kLong)));
}

TEST_F(FolderDatasetTest, GivenId2LabelDecidesTheIds) {
  auto config = dataset_config(root_, "folder");
  config.id2label = {{0, "cat"}, {1, "bee"}, {2, "ant"}, {3, "dog"}};
  auto dataset = dataset_build(config, "train", rgb_4x3());
  EXPECT_EQ(labels_of(*dataset), (std::vector<int64_t>{2, 1, 0, 0}));
  EXPECT_EQ(dataset->id2label(), config.id2label);
}

TEST_F(FolderDatasetTest, OtherSplitAndMaxSize) {
  auto test = dataset_build(dataset_config(root_), "test", rgb_4x3());
  ASSERT_EQ(test->size(), 1u);
  EXPECT_EQ(test->id2label(), (std::map<int, std::string>{{0, "ant"}}));

  auto config = dataset_config(root_);
  config.max_size = 2;
  auto two = dataset_build(config, "train", rgb_4x3());
  EXPECT_EQ(two->size(), 2u);
  EXPECT_EQ(labels_of(*two), (std::vector<int64_t>{0, 1}));
  config.max_size = 0.5;
  EXPECT_EQ(dataset_build(config, "train", rgb_4x3())->size(), 2u);
  config.max_size = 100;
  EXPECT_EQ(dataset_build(config, "train", rgb_4x3())->size(), 4u);
  config.max_size = -1;
  EXPECT_NE(bad_input_message([&] { dataset_build(config, "train", rgb_4x3()); }).find("max_size"),
            std::string::npos);
  config.max_size = 2.5;
  EXPECT_NE(bad_input_message([&] { dataset_build(config, "train", rgb_4x3()); }).find("max_size"),
            std::string::npos);
}

TEST_F(FolderDatasetTest, CorruptImageIsBadInputWhenRead) {
  const std::string corrupt = root_ + "/train/cat/c.png";
  write_file(corrupt, "\x89PNG\r\n\x1a\n this is not really a png");
  auto dataset = dataset_build(dataset_config(root_), "train", rgb_4x3());
  ASSERT_EQ(dataset->size(), 5u);  // listed (by extension) ...
  EXPECT_NO_THROW(dataset->get(3));
  const std::string message = bad_input_message([&] { dataset->get(4); });  // ... fails only when read
  EXPECT_NE(message.find("c.png"), std::string::npos) << message;
}

TEST_F(FolderDatasetTest, MissingImageProcessorIsBadInput) {
  const std::string message =
      bad_input_message([&] { dataset_build(dataset_config(root_), "train", PreprocessorSet{}); });
  EXPECT_NE(message.find("image_processor"), std::string::npos) << message;
}

TEST_F(FolderDatasetTest, ExplicitFolderFormatWithoutTheSplitIsBadInput) {
  const std::string message =
      bad_input_message([&] { dataset_build(dataset_config(root_, "folder"), "validation", rgb_4x3()); });
  EXPECT_NE(message.find("validation"), std::string::npos) << message;
}

TEST_F(FolderDatasetTest, EmptySplitIsBadInput) {
  fs::create_directories(root_ + "/empty/cat");
  const std::string message = bad_input_message([&] { dataset_build(dataset_config(root_), "empty", rgb_4x3()); });
  EXPECT_NE(message.find("no examples"), std::string::npos) << message;
}

// ---- CSV ----------------------------------------------------------------------------------------------

class CsvDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = test_dir("csv");
    one_ = pattern_image(3, 4, 5);
    two_ = pattern_image(3, 4, 6);
    save_png(root_ + "/images/one.png", one_);
    save_png(root_ + "/images/two.png", two_);
    abs_three_ = test_dir("csv_abs") + "/three.png";
    save_png(abs_three_, pattern_image(6, 6, 7));
    write_file(root_ + "/train.csv",
               "path,label\n"
               "images/one.png,dog\n"
               "images/two.png,cat\n" +
                   abs_three_ + ",dog\n");
  }
  std::string root_, abs_three_;
  at::Tensor one_, two_;
};

TEST_F(CsvDatasetTest, ReadsRowsWithPathsRelativeToTheCsv) {
  auto dataset = dataset_build(dataset_config(root_), "train", rgb_4x3());
  ASSERT_EQ(dataset->size(), 3u);
  EXPECT_EQ(dataset->id2label(), (std::map<int, std::string>{{0, "cat"}, {1, "dog"}}));
  EXPECT_EQ(labels_of(*dataset), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_TRUE(at::allclose(dataset->get(0).at("pixel_values"), scaled_chw(one_), 0, 1e-6));
  EXPECT_TRUE(at::allclose(dataset->get(1).at("pixel_values"), scaled_chw(two_), 0, 1e-6));
  EXPECT_EQ(dataset->get(2).at("pixel_values").sizes(), (std::vector<int64_t>{3, 3, 4}));
}

TEST_F(CsvDatasetTest, PathMayBeTheCsvFileWithCustomColumns) {
  write_file(root_ + "/list.csv",
             "label_name,file,extra\n"
             "cat,images/two.png,x\n"
             "\"dog\",\"images/one.png\",\"y, z\"\n");
  auto config = dataset_config(root_ + "/list.csv");
  config.image_column = "file";
  config.label_column = "label_name";
  // Working directory elsewhere: relative paths must still resolve against the CSV's folder.
  auto dataset = dataset_build(config, "whatever", rgb_4x3());
  ASSERT_EQ(dataset->size(), 2u);
  EXPECT_EQ(labels_of(*dataset), (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(at::allclose(dataset->get(0).at("pixel_values"), scaled_chw(two_), 0, 1e-6));
  EXPECT_TRUE(at::allclose(dataset->get(1).at("pixel_values"), scaled_chw(one_), 0, 1e-6));
}

TEST_F(CsvDatasetTest, UnknownLabelNamesTheCsvLine) {
  write_file(root_ + "/train.csv",
             "path,label\n"
             "images/one.png,dog\n"
             "images/two.png,cat\n"
             "images/one.png,bird\n");
  auto config = dataset_config(root_);
  config.id2label = {{0, "cat"}, {1, "dog"}};
  const std::string message = bad_input_message([&] { dataset_build(config, "train", rgb_4x3()); });
  EXPECT_NE(message.find("train.csv:4"), std::string::npos) << message;
  EXPECT_NE(message.find("'bird'"), std::string::npos) << message;
}

TEST_F(CsvDatasetTest, MissingColumnIsBadInput) {
  auto config = dataset_config(root_);
  config.label_column = "class";
  const std::string message = bad_input_message([&] { dataset_build(config, "train", rgb_4x3()); });
  EXPECT_NE(message.find("class"), std::string::npos) << message;
  EXPECT_NE(message.find("train.csv"), std::string::npos) << message;
}

TEST_F(CsvDatasetTest, MissingImageIsBadInputWhenRead) {
  write_file(root_ + "/train.csv", "path,label\nimages/one.png,dog\nimages/gone.png,cat\n");
  auto dataset = dataset_build(dataset_config(root_), "train", rgb_4x3());
  ASSERT_EQ(dataset->size(), 2u);
  EXPECT_NO_THROW(dataset->get(0));
  const std::string message = bad_input_message([&] { dataset->get(1); });
  EXPECT_NE(message.find("gone.png"), std::string::npos) << message;
}

TEST_F(CsvDatasetTest, ExplicitCsvFormatWithoutTheFileIsBadInput) {
  const std::string message = bad_input_message([&] { dataset_build(dataset_config(root_, "csv"), "test", rgb_4x3()); });
  EXPECT_NE(message.find("test.csv"), std::string::npos) << message;
}

// ---- IDX: the real Fashion-MNIST test split ----------------------------------------------------------

class FashionMnistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz"))
      GTEST_SKIP() << kFashionDir << " is missing (install Debian's dataset-fashion-mnist)";
  }
};

TEST_F(FashionMnistTest, TestSplitWithMaxSizeCountAndFraction) {
  const at::Tensor images = idx_read(std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz");
  const at::Tensor labels = idx_read(std::string(kFashionDir) + "/t10k-labels-idx1-ubyte.gz").to(at::kLong);
  ASSERT_EQ(images.sizes(), (std::vector<int64_t>{10000, 28, 28}));

  PreprocessorSet preprocessors = processors(fashion_processor_config());
  for (double max_size : {100.0, 0.01}) {
    SCOPED_TRACE("max_size=" + std::to_string(max_size));
    auto config = dataset_config(kFashionDir, "idx");
    config.max_size = max_size;
    auto dataset = dataset_build(config, "test", preprocessors);
    ASSERT_EQ(dataset->size(), 100u);
    // No id2label given: ids named by themselves.
    std::map<int, std::string> expected;
    for (int i = 0; i < 10; ++i) expected[i] = std::to_string(i);
    EXPECT_EQ(dataset->id2label(), expected);
    for (size_t i : {0, 7, 99}) {
      EXPECT_EQ(dataset->get(i).at("labels").item<int64_t>(), labels[static_cast<int64_t>(i)].item<int64_t>());
    }

    // Example 7: every pixel is (v / 255 - 0.286) / 0.353 of the IDX bytes (gray stays gray, 28x28 stays).
    const at::Tensor pixels = dataset->get(7).at("pixel_values");
    ASSERT_EQ(pixels.sizes(), (std::vector<int64_t>{1, 28, 28}));
    ASSERT_EQ(pixels.scalar_type(), at::kFloat);
    const at::Tensor raw = images[7];
    const int64_t brightest = raw.flatten().argmax().item<int64_t>();
    const int64_t y = brightest / 28, x = brightest % 28;
    const int v = raw[y][x].item<uint8_t>();
    ASSERT_GT(v, 0);
    EXPECT_NEAR(pixels[0][y][x].item<double>(), (v / 255.0 - 0.2860) / 0.3530, 1e-5) << "pixel value " << v;
    EXPECT_NEAR(pixels[0][0][0].item<double>(), (raw[0][0].item<uint8_t>() / 255.0 - 0.2860) / 0.3530, 1e-5);
    const at::Tensor expected_all = (raw.to(at::kDouble) / 255.0 - 0.2860) / 0.3530;
    EXPECT_TRUE(at::allclose(pixels[0].to(at::kDouble), expected_all, 0, 1e-5));
  }
}

TEST_F(FashionMnistTest, AutoFormatAndGivenLabelNames) {
  auto config = dataset_config(kFashionDir);
  config.max_size = 5;
  config.id2label = {{0, "T-shirt/top"}, {1, "Trouser"}, {2, "Pullover"}, {3, "Dress"}, {4, "Coat"},
                     {5, "Sandal"},      {6, "Shirt"},   {7, "Sneaker"},  {8, "Bag"},   {9, "Ankle boot"}};
  auto dataset = dataset_build(config, "test", processors(fashion_processor_config()));
  EXPECT_EQ(dataset->size(), 5u);
  EXPECT_EQ(dataset->id2label().at(9), "Ankle boot");
  // The first Fashion-MNIST test image is an ankle boot.
  EXPECT_EQ(dataset->get(0).at("labels").item<int64_t>(), 9);
}

TEST_F(FashionMnistTest, LabelOutsideGivenId2LabelIsBadInput) {
  auto config = dataset_config(kFashionDir, "idx");
  config.id2label = {{0, "a"}, {1, "b"}};
  const std::string message =
      bad_input_message([&] { dataset_build(config, "test", processors(fashion_processor_config())); });
  EXPECT_NE(message.find("t10k-labels-idx1-ubyte"), std::string::npos) << message;
  EXPECT_NE(message.find("id2label"), std::string::npos) << message;
}

// ---- input errors -------------------------------------------------------------------------------------

TEST(ImageClassificationErrorsTest, MissingPathIsBadInput) {
  const std::string missing = test_dir("missing") + "/nope";
  const std::string message = bad_input_message([&] { dataset_build(dataset_config(missing), "train", rgb_4x3()); });
  EXPECT_NE(message.find(missing), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST(ImageClassificationErrorsTest, EmptyPathIsBadInput) {
  const std::string message = bad_input_message([&] { dataset_build(dataset_config(""), "train", rgb_4x3()); });
  EXPECT_NE(message.find("dataset.path"), std::string::npos) << message;
}

TEST(ImageClassificationErrorsTest, MissingIdxFilesIsBadInput) {
  const std::string dir = test_dir("no_idx");
  for (const std::string format : {"idx", "auto"}) {
    SCOPED_TRACE(format);
    const std::string message =
        bad_input_message([&] { dataset_build(dataset_config(dir, format), "train", rgb_4x3()); });
    EXPECT_NE(message.find("train-images-idx3-ubyte"), std::string::npos) << message;
    EXPECT_NE(message.find(dir), std::string::npos) << message;
  }
  // Images without labels.
  const std::string images_only = test_dir("idx_images_only");
  const std::string fashion_images = std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz";
  if (fs::exists(fashion_images)) {
    fs::copy_file(fashion_images, images_only + "/t10k-images-idx3-ubyte.gz");
    const std::string message =
        bad_input_message([&] { dataset_build(dataset_config(images_only, "idx"), "test", rgb_4x3()); });
    EXPECT_NE(message.find("labels-idx1-ubyte"), std::string::npos) << message;
  }
}

TEST(ImageClassificationErrorsTest, CorruptIdxFileIsBadInput) {
  const std::string dir = test_dir("corrupt_idx");
  write_file(dir + "/train-images-idx3-ubyte", std::string("\x00\x00\x08\x03\x00\x00", 6));
  write_file(dir + "/train-labels-idx1-ubyte", std::string("\x00\x00\x08\x01\x00\x00\x00\x01\x03", 9));
  const std::string message = bad_input_message([&] { dataset_build(dataset_config(dir, "idx"), "train", rgb_4x3()); });
  EXPECT_NE(message.find("train-images-idx3-ubyte"), std::string::npos) << message;
}

TEST(ImageClassificationErrorsTest, UnknownFormatIsBadInput) {
  const std::string dir = test_dir("unknown_format");
  const std::string message =
      bad_input_message([&] { dataset_build(dataset_config(dir, "parquet"), "train", rgb_4x3()); });
  EXPECT_NE(message.find("'parquet'"), std::string::npos) << message;
  EXPECT_NE(message.find("idx, folder, csv"), std::string::npos) << message;
}

}  // namespace
}  // namespace hezar

namespace hezar {
namespace {

// The loader builds batches with get_batch (one processing pass); it must equal collating get(i).
TEST(ImageClassificationBatch, GetBatchEqualsCollatedExamples) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ImageProcessorConfig processor;
  processor.gray_scale = true;
  processor.rescale = 1.0 / 255;
  processor.mean = std::vector<double>{0.286};
  processor.std = std::vector<double>{0.353};
  PreprocessorSet preprocessors;
  preprocessors.add(preprocessor_build(processor));
  ImageClassificationDatasetConfig config;
  config.path = "/usr/share/datasets/fashion-mnist";
  config.max_size = 50;
  auto dataset = dataset_build(config, "test", preprocessors);
  const std::vector<size_t> indices = {3, 17, 0, 42, 9};
  std::vector<TensorMap> examples;
  for (size_t i : indices) examples.push_back(dataset->get(i));
  TensorMap expected = dataset->collate(examples), batch = dataset->get_batch(indices);
  EXPECT_TRUE(at::equal(batch.at("pixel_values"), expected.at("pixel_values")));
  EXPECT_TRUE(at::equal(batch.at("labels"), expected.at("labels")));
}

}  // namespace
}  // namespace hezar
