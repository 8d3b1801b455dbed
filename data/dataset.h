// Datasets: indexed collections of examples (TensorMaps) built from a config and a split name, plus the
// collator that batches them. Each dataset family lives in its own file and registers itself here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/registry.h"
#include "core/tensor_map.h"
#include "preprocessors/preprocessor.h"

namespace hezar {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual const Config& config() const = 0;
  virtual size_t size() const = 0;
  // One example; must be safe to call from several loader threads at once.
  virtual TensorMap get(size_t index) const = 0;
  // Batches examples; the default stacks every key (all examples must have the same shapes).
  virtual TensorMap collate(const std::vector<TensorMap>& examples) const;
  // The batch of the examples at `indices` = collate(get(i)...). Datasets override it when a whole
  // batch is cheaper to prepare at once (e.g. one image-processing pass instead of one per image).
  virtual TensorMap get_batch(const std::vector<size_t>& indices) const;
  // Class names by id for classification data ({} otherwise).
  virtual std::map<int, std::string> id2label() const { return {}; }
  // The task whose models this data trains ("text_classification", ...); "" if it suits any.
  virtual std::string task() const { return ""; }
  // The raw texts of a text dataset (for sequence labeling, each sentence's words joined by a space), to
  // train a tokenizer on before the first example is fetched; {} for other data.
  virtual std::vector<std::string> training_texts() const { return {}; }
  // Called by DataLoader::start_epoch before the epoch's first batch is fetched. Datasets whose examples
  // vary by epoch (e.g. masked-LM masking) key their randomness on it, so that a resumed run and any
  // number of loader workers see the same examples. The default ignores it.
  virtual void set_epoch(int64_t /*epoch*/) const {}
};

// Constructor arguments: (config, split name, the preprocessors that turn raw data into model inputs).
using DatasetRegistry = Registry<Dataset, const std::string&, const PreprocessorSet&>;

#define HEZAR_REGISTER_DATASET(NAME, CLASS, CONFIG, DESCRIPTION) \
  HEZAR_REGISTER(::hezar::DatasetRegistry, "dataset", NAME, CLASS, CONFIG, DESCRIPTION)

std::shared_ptr<Dataset> dataset_build(const Config& config, const std::string& split,
                                       const PreprocessorSet& preprocessors);

// BadInput when `dataset` is made for another task than `model_task` (e.g. sequence-labeling data given
// to a text-classification model), naming both; `model_name` is the model's registry name.
void dataset_check_task(const Dataset& dataset, const std::string& model_task, const std::string& model_name);

// Hezar's max_size: a count (>= 1), or a fraction (< 1) of `available`. Returns how many to keep.
size_t max_size_resolve(const std::optional<double>& max_size, size_t available, const std::string& where);

}  // namespace hezar
