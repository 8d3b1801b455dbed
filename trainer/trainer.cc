#include "trainer/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/optim/optimizer.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "core/file_util.h"
#include "core/strings.h"
#include "core/tensor_file.h"
#include "data/data_loader.h"
#include "trainer/autocast.h"
#include "trainer/checkpoint.h"
#include "trainer/distributed.h"
#include "trainer/evaluate.h"
#include "trainer/optimizer.h"
#include "trainer/progress.h"
#include "trainer/training_log.h"

namespace fs = std::filesystem;

namespace hezar {

namespace {
std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int signal) { g_stop_signal = signal; }

// SIGINT/SIGTERM only set a flag; the loop saves a checkpoint at the next step boundary and stops.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

std::string run_name() {
  std::time_t now = std::time(nullptr);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%b%d_%H-%M-%S", std::localtime(&now));
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  return std::string(stamp) + "_" + host;
}

std::string format_metrics(const std::map<std::string, double>& results) {
  std::ostringstream out;
  for (const auto& [key, value] : results) out << (out.tellp() ? ", " : "") << key << " " << value;
  return out.str();
}

// Hezar's "an int, or a float in (0, 1) meaning a fraction of the total".
int64_t steps_option(const std::optional<double>& value, int64_t total, int64_t fallback, const char* key) {
  if (!value) return fallback;
  HEZAR_CHECK_INPUT(*value > 0, "trainer.", key, " must be positive, got ", *value);
  if (*value < 1) return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(*value * total)));
  HEZAR_CHECK_INPUT(std::floor(*value) == *value, "trainer.", key, " must be a whole number or a fraction below 1");
  return static_cast<int64_t>(*value);
}

// checkpoints/<step>/train/distributed.yaml, written by rank 0 of a distributed run: how many processes
// made the checkpoint. The data order per step depends on it (global batch = batch_size x world size),
// so a checkpoint resumes only with the same count; a checkpoint without the file is from 1 process.
const char* kDistributedFile = "train/distributed.yaml";

int checkpoint_world_size(const std::string& dir) {
  const fs::path path = fs::path(dir) / kDistributedFile;
  if (!fs::exists(path)) return 1;
  YAML::Node node = yaml_load_file(path.string());
  HEZAR_CHECK_INPUT(node["world_size"] && node["world_size"].IsScalar(), path.string(), ": no world_size");
  return node["world_size"].as<int>();
}

double current_lr(torch::optim::Optimizer& optimizer) { return optimizer.param_groups().at(0).options().get_lr(); }
}  // namespace

Trainer::Trainer(std::shared_ptr<Model> model, const TrainerConfig& config,
                 std::shared_ptr<Dataset> train_dataset, std::shared_ptr<Dataset> eval_dataset)
    : model_(std::move(model)), config_(config), train_dataset_(std::move(train_dataset)),
      eval_dataset_(std::move(eval_dataset)) {
  HEZAR_CHECK_INPUT(!config_.output_dir.empty(), "trainer.output_dir is required (or pass --output-dir)");
  HEZAR_CHECK_INPUT(config_.num_epochs >= 1, "trainer.num_epochs must be at least 1");
  HEZAR_CHECK_INPUT(config_.batch_size >= 1, "trainer.batch_size must be at least 1");
  HEZAR_CHECK_INPUT(config_.gradient_accumulation_steps >= 1, "trainer.gradient_accumulation_steps must be >= 1");
  HEZAR_CHECK_INPUT(config_.num_dataloader_workers >= 0, "trainer.num_dataloader_workers must be >= 0");
  HEZAR_CHECK_INPUT(!config_.max_grad_norm || *config_.max_grad_norm > 0, "trainer.max_grad_norm must be positive");
  const std::string precision = config_.mixed_precision.value_or("no");
  HEZAR_CHECK_INPUT(precision != "fp16" && precision != "fp8", "trainer.mixed_precision '", precision,
                    "' needs a GPU build of LibTorch; on CPU use bf16");
  HEZAR_CHECK_INPUT(precision == "no" || precision == "bf16", "trainer.mixed_precision '", precision,
                    "' is not one of no, bf16, fp16");
  const std::string task = config_.task.empty() ? model_->task() : config_.task;
  HEZAR_CHECK_INPUT(task == model_->task(), "trainer.task '", task, "' does not match model '",
                    model_->config().name(), "' (task ", model_->task(), ")");
  config_.task = task;
  HEZAR_CHECK_INPUT(config_.save_enabled || !config_.load_best_model_at_end,
                    "trainer.load_best_model_at_end needs the epoch checkpoints; set save_enabled: true");
  if (config_.distributed)
    spdlog::warn("trainer.distributed does nothing by itself (as in Hezar); start ranks with --nproc-per-node N");
  dataset_check_task(*train_dataset_, task, model_->config().name());
  if (eval_dataset_) dataset_check_task(*eval_dataset_, task, model_->config().name());
  metrics_ = metrics_build(config_.metrics.empty() ? default_metrics(task) : config_.metrics);
  std::vector<std::string> keys{"loss"};
  for (const auto& metric : metrics_)
    for (const auto& key : metric->output_keys()) keys.push_back(key);
  HEZAR_CHECK_INPUT(std::find(keys.begin(), keys.end(), config_.metric_for_best_model) != keys.end(),
                    "trainer.metric_for_best_model '", config_.metric_for_best_model, "' is not one of ",
                    join(keys, ", "), did_you_mean(config_.metric_for_best_model, keys));
  optimizer_ = optimizer_build(config_, model_->parameters());
  dist_ = Distributed::get();
  if (dist_ && dist_->world_size() == 1) dist_ = nullptr;
}

