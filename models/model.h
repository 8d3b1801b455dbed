// The Model base: a torch::nn::Module with its config and preprocessors, and Hezar's predict pipeline
// (preprocess -> forward -> post_process), save/load layout and flexible state-dict loading.
#pragma once

#include <torch/nn/module.h>

#include <memory>
#include <nlohmann/json.hpp>
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
  virtual at::Tensor compute_loss(const TensorMap& outputs, const at::Tensor& labels);
  // Raw inputs (file paths or text) -> model inputs, through this model's preprocessors.
  virtual TensorMap preprocess(const std::vector<std::string>& inputs) const = 0;
  // Outputs -> one JSON value per input, shaped like Hezar's predict() output.
  virtual nlohmann::json post_process(const TensorMap& outputs, const PredictOptions& options) const = 0;

  // preprocess -> forward (no grad, eval mode) -> post_process.
  nlohmann::json predict(const std::vector<std::string>& inputs, const PredictOptions& options);

  // Loads tensors by name; anything not matching is reported rather than fatal (Hezar's flexible load).
  LoadReport load_state_dict(const TensorDict& tensors);
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

// Loads a saved model directory: config by `name` through the registry, weights (model.safetensors,
// sharded safetensors, model.pt or pytorch_model.bin, whichever exists), preprocessors. Missing or
// shape-mismatched weights are BadInput listing the keys; unexpected extra keys only warn.
std::shared_ptr<Model> model_load(const std::string& dir, const std::vector<std::string>& overrides = {});

// The weights file in `dir` that model_load would use, or "" if there is none.
std::string model_weights_path(const std::string& dir);

// Sets `id2label` and the matching class count (`num_labels` / `num_classes`) of a model config that has
// those fields; returns false if it has no `id2label` field.
bool config_set_labels(Config& config, const std::map<int, std::string>& id2label);

}  // namespace hezar
