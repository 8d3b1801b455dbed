#include "data/dataset.h"

#include <ATen/ATen.h>

#include <cmath>

#include "core/error.h"

namespace hezar {

TensorMap Dataset::collate(const std::vector<TensorMap>& examples) const {
  HEZAR_CHECK(!examples.empty(), "collate: empty batch");
  TensorMap batch;
  for (const auto& [key, first] : examples.front()) {
    std::vector<at::Tensor> parts;
    parts.reserve(examples.size());
    for (const auto& example : examples) parts.push_back(tensor_at(example, key, "collate"));
    batch[key] = at::stack(parts);
  }
  return batch;
}

TensorMap Dataset::get_batch(const std::vector<size_t>& indices) const {
  std::vector<TensorMap> examples;
  examples.reserve(indices.size());
  for (size_t i : indices) examples.push_back(get(i));
  return collate(examples);
}

std::shared_ptr<Dataset> dataset_build(const Config& config, const std::string& split,
                                       const PreprocessorSet& preprocessors) {
  return DatasetRegistry::instance().build("dataset", config.name(), &config, {}, split, preprocessors);
}

size_t max_size_resolve(const std::optional<double>& max_size, size_t available, const std::string& where) {
  if (!max_size) return available;
  const double v = *max_size;
  HEZAR_CHECK_INPUT(v > 0, where, ".max_size must be positive (a count, or a fraction in (0, 1]), got ", v);
  if (v < 1.0) return std::max<size_t>(1, static_cast<size_t>(v * available));
  HEZAR_CHECK_INPUT(std::floor(v) == v, where, ".max_size ", v, " must be a whole number or a fraction below 1");
  return std::min(available, static_cast<size_t>(v));
}

void dataset_check_task(const Dataset& dataset, const std::string& model_task, const std::string& model_name) {
  const std::string task = dataset.task();
  HEZAR_CHECK_INPUT(task.empty() || task == model_task, "dataset '", dataset.config().name(), "' is ", task,
                    " data but model '", model_name, "' solves ", model_task, "; use a ", model_task,
                    " dataset or a *_", task, " model");
}

}  // namespace hezar
