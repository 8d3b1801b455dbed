// Distributed data parallel training end to end, with the real binary on 127.0.0.1: 2 processes x batch
// B train like 1 process x batch 2B on the same data order (uneven last batch, a rank left without
// examples, gradient accumulation, clipping and a per-step schedule included); evaluation metrics match;
// only rank 0 writes; a 2-process run resumes bit-identically; torchrun's environment works; a port in
// use and a rank that dies are clear, bounded failures.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/torch_pickle.h"
#include "tests/testing/run_hezar.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;
using testing::run_hezar;

const char* kConfig = "configs/image_classification/sample_net_fashion_mnist.yaml";

// 2049 training examples: 32 global batches of 64 and a last one of 1, which rank 1 gets no part of.
// 3 accumulation steps leave a short last optimizer step too.
std::vector<std::string> train_args(const std::string& out, int batch_size) {
  return {"-q", "train", testing::runfile(kConfig), "--output-dir", out,
          "--set", "dataset.max_size=2049", "--set", "trainer.num_epochs=2",
          "--set", "trainer.batch_size=" + std::to_string(batch_size), "--set", "trainer.eval_batch_size=99",
          "--set", "trainer.gradient_accumulation_steps=3", "--set", "trainer.save_steps=4",
          "--set", "trainer.lr_scheduler=cosine", "--set", "trainer.lr_scheduling_steps=1",
          "--set", "trainer.max_grad_norm=1.0", "--set", "trainer.num_dataloader_workers=0"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Largest absolute difference between two model.pt files with the same keys.
double max_difference(const std::string& a, const std::string& b) {
  TensorDict x = torch_load(a + "/model.pt"), y = torch_load(b + "/model.pt");
  EXPECT_EQ(x.size(), y.size());
  double worst = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    EXPECT_EQ(x[i].first, y[i].first);
    worst = std::max(worst, (x[i].second - y[i].second).abs().max().item<double>());
  }
  return worst;
}

std::vector<fs::path> files_named(const fs::path& dir, const std::string& part) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().filename().string().find(part) != std::string::npos) found.push_back(entry.path());
  return found;
}

std::vector<std::vector<double>> csv_numbers(const fs::path& path) {
  std::istringstream in(testing::read_text(path));
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) row.push_back(cell.empty() ? NAN : std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

fs::path training_log(const std::string& out) {
  auto logs = files_named(out + "/logs", "training_logs.csv");
  return logs.size() == 1 ? logs[0] : fs::path();
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

class Distributed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) return;
    one_ = testing::scratch("one_process").string();
    two_ = testing::scratch("two_processes").string();
    one_run_ = run_hezar(train_args(one_, 64));
    two_run_ = run_hezar(with(train_args(two_, 32), {"--nproc-per-node", "2"}));
  }
  void SetUp() override {
    if (one_.empty()) GTEST_SKIP() << "Fashion-MNIST (dataset-fashion-mnist) is not installed";
    ASSERT_EQ(one_run_.code, 0) << one_run_;
    ASSERT_EQ(two_run_.code, 0) << two_run_;
  }
  static std::string one_, two_;
  static testing::Result one_run_, two_run_;
};
std::string Distributed::one_, Distributed::two_;
testing::Result Distributed::one_run_, Distributed::two_run_;

TEST_F(Distributed, TwoProcessesOfBatchBTrainLikeOneOfBatch2B) {
  EXPECT_LT(max_difference(one_, two_), 1e-5);
}

TEST_F(Distributed, EvaluationAndLossMatchTheOneProcessRun) {
  const auto one = csv_numbers(training_log(one_)), two = csv_numbers(training_log(two_));
  ASSERT_EQ(one.size(), 2u);  // one evaluation per epoch
  ASSERT_EQ(one.size(), two.size());
  for (size_t r = 0; r < one.size(); ++r) {
    ASSERT_EQ(one[r].size(), two[r].size());
    EXPECT_EQ(one[r][0], two[r][0]);  // step
    // train.loss, train.lr, evaluation.loss, accuracy, f1: accuracy moves in steps of 1e-4 on this set.
    for (size_t c = 1; c < one[r].size(); ++c) EXPECT_NEAR(one[r][c], two[r][c], 1e-5) << "row " << r << " column " << c;
  }
}

TEST_F(Distributed, OnlyRankZeroWrites) {
  EXPECT_EQ(files_named(two_ + "/logs", "training_logs.csv").size(), 1u);
  EXPECT_EQ(files_named(two_ + "/logs", "tfevents").size(), 1u);
  EXPECT_EQ(files_named(two_, "trainer_state.yaml").size(), files_named(one_, "trainer_state.yaml").size());
  EXPECT_EQ(two_run_.out, two_ + "\n");  // the output folder, printed once
  EXPECT_TRUE(fs::exists(two_ + "/model.pt"));
  EXPECT_TRUE(files_named(two_, ".tmp.").empty());
}

