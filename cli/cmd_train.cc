#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/commands.h"
#include "trainer/train_job.h"

namespace hezar::cli {

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a model from a YAML config (model, preprocessor, dataset, trainer)");
  static std::string config_path, output_dir;
  static std::vector<std::string> overrides;
  cmd->add_option("config", config_path, "training config YAML")->required();
  cmd->add_option("--set", overrides, "override a config value: section.key=value (repeatable)");
  cmd->add_option("--output-dir", output_dir, "where to write checkpoints, logs and the model");
  static bool resume = false;
  static std::string resume_from;
  cmd->add_flag("--resume", resume, "resume from the latest checkpoint in the output dir");
  cmd->add_option("--resume-from", resume_from, "resume from this checkpoint folder");
  cmd->callback([] {
    std::vector<std::string> all = overrides;
    if (!output_dir.empty()) all.push_back("trainer.output_dir=" + output_dir);
    if (resume) all.push_back("trainer.resume_from_checkpoint=true");
    if (!resume_from.empty()) all.push_back("trainer.resume_from_checkpoint=" + resume_from);
    TrainJobConfig job = train_job_load(config_path, all);
    auto results = train_job_run(job);
    std::printf("%s\n", job.trainer.output_dir.c_str());
  });
}

}  // namespace hezar::cli