// One small all-reduce per step, started before the last backward: the step's global loss, and
// whether any rank was asked to stop (so every rank stops at the same step).
void Trainer::start_totals(double loss_sum) {
  const int signal = g_stop_signal;
  totals_ = at::tensor({loss_sum, signal ? 1.0 : 0.0, static_cast<double>(signal)}, at::kDouble);
  totals_work_ = dist_->all_reduce_sum_async(totals_, "the loss all-reduce");
}

bool Trainer::is_main() const { return !dist_ || dist_->is_main(); }

bool Trainer::stop_requested() const { return dist_ ? stop_signal_ != 0 : g_stop_signal != 0; }

Trainer::~Trainer() = default;

void Trainer::setup(DataLoader& loader) {
  batches_per_epoch_ = static_cast<int64_t>(loader.num_batches());
  const int64_t accumulation = config_.gradient_accumulation_steps;
  steps_per_epoch_ = (batches_per_epoch_ + accumulation - 1) / accumulation;
  total_steps_ = steps_per_epoch_ * config_.num_epochs;
  total_steps_ = std::min(total_steps_, steps_option(config_.max_steps, total_steps_, total_steps_, "max_steps"));
  save_steps_ = steps_option(config_.save_steps, total_steps_, steps_per_epoch_, "save_steps");
  scheduling_steps_ = config_.lr_scheduling_steps.value_or(steps_per_epoch_);
  HEZAR_CHECK_INPUT(scheduling_steps_ >= 1, "trainer.lr_scheduling_steps must be at least 1");
  if (config_.lr_scheduler)
    scheduler_ = std::make_unique<LrScheduler>(*config_.lr_scheduler, config_.lr_scheduler_kwargs.value_or(LrSchedulerKwargs{}),
                                               config_.learning_rate, (total_steps_ + scheduling_steps_ - 1) / scheduling_steps_);
  state_.total_epochs = config_.num_epochs;
  state_.metric_for_best_checkpoint = "evaluation." + config_.metric_for_best_model;
  std::string run = run_name();
  if (config_.resume_from_checkpoint && *config_.resume_from_checkpoint != "false") {
    const fs::path root = fs::path(config_.output_dir) / config_.checkpoints_dir;
    const std::string dir = checkpoint_resolve(*config_.resume_from_checkpoint, root.string());
    const int world = dist_ ? dist_->world_size() : 1, saved_world = checkpoint_world_size(dir);
    HEZAR_CHECK_INPUT(saved_world == world, "checkpoint ", dir, " was made by ", saved_world, " process",
                      saved_world == 1 ? "" : "es", " (global batch ", config_.batch_size * saved_world,
                      "), not ", world, "; resume it with ",
                      saved_world == 1 ? std::string("no --nproc-per-node") : "--nproc-per-node " + std::to_string(saved_world),
                      " so the data order continues where it stopped");
    checkpoint_load(dir, {model_.get(), &config_, &train_dataset_->config(), optimizer_.get(), scheduler_.get(), &state_});
    const std::string old_logs = state_.logs_dir;
    run = fs::path(old_logs).filename().string();
    const fs::path new_logs = fs::path(config_.output_dir) / config_.logs_dir / run;
    if (is_main() && fs::path(old_logs) != new_logs && fs::is_regular_file(old_logs + "/training_logs.csv")) {
      fs::create_directories(new_logs);
      fs::copy_file(old_logs + "/training_logs.csv", new_logs / "training_logs.csv", fs::copy_options::overwrite_existing);
    }
    if (state_.epoch_step >= steps_per_epoch_) {  // resumed from an end-of-epoch checkpoint
      ++state_.epoch;
      state_.epoch_step = 0;
      state_.loss_tracker_sum = 0;
    }
    spdlog::info("resumed from {} at step {} (epoch {})", dir, state_.global_step, state_.epoch);
  }
  state_.logs_dir = (fs::path(config_.output_dir) / config_.logs_dir / run).string();
  std::vector<std::string> eval_keys;
  if (config_.do_evaluate && eval_dataset_) {
    eval_keys.push_back("loss");
    for (const auto& metric : metrics_)
      for (const auto& key : metric->output_keys()) eval_keys.push_back(key);
  }
  if (is_main()) log_ = std::make_unique<TrainingLog>(state_.logs_dir, eval_keys);
  if (scheduler_) scheduler_->apply(*optimizer_);
}