TEST_F(Distributed, ResumedMidEpochEndsBitIdentical) {
  const std::string out = testing::scratch("resumed").string();
  // Step 4 of 22: inside epoch 1 and an accumulated step boundary.
  auto resumed = run_hezar(with(train_args(out, 32), {"--nproc-per-node", "2", "--resume-from", two_ + "/checkpoints/04"}));
  ASSERT_EQ(resumed.code, 0) << resumed;
  EXPECT_EQ(max_difference(two_, out), 0.0);
}

TEST_F(Distributed, RefusesToResumeWithAnotherProcessCount) {
  // The data order of a step depends on the global batch, so the process count is part of a checkpoint.
  auto result = run_hezar(with(train_args(testing::scratch("other_count").string(), 32),
                               {"--resume-from", two_ + "/checkpoints/04"}));
  EXPECT_EQ(result.code, 2) << result;
  EXPECT_NE(result.err.find("was made by 2 processes (global batch 64), not 1; resume it with --nproc-per-node 2"),
            std::string::npos) << result;
  result = run_hezar(with(train_args(testing::scratch("other_count2").string(), 32),
                          {"--nproc-per-node", "2", "--resume-from", one_ + "/checkpoints/04"}));
  EXPECT_NE(result.code, 0) << result;
  EXPECT_NE(result.err.find("was made by 1 process (global batch 32), not 2; resume it with no --nproc-per-node"),
            std::string::npos) << result;
}

TEST_F(Distributed, TorchrunEnvironment) {
  const std::string out = testing::scratch("torchrun").string();
  const auto io = testing::scratch("torchrun_io");
  const std::string env = "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(free_port()) + " WORLD_SIZE=2";
  const std::string rank0 = testing::hezar_command(train_args(out, 32), io / "rank0");
  const std::string rank1 = testing::hezar_command(train_args(out, 32), io / "rank1");
  const std::string command = "export " + env + "; RANK=0 LOCAL_RANK=0 " + rank0.substr(5) + " & p0=$!; RANK=1 LOCAL_RANK=1 " +
                              rank1.substr(5) + " & p1=$!; wait $p0; a=$?; wait $p1; b=$?; [ $a = 0 ] && [ $b = 0 ]";
  const int status = std::system(("sh -c " + testing::shell_quote(command)).c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << status << "\n" << testing::read_text(io / "rank0.err") << testing::read_text(io / "rank1.err");
  EXPECT_EQ(max_difference(two_, out), 0.0);
  EXPECT_EQ(testing::read_text(io / "rank1.out"), "");  // results come from rank 0 only
}

TEST(DistributedFailures, PortInUseIsOneClearLineAndTouchesNothing) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string port = std::to_string(ntohs(address.sin_port));
  const auto out = testing::scratch("port_in_use");
  std::ofstream(out / "keep.txt") << "mine";
  auto result = run_hezar(with(train_args(out.string(), 32), {"--nproc-per-node", "2", "--master-port", port}));
  close(fd);
  EXPECT_EQ(result.code, 2) << result;
  EXPECT_NE(result.err.find("port " + port + " on 127.0.0.1 is already in use"), std::string::npos) << result;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result;
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 1);
  EXPECT_EQ(testing::read_text(out / "keep.txt"), "mine");
}

TEST(DistributedFailures, ARankKilledStopsTheRunNamingIt) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) GTEST_SKIP();
  const std::string out = testing::scratch("killed_rank").string();
  const auto io = testing::scratch("killed_rank_io") / "run";
  auto args = train_args(out, 16);
  args[6] = "dataset.max_size=30000";  // long enough to be killed mid-training
  args = with(args, {"--nproc-per-node", "2"});
  const pid_t launcher = fork();
  if (launcher == 0) {
    execl("/bin/sh", "sh", "-c", testing::hezar_command(args, io).c_str(), nullptr);
    _exit(127);
  }
  // Rank 1 is the child whose environment says RANK=1; kill it once training has started.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  pid_t rank1 = -1;
  while (rank1 < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!fs::exists(out + "/logs")) continue;
    std::istringstream children(testing::read_text("/proc/" + std::to_string(launcher) + "/task/" +
                                                   std::to_string(launcher) + "/children"));
    for (pid_t child; children >> child;) {
      std::string env = testing::read_text("/proc/" + std::to_string(child) + "/environ");
      if ((std::string(1, '\0') + env).find(std::string("\0RANK=1\0", 8)) != std::string::npos) rank1 = child;
    }
  }
  ASSERT_GT(rank1, 0) << "rank 1 never started: " << testing::read_text(io.string() + ".err");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(rank1, SIGKILL);
  int status = 0;
  while (waitpid(launcher, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline + std::chrono::seconds(30)) {
      kill(launcher, SIGKILL);
      waitpid(launcher, &status, 0);
      FAIL() << "the launcher hung after rank 1 was killed";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string err = testing::read_text(io.string() + ".err");
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_NE(WEXITSTATUS(status), 0) << err;
  EXPECT_NE(err.find("rank 1 was killed by signal 9"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(out + "/model.pt"));
}

}  // namespace
}  // namespace hezar
