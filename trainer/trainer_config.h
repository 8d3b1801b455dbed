// Hezar's TrainerConfig (hezar/configs.py), the fields the trainer implements today, with Hezar's
// names and defaults; `hezar config show` prints them all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace hezar {

struct TrainerConfig : Config {
  HEZAR_CONFIG(TrainerConfig, "trainer", "trainer")
  std::string output_dir;
  std::string task;  // empty = the model's task
  int num_epochs = 1;
  std::optional<int64_t> max_steps;
  int batch_size = 1;
  std::optional<int> eval_batch_size;
  std::string optimizer = "adam";
  double learning_rate = 2e-5;
  double weight_decay = 0.0;
  int seed = 42;
  std::vector<std::string> metrics;
  std::string metric_for_best_model = "loss";
  std::optional<std::string> init_weights_from;
  int num_dataloader_workers = 0;
  bool dataloader_shuffle = true;
  bool do_evaluate = true;
  std::optional<int64_t> save_steps;
  std::optional<int64_t> log_steps;
  std::string checkpoints_dir = "checkpoints";
  std::string logs_dir = "logs";

  void visit(FieldVisitor& v) override {
    v("output_dir", output_dir, "where checkpoints, logs and the final model go (required)");
    v("task", task, "training task; defaults to the model's task");
    v("num_epochs", num_epochs, "passes over the training set");
    v("max_steps", max_steps, "stop after this many optimizer steps");
    v("batch_size", batch_size, "training batch size");
    v("eval_batch_size", eval_batch_size, "evaluation batch size (default: batch_size)");
    v("optimizer", optimizer, "adam | adamw | sgd");
    v("learning_rate", learning_rate, "optimizer learning rate");
    v("weight_decay", weight_decay, "optimizer weight decay");
    v("seed", seed, "seed for weights init and data order");
    v("metrics", metrics, "metric names computed at evaluation, e.g. [accuracy, f1]");
    v("metric_for_best_model", metric_for_best_model, "metric that picks the best checkpoint");
    v("init_weights_from", init_weights_from, "model folder whose weights initialise training");
    v("num_dataloader_workers", num_dataloader_workers, "threads preparing batches ahead");
    v("dataloader_shuffle", dataloader_shuffle, "shuffle the training data each epoch");
    v("do_evaluate", do_evaluate, "evaluate on the eval split after each epoch");
    v("save_steps", save_steps, "save a checkpoint every N steps (default: every epoch)");
    v("log_steps", log_steps, "print a progress line every N steps when not on a terminal");
    v("checkpoints_dir", checkpoints_dir, "checkpoints folder inside output_dir");
    v("logs_dir", logs_dir, "logs folder inside output_dir");
  }
};

// checkpoints/trainer_state.yaml, as Hezar's TrainerState.
struct TrainerState : Config {
  HEZAR_CONFIG(TrainerState, "", "")
  int epoch = 1;
  int total_epochs = 1;
  int64_t global_step = 0;
  int64_t epoch_step = 0;
  double loss_tracker_sum = 0.0;
  double loss_tracker_avg = 0.0;
  std::string metric_for_best_checkpoint;
  std::optional<double> best_metric_value;
  std::optional<int64_t> best_checkpoint;
  std::string logs_dir;

  void visit(FieldVisitor& v) override {
    v("epoch", epoch);
    v("total_epochs", total_epochs);
    v("global_step", global_step);
    v("epoch_step", epoch_step);
    v("loss_tracker_sum", loss_tracker_sum);
    v("loss_tracker_avg", loss_tracker_avg);
    v("metric_for_best_checkpoint", metric_for_best_checkpoint);
    v("best_metric_value", best_metric_value);
    v("best_checkpoint", best_checkpoint);
    v("logs_dir", logs_dir);
  }
};

}  // namespace hezar