double Trainer::optimizer_step(DataLoader& loader, int64_t micro_batches) {
  model_->train();
  optimizer_->zero_grad();
  double loss_sum = 0;
  const bool bf16 = config_.mixed_precision.value_or("no") == "bf16";
  for (int64_t i = 0; i < micro_batches; ++i) {
    auto batch = loader.next();
    HEZAR_CHECK(batch.has_value(), "data loader ended inside an optimizer step");
    const bool last = i == micro_batches - 1;
    if (grad_sync_) grad_sync_->set_sync(last);  // no_sync for all but the last
    if (batch->empty()) {  // distributed: a short last batch left this rank no example
      if (last) start_totals(loss_sum);
      continue;
    }
    at::Tensor loss;
    const at::Tensor& labels = tensor_at(*batch, "labels", "trainer");
    {
      AutocastScope autocast(bf16);
      TensorMap outputs = model_->forward(*batch);
      loss = model_->compute_loss(outputs, labels).to(at::kFloat);
    }
    if (!dist_) {
      (loss / static_cast<double>(micro_batches)).backward();  // the step's gradient is the batches' mean
      loss_sum += loss.item<double>();
    } else {
      // This rank's share of the global batch: the all-reduce's mean over ranks of share * W * grad is
      // the gradient of the mean loss over the whole global batch, even when shards are uneven.
      const double share = static_cast<double>(labels.size(0)) / static_cast<double>(loader.last_global_batch_size());
      loss_sum += loss.item<double>() * share;
      if (last) start_totals(loss_sum);  // runs during backward, ahead of the gradient buckets
      (loss * (share * dist_->world_size() / static_cast<double>(micro_batches))).backward();
    }
  }
  if (grad_sync_) {
    grad_sync_->finish();
    dist_->wait(totals_work_, "the loss all-reduce");
    totals_work_.reset();
    const at::Tensor& totals = totals_;
    loss_sum = totals[0].item<double>();
    const double stopping = totals[1].item<double>();
    stop_signal_ = stopping > 0 ? static_cast<int>(std::lround(totals[2].item<double>() / stopping)) : 0;
  }
  if (config_.max_grad_norm) torch::nn::utils::clip_grad_norm_(model_->parameters(), *config_.max_grad_norm);
  optimizer_->step();
  const double loss = loss_sum / micro_batches;
  HEZAR_CHECK(std::isfinite(loss), "training diverged at step ", state_.global_step + 1,
              " (loss is not finite); lower trainer.learning_rate or set trainer.max_grad_norm");
  return loss;
}

