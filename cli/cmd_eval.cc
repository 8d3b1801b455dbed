#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/registry.h"
#include "core/strings.h"
#include "data/dataset.h"
#include "hub/hub-dataset.h"
#include "hub/hub.h"
#include "models/model.h"
#include "trainer/evaluate.h"

namespace hezar::cli {

namespace {
// --dataset accepts a dataset config YAML, a training config YAML (its `dataset:` section is used) or
// a data path, which is read by the dataset family matching the model's task.
std::unique_ptr<Config> dataset_config_from_arg(const std::string& arg, const Model& model) {
  if (ends_with(arg, ".yaml") || ends_with(arg, ".yml")) {
    YAML::Node root = yaml_load_file(arg);
    if (root.IsMap() && root["dataset"]) return config_decode_any("dataset", root["dataset"], {arg, "dataset"});
    return config_decode_any("dataset", root, {arg, ""});
  }
  HEZAR_CHECK_INPUT(std::filesystem::exists(arg) || hub::looks_like_repo_id(arg), "--dataset '", arg,
                    "' is neither a YAML config, an existing path nor a Hub dataset id");
  std::unique_ptr<Config> config = ConfigRegistry::get("dataset", model.task()).make_config();
  std::string* path = config_find_field<std::string>(*config, "path");
  HEZAR_CHECK_INPUT(path != nullptr, "dataset '", config->name(), "' cannot be given as a path; pass a config YAML");
  *path = arg;
  return config;
}

void print_table(const std::map<std::string, double>& results) {
  size_t width = 6;
  for (const auto& [key, value] : results) width = std::max(width, key.size());
  std::printf("%-*s  %s\n", static_cast<int>(width), "metric", "value");
  for (const auto& [key, value] : results) std::printf("%-*s  %.4f\n", static_cast<int>(width), key.c_str(), value);
}
}  // namespace

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a saved model on a dataset split");
  static std::string model_dir, dataset_arg, split;
  static std::vector<std::string> metric_names;
  static int batch_size = 64, workers = 0;
  static bool json = false;
  cmd->add_option("model", model_dir, "model directory (model_config.yaml + weights) or Hub id org/name[@revision]")->required();
  cmd->add_option("--dataset", dataset_arg, "dataset config YAML, training config YAML, or data path")->required();
  cmd->add_option("--split", split, "split to evaluate (default: the dataset's eval_split)");
  cmd->add_option("--metrics", metric_names, "metrics to compute (default: the task's usual ones)")->delimiter(',');
  cmd->add_option("--batch-size", batch_size, "evaluation batch size")->capture_default_str();
  cmd->add_option("--workers", workers, "data loading threads")->capture_default_str();
  cmd->add_flag("--json", json, "print the results as one JSON object");
  cmd->callback([] {
    HEZAR_CHECK_INPUT(batch_size >= 1, "--batch-size must be at least 1");
    auto model = model_load(hub::hub_resolve_model_dir(model_dir));  // a folder or a Hub id
    std::unique_ptr<Config> dataset_config = dataset_config_from_arg(dataset_arg, *model);
    if (std::string* path = config_find_field<std::string>(*dataset_config, "path"))
      *path = hub::hub_resolve_dataset_path(*path);  // a Hub dataset id -> local folder
    if (!model->id2label().empty()) config_set_labels(*dataset_config, model->id2label());
    std::string eval_split = split;
    if (eval_split.empty()) {
      const std::string* configured = config_find_field<std::string>(*dataset_config, "eval_split");
      eval_split = configured ? *configured : "test";
    }
    auto dataset = dataset_build(*dataset_config, eval_split, model->preprocessors());
    auto metrics = metrics_build(metric_names.empty() ? default_metrics(model->task()) : metric_names);
    auto results = evaluate(*model, *dataset, metrics, {static_cast<size_t>(batch_size), static_cast<size_t>(workers)});
    if (json) std::printf("%s\n", nlohmann::json(results).dump().c_str());
    else print_table(results);
  });
}

}  // namespace hezar::cli
