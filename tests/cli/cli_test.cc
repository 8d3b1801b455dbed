// End-to-end tests of the real `hezar` binary: every command is run as a child process and judged by its
// exit code, stdout, stderr and the files it leaves behind. Training runs once per suite, on a 2000-image
// slice of the real Fashion-MNIST data (Debian's dataset-fashion-mnist).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "data/idx.h"
#include "preprocessors/image_io.h"
#include "tests/testing/run_hezar.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kFashionDir = "/usr/share/datasets/fashion-mnist";
const char* kConfigRunfile = "configs/image_classification/sample_net_fashion_mnist.yaml";
const std::vector<std::string> kFashionLabels = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
constexpr int kTrainSize = 2000, kBatchSize = 32;
constexpr int kSteps = (kTrainSize + kBatchSize - 1) / kBatchSize;  // 63
constexpr int kNumImages = 20;

using hezar::testing::read_text;
using hezar::testing::Result;
using hezar::testing::runfile;
using hezar::testing::tmp_root;
using hezar::testing::write_text;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A new empty directory under $TEST_TMPDIR.
fs::path fresh_dir(const std::string& name) {
  static int counter = 0;
  fs::path dir = tmp_root() / "cli" / (name + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

class CliTest : public ::testing::Test {
 protected:
  // Runs `hezar args...` in `cwd` with `stdin_text` on stdin and a cache under $TEST_TMPDIR.
  static Result run(const std::vector<std::string>& args, const fs::path& cwd, const std::string& stdin_text = "") {
    return hezar::testing::run_hezar(args, {cwd, stdin_text, {"HEZAR_CACHE_DIR=" + (tmp_root() / "cli_cache").string()}});
  }

  static void SetUpTestSuite() {
    hezar_ = runfile("cli/hezar");
    config_ = runfile(kConfigRunfile);
    suite_dir_ = fresh_dir("suite");
    have_data_ = fs::exists(std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz") &&
                 fs::exists(std::string(kFashionDir) + "/train-images-idx3-ubyte.gz");
    if (!fs::is_regular_file(hezar_) || !fs::is_regular_file(config_) || !have_data_) return;

    // Real test images as PNG files, named by index, with their labels.
    const at::Tensor images = hezar::idx_read(std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz");
    const at::Tensor labels = hezar::idx_read(std::string(kFashionDir) + "/t10k-labels-idx1-ubyte.gz");
    for (int i = 0; i < kNumImages; ++i) {
      const std::string path = (suite_dir_ / "images" / ("img" + std::to_string(i) + ".png")).string();
      fs::create_directories(fs::path(path).parent_path());
      hezar::image_save_png(path, images[i].contiguous());
      image_paths_.push_back(path);
      image_labels_.push_back(labels[i].item<int64_t>());
    }

    out_dir_ = (suite_dir_ / "out").string();
    train_ = run({"train", config_, "--output-dir", out_dir_, "--set", "dataset.max_size=" + std::to_string(kTrainSize),
                  "--set", "trainer.num_epochs=1", "--set", "trainer.batch_size=" + std::to_string(kBatchSize)},
                 suite_dir_);
  }

  void SetUp() override {
    ASSERT_TRUE(fs::is_regular_file(hezar_)) << "no hezar binary at " << hezar_;
    ASSERT_TRUE(fs::is_regular_file(config_)) << "no config at " << config_;
  }

  // For tests that need the trained model.
  bool require_model() {
    if (!have_data_) return false;
    EXPECT_EQ(train_.code, 0) << "training failed:" << train_;
    return train_.code == 0;
  }

  // The contract for bad input: exit 2, nothing on stdout, exactly one line "error: ..." on stderr.
  // Returns the message after "error: ".
  static std::string expect_bad_input(const Result& r) {
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_EQ(r.out, "") << r;
    const std::vector<std::string> lines = lines_of(r.err);
    EXPECT_EQ(lines.size(), 1u) << r;
    EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << r;
    if (lines.empty()) return "";
    EXPECT_EQ(lines[0].rfind("error: ", 0), 0u) << r;
    return lines[0].size() >= 7 ? lines[0].substr(7) : lines[0];
  }

  // Runs a command that must fail with bad input in an empty working directory, with --output-dir (for
  // train) pointing inside it, and checks nothing was written there. Returns the error message.
  std::string bad_input(std::vector<std::string> args, const std::string& stdin_text = "") {
    const fs::path cwd = fresh_dir("bad");
    const fs::path out = cwd / "out";
    if (!args.empty() && args[0] == "train") {
      args.push_back("--output-dir");
      args.push_back(out.string());
    }
    const Result r = run(args, cwd, stdin_text);
    const std::string message = expect_bad_input(r);
    EXPECT_FALSE(fs::exists(out)) << "the output dir was created";
    EXPECT_TRUE(fs::is_empty(cwd)) << "files were written into the working directory";
    return message;
  }

  // A copy of the example config with `from` replaced by `to` (once); returns its path.
  static std::string config_variant(const std::string& name, const std::string& from, const std::string& to) {
    std::string text = read_text(config_);
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    const fs::path path = fresh_dir("config") / name;
    write_text(path, text);
    return path.string();
  }

  static std::string dataset_yaml(int max_size) {
    const fs::path path = fresh_dir("dataset") / ("fashion_" + std::to_string(max_size) + ".yaml");
    write_text(path, std::string("name: image_classification\npath: ") + kFashionDir +
                         "\nformat: idx\neval_split: test\nmax_size: " + std::to_string(max_size) + "\n");
    return path.string();
  }

  static std::string hezar_, config_, out_dir_;
  static fs::path suite_dir_;
  static bool have_data_;
  static Result train_;
  static std::vector<std::string> image_paths_;
  static std::vector<int64_t> image_labels_;
};

std::string CliTest::hezar_, CliTest::config_, CliTest::out_dir_;
fs::path CliTest::suite_dir_;
bool CliTest::have_data_ = false;
Result CliTest::train_;
std::vector<std::string> CliTest::image_paths_;
std::vector<int64_t> CliTest::image_labels_;

#define REQUIRE_MODEL()                                                               \
  do {                                                                                \
    if (!have_data_) GTEST_SKIP() << kFashionDir << " is missing (dataset-fashion-mnist)"; \
    if (!require_model()) return;                                                     \
  } while (0)

// ---- help, version, list ------------------------------------------------------------------------------

TEST_F(CliTest, VersionAndHelp) {
  const Result version = run({"--version"}, fresh_dir("version"));
  EXPECT_EQ(version.code, 0) << version;
  EXPECT_TRUE(std::regex_match(version.out, std::regex("hezar [0-9]+\\.[0-9]+\\.[0-9]+.*\n"))) << version;

  const Result help = run({"--help"}, fresh_dir("help"));
  EXPECT_EQ(help.code, 0) << help;
  for (const char* command : {"train", "eval", "predict", "list", "config"})
    EXPECT_TRUE(contains(help.out, command)) << command << help;

  const Result train_help = run({"train", "--help"}, fresh_dir("train_help"));
  EXPECT_EQ(train_help.code, 0) << train_help;
  EXPECT_TRUE(contains(train_help.out, "--output-dir")) << train_help;
  EXPECT_TRUE(contains(train_help.out, "--set")) << train_help;

  for (const char* command : {"eval", "predict"}) {
    const Result r = run({command, "--help"}, fresh_dir("help"));
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_TRUE(contains(r.out, "model")) << r;
  }
}

TEST_F(CliTest, NoSubcommandOrUnknownOptionIsBadInput) {
  const Result none = run({}, fresh_dir("none"));
  EXPECT_EQ(none.code, 2) << none;
  const Result unknown = run({"train", config_, "--no-such-flag"}, fresh_dir("flag"));
  EXPECT_EQ(unknown.code, 2) << unknown;
}

TEST_F(CliTest, List) {
  const Result all = run({"list"}, fresh_dir("list"));
  EXPECT_EQ(all.code, 0) << all;
  for (const char* name : {"models:", "sample_net", "datasets:", "image_classification", "preprocessors:",
                           "image_processor", "metrics:", "accuracy", "f1"})
    EXPECT_TRUE(contains(all.out, name)) << name << all;

  const Result models = run({"list", "models"}, fresh_dir("list"));
  EXPECT_EQ(models.code, 0) << models;
  EXPECT_TRUE(contains(models.out, "sample_net")) << models;
  EXPECT_FALSE(contains(models.out, "accuracy")) << "only models are listed" << models;

  const std::string message = bad_input({"list", "nonsense"});
  EXPECT_TRUE(contains(message, "nonsense")) << message;
  EXPECT_TRUE(contains(message, "models")) << message;
}

// ---- config show --------------------------------------------------------------------------------------

TEST_F(CliTest, ConfigShowAppliesOverridesAndDefaults) {
  const fs::path cwd = fresh_dir("config_show");
  const Result r = run({"config", "show", config_, "--set", "trainer.batch_size=7"}, cwd);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(contains(r.out, "  batch_size: 7\n")) << r;
  EXPECT_TRUE(contains(r.out, "weight_decay:")) << "defaults are shown" << r;
  EXPECT_TRUE(contains(r.out, "checkpoints_dir: checkpoints")) << r;
  EXPECT_TRUE(contains(r.out, "learning_rate: 0.002")) << "file values are kept" << r;
  EXPECT_TRUE(contains(r.out, "name: sample_net")) << r;
  EXPECT_TRUE(fs::is_empty(cwd));

  // The printed config is itself a valid config that shows the same way.
  const fs::path shown = fresh_dir("config_show_again") / "shown.yaml";
  write_text(shown, r.out);
  const Result again = run({"config", "show", shown.string()}, shown.parent_path());
  EXPECT_EQ(again.code, 0) << again;
  EXPECT_EQ(again.out, r.out);

  const std::string message = bad_input({"config", "show", config_, "--set", "trainer.batch_size=abc"});
  EXPECT_TRUE(contains(message, "trainer.batch_size")) << message;
}

// ---- train / eval / predict ---------------------------------------------------------------------------

TEST_F(CliTest, TrainWritesTheModelCheckpointsAndLogs) {
  REQUIRE_MODEL();
  EXPECT_EQ(train_.out, out_dir_ + "\n") << "stdout is the output dir" << train_;
  const fs::path out = out_dir_;
  for (const char* file : {"model_config.yaml", "model.pt", "preprocessor/image_processor_config.yaml",
                           "checkpoints/trainer_state.yaml"})
    EXPECT_TRUE(fs::is_regular_file(out / file)) << file;

  // One checkpoint, named by its step.
  std::vector<std::string> checkpoints;
  for (const auto& entry : fs::directory_iterator(out / "checkpoints"))
    if (entry.is_directory()) checkpoints.push_back(entry.path().filename().string());
  ASSERT_EQ(checkpoints, std::vector<std::string>{std::to_string(kSteps)});
  const fs::path checkpoint = out / "checkpoints" / checkpoints[0];
  for (const char* file : {"model.pt", "model_config.yaml", "train/train_config.yaml", "train/optimizer.pt",
                           "train/dataset_config.yaml"})
    EXPECT_TRUE(fs::is_regular_file(checkpoint / file)) << file;
  EXPECT_TRUE(contains(read_text(out / "checkpoints/trainer_state.yaml"), "global_step: " + std::to_string(kSteps)));
  EXPECT_TRUE(contains(read_text(checkpoint / "train/train_config.yaml"), "batch_size: 32"));
  EXPECT_TRUE(contains(read_text(checkpoint / "train/dataset_config.yaml"), "max_size: 2000"));

  const std::string model_config = read_text(out / "model_config.yaml");
  EXPECT_TRUE(contains(model_config, "name: sample_net")) << model_config;
  EXPECT_TRUE(contains(model_config, "Ankle boot")) << model_config;
  EXPECT_TRUE(contains(model_config, "num_classes: 10")) << model_config;
  EXPECT_TRUE(contains(read_text(out / "preprocessor/image_processor_config.yaml"), "gray_scale: true"));

  // logs/<run>/training_logs.csv: a header and one row for the one epoch.
  std::vector<fs::path> runs;
  for (const auto& entry : fs::directory_iterator(out / "logs")) runs.push_back(entry.path());
  ASSERT_EQ(runs.size(), 1u);
  const std::vector<std::string> rows = lines_of(read_text(runs[0] / "training_logs.csv"));
  ASSERT_EQ(rows.size(), 2u) << read_text(runs[0] / "training_logs.csv");
  EXPECT_EQ(rows[0].rfind("step,epoch,train.loss", 0), 0u) << rows[0];
  EXPECT_TRUE(contains(rows[0], "evaluation.accuracy")) << rows[0];
  EXPECT_TRUE(contains(rows[0], "evaluation.loss")) << rows[0];
  EXPECT_EQ(rows[1].rfind(std::to_string(kSteps) + ",1,", 0), 0u) << rows[1];

  // Nothing half-written is left behind.
  for (const auto& entry : fs::recursive_directory_iterator(out))
    EXPECT_FALSE(contains(entry.path().filename().string(), ".tmp.")) << entry.path();
  // Nothing written outside the output dir.
  std::set<std::string> top;
  for (const auto& entry : fs::directory_iterator(suite_dir_)) top.insert(entry.path().filename().string());
  EXPECT_EQ(top, (std::set<std::string>{"images", "out"}));
}

TEST_F(CliTest, EvalReportsMetricsAsJson) {
  REQUIRE_MODEL();
  const fs::path cwd = fresh_dir("eval");
  const Result r = run({"eval", out_dir_, "--dataset", dataset_yaml(500), "--json"}, cwd);
  ASSERT_EQ(r.code, 0) << r;
  ASSERT_EQ(lines_of(r.out).size(), 1u) << r;
  const json results = json::parse(r.out);
  for (const char* key : {"accuracy", "f1", "precision", "recall", "loss"}) {
    ASSERT_TRUE(results.contains(key)) << key << r;
    ASSERT_TRUE(results[key].is_number()) << key << r;
  }
  for (const char* key : {"accuracy", "f1", "precision", "recall"}) {
    EXPECT_GE(results[key].get<double>(), 0.0) << key;
    EXPECT_LE(results[key].get<double>(), 1.0) << key;
  }
  // 1 epoch on 2000 images reaches ~0.6 on the first test images; chance is 0.1.
  EXPECT_GT(results["accuracy"].get<double>(), 0.5) << r;
  EXPECT_GT(results["loss"].get<double>(), 0.0);
  EXPECT_LT(results["loss"].get<double>(), 2.0) << "an untrained model has loss ~2.3" << r;
  EXPECT_TRUE(fs::is_empty(cwd));

  // Without --json: a table with the same metrics.
  const Result table = run({"eval", out_dir_, "--dataset", dataset_yaml(500)}, cwd);
  EXPECT_EQ(table.code, 0) << table;
  EXPECT_TRUE(contains(table.out, "accuracy")) << table;
  EXPECT_TRUE(contains(table.out, "recall")) << table;
}

// The saved model is the one the trainer evaluated: eval on the same 2000 test images gives the accuracy
// in the training log.
TEST_F(CliTest, EvalMatchesTheTrainingLog) {
  REQUIRE_MODEL();
  std::vector<fs::path> runs;
  for (const auto& entry : fs::directory_iterator(fs::path(out_dir_) / "logs")) runs.push_back(entry.path());
  ASSERT_EQ(runs.size(), 1u);
  const std::vector<std::string> rows = lines_of(read_text(runs[0] / "training_logs.csv"));
  ASSERT_EQ(rows.size(), 2u);
  std::vector<std::string> header, values;
  auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    return cells;
  };
  header = split(rows[0]);
  values = split(rows[1]);
  ASSERT_EQ(header.size(), values.size());
  const auto column = std::find(header.begin(), header.end(), "evaluation.accuracy");
  ASSERT_NE(column, header.end());
  const double logged = std::stod(values[column - header.begin()]);

  const Result r = run({"eval", out_dir_, "--dataset", dataset_yaml(kTrainSize), "--json"}, fresh_dir("eval"));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_NEAR(json::parse(r.out)["accuracy"].get<double>(), logged, 1e-4) << r;
}

TEST_F(CliTest, PredictPrintsTopKLabelsPerInput) {
  REQUIRE_MODEL();
  const fs::path cwd = fresh_dir("predict");
  const Result r = run({"predict", out_dir_, image_paths_[0], image_paths_[1], "--json", "--top-k", "3"}, cwd);
  ASSERT_EQ(r.code, 0) << r;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r;
  const std::set<std::string> names(kFashionLabels.begin(), kFashionLabels.end());
  for (const auto& line : lines) {
    const json result = json::parse(line);
    ASSERT_TRUE(result.is_array()) << line;
    ASSERT_EQ(result.size(), 3u) << line;
    double sum = 0, previous = 2;
    std::set<std::string> seen;
    for (const auto& item : result) {
      ASSERT_TRUE(item.contains("label") && item.contains("score")) << line;
      const std::string label = item["label"].get<std::string>();
      const double score = item["score"].get<double>();
      EXPECT_TRUE(names.count(label)) << label;
      EXPECT_TRUE(seen.insert(label).second) << "label repeated: " << label;
      EXPECT_GE(score, 0.0);
      EXPECT_LE(score, previous) << "scores must be in descending order: " << line;
      previous = score;
      sum += score;
    }
    EXPECT_LE(sum, 1.0 + 1e-6) << line;
    EXPECT_GT(sum, 0.0) << line;
  }
  EXPECT_TRUE(fs::is_empty(cwd));

  // `-` reads paths from stdin, one per line; the output is the same.
  const Result piped = run({"predict", out_dir_, "-", "--json", "--top-k", "3"}, cwd,
                           image_paths_[0] + "\n" + image_paths_[1] + "\n");
  ASSERT_EQ(piped.code, 0) << piped;
  EXPECT_EQ(piped.out, r.out);

  // Default output: one "input<TAB>label (score)" line per input, top-1 = the JSON's first label.
  const Result plain = run({"predict", out_dir_, image_paths_[0]}, cwd);
  ASSERT_EQ(plain.code, 0) << plain;
  const std::string top = json::parse(lines[0])[0]["label"].get<std::string>();
  EXPECT_EQ(plain.out.rfind(image_paths_[0] + "\t" + top + " (", 0), 0u) << plain;
}

TEST_F(CliTest, PredictIsMostlyRightOnRealTestImages) {
  REQUIRE_MODEL();
  std::vector<std::string> args = {"predict", out_dir_, "--json", "--batch-size", "7"};
  args.insert(args.end(), image_paths_.begin(), image_paths_.end());
  const Result r = run(args, fresh_dir("predict_many"));
  ASSERT_EQ(r.code, 0) << r;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kNumImages)) << r;
  int correct = 0;
  for (int i = 0; i < kNumImages; ++i) {
    const json result = json::parse(lines[i]);
    ASSERT_EQ(result.size(), 1u) << "top-k defaults to 1: " << lines[i];
    if (result[0]["label"] == kFashionLabels[image_labels_[i]]) ++correct;
  }
  EXPECT_GE(correct, kNumImages / 2) << r;
}

// ---- bad input ----------------------------------------------------------------------------------------

TEST_F(CliTest, MissingConfigFile) {
  const std::string missing = (tmp_root() / "no_such_config.yaml").string();
  const std::string message = bad_input({"train", missing});
  EXPECT_TRUE(contains(message, missing)) << message;
}

TEST_F(CliTest, MalformedYamlNamesFileAndLine) {
  const fs::path path = fresh_dir("malformed") / "bad.yaml";
  write_text(path, "model:\n  name: sample_net\ntrainer:\n  batch_size: [1, 2\n  seed: 3\n");
  const std::string message = bad_input({"train", path.string()});
  EXPECT_TRUE(std::regex_search(message, std::regex(std::regex_replace(path.string(), std::regex("[.]"), "\\.") +
                                                    ":[0-9]+")))
      << message;
}

TEST_F(CliTest, UnknownTrainerKeySuggestsTheRightOne) {
  const std::string path = config_variant("typo.yaml", "learning_rate: 0.002", "lerning_rate: 0.002");
  const std::vector<std::string> lines = lines_of(read_text(path));
  const size_t line = std::find_if(lines.begin(), lines.end(),
                                   [](const std::string& l) { return contains(l, "lerning_rate"); }) -
                      lines.begin() + 1;
  const std::string message = bad_input({"train", path});
  EXPECT_EQ(message, "unknown key 'lerning_rate' in trainer (" + path + ":" + std::to_string(line) +
                         "); did you mean 'learning_rate'?");
}

TEST_F(CliTest, WrongTypeInOverride) {
  const std::string message = bad_input({"train", config_, "--set", "trainer.batch_size=abc"});
  EXPECT_TRUE(contains(message, "trainer.batch_size")) << message;
  EXPECT_TRUE(contains(message, "abc")) << message;
  EXPECT_TRUE(contains(message, "integer")) << message;
}

TEST_F(CliTest, MalformedOverride) {
  const std::string message = bad_input({"train", config_, "--set", "trainer.batch_size"});
  EXPECT_TRUE(contains(message, "trainer.batch_size")) << message;
}

TEST_F(CliTest, UnknownModelListsValidNames) {
  const std::string message = bad_input({"train", config_, "--set", "model.name=resnet_nope"});
  EXPECT_TRUE(contains(message, "resnet_nope")) << message;
  EXPECT_TRUE(contains(message, "sample_net")) << message;
}

TEST_F(CliTest, MissingDatasetPath) {
  const std::string missing = (tmp_root() / "nowhere" / "fashion").string();
  const std::string message = bad_input({"train", config_, "--set", "dataset.path=" + missing});
  EXPECT_TRUE(contains(message, missing)) << message;
}

TEST_F(CliTest, DatasetFolderWithoutTheSplit) {
  const fs::path data = fresh_dir("empty_data");
  const std::string message =
      bad_input({"train", config_, "--set", "dataset.path=" + data.string(), "--set", "dataset.format=folder"});
  EXPECT_TRUE(contains(message, data.string())) << message;
}

TEST_F(CliTest, UnknownOptimizerListsValidOnes) {
  if (!have_data_) GTEST_SKIP() << "the optimizer is checked after the dataset is read";
  const std::string message = bad_input({"train", config_, "--set", "trainer.optimizer=adamx", "--set",
                                         "dataset.max_size=64"});
  EXPECT_TRUE(contains(message, "adamx")) << message;
  for (const char* name : {"adam", "adamw", "sgd"}) EXPECT_TRUE(contains(message, name)) << message;
}

TEST_F(CliTest, PredictOnCorruptImageNamesTheFile) {
  REQUIRE_MODEL();
  const fs::path image = fresh_dir("corrupt") / "x.png";
  write_text(image, "garbage bytes, not an image at all \x01\x02\x03");
  const std::string message = bad_input({"predict", out_dir_, image.string(), "--json"});
  EXPECT_TRUE(contains(message, "x.png")) << message;
  // A missing input file, too.
  const std::string missing = (image.parent_path() / "missing.png").string();
  EXPECT_TRUE(contains(bad_input({"predict", out_dir_, missing}), "missing.png"));
}

TEST_F(CliTest, PredictAndEvalOnADirectoryThatIsNotAModel) {
  const fs::path not_model = fresh_dir("not_model");
  write_text(not_model / "readme.txt", "hello");
  const std::string image = have_data_ && !image_paths_.empty() ? image_paths_[0] : (not_model / "x.png").string();
  const std::string predict = bad_input({"predict", not_model.string(), image});
  EXPECT_TRUE(contains(predict, not_model.string())) << predict;
  const std::string eval = bad_input({"eval", not_model.string(), "--dataset", dataset_yaml(10)});
  EXPECT_TRUE(contains(eval, not_model.string())) << eval;
  const std::string missing = bad_input({"eval", (not_model / "nope").string(), "--dataset", dataset_yaml(10)});
  EXPECT_TRUE(contains(missing, "nope")) << missing;
}

TEST_F(CliTest, TruncatedWeightsAreBadInput) {
  REQUIRE_MODEL();
  const fs::path copy = fresh_dir("truncated") / "model";
  fs::copy(out_dir_, copy, fs::copy_options::recursive);
  const fs::path weights = copy / "model.pt";
  fs::resize_file(weights, fs::file_size(weights) / 2);
  const std::string predict = bad_input({"predict", copy.string(), image_paths_[0]});
  EXPECT_TRUE(contains(predict, "model.pt")) << predict;
  const std::string eval = bad_input({"eval", copy.string(), "--dataset", dataset_yaml(10)});
  EXPECT_TRUE(contains(eval, "model.pt")) << eval;
}

TEST_F(CliTest, EvalWithBadDatasetArgument) {
  REQUIRE_MODEL();
  const std::string missing = (tmp_root() / "no_dataset_here").string();
  EXPECT_TRUE(contains(bad_input({"eval", out_dir_, "--dataset", missing}), missing));
  EXPECT_TRUE(contains(bad_input({"eval", out_dir_, "--dataset", dataset_yaml(10), "--metrics", "acuracy"}),
                       "acuracy"));
}

}  // namespace
