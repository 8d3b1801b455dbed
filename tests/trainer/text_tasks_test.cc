// The trainer on every text task model, end to end with the real binary and real data (Debian's
// python3-pattern corpora): BERT, RoBERTa and DistilBERT for text classification (Pang & Lee sentence
// polarity), sequence labeling (WSJ part-of-speech tags) and mask filling (masked-LM on the Pang & Lee
// texts), each trained from one YAML file with a WordPiece tokenizer trained on the training texts, then
// evaluated and run through predict; and exact resume of a masked-LM run (dynamic masking) after SIGKILL.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/torch_pickle.h"
#include "tests/testing/run_hezar.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_hezar;

const std::string kCorpora = "/usr/share/doc/python3-pattern/test/corpora/";
const std::string kPangLee = kCorpora + "polarity-en-pang&lee2.csv";
const std::string kWsj = kCorpora + "tagged-en-wsj.txt";

// The model section of a tiny model of `family` (hyper-parameter names differ between families).
std::string model_yaml(const std::string& family, const std::string& task) {
  std::string y = "model:\n  name: " + family + "_" + task + "\n";
  if (family == "distilbert")
    return y + "  dim: 32\n  n_layers: 1\n  n_heads: 2\n  hidden_dim: 64\n  max_position_embeddings: 80\n";
  return y + "  hidden_size: 32\n  num_hidden_layers: 1\n  num_attention_heads: 2\n  intermediate_size: 64\n" +
         "  max_position_embeddings: 80\n";
}

std::string dataset_yaml(const std::string& task) {
  if (task == "sequence_labeling")
    return "dataset:\n  name: sequence_labeling\n  path: " + kWsj +
           "\n  format: word_tag\n  eval_fraction: 0.2\n  max_size: 120\n  max_length: 64\n";
  return "dataset:\n  name: " + task + "\n  path: \"" + kPangLee +
         "\"\n  columns: [label, text]\n  eval_fraction: 0.2\n  max_size: 160\n  max_length: 64\n";
}

std::string job_yaml(const std::string& family, const std::string& task) {
  return model_yaml(family, task) + "preprocessor:\n  name: wordpiece_tokenizer\n  vocab_size: 600\n" +
         dataset_yaml(task) + "trainer:\n  output_dir: unused\n  task: " + task +
         "\n  num_epochs: 2\n  batch_size: 16\n  optimizer: adamw\n  learning_rate: 0.002\n  seed: 7\n";
}

class TextTasks : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  void SetUp() override {
    if (!fs::exists(kPangLee) || !fs::exists(kWsj)) GTEST_SKIP() << "python3-pattern's corpora are not installed";
  }
};

