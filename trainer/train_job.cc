#include "trainer/train_job.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "data/dataset.h"
#include "hub/hub-dataset.h"
#include "hub/hub.h"
#include "core/file_util.h"
#include "models/model.h"
#include "preprocessors/text_normalizer.h"
#include "preprocessors/text_tokenizer.h"
#include "preprocessors/tokenizer_training.h"
#include "trainer/trainer.h"

namespace hezar {

namespace fs = std::filesystem;

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

// A tokenizer preprocessor configured without a tokenizer.json (no `path`/preprocessor folder) is trained
// here on the training split's texts, with its config's vocab_size/min_frequency/special tokens, so a
// text model can be trained from scratch from one YAML file. The model's vocab_size and pad_token_id
// follow the trained tokenizer.
void tokenizer_train_if_needed(const PreprocessorSet& preprocessors, const Dataset& train_dataset,
                               Config& model_config, const std::string& output_dir) {
  auto tokenizer = preprocessors.find<TextTokenizer>();
  if (!tokenizer || tokenizer->has_backend()) return;
  const std::vector<std::string> texts = train_dataset.training_texts();
  HEZAR_CHECK_INPUT(!texts.empty(), "preprocessor '", tokenizer->config().name(),
                    "' has no tokenizer.json and dataset '", train_dataset.config().name(),
                    "' has no texts to train it on; set the preprocessor's path to a trained tokenizer");
  std::string corpus;
  for (const auto& text : texts) corpus.append(text).push_back('\n');
  fs::create_directories(output_dir);
  const std::string corpus_path = temp_path_for((fs::path(output_dir) / "tokenizer_corpus.txt").string());
  file_write_atomic(corpus_path, corpus);
  std::shared_ptr<TextTokenizer> trained;
  try {
    auto normalizer = preprocessors.find<TextNormalizer>();
    trained = train_text_tokenizer(static_cast<const TokenizerConfigBase&>(tokenizer->config()), {corpus_path},
                                   normalizer.get());
  } catch (...) {
    fs::remove(corpus_path);
    throw;
  }
  fs::remove(corpus_path);
  tokenizer->set_backend(trained->backend_ptr());
  const size_t vocab = trained->backend().vocab_size();
  spdlog::info("trained tokenizer '{}' on {} training texts: {} tokens", tokenizer->config().name(), texts.size(),
               vocab);
  if (int* size = config_find_field<int>(model_config, "vocab_size")) *size = static_cast<int>(vocab);
  if (int* pad = config_find_field<int>(model_config, "pad_token_id"); pad && trained->pad_token_id())
    *pad = static_cast<int>(*trained->pad_token_id());
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
  tokenizer_train_if_needed(preprocessors, *train_dataset, *model_config, job.trainer.output_dir);
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
