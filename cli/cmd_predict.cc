#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "data/text_source.h"
#include "hub/hub.h"
#include "models/model.h"

namespace hezar::cli {

namespace {
// Inputs from a file: .txt lines, the `field` of each .jsonl object, or the `field` column of a .csv/.tsv
// (the text datasets' reader, so errors name file:line and the closest field).
std::vector<std::string> read_input_file(const std::string& path, const std::string& field) {
  std::vector<std::string> inputs;
  for (const auto& record : text_records_read(path, text_format_of(path), std::nullopt, field))
    inputs.push_back(record_text(record, field, "--field"));
  return inputs;
}

std::vector<std::string> read_inputs(const std::vector<std::string>& args, const std::string& input_file,
                                     const std::string& field) {
  std::vector<std::string> inputs;
  for (const auto& arg : args) {
    if (arg != "-") {
      inputs.push_back(arg);
      continue;
    }
    for (std::string line; std::getline(std::cin, line);)
      if (!line.empty()) inputs.push_back(line);
  }
  if (!input_file.empty())
    for (auto& input : read_input_file(input_file, field)) inputs.push_back(std::move(input));
  HEZAR_CHECK_INPUT(!inputs.empty(), "no inputs given (pass them as arguments, - to read stdin lines, or --input-file)");
  return inputs;
}

void print_result(const std::string& input, const nlohmann::json& result, bool json) {
  if (json) {
    std::cout << result.dump() << "\n";
    return;
  }
  std::cout << input << "\t";
  for (size_t i = 0; i < result.size(); ++i) {
    const auto& item = result[i];
    if (item.contains("label") && item.contains("score"))
      std::cout << (i ? ", " : "") << item["label"].get<std::string>() << " (" << item["score"].get<double>() << ")";
    else
      std::cout << (i ? ", " : "") << item.dump();
  }
  std::cout << "\n";
}
}  // namespace

void add_predict_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("predict", "Run a saved model on inputs (image files or texts; - reads them from stdin)");
  static std::string model_dir;
  static std::vector<std::string> args;
  static std::string input_file, field = "text";
  static int top_k = 1, batch_size = 32;
  static bool json = false, scores = false, offsets = false, bf16 = false;
  cmd->add_option("model", model_dir, "model directory (model_config.yaml + weights + preprocessor/) or Hub id org/name[@revision]")->required();
  cmd->add_option("inputs", args, "inputs (image files or texts), or - for one per stdin line");
  cmd->add_option("--input-file", input_file, "more inputs: .txt lines, a .jsonl field or a .csv/.tsv column");
  cmd->add_option("--field", field, "the JSONL field / CSV column of --input-file")->capture_default_str();
  cmd->add_option("--top-k", top_k, "how many labels to return per input")->capture_default_str();
  cmd->add_option("--batch-size", batch_size, "inputs per forward pass")->capture_default_str();
  cmd->add_flag("--json", json, "one JSON line per input, in Hezar's output shape");
  cmd->add_flag("--bf16", bf16, "run the model in bfloat16 (about 2x faster on CPUs with AMX/AVX512-BF16; "
                                 "scores differ from fp32 in the 2nd-3rd digit)");
  cmd->add_flag("--return-scores", scores, "sequence labeling: add each token's score");
  cmd->add_flag("--return-offsets", offsets, "sequence labeling: add each token's start/end (code points)");
  cmd->callback([] {
    HEZAR_CHECK_INPUT(batch_size >= 1, "--batch-size must be at least 1");
    std::vector<std::string> inputs = read_inputs(args, input_file, field);
    auto model = model_load(hub::hub_resolve_model_dir(model_dir));  // a folder or a Hub id
    if (bf16) model->to(at::kBFloat16);
    PredictOptions options;
    options.top_k = top_k;
    options.return_scores = scores;
    options.return_offsets = offsets;
    for (size_t begin = 0; begin < inputs.size(); begin += batch_size) {
      std::vector<std::string> batch(inputs.begin() + begin,
                                     inputs.begin() + std::min(inputs.size(), begin + batch_size));
      nlohmann::json results = model->predict(batch, options);
      for (size_t i = 0; i < batch.size(); ++i) print_result(batch[i], results[i], json);
      std::cout.flush();
    }
  });
}

}  // namespace hezar::cli
