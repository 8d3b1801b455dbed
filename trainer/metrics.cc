#include "trainer/metrics.h"

#include <cmath>

#include "trainer/classification_metrics.h"

namespace hezar {

namespace {
double round_to(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

template <class ConfigT>
class MetricBase : public Metric {
 public:
  explicit MetricBase(const ConfigT& config) : config_(config) {
    HEZAR_CHECK_INPUT(config_.objective == "maximize" || config_.objective == "minimize", config_.name(),
                      ".objective must be maximize or minimize, got '", config_.objective, "'");
  }
  const Config& config() const override { return config_; }
  bool maximize() const override { return config_.objective == "maximize"; }

 protected:
  std::map<std::string, double> result(double value) const {
    return {{config_.name(), round_to(value, config_.n_decimals)}};
  }
  ConfigT config_;
};

class Accuracy : public MetricBase<AccuracyConfig> {
 public:
  using MetricBase::MetricBase;
  std::map<std::string, double> compute(const std::vector<int64_t>& p, const std::vector<int64_t>& t) const override {
    return result(accuracy_score(t, p));
  }
};

// precision / recall / f1: one class, the score picked from sklearn's precision_recall_fscore_support.
template <class ConfigT, double PrecisionRecallF1::*Score>
class AveragedMetric : public MetricBase<ConfigT> {
 public:
  explicit AveragedMetric(const ConfigT& config)
      : MetricBase<ConfigT>(config), average_(average_parse(config.average)) {}
  std::map<std::string, double> compute(const std::vector<int64_t>& p, const std::vector<int64_t>& t) const override {
    const auto& c = this->config_;
    return this->result(precision_recall_f1(t, p, average_, c.pos_label, c.zero_division).*Score);
  }

 private:
  Average average_;
};

using Precision = AveragedMetric<PrecisionConfig, &PrecisionRecallF1::precision>;
using Recall = AveragedMetric<RecallConfig, &PrecisionRecallF1::recall>;
using F1 = AveragedMetric<F1Config, &PrecisionRecallF1::f1>;
}  // namespace

HEZAR_REGISTER_METRIC("accuracy", Accuracy, AccuracyConfig, "Fraction of predictions equal to the target");
HEZAR_REGISTER_METRIC("precision", Precision, PrecisionConfig, "Precision (macro/micro/weighted/binary), as sklearn");
HEZAR_REGISTER_METRIC("recall", Recall, RecallConfig, "Recall (macro/micro/weighted/binary), as sklearn");
HEZAR_REGISTER_METRIC("f1", F1, F1Config, "F1 score (macro/micro/weighted/binary), as sklearn");

std::shared_ptr<Metric> metric_build(const std::string& name) {
  return MetricRegistry::instance().build("metric", name, nullptr, {});
}

}  // namespace hezar
