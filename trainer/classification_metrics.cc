#include "trainer/classification_metrics.h"

#include <cmath>
#include <map>

#include "core/error.h"

namespace hezar {
namespace {

struct LabelCounts {
  int64_t tp = 0;
  int64_t predicted = 0;  // TP + FP
  int64_t actual = 0;     // TP + FN, the support
};

void check_inputs(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred, const char* metric) {
  HEZAR_CHECK_INPUT(y_true.size() == y_pred.size(), metric, ": y_true has ", y_true.size(), " labels but y_pred has ",
                    y_pred.size());
  HEZAR_CHECK_INPUT(!y_true.empty(), metric, ": no labels to score (empty evaluation set)");
}

std::map<int64_t, LabelCounts> count_labels(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred) {
  std::map<int64_t, LabelCounts> counts;
  for (size_t i = 0; i < y_true.size(); ++i) {
    ++counts[y_true[i]].actual;
    ++counts[y_pred[i]].predicted;
    if (y_true[i] == y_pred[i]) ++counts[y_true[i]].tp;
  }
  return counts;
}

double divide(int64_t numerator, int64_t denominator, double zero_division) {
  return denominator == 0 ? zero_division : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// sklearn >= 1.3 defines F1 from counts, 2TP / (2TP + FP + FN); 1.2's 2PR / (P + R) gives the same
// values, including zero_division exactly when the label is neither true nor predicted.
PrecisionRecallF1 scores_of(const LabelCounts& c, double zero_division) {
  return {divide(c.tp, c.predicted, zero_division), divide(c.tp, c.actual, zero_division),
          divide(2 * c.tp, c.predicted + c.actual, zero_division)};
}

std::string label_list(const std::map<int64_t, LabelCounts>& counts) {
  std::string out;
  for (const auto& entry : counts) out += (out.empty() ? "" : ", ") + std::to_string(entry.first);
  return out;
}

// sklearn's rules for average='binary': at most two labels, and pos_label must be one of them when
// there are two (a pos_label absent from single-label data scores as an empty class).
LabelCounts binary_counts(const std::map<int64_t, LabelCounts>& counts, int64_t pos_label) {
  HEZAR_CHECK_INPUT(counts.size() <= 2, "average 'binary' needs at most 2 distinct labels, got ", counts.size(), " (",
                    label_list(counts), "); use macro, micro or weighted");
  const auto it = counts.find(pos_label);
  HEZAR_CHECK_INPUT(it != counts.end() || counts.size() < 2, "pos_label ", pos_label,
                    " is not one of the labels (", label_list(counts), ")");
  return it == counts.end() ? LabelCounts{} : it->second;
}

// sklearn's _nanaverage: with zero_division=NaN, undefined per-label scores are left out of the mean
// rather than poisoning it; if the remaining weights sum to 0 it falls back to a plain mean.
double nan_average(const std::vector<double>& values, const std::vector<double>& weights) {
  double weighted = 0.0, weight_sum = 0.0, plain = 0.0;
  size_t kept = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    weighted += weights[i] * values[i];
    weight_sum += weights[i];
    plain += values[i];
    ++kept;
  }
  if (kept == 0) return std::nan("");
  return weight_sum > 0.0 ? weighted / weight_sum : plain / static_cast<double>(kept);
}

}  // namespace

Average average_parse(const std::string& name) {
  if (name == "macro") return Average::kMacro;
  if (name == "micro") return Average::kMicro;
  if (name == "weighted") return Average::kWeighted;
  if (name == "binary") return Average::kBinary;
  throw BadInput("unknown average '" + name + "'; valid values are macro, micro, weighted, binary");
}

const char* average_name(Average average) {
  switch (average) {
    case Average::kMacro: return "macro";
    case Average::kMicro: return "micro";
    case Average::kWeighted: return "weighted";
    case Average::kBinary: return "binary";
  }
  return "unknown";
}

double accuracy_score(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred) {
  check_inputs(y_true, y_pred, "accuracy");
  int64_t correct = 0;
  for (size_t i = 0; i < y_true.size(); ++i) correct += y_true[i] == y_pred[i];
  return static_cast<double>(correct) / static_cast<double>(y_true.size());
}

PrecisionRecallF1 precision_recall_f1(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred,
                                      Average average, int64_t pos_label, double zero_division) {
  check_inputs(y_true, y_pred, average_name(average));
  HEZAR_CHECK_INPUT(std::isnan(zero_division) || (zero_division >= 0.0 && zero_division <= 1.0),
                    "zero_division must be 0, 1 or NaN, got ", zero_division);
  const std::map<int64_t, LabelCounts> counts = count_labels(y_true, y_pred);
  if (average == Average::kBinary) return scores_of(binary_counts(counts, pos_label), zero_division);
  if (average == Average::kMicro) {
    LabelCounts total;
    for (const auto& entry : counts) {
      total.tp += entry.second.tp;
      total.predicted += entry.second.predicted;
      total.actual += entry.second.actual;
    }
    return scores_of(total, zero_division);
  }
  std::vector<double> weights, precision, recall, f1;
  for (const auto& entry : counts) {
    weights.push_back(average == Average::kWeighted ? static_cast<double>(entry.second.actual) : 1.0);
    const PrecisionRecallF1 s = scores_of(entry.second, zero_division);
    precision.push_back(s.precision);
    recall.push_back(s.recall);
    f1.push_back(s.f1);
  }
  return {nan_average(precision, weights), nan_average(recall, weights), nan_average(f1, weights)};
}

double precision_score(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred, Average average,
                       int64_t pos_label, double zero_division) {
  return precision_recall_f1(y_true, y_pred, average, pos_label, zero_division).precision;
}

double recall_score(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred, Average average,
                    int64_t pos_label, double zero_division) {
  return precision_recall_f1(y_true, y_pred, average, pos_label, zero_division).recall;
}

double f1_score(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred, Average average,
                int64_t pos_label, double zero_division) {
  return precision_recall_f1(y_true, y_pred, average, pos_label, zero_division).f1;
}

}  // namespace hezar
