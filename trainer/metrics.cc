#include "trainer/metrics.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "trainer/classification_metrics.h"
#include "trainer/seqeval.h"

namespace hezar {

namespace {
double round_to(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

template <class ConfigT>
class MetricBase : public Metric {
 public:
  explicit MetricBase(const ConfigT& config, std::vector<std::string> keys) : config_(config), keys_(std::move(keys)) {
    HEZAR_CHECK_INPUT(config_.objective == "maximize" || config_.objective == "minimize", config_.name(),
                      ".objective must be maximize or minimize, got '", config_.objective, "'");
    for (const auto& key : config_.output_keys)
      HEZAR_CHECK_INPUT(std::find(keys_.begin(), keys_.end(), key) != keys_.end(), config_.name(),
                        ".output_keys: '", key, "' is not one of ", join(keys_, ", "), did_you_mean(key, keys_));
    if (!config_.output_keys.empty()) keys_ = config_.output_keys;
  }
  const Config& config() const override { return config_; }
  bool maximize() const override { return config_.objective == "maximize"; }
  std::vector<std::string> output_keys() const override { return keys_; }

 protected:
  std::map<std::string, double> result(const std::map<std::string, double>& values) const {
    std::map<std::string, double> out;
    for (const auto& key : keys_) out[key] = round_to(values.at(key), config_.n_decimals);
    return out;
  }
  ConfigT config_;
  std::vector<std::string> keys_;
};

class Accuracy : public MetricBase<AccuracyConfig> {
 public:
  explicit Accuracy(const AccuracyConfig& config) : MetricBase(config, {"accuracy"}) {}
  std::map<std::string, double> compute(const MetricInputs& in) const override {
    return result({{"accuracy", accuracy_score(in.targets, in.predictions)}});
  }
};

// precision / recall / f1: one class, the score picked from sklearn's precision_recall_fscore_support.
template <class ConfigT, double PrecisionRecallF1::*Score>
class AveragedMetric : public MetricBase<ConfigT> {
 public:
  explicit AveragedMetric(const ConfigT& config)
      : MetricBase<ConfigT>(config, {config.name()}), average_(average_parse(config.average)) {}
  std::map<std::string, double> compute(const MetricInputs& in) const override {
    const auto& c = this->config_;
    const auto scores = precision_recall_f1(in.targets, in.predictions, average_, c.pos_label, c.zero_division);
    return this->result({{c.name(), scores.*Score}});
  }

 private:
  Average average_;
};

using Precision = AveragedMetric<PrecisionConfig, &PrecisionRecallF1::precision>;
using Recall = AveragedMetric<RecallConfig, &PrecisionRecallF1::recall>;
using F1 = AveragedMetric<F1Config, &PrecisionRecallF1::f1>;

SeqevalMode seqeval_mode(const SeqevalConfig& c) {
  if (!c.mode) return SeqevalMode::kLenient;
  HEZAR_CHECK_INPUT(*c.mode == "strict", "seqeval.mode '", *c.mode, "' is not null or strict");
  const std::string scheme = c.scheme.value_or("IOB2");
  if (scheme == "IOB2") return SeqevalMode::kStrictIob2;
  if (scheme == "IOB1") return SeqevalMode::kStrictIob1;
  throw BadInput(detail::concat("seqeval.scheme '", scheme, "' is not supported; use IOB2 or IOB1"));
}

class Seqeval : public MetricBase<SeqevalConfig> {
 public:
  explicit Seqeval(const SeqevalConfig& config)
      : MetricBase(config, {"accuracy", "recall", "precision", "f1"}), mode_(seqeval_mode(config)) {}

  std::map<std::string, double> compute(const MetricInputs& in) const override {
    HEZAR_CHECK_INPUT(!in.id2label.empty(), "seqeval needs the model's id2label to name the tags");
    std::vector<std::string> names;
    for (const auto& entry : in.id2label) names.push_back(entry.second);
    // Hezar prefixes plain tags (POS) with "B-" so each token is a chunk of its own.
    const std::string prefix = config_.is_iob_schema.value_or(seqeval_is_iob_schema(names)) ? "" : "B-";
    auto tag = [&](int64_t id) {
      auto it = in.id2label.find(static_cast<int>(id));
      HEZAR_CHECK_INPUT(it != in.id2label.end(), "seqeval: class id ", id, " is not in the model's id2label");
      return prefix + it->second;
    };
    std::vector<std::vector<std::string>> truth, predicted;
    std::vector<size_t> ends = in.sequence_ends;
    if (ends.empty() && !in.targets.empty()) ends.push_back(in.targets.size());  // one sequence
    size_t begin = 0;
    for (size_t end : ends) {
      auto& t = truth.emplace_back();
      auto& p = predicted.emplace_back();
      for (size_t i = begin; i < end; ++i) {
        t.push_back(tag(in.targets[i]));
        p.push_back(tag(in.predictions[i]));
      }
      begin = end;
    }
    const SeqevalScores s = seqeval_score(truth, predicted, config_.suffix, mode_, config_.zero_division);
    return result({{"accuracy", s.accuracy}, {"recall", s.recall}, {"precision", s.precision}, {"f1", s.f1}});
  }

 private:
  SeqevalMode mode_;
};
}  // namespace

HEZAR_REGISTER_METRIC("accuracy", Accuracy, AccuracyConfig, "Fraction of predictions equal to the target");
HEZAR_REGISTER_METRIC("precision", Precision, PrecisionConfig, "Precision (macro/micro/weighted/binary), as sklearn");
HEZAR_REGISTER_METRIC("recall", Recall, RecallConfig, "Recall (macro/micro/weighted/binary), as sklearn");
HEZAR_REGISTER_METRIC("f1", F1, F1Config, "F1 score (macro/micro/weighted/binary), as sklearn");
HEZAR_REGISTER_METRIC("seqeval", Seqeval, SeqevalConfig,
                      "Entity-level precision/recall/F1 and token accuracy for sequence labeling, as seqeval");

std::shared_ptr<Metric> metric_build(const std::string& name) {
  return MetricRegistry::instance().build("metric", name, nullptr, {});
}

}  // namespace hezar
