#include "trainer/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "core/file_util.h"
#include "data/data_loader.h"
#include "trainer/evaluate.h"
#include "trainer/optimizer.h"
#include "trainer/progress.h"
#include "core/strings.h"

namespace fs = std::filesystem;

namespace hezar {

namespace {
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
}  // namespace

Trainer::Trainer(std::shared_ptr<Model> model, const TrainerConfig& config,
                 std::shared_ptr<Dataset> train_dataset, std::shared_ptr<Dataset> eval_dataset)
    : model_(std::move(model)), config_(config), train_dataset_(std::move(train_dataset)),
      eval_dataset_(std::move(eval_dataset)) {
  HEZAR_CHECK_INPUT(!config_.output_dir.empty(), "trainer.output_dir is required (or pass --output-dir)");
  HEZAR_CHECK_INPUT(config_.num_epochs >= 1, "trainer.num_epochs must be at least 1");
  HEZAR_CHECK_INPUT(config_.batch_size >= 1, "trainer.batch_size must be at least 1");
  HEZAR_CHECK_INPUT(config_.num_dataloader_workers >= 0, "trainer.num_dataloader_workers must be >= 0");
  const std::string task = config_.task.empty() ? model_->task() : config_.task;
  HEZAR_CHECK_INPUT(task == model_->task(), "trainer.task '", task, "' does not match model '",
                    model_->config().name(), "' (task ", model_->task(), ")");
  config_.task = task;
  metrics_ = metrics_build(config_.metrics.empty() ? default_metrics(task) : config_.metrics);
  optimizer_ = optimizer_build(config_.optimizer, model_->parameters(), config_.learning_rate,
                               config_.weight_decay);
}

Trainer::~Trainer() = default;

double Trainer::train_step(const TensorMap& batch) {
  model_->train();
  optimizer_->zero_grad();
  TensorMap outputs = model_->forward(batch);
  at::Tensor loss = model_->compute_loss(outputs, tensor_at(batch, "labels", "trainer"));
  loss.backward();
  optimizer_->step();
  return loss.item<double>();
}

std::map<std::string, double> Trainer::train() {
  const size_t workers = static_cast<size_t>(config_.num_dataloader_workers);
  DataLoader loader(*train_dataset_, {static_cast<size_t>(config_.batch_size), config_.dataloader_shuffle,
                                      static_cast<uint64_t>(config_.seed), workers, false});
  const int64_t steps_per_epoch = static_cast<int64_t>(loader.num_batches());
  total_steps_ = steps_per_epoch * config_.num_epochs;
  if (config_.max_steps) total_steps_ = std::min(total_steps_, *config_.max_steps);
  const int64_t save_steps = config_.save_steps.value_or(steps_per_epoch);
  HEZAR_CHECK_INPUT(save_steps >= 1, "trainer.save_steps must be at least 1");
  state_.total_epochs = config_.num_epochs;
  state_.metric_for_best_checkpoint = "evaluation." + config_.metric_for_best_model;
  state_.logs_dir = (fs::path(config_.output_dir) / config_.logs_dir / run_name()).string();
  logs_path_ = state_.logs_dir + "/training_logs.csv";
  fs::create_directories(state_.logs_dir);
  spdlog::info("training {} on {} examples: {} epochs x {} steps, batch {}", model_->config().name(),
               train_dataset_->size(), config_.num_epochs, steps_per_epoch, config_.batch_size);

  std::map<std::string, double> results;
  for (int epoch = 1; epoch <= config_.num_epochs && state_.global_step < total_steps_; ++epoch) {
    state_.epoch = epoch;
    state_.epoch_step = 0;
    state_.loss_tracker_sum = 0;
    loader.start_epoch(epoch);
    const int64_t steps = std::min(steps_per_epoch, total_steps_ - state_.global_step);
    Progress progress("epoch " + std::to_string(epoch) + "/" + std::to_string(config_.num_epochs), steps,
                      config_.batch_size, config_.log_steps.value_or(std::max<int64_t>(1, steps / 10)));
    std::string postfix;
    while (state_.epoch_step < steps) {
      auto batch = loader.next();
      if (!batch) break;
      state_.loss_tracker_sum += train_step(*batch);
      ++state_.global_step;
      ++state_.epoch_step;
      state_.loss_tracker_avg = state_.loss_tracker_sum / state_.epoch_step;
      std::ostringstream loss_text;
      loss_text << "loss " << std::fixed << std::setprecision(4) << state_.loss_tracker_avg;
      postfix = loss_text.str();
      HEZAR_CHECK(std::isfinite(state_.loss_tracker_avg), "training diverged at step ", state_.global_step,
                  " (loss is not finite); lower trainer.learning_rate");
      progress.update(state_.epoch_step, postfix);
      if (state_.global_step % save_steps == 0 && state_.epoch_step < steps) save_checkpoint({});
    }
    progress.finish(postfix);
    if (config_.do_evaluate && eval_dataset_) {
      EvalOptions options{static_cast<size_t>(config_.eval_batch_size.value_or(config_.batch_size)), workers};
      results = evaluate(*model_, *eval_dataset_, metrics_, options);
      spdlog::info("evaluation: {}", format_metrics(results));
    }
    update_best(results);
    write_log_row(results);
    save_checkpoint(results);
  }
  model_->save(config_.output_dir);
  spdlog::info("saved model to {}", config_.output_dir);
  return results;
}

void Trainer::update_best(const std::map<std::string, double>& results) {
  auto it = results.find(config_.metric_for_best_model);
  if (it == results.end()) return;
  bool maximize = false;
  for (const auto& metric : metrics_)
    if (metric->config().name() == config_.metric_for_best_model) maximize = metric->maximize();
  const bool better = !state_.best_metric_value ||
                      (maximize ? it->second > *state_.best_metric_value : it->second < *state_.best_metric_value);
  if (better) {
    state_.best_metric_value = it->second;
    state_.best_checkpoint = state_.global_step;
  }
}

void Trainer::write_log_row(const std::map<std::string, double>& results) {
  if (log_header_.empty()) {
    log_header_ = {"step", "epoch", "train.loss"};
    for (const auto& [key, value] : results) log_header_.push_back("evaluation." + key);
    log_text_ = join(log_header_, ",") + "\n";
  }
  std::ostringstream row;
  row << state_.global_step << "," << state_.epoch << "," << state_.loss_tracker_avg;
  for (size_t i = 3; i < log_header_.size(); ++i) {
    auto it = results.find(log_header_[i].substr(std::string("evaluation.").size()));
    row << ",";
    if (it != results.end()) row << it->second;
  }
  log_text_ += row.str() + "\n";
  file_write_atomic(logs_path_, log_text_);
}

void Trainer::save_checkpoint(const std::map<std::string, double>&) {
  const fs::path root = fs::path(config_.output_dir) / config_.checkpoints_dir;
  std::ostringstream name;
  name << std::setw(static_cast<int>(std::to_string(total_steps_).size())) << std::setfill('0')
       << state_.global_step;
  const fs::path final_dir = root / name.str();
  const fs::path tmp_dir = temp_path_for(final_dir.string());
  fs::create_directories(root);
  try {
    model_->save(tmp_dir.string());
    fs::create_directories(tmp_dir / "train");
    config_save(config_, (tmp_dir / "train/train_config.yaml").string());
    config_save(train_dataset_->config(), (tmp_dir / "train/dataset_config.yaml").string());
    torch::serialize::OutputArchive archive;
    optimizer_->save(archive);
    archive.save_to((tmp_dir / "train/optimizer.pt").string());
    fs::remove_all(final_dir);
    fs::rename(tmp_dir, final_dir);
  } catch (...) {
    fs::remove_all(tmp_dir);
    throw;
  }
  config_save(state_, (root / "trainer_state.yaml").string());
}

}  // namespace hezar
