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
//
// Distributed (a process group from trainer/distributed.h): every rank runs this loop on its shard of
// each global batch (batch_size per rank); gradients are all-reduced during backward and every rank
// keeps identical weights, optimizer, scheduler and trainer state. Each rank's loss is weighted by its
// share of the global batch (n_rank * W / n), so the averaged gradient is the mean over the global
// batch even when the last batch is split unevenly: W processes x batch B train like 1 process x batch
// B*W. Rank 0 alone writes checkpoints, logs and the final model; all ranks agree on stopping (a
// signal seen by any rank) at the same step.
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
namespace c10d {
class Work;
}

namespace hezar {

class DataLoader;
class Distributed;
class GradientSync;
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
  bool best_metric_maximizes() const;
  void finish();
  bool is_main() const;
  bool stop_requested() const;
  void start_totals(double loss_sum);

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
  Distributed* dist_ = nullptr;
  std::unique_ptr<GradientSync> grad_sync_;
  int stop_signal_ = 0;  // distributed: the signal any rank received, agreed at each step
  at::Tensor totals_;
  c10::intrusive_ptr<c10d::Work> totals_work_;
};

}  // namespace hezar
