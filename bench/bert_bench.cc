// BERT-base text classification benchmark, end to end (tokenize -> forward -> logits), random weights.
//   bert_bench save DIR VOCAB_TXT    a bert_text_classification with Hezar's default BERT-base config and a
//                                    WordPiece tokenizer built from VOCAB_TXT, in Hezar's layout
//                                    (model.safetensors + preprocessor/tokenizer.json); prints weights_bytes
//   bert_bench load DIR THREADS      loads it and prints the process's peak RSS
//   bert_bench run DIR THREADS TEXTS [LATENCY_REPS BATCH_REPS [fp32|bf16]]
//                                    latency of text 1 (batch 1) and throughput of texts 1..32 (batch 32),
//                                    each padded/truncated to 128 tokens, plus the logits of both batches
// Repetitions count only while other processes leave the CPUs alone (see timed()). BERT_BENCH_OVERRIDE=key=value
// loads the model with that config override (bench/bert.sh: output_hidden_states=true).
// Output: one `key value...` per line. Driven by bench/bert.sh; the peers are bench/bert_peer.py
// (PyTorch eager) and bench/bert_ort.js (ONNX Runtime), which print the same keys.
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <vector>

#include "core/blas_policy.h"
#include "core/memory_policy.h"
#include "models/bert/bert.h"
#include "models/model.h"
#include "preprocessors/text_tokenizer.h"

namespace {

constexpr int kLength = 128, kBatch = 32;

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The machine's busy and total CPU seconds so far (/proc/stat, all CPUs) and this process's CPU seconds.
struct CpuSample {
  double busy = 0, total = 0, own = 0;
};

CpuSample cpu_sample() {
  CpuSample s;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (int i = 0; i < 8; ++i) {
    double ticks = 0;
    stat >> ticks;
    s.total += ticks / hz;
    if (i != 3 && i != 4) s.busy += ticks / hz;  // idle and iowait
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  s.own = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  return s;
}

// Percent of the machine's CPU time that other processes used between `a` and `b`.
double foreign_percent(const CpuSample& a, const CpuSample& b) {
  return 100.0 * std::max(0.0, (b.busy - a.busy) - (b.own - a.own)) / std::max(b.total - a.total, 1e-9);
}

// Times `fn` after `warmup` calls until `reps` repetitions ran while other processes used at most
// kMaxForeign percent of the CPUs (at most 4 x reps attempts: the machine is shared). Prints
// `KEY median_ms clean K of N`: the median of the clean repetitions, or of all when none was clean.
double timed(const std::string& key, int warmup, int reps, const std::function<void()>& fn) {
  constexpr double kMaxForeign = 10;
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> clean, all;
  for (int i = 0; i < 4 * reps && static_cast<int>(clean.size()) < reps; ++i) {
    const CpuSample before = cpu_sample();
    const double start = now_ms();
    fn();
    const double ms = now_ms() - start;
    all.push_back(ms);
    if (foreign_percent(before, cpu_sample()) <= kMaxForeign) clean.push_back(ms);
  }
  std::vector<double>& use = clean.empty() ? all : clean;
  std::sort(use.begin(), use.end());
  const double median = use[use.size() / 2];
  std::cout << key << ' ' << median << " clean " << clean.size() << " of " << all.size() << "\n";
  return median;
}

std::vector<std::string> read_lines(const std::string& path, size_t count) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; lines.size() < count && std::getline(in, line);) lines.push_back(line);
  if (lines.size() < count) throw std::runtime_error(path + ": needs " + std::to_string(count) + " lines of text");
  return lines;
}

void print_row(const std::string& key, const at::Tensor& values) {
  at::Tensor flat = values.to(at::kFloat).contiguous().flatten();
  std::cout << key;
  for (int64_t i = 0; i < flat.numel(); ++i) std::cout << ' ' << flat[i].item<float>();
  std::cout << "\n";
}

