#include "trainer/evaluate.h"

#include <c10/core/InferenceMode.h>

#include "data/data_loader.h"
#include "trainer/distributed.h"

namespace hezar {

std::vector<std::string> default_metrics(const std::string& task) {
  if (task == "image_classification" || task == "text_classification")
    return {"accuracy", "precision", "recall", "f1"};
  return {};
}

std::vector<std::shared_ptr<Metric>> metrics_build(const std::vector<std::string>& names) {
  std::vector<std::shared_ptr<Metric>> metrics;
  for (const auto& name : names) metrics.push_back(metric_build(name));
  return metrics;
}

std::map<std::string, double> evaluate(Model& model, const Dataset& dataset,
                                       const std::vector<std::shared_ptr<Metric>>& metrics,
                                       const EvalOptions& options) {
  model.eval();
  Distributed* dist = options.distributed;
  DataLoader loader(dataset, {options.batch_size, /*shuffle=*/false, 0, options.num_workers, false,
                              dist ? static_cast<size_t>(dist->rank()) : 0, dist ? static_cast<size_t>(dist->world_size()) : 1});
  loader.start_epoch(0);
  std::vector<int64_t> predictions, targets;
  double loss_sum = 0.0;
  size_t seen = 0;
  c10::optional<c10::InferenceMode> guard(c10::in_place);  // until the collectives, which write in place
  while (auto batch = loader.next()) {
    if (batch->empty()) continue;  // this rank's shard of a short last batch is empty
    const at::Tensor& labels = tensor_at(*batch, "labels", "evaluate");
    TensorMap outputs = model.forward(*batch);
    at::Tensor loss = model.compute_loss(outputs, labels);
    loss_sum += loss.item<double>() * labels.size(0);  // weighted by batch size: the last one is short
    seen += labels.size(0);
    at::Tensor predicted = tensor_at(outputs, "logits", "evaluate").argmax(-1).to(at::kLong).contiguous();
    at::Tensor target = labels.to(at::kLong).contiguous();
    predictions.insert(predictions.end(), predicted.data_ptr<int64_t>(),
                       predicted.data_ptr<int64_t>() + predicted.numel());
    targets.insert(targets.end(), target.data_ptr<int64_t>(), target.data_ptr<int64_t>() + target.numel());
  }
  guard.reset();
  if (dist) {
    at::Tensor totals = at::tensor({loss_sum, static_cast<double>(seen)}, at::kDouble);
    dist->all_reduce_sum(totals, "gathering evaluation results");
    loss_sum = totals[0].item<double>();
    seen = static_cast<size_t>(totals[1].item<double>());
    predictions = dist->all_gather(predictions, "gathering evaluation predictions");
    targets = dist->all_gather(targets, "gathering evaluation targets");
  }
  std::map<std::string, double> results{{"loss", seen ? loss_sum / seen : 0.0}};
  for (const auto& metric : metrics)
    for (const auto& [key, value] : metric->compute(predictions, targets)) results[key] = value;
  return results;
}

}  // namespace hezar
