// Trainer options end to end with the real binary: gradient accumulation equals a larger batch, bf16
// autocast trains, checkpoint rotation keeps the best and newest, the best model is loaded at the end,
// early stopping stops, TensorBoard events are written, and bad options are one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "core/torch_pickle.h"
#include "tests/testing/run_hezar.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;
using testing::run_hezar;

std::vector<std::string> train_args(const std::string& out, std::vector<std::string> extra) {
  std::vector<std::string> args = {"-q", "train", testing::runfile("configs/image_classification/sample_net_fashion_mnist.yaml"),
                                   "--output-dir", out, "--set", "dataset.max_size=1920", "--set", "trainer.num_epochs=1",
                                   "--set", "trainer.num_dataloader_workers=0"};
  for (const auto& e : extra) args.insert(args.end(), {"--set", e});
  return args;
}

std::vector<std::string> csv_rows(const std::string& out) {
  for (const auto& entry : fs::directory_iterator(out + "/logs")) {
    std::vector<std::string> rows;
    std::istringstream in(testing::read_text(entry.path() / "training_logs.csv"));
    for (std::string line; std::getline(in, line);) rows.push_back(line);
    return rows;
  }
  return {};
}

std::set<std::string> checkpoint_names(const std::string& out) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(out + "/checkpoints"))
    if (entry.is_directory()) names.insert(entry.path().filename().string());
  return names;
}

class TrainerFeatures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
      GTEST_SKIP() << "Fashion-MNIST (dataset-fashion-mnist) is not installed";
  }
};

TEST_F(TrainerFeatures, GradientAccumulationEqualsTheLargerBatch) {
  const std::string a = testing::scratch("accumulated").string(), b = testing::scratch("large_batch").string();
  auto ra = run_hezar(train_args(a, {"trainer.batch_size=32", "trainer.gradient_accumulation_steps=2"}));
  auto rb = run_hezar(train_args(b, {"trainer.batch_size=64"}));
  ASSERT_EQ(ra.code, 0) << ra;
  ASSERT_EQ(rb.code, 0) << rb;
  TensorDict x = torch_load(a + "/model.pt"), y = torch_load(b + "/model.pt");
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_TRUE(at::allclose(x[i].second, y[i].second, 1e-4, 1e-5)) << x[i].first;
}

TEST_F(TrainerFeatures, Bf16AutocastTrains) {
  const std::string out = testing::scratch("bf16").string();
  auto r = run_hezar(train_args(out, {"trainer.mixed_precision=bf16", "trainer.num_epochs=2", "trainer.learning_rate=0.003"}));
  ASSERT_EQ(r.code, 0) << r;
  auto rows = csv_rows(out);
  ASSERT_EQ(rows.size(), 3u);  // header + one row per epoch
  std::smatch m;
  ASSERT_TRUE(std::regex_search(rows[2], m, std::regex(R"(,([0-9.]+),[0-9.]+$)")));  // ...,accuracy,f1
  EXPECT_GT(std::stod(m[1]), 0.6) << rows[2];
}

TEST_F(TrainerFeatures, RotationKeepsBestAndNewestAndBestModelIsLoaded) {
  const std::string out = testing::scratch("rotation").string();
  auto r = run_hezar(train_args(out, {"trainer.num_epochs=4", "trainer.save_total_limit=2",
                                      "trainer.load_best_model_at_end=true", "trainer.metric_for_best_model=accuracy"}));
  ASSERT_EQ(r.code, 0) << r;
  auto names = checkpoint_names(out);
  ASSERT_LE(names.size(), 2u);
  EXPECT_TRUE(names.count("120")) << "the newest checkpoint (step 120 of 120) must be kept";
  const std::string state = testing::read_text(out + "/checkpoints/trainer_state.yaml");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(state, m, std::regex(R"(best_checkpoint: (\d+))"))) << state;
  std::string best = m[1];
  best = std::string(3 - best.size(), '0') + best;
  ASSERT_TRUE(names.count(best)) << "best checkpoint " << best << " was deleted";
  TensorDict final_weights = torch_load(out + "/model.pt"), best_weights = torch_load(out + "/checkpoints/" + best + "/model.pt");
  for (size_t i = 0; i < final_weights.size(); ++i)
    EXPECT_TRUE(at::equal(final_weights[i].second, best_weights[i].second)) << final_weights[i].first;
}

