// The Model base: a torch::nn::Module with its config and preprocessors, and Hezar's predict pipeline
// (preprocess -> forward -> post_process), save/load layout and flexible state-dict loading.
#pragma once

#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/registry.h"
#include "core/tensor_dict.h"
#include "core/tensor_map.h"
#include "preprocessors/preprocessor.h"

namespace hezar {

struct PredictOptions {
  int top_k = 1;
  bool return_scores = false;   // sequence labeling: add each token's score
  bool return_offsets = false;  // sequence labeling: add each token's start/end (code points)
};

// What load_state_dict did not load, so callers can report it (as Hezar warns).
struct LoadReport {
  std::vector<std::string> missing;      // in the model, not in the file: left as initialised
  std::vector<std::string> unexpected;   // in the file, not in the model
  std::vector<std::string> mismatched;   // same name, different shape: "name: file [a, b] vs model [c]"
  bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string summary() const;
};

class Model : public torch::nn::Module {
 public:
  explicit Model(const Config& config) : config_(config.clone()) {}

  const Config& config() const { return *config_; }
  PreprocessorSet& preprocessors() { return preprocessors_; }
  const PreprocessorSet& preprocessors() const { return preprocessors_; }

  // The task this model solves ("image_classification", ...): picks dataset and default metrics.
  virtual std::string task() const = 0;
  // Model inputs (e.g. {"pixel_values"}) -> outputs (e.g. {"logits"}).
  virtual TensorMap forward(const TensorMap& inputs) = 0;
  // Training loss from forward's outputs and the batch's labels; cross entropy on "logits" by default.
  // A forward that scores only some positions (masked LM) returns their labels as outputs["labels"],
  // aligned with its logits; the loss and the evaluation metrics then use those.
  virtual at::Tensor compute_loss(const TensorMap& outputs, const at::Tensor& labels);
  // Raw inputs (file paths or text) -> model inputs, through this model's preprocessors.
  virtual TensorMap preprocess(const std::vector<std::string>& inputs) const = 0;
  // Outputs -> one JSON value per input, shaped like Hezar's predict() output.
  virtual nlohmann::json post_process(const TensorMap& outputs, const PredictOptions& options) const = 0;

  // preprocess -> forward (no grad, eval mode) -> post_process.
  nlohmann::json predict(const std::vector<std::string>& inputs, const PredictOptions& options);

  // Loads tensors by name; anything not matching is reported rather than fatal (Hezar's flexible load).
  // A file key the model does not have goes through map_foreign_key first. A model tensor that is the
  // same tensor as a loaded one (tied weights, e.g. an LM decoder tied to the word embeddings) is not
  // reported missing, so Hub files that omit tied duplicates load cleanly. With `share_storage`, a
  // parameter whose dtype and shape match takes the file tensor's storage instead of a copy (for
  // memory-mapped copy-on-write safetensors: no second copy of the weights while loading); only pass it
  // when the file's tensors do not share storage with each other.
  LoadReport load_state_dict(const TensorDict& tensors, bool share_storage = false);
  // The model key a foreign file key loads into (e.g. a Hugging Face checkpoint's `cls.predictions.bias`
  // into Hezar's `bert_mask_filling.cls.predictions.bias`); "" drops the key (legacy buffers). `own`
  // holds the model's keys. The default keeps the key.
  virtual std::string map_foreign_key(const std::string& key, const std::set<std::string>& own) const {
    return key;
  }
  TensorDict state_dict_tensors() const;

  // Hezar's layout: model_config.yaml, model.pt (or model.safetensors), preprocessor/.
  void save(const std::string& dir, const std::string& weights_file = "model.pt") const;

  // The labels the model predicts, from its config's `id2label` (empty when it has none).
  std::map<int, std::string> id2label() const;

 private:
  std::unique_ptr<Config> config_;
  PreprocessorSet preprocessors_;
};

using ModelRegistry = Registry<Model>;

#define HEZAR_REGISTER_MODEL(NAME, CLASS, CONFIG, DESCRIPTION) \
  HEZAR_REGISTER(::hezar::ModelRegistry, "model", NAME, CLASS, CONFIG, DESCRIPTION)

// Builds a model from its config (weights freshly initialised).
std::shared_ptr<Model> model_build(const Config& config, const std::vector<std::string>& overrides = {});

// While one is alive, models built on this thread skip their own random initialisation (HF's _init_weights:
// ~360 ms of a BERT-base's 900 ms build). model_load uses it because its strict load overwrites every
// weight the forward uses, as transformers' from_pretrained skips the init of loaded weights. What
// LibTorch's module constructors initialise stays initialised.
class ModelInitSkip {
 public:
  ModelInitSkip();
  ~ModelInitSkip();
  ModelInitSkip(const ModelInitSkip&) = delete;
  ModelInitSkip& operator=(const ModelInitSkip&) = delete;

 private:
  bool previous_;
};
bool model_init_skipped();
// model_build under ModelInitSkip, for loaders whose strict load then replaces every weight.
std::shared_ptr<Model> model_build_to_load(const Config& config, const std::vector<std::string>& overrides);

// Loads a saved model directory: config by `name` through the registry, weights (model.safetensors,
// sharded safetensors, model.pt or pytorch_model.bin, whichever exists), preprocessors. Missing or
// shape-mismatched weights are BadInput listing the keys; unexpected extra keys only warn.
std::shared_ptr<Model> model_load(const std::string& dir, const std::vector<std::string>& overrides = {});

// Loaders for other folder layouts, tried by model_load when `dir` has no model_config.yaml but has
// `marker_file` (e.g. Hugging Face's config.json, registered by models/transformer/hf_layout.cc).
using ModelLayoutLoader =
    std::function<std::shared_ptr<Model>(const std::string& dir, const std::vector<std::string>& overrides)>;
void model_register_layout(const std::string& marker_file, ModelLayoutLoader loader);

// Whether `path` is a (sharded) safetensors file, whose tensors are separate memory-mapped regions that
// load_state_dict can adopt with share_storage.
bool weights_are_mapped(const std::string& path);

// Loads the weights of a model folder (Hezar or Hugging Face layout, e.g. a backbone) into `model`
// leniently, for trainer.init_weights_from: the report lists what stayed newly initialised (the head).
LoadReport model_init_weights_from(Model& model, const std::string& dir);

// Loads the weights of a saved model folder into `model` strictly: the weights must cover the config
// (`config_path`, named in the error), except keys `may_miss` accepts; extra keys only warn.
void model_load_weights_strict(Model& model, const std::string& dir, const std::string& config_path,
                               const std::function<bool(const std::string&)>& may_miss = nullptr);

// The weights file in `dir` that model_load would use, or "" if there is none.
std::string model_weights_path(const std::string& dir);

// Sets `id2label` and the matching class count (`num_labels` / `num_classes`) of a model config that has
// those fields; returns false if it has no `id2label` field.
bool config_set_labels(Config& config, const std::map<int, std::string>& id2label);

}  // namespace hezar
