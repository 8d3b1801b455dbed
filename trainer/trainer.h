// The Trainer: Hezar's training loop and on-disk layout, with exact resume.
//
//   output_dir/
//     model_config.yaml, model.pt, preprocessor/      the final model (hezar predict/eval OUTPUT_DIR)
//     checkpoints/trainer_state.yaml, checkpoints/<step>/...   (see checkpoint.h)
//     logs/<Mon><DD>_<HH-MM-SS>_<host>/training_logs.csv
//
// A run killed at any point and resumed with `resume_from_checkpoint` ends with the same weights as an
// uninterrupted one: the data order depends only on (seed, epoch), and model, optimizer, scheduler, RNG
// and loss trackers are restored from the checkpoint. SIGINT/SIGTERM save a checkpoint and stop.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/model.h"
#include "trainer/lr_scheduler.h"
#include "trainer/metrics.h"
#include "trainer/trainer_config.h"

namespace torch::optim {
class Optimizer;
}

namespace hezar {

class DataLoader;
class TrainingLog;

class Trainer {
 public:
  Trainer(std::shared_ptr<Model> model, const TrainerConfig& config, std::shared_ptr<Dataset> train_dataset,
          std::shared_ptr<Dataset> eval_dataset);
  ~Trainer();

  // Runs (or resumes) training; returns the last evaluation results ({} when not evaluating).
  std::map<std::string, double> train();

 private:
  void setup(DataLoader& loader);
  double optimizer_step(DataLoader& loader, int64_t micro_batches);
  void run_epoch(DataLoader& loader);  // returns early when a stop signal arrives
  std::map<std::string, double> end_epoch();
  void save_checkpoint();
  bool update_best(const std::map<std::string, double>& results);
  void finish();

  std::shared_ptr<Model> model_;
  TrainerConfig config_;
  std::shared_ptr<Dataset> train_dataset_, eval_dataset_;
  std::vector<std::shared_ptr<Metric>> metrics_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<LrScheduler> scheduler_;
  std::unique_ptr<TrainingLog> log_;
  TrainerState state_;
  int64_t steps_per_epoch_ = 0, total_steps_ = 0, save_steps_ = 0, scheduling_steps_ = 1;
  int64_t batches_per_epoch_ = 0;
};

}  // namespace hezar