void Trainer::run_epoch(DataLoader& loader) {
  const int64_t accumulation = config_.gradient_accumulation_steps;
  const int64_t epoch_start = state_.global_step - state_.epoch_step;
  const int64_t steps = std::min(steps_per_epoch_, total_steps_ - epoch_start);
  loader.start_epoch(state_.epoch, static_cast<size_t>(state_.epoch_step * accumulation));
  Progress progress("epoch " + std::to_string(state_.epoch) + "/" + std::to_string(config_.num_epochs), steps,
                    config_.batch_size * accumulation * (dist_ ? dist_->world_size() : 1), config_.log_steps.value_or(std::max<int64_t>(1, steps / 10)),
                    state_.epoch_step);
  std::string postfix;
  while (state_.epoch_step < steps) {
    const int64_t micro = std::min(accumulation, batches_per_epoch_ - state_.epoch_step * accumulation);
    const double lr = current_lr(*optimizer_);
    state_.loss_tracker_sum += optimizer_step(loader, micro);
    ++state_.global_step;
    ++state_.epoch_step;
    state_.loss_tracker_avg = state_.loss_tracker_sum / state_.epoch_step;
    if (scheduler_ && !scheduler_->is_plateau() && state_.global_step % scheduling_steps_ == 0) {
      scheduler_->step();
      scheduler_->apply(*optimizer_);
    }
    std::ostringstream text;
    text.precision(4);
    text << "loss " << std::fixed << state_.loss_tracker_avg << " lr " << std::scientific << lr;
    postfix = text.str();
    progress.update(state_.epoch_step, postfix);
    if (log_ && config_.log_steps && state_.global_step % *config_.log_steps == 0)
      log_->add(state_.global_step, state_.epoch, state_.loss_tracker_avg, lr, {});
    if (stop_requested()) return;
    if (state_.global_step % save_steps_ == 0 && state_.epoch_step < steps) save_checkpoint();
  }
  progress.finish(postfix);
}

// metric_for_best_model is a metric's output key (its objective decides) or a loss (smaller is better).
bool Trainer::best_metric_maximizes() const {
  for (const auto& metric : metrics_)
    for (const auto& key : metric->output_keys())
      if (key == config_.metric_for_best_model) return metric->maximize();
  return false;
}

bool Trainer::update_best(const std::map<std::string, double>& results) {
  auto it = results.find(config_.metric_for_best_model);
  if (it == results.end()) return false;
  const bool maximize = best_metric_maximizes();
  const bool better = !state_.best_metric_value ||
                      (maximize ? it->second > *state_.best_metric_value : it->second < *state_.best_metric_value);
  if (better) {
    state_.best_metric_value = it->second;
    state_.best_checkpoint = state_.global_step;
  }
  return better;
}

std::map<std::string, double> Trainer::end_epoch() {
  std::map<std::string, double> results;
  if (config_.do_evaluate && eval_dataset_) {
    const size_t workers = static_cast<size_t>(config_.num_dataloader_workers);
    results = evaluate(*model_, *eval_dataset_, metrics_,
                       {static_cast<size_t>(config_.eval_batch_size.value_or(config_.batch_size)), workers, dist_});
    spdlog::info("evaluation: {}", format_metrics(results));
  }
  const bool improved = update_best(results);
  if (!results.empty()) state_.evaluations_without_improvement = improved ? 0 : state_.evaluations_without_improvement + 1;
  if (scheduler_ && scheduler_->is_plateau()) {
    auto it = results.find(config_.metric_for_best_model);
    HEZAR_CHECK_INPUT(it != results.end(), "lr_scheduler reduce_on_plateau needs evaluation results for '",
                      config_.metric_for_best_model, "' (trainer.metric_for_best_model)");
    scheduler_->step_metric(it->second, best_metric_maximizes());
    scheduler_->apply(*optimizer_);
  }
  if (log_) log_->add(state_.global_step, state_.epoch, state_.loss_tracker_avg, current_lr(*optimizer_), results);
  if (config_.save_enabled) save_checkpoint();
  return results;
}

void Trainer::save_checkpoint() {
  if (!is_main()) return;  // the other ranks hold the same state
  const std::string root = (fs::path(config_.output_dir) / config_.checkpoints_dir).string();
  const std::string name = checkpoint_name(state_.global_step, total_steps_);
  checkpoint_save(root, name, {model_.get(), &config_, &train_dataset_->config(), optimizer_.get(), scheduler_.get(), &state_});
  if (dist_)
    file_write_atomic((fs::path(root) / name / kDistributedFile).string(),
                      detail::concat("world_size: ", dist_->world_size(), "\nglobal_batch_size: ",
                                     config_.batch_size * dist_->world_size(), "\n"));
  if (config_.save_total_limit) checkpoint_rotate(root, std::max(1, *config_.save_total_limit), state_.best_checkpoint);
}

