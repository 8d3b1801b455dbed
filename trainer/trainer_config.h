// Hezar's TrainerConfig (hezar/configs.py), the fields the trainer implements today, with Hezar's
// names and defaults; `hezar config show` prints them all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "trainer/lr_scheduler.h"

namespace hezar {

struct TrainerConfig : Config {
  HEZAR_CONFIG(TrainerConfig, "trainer", "trainer")
  std::string output_dir;
  std::string task;  // empty = the model's task
  int num_epochs = 1;
  std::optional<double> max_steps;
  int batch_size = 1;
  std::optional<int> eval_batch_size;
  int gradient_accumulation_steps = 1;
  std::string optimizer = "adam";
  double learning_rate = 2e-5;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool nesterov = false;
  std::optional<std::string> lr_scheduler;
  std::optional<LrSchedulerKwargs> lr_scheduler_kwargs;
  std::optional<int64_t> lr_scheduling_steps;
  std::optional<double> max_grad_norm;
  std::optional<std::string> mixed_precision;
  int seed = 42;
  std::vector<std::string> metrics;
  std::string metric_for_best_model = "loss";
  std::optional<std::string> init_weights_from;
  int num_dataloader_workers = 0;
  bool dataloader_shuffle = true;
  bool do_evaluate = true;
  bool evaluate_with_generate = true;
  bool save_enabled = true;
  // Accepted so Hezar's train_config.yaml files load; see the descriptions in visit().
  std::optional<std::string> device = std::string("cuda");
  bool use_cpu = false;
  bool distributed = false;
  std::optional<std::string> save_freq;
  std::optional<double> save_steps;
  std::optional<int64_t> log_steps;
  std::optional<int> save_total_limit;
  bool load_best_model_at_end = false;
  std::optional<int> early_stopping_patience;
  std::optional<std::string> resume_from_checkpoint;
  std::string checkpoints_dir = "checkpoints";
  std::string logs_dir = "logs";

  void visit(FieldVisitor& v) override {
    v("output_dir", output_dir, "where checkpoints, logs and the final model go (required)");
    v("task", task, "training task; defaults to the model's task");
    v("num_epochs", num_epochs, "passes over the training set");
    v("max_steps", max_steps, "stop after this many optimizer steps (or this fraction of all, if below 1)");
    v("batch_size", batch_size, "training batch size (per optimizer micro-step)");
    v("eval_batch_size", eval_batch_size, "evaluation batch size (default: batch_size)");
    v("gradient_accumulation_steps", gradient_accumulation_steps, "batches whose gradients add up to one optimizer step");
    v("optimizer", optimizer, "adam | adamw | sgd");
    v("learning_rate", learning_rate, "optimizer learning rate");
    v("weight_decay", weight_decay, "optimizer weight decay");
    v("momentum", momentum, "sgd momentum");
    v("nesterov", nesterov, "sgd Nesterov momentum");
    v("lr_scheduler", lr_scheduler, "linear | cosine | constant | step | multi_step | exponential | polynomial | one_cycle | reduce_on_plateau");
    v("lr_scheduler_kwargs", lr_scheduler_kwargs, "options of the lr_scheduler (warmup_steps, gamma, ...)");
    v("lr_scheduling_steps", lr_scheduling_steps, "optimizer steps per scheduler step (default: steps per epoch, as Hezar)");
    v("max_grad_norm", max_grad_norm, "clip the gradients' global L2 norm to this value");
    v("mixed_precision", mixed_precision, "no | bf16 (autocast on CPU) | fp16 (GPU builds only)");
    v("seed", seed, "seed for weights init and data order");
    v("metrics", metrics, "metric names computed at evaluation, e.g. [accuracy, f1]");
    v("metric_for_best_model", metric_for_best_model, "metric that picks the best checkpoint");
    v("init_weights_from", init_weights_from, "model folder whose weights initialise training");
    v("num_dataloader_workers", num_dataloader_workers, "threads preparing batches ahead");
    v("dataloader_shuffle", dataloader_shuffle, "shuffle the training data each epoch");
    v("do_evaluate", do_evaluate, "evaluate on the eval split after each epoch");
    v("evaluate_with_generate", evaluate_with_generate,
      "generative models evaluate with generate() (no effect on the other models)");
    v("save_enabled", save_enabled, "save a checkpoint at each epoch end (save_steps checkpoints still run, as Hezar)");
    v("device", device, "Hezar's device; this LibTorch build is CPU-only, so training runs on CPU whatever it says");
    v("use_cpu", use_cpu, "Hezar's force-CPU switch (always CPU here)");
    v("distributed", distributed, "Hezar's unused flag; start distributed runs with --nproc-per-node or torchrun");
    v("save_freq", save_freq, "deprecated in Hezar; ignored");
    v("save_steps", save_steps, "save a checkpoint every N steps, or this fraction of all steps (default: every epoch)");
    v("log_steps", log_steps, "log train.loss/train.lr every N steps (progress lines when not on a terminal)");
    v("save_total_limit", save_total_limit, "keep at most N checkpoints (the best one is never deleted)");
    v("load_best_model_at_end", load_best_model_at_end, "the final model is the best checkpoint's");
    v("early_stopping_patience", early_stopping_patience, "stop after N evaluations without improvement");
    v("resume_from_checkpoint", resume_from_checkpoint, "true (latest in output_dir) or a checkpoint folder");
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
  int64_t evaluations_without_improvement = 0;
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
    v("evaluations_without_improvement", evaluations_without_improvement);
    v("logs_dir", logs_dir);
  }
};

}  // namespace hezar