int save(const std::string& dir, const std::string& vocab) {
  hezar::BertTextClassificationConfig config;  // Hezar's defaults: BERT-base, vocab 42000
  config.id2label = {{0, "negative"}, {1, "positive"}};
  auto model = hezar::model_build(config);
  model->preprocessors().add(std::make_shared<hezar::TextTokenizer>(hezar::WordPieceTokenizerConfig(),
                                                                     hezar::load_any_tokenizer(vocab)));
  model->save(dir, "model.safetensors");
  std::cout << "weights_bytes " << std::filesystem::file_size(dir + "/model.safetensors") << "\n";
  return 0;
}

// Truncated and padded to 128 tokens, tokenized on `threads` threads.
hezar::TokenizeOptions fixed_length(int threads) {
  hezar::TokenizeOptions opts;
  opts.padding = "max_length";
  opts.truncation = true;
  opts.max_length = kLength;
  opts.threads = static_cast<size_t>(threads);
  return opts;
}

// Tokenize (the model's own tokenizer) -> forward -> logits: what a caller of the library does per request.
at::Tensor classify(hezar::Model& model, const hezar::TextTokenizer& tok, const std::vector<std::string>& texts,
                    const hezar::TokenizeOptions& opts) {
  return model.forward(tok(texts, opts)).at("logits");
}

int run(hezar::Model& model, int threads, const std::string& texts_path, int latency_reps, int batch_reps,
        const std::string& dtype) {
  c10::InferenceMode guard;
  model.eval();
  if (dtype == "bf16") model.to(at::kBFloat16);
  const auto& tok = *model.preprocessors().get<hezar::TextTokenizer>("tokenizer", "bert_bench");
  const std::vector<std::string> texts = read_lines(texts_path, kBatch);
  const std::vector<std::string> one(texts.begin(), texts.begin() + 1);
  std::cout << "threads " << at::get_num_threads() << "\ndtype " << dtype << "\n";
  const hezar::TokenizeOptions opts = fixed_length(threads);
  timed("tokenize_b1_ms", 3, latency_reps, [&] { tok(one, opts); });
  timed("tokenize_b32_ms", 1, batch_reps, [&] { tok(texts, opts); });
  std::cout << "padding_tokens_b32 " << (kBatch * kLength - tok(texts, opts).at("attention_mask").sum().item<int64_t>())
            << "\n";
  timed("latency_b1_s128_ms", 3, latency_reps, [&] { classify(model, tok, one, opts); });
  const double big = timed("batch_b32_s128_ms", 1, batch_reps, [&] { classify(model, tok, texts, opts); });
  std::cout << "throughput_b32_s128_seq_per_s " << kBatch * 1000.0 / big << "\n";
  print_row("logits_b1", classify(model, tok, one, opts));
  print_row("logits_b32", classify(model, tok, texts, opts));
  std::cout << "run_peak_rss_mb " << peak_rss_mb() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: bert_bench save DIR VOCAB_TXT | load DIR THREADS | run DIR THREADS TEXTS [LAT_REPS "
                 "BATCH_REPS [fp32|bf16]]\n";
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  hezar::blas_policy_apply();    // as the hezar executable does at startup
  hezar::memory_policy_apply();
  try {
    if (mode == "save") return save(dir, argv[3]);
    const int threads = std::stoi(argv[3]);
    at::set_num_threads(threads);
    const double start = now_ms();
    const char* override_env = std::getenv("BERT_BENCH_OVERRIDE");
    std::vector<std::string> overrides;
    if (override_env && *override_env) overrides.push_back(override_env);
    auto model = hezar::model_load(dir, overrides);
    std::cout << "load_ms " << now_ms() - start << "\n";
    std::cout << "load_peak_rss_mb " << peak_rss_mb() << "\n";
    if (mode == "load") return 0;
    if (argc < 5) throw std::runtime_error("run needs a TEXTS file");
    return run(*model, threads, argv[4], argc > 5 ? std::stoi(argv[5]) : 30, argc > 6 ? std::stoi(argv[6]) : 5,
               argc > 7 ? argv[7] : "fp32");
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
