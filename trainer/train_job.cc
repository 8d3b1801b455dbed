#include "trainer/train_job.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "data/dataset.h"
#include "hub/hub-dataset.h"
#include "hub/hub.h"
#include "models/model.h"
#include "trainer/trainer.h"

namespace hezar {

TrainJobConfig train_job_load(const std::string& path, const std::vector<std::string>& overrides) {
  YAML::Node root = yaml_load_file(path);
  for (const auto& o : overrides) yaml_apply_override(root, o);
  TrainJobConfig job;
  config_decode(job, root, DecodeContext{path, ""});
  return job;
}

namespace {
std::string split_of(Config& dataset_config, const char* key, const char* fallback) {
  const std::string* split = config_find_field<std::string>(dataset_config, key);
  return split ? *split : fallback;
}

}  // namespace

std::map<std::string, double> train_job_run(const TrainJobConfig& job) {
  HEZAR_CHECK_INPUT(job.model.has_value(), "the training config has no `model:` section");
  HEZAR_CHECK_INPUT(job.dataset.has_value(), "the training config has no `dataset:` section");
  HEZAR_CHECK_INPUT(!job.trainer.output_dir.empty(), "trainer.output_dir is required (or pass --output-dir)");
  at::manual_seed(job.trainer.seed);

  PreprocessorSet preprocessors = preprocessors_build(job.preprocessor);
  std::unique_ptr<Config> dataset_config = job.dataset->clone();
  if (std::string* path = config_find_field<std::string>(*dataset_config, "path"))
    *path = hub::hub_resolve_dataset_path(*path);  // a Hub dataset id -> local folder
  auto train_dataset = dataset_build(*dataset_config, split_of(*dataset_config, "train_split", "train"),
                                     preprocessors);
  std::unique_ptr<Config> model_config = job.model->clone();
  std::shared_ptr<Dataset> eval_dataset;
  if (!train_dataset->id2label().empty()) {
    config_set_labels(*model_config, train_dataset->id2label());
    config_set_labels(*dataset_config, train_dataset->id2label());  // eval uses the same label ids
  }
  if (job.trainer.do_evaluate)
    eval_dataset = dataset_build(*dataset_config, split_of(*dataset_config, "eval_split", "test"), preprocessors);

  std::shared_ptr<Model> model = model_build(*model_config);
  model->preprocessors() = preprocessors;
  if (job.trainer.init_weights_from)  // a model folder or a Hub id
    model_init_weights_from(*model, hub::hub_resolve_model_dir(*job.trainer.init_weights_from));
  Trainer trainer(model, job.trainer, train_dataset, eval_dataset);
  return trainer.train();
}

}  // namespace hezar
