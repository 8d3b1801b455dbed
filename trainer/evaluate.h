// Evaluation of a model on a dataset: loss and metrics over the whole set.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/model.h"
#include "trainer/metrics.h"

namespace hezar {

class Distributed;

struct EvalOptions {
  size_t batch_size = 32;
  size_t num_workers = 0;
  // With a process group, each rank evaluates its shard of every batch; the loss is summed and the
  // predictions/targets gathered from all ranks, so every rank gets the metrics of the whole set.
  Distributed* distributed = nullptr;
};

// Returns {"loss": ..., <metric keys>...}. Predictions are the argmax of the model's logits.
std::map<std::string, double> evaluate(Model& model, const Dataset& dataset,
                                       const std::vector<std::shared_ptr<Metric>>& metrics,
                                       const EvalOptions& options);

// The metrics used when none are configured, by task.
std::vector<std::string> default_metrics(const std::string& task);
std::vector<std::shared_ptr<Metric>> metrics_build(const std::vector<std::string>& names);

}  // namespace hezar
