// The Trainer: Hezar's training loop and on-disk layout.
//
//   output_dir/
//     model_config.yaml, model.pt, preprocessor/      the final model (hezar predict/eval OUTPUT_DIR)
//     checkpoints/trainer_state.yaml
//     checkpoints/<step, zero-padded>/                model + preprocessor + train/{train_config.yaml,
//                                                     optimizer.pt, dataset_config.yaml}
//     logs/<Mon><DD>_<HH-MM-SS>_<host>/training_logs.csv
//
// Every file and checkpoint folder is written to a temp name and renamed, so a crash never leaves a
// half-written one behind.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/model.h"
#include "trainer/metrics.h"
#include "trainer/trainer_config.h"

namespace torch::optim {
class Optimizer;
}

namespace hezar {

class Trainer {
 public:
  Trainer(std::shared_ptr<Model> model, const TrainerConfig& config, std::shared_ptr<Dataset> train_dataset,
          std::shared_ptr<Dataset> eval_dataset);
  ~Trainer();

  // Runs training; returns the last evaluation results ({} when not evaluating).
  std::map<std::string, double> train();

 private:
  double train_step(const TensorMap& batch);
  void save_checkpoint(const std::map<std::string, double>& eval_results);
  void update_best(const std::map<std::string, double>& eval_results);
  void write_log_row(const std::map<std::string, double>& eval_results);

  std::shared_ptr<Model> model_;
  TrainerConfig config_;
  std::shared_ptr<Dataset> train_dataset_, eval_dataset_;
  std::vector<std::shared_ptr<Metric>> metrics_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  TrainerState state_;
  int64_t total_steps_ = 0;
  std::string logs_path_;
  std::vector<std::string> log_header_;
  std::string log_text_;
};

}  // namespace hezar
