#include "trainer/evaluate.h"

#include <c10/core/InferenceMode.h>

#include "data/data_loader.h"
#include "trainer/distributed.h"

namespace hezar {

std::vector<std::string> default_metrics(const std::string& task) {
  if (task == "image_classification" || task == "text_classification")
    return {"accuracy", "precision", "recall", "f1"};
  if (task == "sequence_labeling") return {"seqeval"};
  if (task == "mask_filling") return {"accuracy"};
  return {};
}

std::vector<std::shared_ptr<Metric>> metrics_build(const std::vector<std::string>& names) {
  std::vector<std::shared_ptr<Metric>> metrics;
  for (const auto& name : names) metrics.push_back(metric_build(name));
  return metrics;
}

namespace {
// Appends a batch's predictions and targets. Per-token labels ([B, T]) drop the positions labelled
// kIgnoreIndex and record how many each example kept.
void collect_predictions(const at::Tensor& predicted, const at::Tensor& labels, MetricInputs& inputs,
                         std::vector<int64_t>& lengths) {
  constexpr int64_t kIgnoreIndex = -100;
  const at::Tensor p = predicted.to(at::kLong).contiguous(), t = labels.to(at::kLong).contiguous();
  HEZAR_CHECK(p.sizes() == t.sizes(), "evaluate: predictions ", p.sizes(), " and labels ", t.sizes(), " differ in shape");
  const int64_t* pp = p.data_ptr<int64_t>();
  const int64_t* tp = t.data_ptr<int64_t>();
  if (t.dim() <= 1) {
    inputs.predictions.insert(inputs.predictions.end(), pp, pp + p.numel());
    inputs.targets.insert(inputs.targets.end(), tp, tp + t.numel());
    return;
  }
  const int64_t rows = t.size(0), cols = t.numel() / rows;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t kept = 0;
    for (int64_t c = r * cols; c < (r + 1) * cols; ++c) {
      if (tp[c] == kIgnoreIndex) continue;
      inputs.predictions.push_back(pp[c]);
      inputs.targets.push_back(tp[c]);
      ++kept;
    }
    lengths.push_back(kept);
  }
}
}  // namespace

std::map<std::string, double> evaluate(Model& model, const Dataset& dataset,
                                       const std::vector<std::shared_ptr<Metric>>& metrics,
                                       const EvalOptions& options) {
  dataset_check_task(dataset, model.task(), model.config().name());
  model.eval();
  Distributed* dist = options.distributed;
  DataLoader loader(dataset, {options.batch_size, /*shuffle=*/false, 0, options.num_workers, false,
                              dist ? static_cast<size_t>(dist->rank()) : 0, dist ? static_cast<size_t>(dist->world_size()) : 1});
  loader.start_epoch(0);
  MetricInputs inputs;
  std::vector<int64_t> lengths;  // positions kept per example, for per-token labels
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
    at::Tensor predicted = tensor_at(outputs, "logits", "evaluate").argmax(-1);
    auto selected = outputs.find("labels");  // a head that scored only the labelled positions
    if (selected != outputs.end()) {
      collect_predictions(predicted, selected->second, inputs, lengths);  // [N]: no per-example lengths
      const at::Tensor counts = labels.ne(-100).sum(-1).to(at::kLong).contiguous();
      lengths.insert(lengths.end(), counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel());
    } else {
      collect_predictions(predicted, labels, inputs, lengths);
    }
  }
  guard.reset();
  if (dist) {
    at::Tensor totals = at::tensor({loss_sum, static_cast<double>(seen)}, at::kDouble);
    dist->all_reduce_sum(totals, "gathering evaluation results");
    loss_sum = totals[0].item<double>();
    seen = static_cast<size_t>(totals[1].item<double>());
    inputs.predictions = dist->all_gather(inputs.predictions, "gathering evaluation predictions");
    inputs.targets = dist->all_gather(inputs.targets, "gathering evaluation targets");
    lengths = dist->all_gather(lengths, "gathering evaluation sequence lengths");
  }
  size_t end = 0;
  for (int64_t length : lengths) inputs.sequence_ends.push_back(end += static_cast<size_t>(length));
  inputs.id2label = model.id2label();
  std::map<std::string, double> results{{"loss", seen ? loss_sum / seen : 0.0}};
  for (const auto& metric : metrics)
    for (const auto& [key, value] : metric->compute(inputs)) results[key] = value;
  return results;
}

}  // namespace hezar
