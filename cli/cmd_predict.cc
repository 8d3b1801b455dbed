#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "hub/hub.h"
#include "models/model.h"

namespace hezar::cli {

namespace {
std::vector<std::string> read_inputs(const std::vector<std::string>& args) {
  std::vector<std::string> inputs;
  for (const auto& arg : args) {
    if (arg != "-") {
      inputs.push_back(arg);
      continue;
    }
    for (std::string line; std::getline(std::cin, line);)
      if (!line.empty()) inputs.push_back(line);
  }
  HEZAR_CHECK_INPUT(!inputs.empty(), "no inputs given (pass files, or - to read them from stdin)");
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
  auto* cmd = app.add_subcommand("predict", "Run a saved model on inputs (image files; - reads them from stdin)");
  static std::string model_dir;
  static std::vector<std::string> args;
  static int top_k = 1, batch_size = 32;
  static bool json = false;
  cmd->add_option("model", model_dir, "model directory (model_config.yaml + weights + preprocessor/) or Hub id org/name[@revision]")->required();
  cmd->add_option("inputs", args, "input files, or - for one per stdin line")->required();
  cmd->add_option("--top-k", top_k, "how many labels to return per input")->capture_default_str();
  cmd->add_option("--batch-size", batch_size, "inputs per forward pass")->capture_default_str();
  cmd->add_flag("--json", json, "one JSON line per input, in Hezar's output shape");
  cmd->callback([] {
    HEZAR_CHECK_INPUT(batch_size >= 1, "--batch-size must be at least 1");
    std::vector<std::string> inputs = read_inputs(args);
    auto model = model_load(hub::hub_resolve_model_dir(model_dir));  // a folder or a Hub id
    PredictOptions options;
    options.top_k = top_k;
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
