// Exact resume, end to end with the real binary: a run killed with SIGKILL at a random moment, or
// stopped with SIGTERM, and resumed, ends with weights bit-identical to an uninterrupted run; a
// checkpoint that does not fit is refused with a message saying what differs.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "core/torch_pickle.h"
#include "tests/testing/run_hezar.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;
using testing::run_hezar;

const char* kConfig = "configs/image_classification/sample_net_fashion_mnist.yaml";

// Small and quick, but with every stateful feature on: warmup + cosine schedule stepped per optimizer
// step, gradient accumulation, clipping, mid-epoch checkpoints and two epochs.
std::vector<std::string> train_args(const std::string& out) {
  return {"-q", "train", testing::runfile(kConfig), "--output-dir", out,
          "--set", "dataset.max_size=3000", "--set", "trainer.num_epochs=2", "--set", "trainer.batch_size=32",
          "--set", "trainer.gradient_accumulation_steps=2", "--set", "trainer.save_steps=9",
          "--set", "trainer.lr_scheduler=cosine", "--set", "trainer.lr_scheduler_kwargs.warmup_steps=5",
          "--set", "trainer.lr_scheduling_steps=1", "--set", "trainer.max_grad_norm=1.0",
          "--set", "trainer.num_dataloader_workers=1"};
}

void expect_same_weights(const std::string& a, const std::string& b) {
  TensorDict x = torch_load(a + "/model.pt"), y = torch_load(b + "/model.pt");
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].first, y[i].first);
    EXPECT_TRUE(at::equal(x[i].second, y[i].second)) << x[i].first << " differs";
  }
}

bool has_temp_files(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp.") != std::string::npos) return true;
  return false;
}

class Resume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) return;
    reference_ = testing::scratch("reference").string();
    reference_run_ = run_hezar(train_args(reference_));
  }
  void SetUp() override {
    if (reference_.empty()) GTEST_SKIP() << "Fashion-MNIST (dataset-fashion-mnist) is not installed";
    ASSERT_EQ(reference_run_.code, 0) << reference_run_;
  }
  // Starts training in the background, lets it run until the first checkpoint exists plus a random
  // delay, and sends `signal`; returns the child's exit status.
  static int interrupt(const std::string& out, int signal, unsigned seed) {
    const auto io = testing::scratch("interrupted_io") / "run";
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", testing::hezar_command(train_args(out), io).c_str(), nullptr);
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!fs::exists(out + "/checkpoints/trainer_state.yaml") && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::mt19937 rng(seed);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    kill(pid, signal);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  }
  static std::string reference_;
  static testing::Result reference_run_;
};
std::string Resume::reference_;
testing::Result Resume::reference_run_;

TEST_F(Resume, AfterSigkillAtARandomMomentEndsBitIdentical) {
  const std::string out = testing::scratch("killed").string();
  const unsigned seed = std::random_device{}();
  const int status = interrupt(out, SIGKILL, seed);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it was killed (seed " << seed << ")";
  EXPECT_FALSE(fs::exists(out + "/model.pt"));
  auto args = train_args(out);
  args.push_back("--resume");
  auto resumed = run_hezar(args);
  ASSERT_EQ(resumed.code, 0) << resumed << " (kill seed " << seed << ")";
  expect_same_weights(reference_, out);
  EXPECT_FALSE(has_temp_files(out));
}

TEST_F(Resume, SigtermSavesACheckpointAndStops) {
  const std::string out = testing::scratch("terminated").string();
  const int status = interrupt(out, SIGTERM, 7);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_FALSE(has_temp_files(out));
  auto args = train_args(out);
  args.push_back("--resume");
  auto resumed = run_hezar(args);
  ASSERT_EQ(resumed.code, 0) << resumed;
  expect_same_weights(reference_, out);
}

TEST_F(Resume, IntoAnotherOutputDirFromACheckpointPath) {
  const std::string out = testing::scratch("elsewhere").string();
  // The reference run's first mid-epoch checkpoint (step 9 of 94, zero-padded to 2 digits: "09").
  auto args = train_args(out);
  args.insert(args.end(), {"--resume-from", reference_ + "/checkpoints/09"});
  auto resumed = run_hezar(args);
  ASSERT_EQ(resumed.code, 0) << resumed;
  expect_same_weights(reference_, out);
  EXPECT_TRUE(fs::exists(reference_ + "/checkpoints/09/model.pt"));  // the source is left alone
}

TEST_F(Resume, RefusesACheckpointOfAnotherConfig) {
  auto args = train_args(testing::scratch("mismatch").string());
  args.insert(args.end(), {"--resume-from", reference_ + "/checkpoints/09", "--set", "trainer.batch_size=16"});
  auto result = run_hezar(args);
  EXPECT_EQ(result.code, 2) << result;
  EXPECT_NE(result.err.find("batch_size: 32 -> 16"), std::string::npos) << result;
  args = train_args(testing::scratch("mismatch_model").string());
  args.insert(args.end(), {"--resume-from", reference_ + "/checkpoints/09", "--set", "model.input_shape=[32, 32]"});
  result = run_hezar(args);
  EXPECT_EQ(result.code, 2) << result;
  EXPECT_NE(result.err.find("different model config"), std::string::npos) << result;
}

TEST_F(Resume, WithoutTrainerStateIsAClearError) {
  auto args = train_args(testing::scratch("nothing").string());
  args.push_back("--resume");
  auto result = run_hezar(args);
  EXPECT_EQ(result.code, 2) << result;
  EXPECT_NE(result.err.find("no trainer state"), std::string::npos) << result;
}

}  // namespace
}  // namespace hezar
