// `hezar tokenizer train CONFIG.yaml [FILE...]`: trains a Hezar tokenizer (wordpiece_tokenizer,
// bpe_tokenizer, sentencepiece_bpe_tokenizer, sentencepiece_unigram_tokenizer, whisper_bpe_tokenizer)
// on text files and writes
// OUTPUT_DIR/preprocessor/{tokenizer.json, tokenizer_config.yaml[, normalizer_config.yaml]}.
//
//   tokenizer: {name: bpe_tokenizer, vocab_size: 8000, min_frequency: 2}   # any Hezar tokenizer config
//   normalizer: {name: persian_normalizer, digits: latin}                  # optional, applied first
//   files: [corpus.txt]                                                     # relative to this file
//   output_dir: out/bpe-fa
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "core/config.h"
#include "core/error.h"
#include "preprocessors/tokenizer_training.h"

namespace fs = std::filesystem;

namespace hezar::cli {

namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> files, overrides;
  std::string output_dir;
};

std::vector<std::string> files_of(const YAML::Node& root, const std::string& config_path, const TrainArgs& a) {
  std::vector<std::string> files = a.files;
  if (files.empty() && root["files"]) {
    HEZAR_CHECK_INPUT(root["files"].IsSequence(), config_path, ": 'files' must be a list of paths");
    fs::path base = fs::path(config_path).parent_path();
    for (const auto& f : root["files"]) {
      fs::path p = f.as<std::string>();
      files.push_back((p.is_absolute() ? p : base / p).string());
    }
  }
  HEZAR_CHECK_INPUT(!files.empty(), config_path, ": no training files ('files:' in the config or FILE arguments)");
  for (const auto& f : files) HEZAR_CHECK_INPUT(fs::is_regular_file(f), "training file '", f, "' does not exist");
  return files;
}

void run_train(const TrainArgs& a) {
  YAML::Node root = yaml_load_file(a.config);
  for (const auto& o : a.overrides) yaml_apply_override(root, o);
  HEZAR_CHECK_INPUT(root.IsMap(), a.config, ": expected a mapping with 'tokenizer:'");
  for (const auto& kv : root) {
    std::string k = kv.first.as<std::string>();
    HEZAR_CHECK_INPUT(k == "tokenizer" || k == "normalizer" || k == "files" || k == "output_dir", "unknown key '", k,
                      "' in ", a.config, " (expected tokenizer, normalizer, files, output_dir)");
  }
  HEZAR_CHECK_INPUT(root["tokenizer"], a.config, ": missing 'tokenizer:' (a Hezar tokenizer config)");
  auto cfg = config_decode_any("preprocessor", root["tokenizer"], DecodeContext{a.config, "tokenizer"});
  auto* tcfg = dynamic_cast<TokenizerConfigBase*>(cfg.get());
  HEZAR_CHECK_INPUT(tcfg != nullptr, a.config, ": tokenizer.name '", cfg->name(), "' is not a tokenizer");
  std::unique_ptr<TextNormalizer> normalizer;
  if (root["normalizer"])
    normalizer = std::make_unique<TextNormalizer>(
        *config_decode_any("preprocessor", root["normalizer"], DecodeContext{a.config, "normalizer"}), "");
  std::string out = a.output_dir;
  if (out.empty() && root["output_dir"]) out = root["output_dir"].as<std::string>();
  HEZAR_CHECK_INPUT(!out.empty(), a.config, ": no output directory ('output_dir:' or --output-dir)");
  std::vector<std::string> files = files_of(root, a.config, a);

  auto t0 = std::chrono::steady_clock::now();
  auto trained = train_text_tokenizer(*tcfg, files, normalizer.get());
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string dir = out + "/preprocessor";
  trained->save(dir);
  if (normalizer) normalizer->save(dir);
  spdlog::info("trained {} on {} file(s) in {:.2f} s: vocabulary {}", tcfg->name(), files.size(), s,
               trained->backend().vocab_size(true));
  std::printf("%s\n", out.c_str());
}

}  // namespace

void add_tokenizer_commands(CLI::App& app) {
  static TrainArgs args;
  auto* group = app.add_subcommand("tokenizer", "Tokenizer tools (train)");
  group->require_subcommand(1);
  auto* cmd = group->add_subcommand("train",
                                    "Train a tokenizer from text files (BPE, byte-level BPE, WordPiece, Unigram)");
  cmd->add_option("config", args.config, "YAML with tokenizer:, optional normalizer:, files:, output_dir:")
      ->required();
  cmd->add_option("files", args.files, "training text files (override the config's files:)");
  cmd->add_option("--set", args.overrides, "override a config value, e.g. tokenizer.vocab_size=8000");
  cmd->add_option("--output-dir", args.output_dir, "output folder (overrides output_dir:)");
  cmd->callback([] { run_train(args); });
}

}  // namespace hezar::cli
