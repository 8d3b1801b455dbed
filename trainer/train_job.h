// A training job: the one YAML file `hezar train` reads, with `model:`, `preprocessor:`, `dataset:` and
// `trainer:` sections. Each section is a module config picked by its `name`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "trainer/trainer_config.h"

namespace hezar {

struct TrainJobConfig : Config {
  HEZAR_CONFIG(TrainJobConfig, "", "")
  AnyConfig model{"model"};
  AnyConfigList preprocessor{"preprocessor"};
  AnyConfig dataset{"dataset"};
  TrainerConfig trainer;

  void visit(FieldVisitor& v) override {
    v("model", model, "the model to train (name + its config)");
    v("preprocessor", preprocessor, "preprocessor config, or a list of them");
    v("dataset", dataset, "dataset config; its train/eval splits are used");
    v("trainer", trainer, "trainer settings (Hezar's TrainerConfig)");
  }
};

// Reads the job file and applies `--set section.key=value` overrides (overrides > file > defaults).
TrainJobConfig train_job_load(const std::string& path, const std::vector<std::string>& overrides);

// Builds preprocessors, datasets and the model, trains, and saves into trainer.output_dir.
// Returns the final evaluation results.
std::map<std::string, double> train_job_run(const TrainJobConfig& job);

}  // namespace hezar