TEST_F(TrainerFeatures, EarlyStoppingStopsWhenNothingImproves) {
  const std::string out = testing::scratch("early").string();
  // A learning rate this small leaves accuracy unchanged, so the second evaluation does not improve.
  auto r = run_hezar(train_args(out, {"trainer.num_epochs=5", "trainer.learning_rate=1e-12",
                                      "trainer.early_stopping_patience=1", "trainer.metric_for_best_model=accuracy"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(csv_rows(out).size(), 3u);  // header + epochs 1 and 2, then it stopped
}

TEST_F(TrainerFeatures, TensorBoardEventsAreWritten) {
  const std::string out = testing::scratch("tensorboard").string();
  auto r = run_hezar(train_args(out, {"trainer.log_steps=10"}));
  ASSERT_EQ(r.code, 0) << r;
  bool found = false;
  for (const auto& run : fs::directory_iterator(out + "/logs"))
    for (const auto& file : fs::directory_iterator(run.path()))
      if (file.path().filename().string().rfind("events.out.tfevents.", 0) == 0) {
        const std::string bytes = testing::read_text(file.path());
        found = bytes.find("train.loss") != std::string::npos && bytes.find("evaluation.accuracy") != std::string::npos;
      }
  EXPECT_TRUE(found);
}

// Hezar's TrainerConfig fields that do nothing on a CPU build load without error; save_enabled: false
// drops the epoch-end checkpoints as in Hezar.
TEST_F(TrainerFeatures, HezarOnlyFieldsLoadAndSaveEnabledDropsEpochCheckpoints) {
  const std::string out = testing::scratch("hezar_fields").string();
  auto r = run_hezar(train_args(out, {"trainer.device=cuda", "trainer.use_cpu=true", "trainer.evaluate_with_generate=true",
                                      "trainer.save_freq=deprecated", "trainer.save_enabled=false"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::exists(out + "/model.pt"));
  EXPECT_FALSE(fs::exists(out + "/checkpoints/trainer_state.yaml"));
  const std::string bad = testing::scratch("hezar_fields_bad").string();
  r = run_hezar(train_args(bad, {"trainer.save_enabled=false", "trainer.load_best_model_at_end=true"}));
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_NE(r.err.find("load_best_model_at_end needs the epoch checkpoints"), std::string::npos) << r;
}

TEST_F(TrainerFeatures, BadOptionsAreOneLineErrors) {
  struct Case {
    std::string set, expected;
  };
  for (const auto& c : std::vector<Case>{
           {"trainer.lr_scheduler=cosin", "did you mean 'cosine'"},
           {"trainer.lr_scheduler_kwargs.warmup_step=3", "did you mean 'warmup_steps'"},
           {"trainer.mixed_precision=fp16", "needs a GPU build"},
           {"trainer.optimizer=adamm", "valid: adam, adamw, sgd"},
           {"trainer.gradient_accumulation_steps=0", "gradient_accumulation_steps must be >= 1"},
           {"trainer.metric_for_best_model=f2", "did you mean 'f1'"}}) {
    const std::string out = testing::scratch("bad").string() + "/out";
    auto r = run_hezar(train_args(out, {c.set}));
    EXPECT_EQ(r.code, 2) << c.set << r;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.set << r;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.set << r;
    EXPECT_FALSE(fs::exists(out + "/model.pt")) << c.set;
  }
}

}  // namespace
}  // namespace hezar
