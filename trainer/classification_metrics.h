// Classification metrics with scikit-learn's semantics, computed over the whole evaluation set (scores
// averaged per batch differ from these). Labels are the sorted union of the values in y_true and y_pred.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hezar {

// kMacro: unweighted mean over labels. kMicro: from global TP/FP/FN counts. kWeighted: mean weighted by
// each label's support (its count in y_true). kBinary: the pos_label class only.
enum class Average { kMacro, kMicro, kWeighted, kBinary };

// "macro", "micro", "weighted" or "binary"; anything else is BadInput listing these.
Average average_parse(const std::string& name);
const char* average_name(Average average);

// Fraction of positions where y_pred equals y_true.
double accuracy_score(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred);

// `zero_division` (0, 1 or NaN, as in sklearn) replaces a score whose denominator is 0: precision for a
// label never predicted, recall for a label never true, F1 for a label neither true nor predicted.
// kBinary needs at most two distinct labels, and pos_label must be one of them when there are two.
// Empty or differently sized inputs are BadInput.
double precision_score(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred, Average average,
                       int64_t pos_label = 1, double zero_division = 0.0);
double recall_score(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred, Average average,
                    int64_t pos_label = 1, double zero_division = 0.0);
double f1_score(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred, Average average,
                int64_t pos_label = 1, double zero_division = 0.0);

// All three at once, sharing one pass over the data.
struct PrecisionRecallF1 {
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
};
PrecisionRecallF1 precision_recall_f1(const std::vector<int64_t>& y_true, const std::vector<int64_t>& y_pred,
                                      Average average, int64_t pos_label = 1, double zero_division = 0.0);

}  // namespace hezar
