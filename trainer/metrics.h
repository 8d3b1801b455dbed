// Metrics (Hezar's `metric` registry): computed once over the whole evaluation set, never averaged over
// batches (Hezar's per-batch averaging skews every metric but accuracy).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/registry.h"

namespace hezar {

class Metric {
 public:
  virtual ~Metric() = default;
  virtual const Config& config() const = 0;
  // Class-id predictions and targets of the whole set -> {output key: value}, rounded to n_decimals.
  virtual std::map<std::string, double> compute(const std::vector<int64_t>& predictions,
                                                const std::vector<int64_t>& targets) const = 0;
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
  void visit(FieldVisitor& v) override {
    v("n_decimals", n_decimals, "digits kept after rounding");
    v("objective", objective, "maximize | minimize");
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

}  // namespace hezar