TEST_P(TextTasks, TrainsEvaluatesAndPredictsFromOneYaml) {
  const auto& [family, task] = GetParam();
  const fs::path dir = testing::scratch("text_" + family + "_" + task);
  testing::write_text(dir / "job.yaml", job_yaml(family, task));
  const std::string out = (dir / "out").string();
  auto trained = run_hezar({"train", (dir / "job.yaml").string(), "--output-dir", out});
  ASSERT_EQ(trained.code, 0) << trained;
  EXPECT_NE(trained.err.find("trained tokenizer 'wordpiece_tokenizer'"), std::string::npos) << trained;
  for (const char* file : {"model.pt", "model_config.yaml", "preprocessor/tokenizer.json", "preprocessor/tokenizer_config.yaml"})
    EXPECT_TRUE(fs::exists(fs::path(out) / file)) << file;

  auto evaluated = run_hezar({"eval", out, "--dataset", (dir / "job.yaml").string(), "--json"});
  ASSERT_EQ(evaluated.code, 0) << evaluated;
  const json metrics = json::parse(evaluated.out);
  EXPECT_TRUE(metrics.contains("loss"));
  EXPECT_TRUE(metrics.contains(task == "sequence_labeling" ? "f1" : "accuracy")) << metrics;

  const std::string input = task == "mask_filling" ? "the movie is [MASK] ." : "the movie is a pleasant surprise .";
  auto predicted = run_hezar({"predict", out, input, "--json", "--top-k", "2", "--return-scores", "--return-offsets"});
  ASSERT_EQ(predicted.code, 0) << predicted;
  const json result = json::parse(predicted.out);
  ASSERT_TRUE(result.is_array());
  // The layers' GEMMs run on oneDNN; ATen/OpenBLAS (HEZAR_GEMM=openblas) gives the same predictions.
  testing::RunOptions openblas;
  openblas.env = {"HEZAR_GEMM=openblas"};
  auto reference = run_hezar({"predict", out, input, "--json", "--top-k", "2", "--return-scores", "--return-offsets"},
                             openblas);
  ASSERT_EQ(reference.code, 0) << reference;
  const json result_openblas = json::parse(reference.out);
  ASSERT_EQ(result_openblas.size(), result.size()) << result_openblas;
  for (size_t i = 0; i < result.size(); ++i) {
    EXPECT_NEAR(result_openblas[i]["score"].get<double>(), result[i]["score"].get<double>(), 1e-4) << i;
    EXPECT_EQ(result_openblas[i].value("token", ""), result[i].value("token", "")) << i;
  }
  // The same model in bfloat16 gives the same shape and, on these confident predictions, the same top result.
  auto bf16 = run_hezar({"predict", out, input, "--json", "--top-k", "2", "--return-scores", "--return-offsets", "--bf16"});
  ASSERT_EQ(bf16.code, 0) << bf16;
  const json result_bf16 = json::parse(bf16.out);
  ASSERT_EQ(result_bf16.size(), result.size()) << result_bf16;
  EXPECT_NEAR(result_bf16[0]["score"].get<double>(), result[0]["score"].get<double>(), 0.05) << result_bf16;
  if (task == "text_classification") {
    // Inputs from files: txt lines, a JSONL field, a CSV column; one JSON line out per input.
    testing::write_text(dir / "in.txt", "a fine film .\n\nthe plot is dull .\n");
    testing::write_text(dir / "in.jsonl", "{\"review\": \"a fine film .\"}\n{\"review\": \"the plot is dull .\"}\n");
    testing::write_text(dir / "in.csv", "id,review\n1,a fine film .\n2,\"the plot, it is dull .\"\n");
    for (const auto& [file, field] : std::vector<std::pair<std::string, std::string>>{
             {"in.txt", "text"}, {"in.jsonl", "review"}, {"in.csv", "review"}}) {
      auto from_file = run_hezar({"predict", out, "--input-file", (dir / file).string(), "--field", field, "--json"});
      ASSERT_EQ(from_file.code, 0) << file << from_file;
      EXPECT_EQ(std::count(from_file.out.begin(), from_file.out.end(), '\n'), 2) << file << from_file;
    }
    auto bad_field = run_hezar({"predict", out, "--input-file", (dir / "in.jsonl").string(), "--field", "reviw"});
    EXPECT_EQ(bad_field.code, 2) << bad_field;
    EXPECT_NE(bad_field.err.find("in.jsonl:1"), std::string::npos) << bad_field;
    EXPECT_NE(bad_field.err.find("did you mean 'review'"), std::string::npos) << bad_field;
    ASSERT_EQ(result.size(), 2u);  // top 2 of the labels "-1" and "1"
    EXPECT_TRUE(result[0]["label"] == "-1" || result[0]["label"] == "1") << result;
  } else if (task == "sequence_labeling") {
    // One tag per token (sub-words too, as Hezar), no special tokens, scores and code-point offsets.
    ASSERT_GE(result.size(), 7u) << result;
    EXPECT_EQ(result[0]["token"], "the");
    EXPECT_EQ(result[0]["start"], 0);
    EXPECT_EQ(result[0]["end"], 3);
    for (const auto& item : result) {
      EXPECT_NE(item["token"], "[CLS]");
      EXPECT_NE(item["token"], "[SEP]");
      EXPECT_GT(item["score"].get<double>(), 0.0);
    }
    EXPECT_EQ(result.back()["token"], ".");
  } else {
    ASSERT_EQ(result.size(), 2u) << result;
    EXPECT_TRUE(result[0].contains("token_id") && result[0].contains("sequence")) << result;
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, TextTasks,
                         ::testing::Combine(::testing::Values("bert", "roberta", "distilbert"),
                                            ::testing::Values("text_classification", "sequence_labeling",
                                                              "mask_filling")),
                         [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

TEST(TextTaskErrors, DataOfAnotherTaskIsAClearError) {
  if (!fs::exists(kWsj)) GTEST_SKIP() << "python3-pattern's corpora are not installed";
  const fs::path dir = testing::scratch("text_wrong_task");
  testing::write_text(dir / "job.yaml", model_yaml("bert", "text_classification") +
                                            "  id2label: {0: a, 1: b}\npreprocessor:\n  name: wordpiece_tokenizer\n" +
                                            "  vocab_size: 300\n" + dataset_yaml("sequence_labeling") +
                                            "trainer:\n  output_dir: unused\n  num_epochs: 1\n");
  const std::string out = (dir / "out").string();
  auto result = run_hezar({"train", (dir / "job.yaml").string(), "--output-dir", out});
  EXPECT_EQ(result.code, 2) << result;
  EXPECT_NE(result.err.find("dataset 'sequence_labeling' is sequence_labeling data but model "
                            "'bert_text_classification' solves text_classification"),
            std::string::npos)
      << result;
  EXPECT_FALSE(fs::exists(out + "/model.pt"));
}

// Dynamic masking depends on (seed, epoch, example); a masked-LM run killed at a random moment and
// resumed ends bit-identical to an uninterrupted one.
TEST(TextTaskResume, MaskFillingAfterSigkillEndsBitIdentical) {
  if (!fs::exists(kPangLee)) GTEST_SKIP() << "python3-pattern's corpora are not installed";
  const fs::path dir = testing::scratch("text_resume");
  testing::write_text(dir / "job.yaml", job_yaml("bert", "mask_filling"));
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"-q", "train", (dir / "job.yaml").string(), "--output-dir", out,
                                    "--set", "trainer.save_steps=3", "--set", "trainer.num_epochs=3",
                                    "--set", "trainer.num_dataloader_workers=1"};
  };
  const std::string reference = (dir / "reference").string(), killed = (dir / "killed").string();
  auto ref = run_hezar(args(reference));
  ASSERT_EQ(ref.code, 0) << ref;

  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", testing::hezar_command(args(killed), dir / "killed_io").c_str(), nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(killed + "/checkpoints/trainer_state.yaml") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const unsigned seed = std::random_device{}();
  std::this_thread::sleep_for(std::chrono::milliseconds(std::mt19937(seed)() % 300));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it was killed (seed " << seed << ")";

  auto resume_args = args(killed);
  resume_args.push_back("--resume");
  auto resumed = run_hezar(resume_args);
  ASSERT_EQ(resumed.code, 0) << resumed << " (kill seed " << seed << ")";
  TensorDict x = torch_load(reference + "/model.pt"), y = torch_load(killed + "/model.pt");
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_TRUE(at::equal(x[i].second, y[i].second)) << x[i].first << " differs (kill seed " << seed << ")";
}

}  // namespace
}  // namespace hezar
