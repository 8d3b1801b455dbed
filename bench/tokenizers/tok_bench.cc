// hezar side of bench/tokenizers.sh: encodes every line of CORPUS with TOKENIZER_JSON and prints one
// JSON line {"mode", "threads", "bytes", "tokens", "seconds", "checksum"}. Modes: `single` (one
// encode() per line on this thread) and `batch` (encode_batch of 1024-line chunks on N threads).
// `tok_bench convert SRC OUT` writes the tokenizer.json of a vocab.txt or encoder.json+vocab.bpe.
// Best of REPS repetitions, wall and process CPU time (CPU time is what a busy shared machine cannot
// inflate, so the single-thread comparison uses it). checksum (sum of ids) lets the script check both sides did the same work.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "preprocessors/tokenizers/convert.h"
#include "preprocessors/tokenizers/tokenizer.h"

namespace {

std::vector<std::string> read_lines(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "convert") {  // vocab.txt / encoder.json -> tokenizer.json
    hezar::tok::convert_legacy_file(argv[2])->save(argv[3]);
    return 0;
  }
  if (argc < 5) {
    std::fprintf(stderr, "usage: tok_bench TOKENIZER_JSON CORPUS single|batch THREADS [REPS]\n");
    return 2;
  }
  auto tok = hezar::tok::Tokenizer::from_file(argv[1]);
  std::vector<std::string> lines = read_lines(argv[2]);
  std::string mode = argv[3];
  size_t threads = std::strtoul(argv[4], nullptr, 10);
  int reps = argc > 5 ? std::atoi(argv[5]) : 3;
  size_t bytes = 0;
  for (const auto& l : lines) bytes += l.size() + 1;
  std::vector<std::vector<std::string>> chunks;  // built before timing, as the npm side's slices
  for (size_t i = 0; mode != "single" && i < lines.size(); i += 1024)
    chunks.emplace_back(lines.begin() + i, lines.begin() + std::min(lines.size(), i + 1024));
  double best = 1e30, best_cpu = 1e30;
  auto cpu_now = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  };
  uint64_t tokens = 0, checksum = 0;
  for (int r = 0; r < reps; ++r) {
    tokens = checksum = 0;
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_now();
    if (mode == "single") {
      for (const auto& l : lines) {
        auto e = tok->encode(l, true);
        tokens += e.ids.size();
        for (uint32_t id : e.ids) checksum += id;
      }
    } else {
      for (const auto& chunk : chunks) {
        for (const auto& e : tok->encode_batch(chunk, true, threads)) {
          tokens += e.ids.size();
          for (uint32_t id : e.ids) checksum += id;
        }
      }
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    best_cpu = std::min(best_cpu, cpu_now() - c0);
  }
  std::printf("{\"side\":\"hezar\",\"mode\":\"%s\",\"threads\":%zu,\"bytes\":%zu,\"tokens\":%llu,\"seconds\":%.4f,"
              "\"cpu_seconds\":%.4f,\"checksum\":%llu}\n",
              mode.c_str(), mode == "single" ? size_t(1) : threads, bytes, (unsigned long long)tokens, best,
              best_cpu, (unsigned long long)checksum);
  return 0;
}
