// BERT-base forward benchmark (random weights, fp32): `bert_bench save DIR` writes a bert_text_classification
// model with Hezar's default BERT-base config in Hezar's layout (model.safetensors); `bert_bench load DIR`
// loads it and prints the process's peak RSS; `bert_bench run DIR THREADS [LATENCY_REPS BATCH_REPS]` prints latency at batch 1 x 128
// and throughput at batch 32 x 128. Output: one `key value` per line. Driven by bench/bert.sh.
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <vector>

#include "models/bert/bert.h"
#include "models/model.h"

namespace {

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

hezar::TensorMap batch(int64_t size, int64_t length) {
  at::manual_seed(0);
  return {{"token_ids", at::randint(5, 30000, {size, length}, at::kLong)},
          {"attention_mask", at::ones({size, length}, at::kLong)},
          {"token_type_ids", at::zeros({size, length}, at::kLong)}};
}

// Median wall time (ms) of `reps` forwards after `warmup`.
double time_forward(hezar::Model& model, const hezar::TensorMap& inputs, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) model.forward(inputs);
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    double start = now_ms();
    model.forward(inputs);
    times.push_back(now_ms() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bert_bench save|load|run DIR [THREADS]\n";
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  try {
    if (mode == "save") {
      hezar::BertTextClassificationConfig config;  // Hezar's defaults: BERT-base, vocab 42000
      config.id2label = {{0, "negative"}, {1, "positive"}};
      hezar::model_build(config)->save(dir, "model.safetensors");
      std::cout << "weights_bytes " << std::filesystem::file_size(dir + "/model.safetensors") << "\n";
      return 0;
    }
    if (argc > 3) at::set_num_threads(std::stoi(argv[3]));
    double start = now_ms();
    auto model = hezar::model_load(dir);
    std::cout << "load_ms " << now_ms() - start << "\n";
    std::cout << "load_peak_rss_mb " << peak_rss_mb() << "\n";
    if (mode == "load") return 0;
    c10::InferenceMode guard;
    model->eval();
    std::cout << "threads " << at::get_num_threads() << "\n";
    const int latency_reps = argc > 4 ? std::stoi(argv[4]) : 30, batch_reps = argc > 5 ? std::stoi(argv[5]) : 5;
    const double latency = time_forward(*model, batch(1, 128), 3, latency_reps);
    std::cout << "latency_b1_s128_ms " << latency << "\n";
    const double big = time_forward(*model, batch(32, 128), 1, batch_reps);
    std::cout << "throughput_b32_s128_seq_per_s " << 32 * 1000.0 / big << "\n";
    std::cout << "run_peak_rss_mb " << peak_rss_mb() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
