// Metrics (Hezar's `metric` registry): computed once over the whole evaluation set, never averaged over
// batches (Hezar's per-batch averaging skews every metric but accuracy).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/registry.h"

namespace hezar {

// What a metric sees: the predicted and true class ids of the whole evaluation set. For per-token tasks
// (sequence labeling, masked LM) the positions whose target is the ignore index (-100: special tokens,
// padding, sub-words, unmasked tokens) are already dropped, and `sequence_ends` marks where each example's
// positions end, so sequence metrics (seqeval) can rebuild the sequences.
struct MetricInputs {
  std::vector<int64_t> predictions, targets;
  std::vector<size_t> sequence_ends;    // exclusive end of each example's positions; empty per example
  std::map<int, std::string> id2label;  // class names, for metrics that read tags (seqeval)
};

class Metric {
 public:
  virtual ~Metric() = default;
  virtual const Config& config() const = 0;
  // {output key: value}, rounded to n_decimals, filtered by the config's output_keys.
  virtual std::map<std::string, double> compute(const MetricInputs& inputs) const = 0;
  // The keys compute() returns (the metric's name, or several: seqeval's accuracy, precision, ...).
  virtual std::vector<std::string> output_keys() const = 0;
  // True when larger is better (the config's `objective`).
  virtual bool maximize() const = 0;
};

using MetricRegistry = Registry<Metric>;

#define HEZAR_REGISTER_METRIC(NAME, CLASS, CONFIG, DESCRIPTION) \
  HEZAR_REGISTER(::hezar::MetricRegistry, "metric", NAME, CLASS, CONFIG, DESCRIPTION)

std::shared_ptr<Metric> metric_build(const std::string& name);

struct MetricConfigBase : Config {
  int n_decimals = 4;
  std::string objective = "maximize";
  std::vector<std::string> output_keys;
  void visit(FieldVisitor& v) override {
    v("n_decimals", n_decimals, "digits kept after rounding");
    v("objective", objective, "maximize | minimize");
    v("output_keys", output_keys, "keys to report (all when empty)");
  }
};

struct AccuracyConfig : MetricConfigBase {
  HEZAR_CONFIG(AccuracyConfig, "accuracy", "metric")
};

// precision, recall and f1 share sklearn's averaging options.
struct AveragedMetricConfig : MetricConfigBase {
  std::string average = "macro";
  int64_t pos_label = 1;
  double zero_division = 0.0;
  void visit(FieldVisitor& v) override {
    MetricConfigBase::visit(v);
    v("average", average, "macro | micro | weighted | binary");
    v("pos_label", pos_label, "positive class id for average: binary");
    v("zero_division", zero_division, "value used where a ratio divides by zero");
  }
};

struct PrecisionConfig : AveragedMetricConfig {
  HEZAR_CONFIG(PrecisionConfig, "precision", "metric")
};
struct RecallConfig : AveragedMetricConfig {
  HEZAR_CONFIG(RecallConfig, "recall", "metric")
};
struct F1Config : AveragedMetricConfig {
  HEZAR_CONFIG(F1Config, "f1", "metric")
};

// seqeval (Hezar's sequence-labeling metric): entity-level micro precision/recall/F1 and token accuracy.
struct SeqevalConfig : MetricConfigBase {
  HEZAR_CONFIG(SeqevalConfig, "seqeval", "metric")
  bool suffix = false;
  std::optional<std::string> mode;    // null (lenient, conlleval) | strict
  std::optional<std::string> scheme;  // strict mode: IOB2 (default) | IOB1
  double zero_division = 0.0;
  std::optional<bool> is_iob_schema;  // null: detect from the labels; false: every tag gets "B-"
  void visit(FieldVisitor& v) override {
    MetricConfigBase::visit(v);
    v("suffix", suffix, "chunk tag after the type (PER-B) instead of before (B-PER)");
    v("mode", mode, "null (lenient, as conlleval) or strict");
    v("scheme", scheme, "strict mode scheme: IOB2 or IOB1");
    v("zero_division", zero_division, "value used where a ratio divides by zero");
    v("is_iob_schema", is_iob_schema, "whether labels carry B-/I- prefixes (null: detect); plain tags get B-");
  }
};

}  // namespace hezar
