#include <cstdio>

#include "cli/commands.h"
#include "core/registry.h"
#include "trainer/train_job.h"
#include "trainer/trainer_config.h"

namespace hezar::cli {

namespace {
// A module config file (it has `config_type`) or a training config (model/preprocessor/dataset/trainer).
std::unique_ptr<Config> resolve(const std::string& path, const std::vector<std::string>& overrides) {
  YAML::Node root = yaml_load_file(path);
  for (const auto& o : overrides) yaml_apply_override(root, o);
  const DecodeContext ctx{path, ""};
  if (root.IsMap() && root["config_type"] && root["config_type"].IsScalar()) {
    const std::string family = root["config_type"].Scalar();
    if (family == "trainer") {
      auto trainer = std::make_unique<TrainerConfig>();
      config_decode(*trainer, root, ctx);
      return trainer;
    }
    return config_decode_any(family, root, ctx);
  }
  auto job = std::make_unique<TrainJobConfig>();
  config_decode(*job, root, ctx);
  return job;
}
}  // namespace

void add_config_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("config", "Inspect configs");
  cmd->require_subcommand(1);
  auto* show = cmd->add_subcommand("show", "Print a config resolved with every default (and --set overrides)");
  static std::string path;
  static std::vector<std::string> overrides;
  show->add_option("config", path, "config YAML (training config or a module config)")->required();
  show->add_option("--set", overrides, "override a value: section.key=value (repeatable)");
  show->callback([] { std::fputs(config_to_yaml(*resolve(path, overrides)).c_str(), stdout); });
}

}  // namespace hezar::cli