void Trainer::finish() {
  if (!is_main()) return;  // rank 0 writes the final model
  if (config_.load_best_model_at_end && state_.best_checkpoint) {
    const std::string dir = (fs::path(config_.output_dir) / config_.checkpoints_dir /
                             checkpoint_name(*state_.best_checkpoint, total_steps_)).string();
    LoadReport report = model_->load_state_dict(tensor_file_load(model_weights_path(dir)));
    HEZAR_CHECK(report.complete(), "best checkpoint ", dir, " does not fit the model: ", report.summary());
    spdlog::info("loaded the best model (step {}, {} {})", *state_.best_checkpoint,
                 state_.metric_for_best_checkpoint, state_.best_metric_value.value_or(0));
  }
  model_->save(config_.output_dir);
  spdlog::info("saved model to {}", config_.output_dir);
}

std::map<std::string, double> Trainer::train() {
  const size_t workers = static_cast<size_t>(config_.num_dataloader_workers);
  DataLoader loader(*train_dataset_, {static_cast<size_t>(config_.batch_size), config_.dataloader_shuffle,
                                      static_cast<uint64_t>(config_.seed), workers, false,
                                      dist_ ? static_cast<size_t>(dist_->rank()) : 0,
                                      dist_ ? static_cast<size_t>(dist_->world_size()) : 1});
  setup(loader);
  if (dist_) {
    // Every rank seeds the same and resumes from the same checkpoint; rank 0's values make sure of it.
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> tensors;
    std::vector<at::Tensor> trainable;
    for (const auto& p : model_->parameters()) {
      tensors.push_back(p.detach());
      if (p.requires_grad()) trainable.push_back(p);
    }
    for (const auto& b : model_->buffers()) tensors.push_back(b.detach());
    dist_->broadcast(tensors, "broadcasting rank 0's weights");
    grad_sync_ = std::make_unique<GradientSync>(*dist_, trainable);
    spdlog::info("distributed: rank {} of {}, batch {} per rank ({} global), {} gradient buckets ({:.2f} MB)",
                 dist_->rank(), dist_->world_size(), config_.batch_size, config_.batch_size * dist_->world_size(),
                 grad_sync_->num_buckets(), grad_sync_->bytes_per_step() / 1048576.0);
  }
  spdlog::info("training {} on {} examples: {} epochs x {} steps, batch {} x {} accumulation", model_->config().name(),
               train_dataset_->size(), config_.num_epochs, steps_per_epoch_, config_.batch_size,
               config_.gradient_accumulation_steps);
  StopSignals signals;
  std::map<std::string, double> results;
  while (state_.epoch <= config_.num_epochs && state_.global_step < total_steps_) {
    run_epoch(loader);
    if (stop_requested()) {
      save_checkpoint();
      const int signal = dist_ ? stop_signal_ : static_cast<int>(g_stop_signal);
      if (dist_) dist_->barrier("the stop barrier");  // rank 0's checkpoint is complete when all exit
      throw Error(detail::concat("stopped by signal ", signal, " at step ", state_.global_step,
                                 "; checkpoint saved; resume with --resume"), 128 + signal);
    }
    results = end_epoch();
    if (state_.global_step >= total_steps_) break;
    if (config_.early_stopping_patience && state_.evaluations_without_improvement >= *config_.early_stopping_patience) {
      spdlog::info("early stopping: no improvement of {} in {} evaluations", state_.metric_for_best_checkpoint,
                   state_.evaluations_without_improvement);
      break;
    }
    ++state_.epoch;
    state_.epoch_step = 0;
    state_.loss_tracker_sum = 0;
  }
  finish();
  if (dist_) {
    if (grad_sync_ && grad_sync_->steps() > 0)
      spdlog::info("distributed: gradient all-reduce {:.3f} ms/step from first bucket to done, {:.3f} ms/step "
                   "blocked after backward ({} steps, {} buckets)",
                   1e3 * grad_sync_->comm_seconds() / grad_sync_->steps(),
                   1e3 * grad_sync_->wait_seconds() / grad_sync_->steps(), grad_sync_->steps(),
                   grad_sync_->num_buckets());
    dist_->barrier("the final barrier");  // no rank reports success before rank 0 saved the model
  }
  return results;
}

}  // namespace hezar
