#include "trainer/checkpoint.h"

#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <filesystem>

#include "core/file_util.h"
#include "core/strings.h"
#include "core/tensor_file.h"
#include "core/torch_pickle.h"

namespace fs = std::filesystem;

namespace hezar {

namespace {
// Fields whose change would alter the data order or the optimizer's steps, so a resumed run could not
// reproduce the original.
const char* kResumeFixedKeys[] = {"batch_size", "gradient_accumulation_steps", "seed", "dataloader_shuffle",
                                  "optimizer", "lr_scheduler", "lr_scheduler_kwargs", "lr_scheduling_steps"};

void check_same(const Config& saved, const Config& current, const std::string& what, const std::string& dir,
                const std::vector<std::string>& only = {}) {
  std::vector<std::string> diff;
  for (const auto& line : config_diff(saved, current)) {
    const std::string key = line.substr(0, line.find_first_of(".:"));
    if (only.empty() || std::find(only.begin(), only.end(), key) != only.end()) diff.push_back(line);
  }
  HEZAR_CHECK_INPUT(diff.empty(), "checkpoint ", dir, " was made with a different ", what,
                    " (checkpoint -> now): ", join(diff, "; "));
}

template <class T>
T load_yaml(const std::string& path) {
  HEZAR_CHECK_INPUT(fs::is_regular_file(path), "checkpoint file ", path, " is missing");
  T value;
  config_decode(value, yaml_load_file(path), DecodeContext{path, ""});
  return value;
}
}  // namespace

std::string checkpoint_name(int64_t step, int64_t total_steps) {
  std::string digits = std::to_string(step);
  const size_t width = std::to_string(total_steps).size();
  return std::string(digits.size() < width ? width - digits.size() : 0, '0') + digits;
}

void checkpoint_save(const std::string& root, const std::string& name, const CheckpointParts& p) {
  const fs::path final_dir = fs::path(root) / name;
  const fs::path tmp_dir = temp_path_for(final_dir.string());
  const fs::path train = tmp_dir / "train";
  fs::create_directories(root);
  remove_stale_temps(root);
  try {
    p.model->save(tmp_dir.string());
    fs::create_directories(train);
    config_save(*p.trainer_config, (train / "train_config.yaml").string());
    config_save(*p.dataset_config, (train / "dataset_config.yaml").string());
    torch::serialize::OutputArchive archive;
    p.optimizer->save(archive);
    archive.save_to((train / "optimizer.pt").string());
    if (p.scheduler) config_save(p.scheduler->state(), (train / "lr_scheduler.yaml").string());
    torch_save((train / "rng_state.pt").string(), {{"cpu", at::detail::getDefaultCPUGenerator().get_state()}});
    config_save(*p.state, (train / "trainer_state.yaml").string());
    fs::remove_all(final_dir);
    fs::rename(tmp_dir, final_dir);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(tmp_dir, ignored);
    throw;
  }
  config_save(*p.state, (fs::path(root) / "trainer_state.yaml").string());
}

std::string checkpoint_resolve(const std::string& resume, const std::string& root) {
  if (resume != "true") {
    HEZAR_CHECK_INPUT(fs::is_regular_file(resume + "/train/trainer_state.yaml"), "resume_from_checkpoint '",
                      resume, "' is not a checkpoint folder (train/trainer_state.yaml is missing)");
    return resume;
  }
  const std::string state_path = root + "/trainer_state.yaml";
  HEZAR_CHECK_INPUT(fs::is_regular_file(state_path), "resume_from_checkpoint: no trainer state in ", root,
                    " (nothing to resume; train without resume_from_checkpoint first)");
  TrainerState state = load_yaml<TrainerState>(state_path);
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.find_first_not_of("0123456789") == std::string::npos &&
        std::stoll(name) == state.global_step)
      return entry.path().string();
  }
  throw BadInput(detail::concat("resume_from_checkpoint: the checkpoint of step ", state.global_step, " named in ",
                                state_path, " is missing"));
}

void checkpoint_load(const std::string& dir, const CheckpointParts& p) {
  const std::string train = dir + "/train";
  check_same(*config_load(dir + "/model_config.yaml", "model"), p.model->config(), "model config", dir);
  check_same(*config_load(train + "/dataset_config.yaml", "dataset"), *p.dataset_config, "dataset", dir);
  TrainerConfig saved_trainer = load_yaml<TrainerConfig>(train + "/train_config.yaml");
  check_same(saved_trainer, *p.trainer_config, "trainer setting", dir,
             std::vector<std::string>(std::begin(kResumeFixedKeys), std::end(kResumeFixedKeys)));

  LoadReport report = p.model->load_state_dict(tensor_file_load(model_weights_path(dir)));
  HEZAR_CHECK_INPUT(report.complete(), "checkpoint ", dir, " does not fit the model: ", report.summary());
  torch::serialize::InputArchive archive;
  archive.load_from(train + "/optimizer.pt");
  p.optimizer->load(archive);
  if (p.scheduler) p.scheduler->set_state(load_yaml<LrSchedulerState>(train + "/lr_scheduler.yaml"));
  TensorDict rng = torch_load(train + "/rng_state.pt");
  const at::Tensor* cpu = tensor_dict_find(rng, "cpu");
  HEZAR_CHECK_INPUT(cpu != nullptr, train, "/rng_state.pt has no 'cpu' generator state");
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  generator.set_state(*cpu);
  *p.state = load_yaml<TrainerState>(train + "/trainer_state.yaml");
}

void checkpoint_rotate(const std::string& root, int limit, std::optional<int64_t> keep_step) {
  std::vector<std::pair<int64_t, fs::path>> steps;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && !name.empty() && name.find_first_not_of("0123456789") == std::string::npos)
      steps.emplace_back(std::stoll(name), entry.path());
  }
  std::sort(steps.begin(), steps.end());
  int64_t excess = static_cast<int64_t>(steps.size()) - limit;
  for (size_t i = 0; i + 1 < steps.size() && excess > 0; ++i) {  // the newest one is what resume needs
    const auto& [step, path] = steps[i];
    if (keep_step && step == *keep_step) continue;
    fs::remove_all(path);
    --excess;
  }
}

}  // namespace hezar
