#include "trainer/classification_metrics.h"

#include <gtest/gtest.h>

#include "tests/testing/bad_input.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"

namespace hezar {
namespace {

using Labels = std::vector<int64_t>;

// sklearn docs (precision_score / recall_score / f1_score): per label, 0 has P 2/3 R 1 F 0.8 and
// labels 1 and 2 score 0; every label has support 2.
const Labels kDocTrue = {0, 1, 2, 0, 1, 2};
const Labels kDocPred = {0, 2, 1, 0, 0, 1};

// Label 2 is predicted once but never true: precision 0, recall undefined (zero_division), F1 0.
const Labels kOnlyPredTrue = {0, 0, 1, 1};
const Labels kOnlyPredPred = {0, 2, 1, 1};

using testing::bad_input_message;

TEST(ClassificationMetrics, Accuracy) {
  EXPECT_DOUBLE_EQ(accuracy_score({0, 1, 2, 3}, {0, 2, 1, 3}), 0.5);  // sklearn docs
  EXPECT_DOUBLE_EQ(accuracy_score(kDocTrue, kDocPred), 1.0 / 3.0);
}

TEST(ClassificationMetrics, SklearnDocExamplePrecision) {
  EXPECT_NEAR(precision_score(kDocTrue, kDocPred, Average::kMacro), 0.2222222222, 1e-9);
  EXPECT_NEAR(precision_score(kDocTrue, kDocPred, Average::kMicro), 0.3333333333, 1e-9);
  EXPECT_NEAR(precision_score(kDocTrue, kDocPred, Average::kWeighted), 0.2222222222, 1e-9);
}

TEST(ClassificationMetrics, SklearnDocExampleRecall) {
  EXPECT_NEAR(recall_score(kDocTrue, kDocPred, Average::kMacro), 0.3333333333, 1e-9);
  EXPECT_NEAR(recall_score(kDocTrue, kDocPred, Average::kMicro), 0.3333333333, 1e-9);
  EXPECT_NEAR(recall_score(kDocTrue, kDocPred, Average::kWeighted), 0.3333333333, 1e-9);
}

TEST(ClassificationMetrics, SklearnDocExampleF1) {
  EXPECT_NEAR(f1_score(kDocTrue, kDocPred, Average::kMacro), 0.2666666667, 1e-9);
  EXPECT_NEAR(f1_score(kDocTrue, kDocPred, Average::kMicro), 0.3333333333, 1e-9);
  EXPECT_NEAR(f1_score(kDocTrue, kDocPred, Average::kWeighted), 0.2666666667, 1e-9);
}

TEST(ClassificationMetrics, LabelOnlyPredictedCountsInMacroButNotWeighted) {
  // Per label (0, 1, 2): P (1, 1, 0), R (0.5, 1, zd), F (2/3, 1, 0), support (2, 2, 0).
  EXPECT_NEAR(precision_score(kOnlyPredTrue, kOnlyPredPred, Average::kMacro), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(recall_score(kOnlyPredTrue, kOnlyPredPred, Average::kMacro), 0.5, 1e-12);
  EXPECT_NEAR(recall_score(kOnlyPredTrue, kOnlyPredPred, Average::kMacro, 1, 1.0), 2.5 / 3.0, 1e-12);
  EXPECT_NEAR(f1_score(kOnlyPredTrue, kOnlyPredPred, Average::kMacro, 1, 1.0), (2.0 / 3.0 + 1.0) / 3.0, 1e-12);
  EXPECT_NEAR(precision_score(kOnlyPredTrue, kOnlyPredPred, Average::kWeighted), 1.0, 1e-12);
  EXPECT_NEAR(recall_score(kOnlyPredTrue, kOnlyPredPred, Average::kWeighted, 1, 1.0), 0.75, 1e-12);
  EXPECT_NEAR(f1_score(kOnlyPredTrue, kOnlyPredPred, Average::kWeighted), (2.0 / 3.0 * 2 + 2) / 4, 1e-12);
  EXPECT_NEAR(precision_score(kOnlyPredTrue, kOnlyPredPred, Average::kMicro), 0.75, 1e-12);
}

TEST(ClassificationMetrics, ZeroDivisionForNeverPredictedLabels) {
  // sklearn docs: y_pred all 0 -> per-label precision (1/3, zd, zd).
  const Labels y_pred(6, 0);
  EXPECT_NEAR(precision_score(kDocTrue, y_pred, Average::kMacro), 1.0 / 9.0, 1e-12);
  EXPECT_NEAR(precision_score(kDocTrue, y_pred, Average::kMacro, 1, 1.0), (1.0 / 3.0 + 2.0) / 3.0, 1e-12);
  // F1 for a label that is true but never predicted is 0 whatever zero_division says.
  EXPECT_NEAR(f1_score(kDocTrue, y_pred, Average::kMacro, 1, 1.0), 0.5 / 3.0, 1e-12);
}

TEST(ClassificationMetrics, NanZeroDivisionIsLeftOutOfAverages) {
  const double nan = std::nan("");
  EXPECT_NEAR(recall_score(kOnlyPredTrue, kOnlyPredPred, Average::kMacro, 1, nan), 0.75, 1e-12);
  EXPECT_TRUE(std::isnan(precision_score({0, 0}, {0, 0}, Average::kBinary, 1, nan)));
}

TEST(ClassificationMetrics, BinaryScoresThePositiveLabel) {
  const Labels y_true = {0, 1, 1, 0, 1}, y_pred = {0, 1, 0, 1, 1};
  EXPECT_NEAR(precision_score(y_true, y_pred, Average::kBinary), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(recall_score(y_true, y_pred, Average::kBinary), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(f1_score(y_true, y_pred, Average::kBinary), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(precision_score(y_true, y_pred, Average::kBinary, 0), 0.5, 1e-12);
  EXPECT_NEAR(f1_score(y_true, y_pred, Average::kBinary, 0), 0.5, 1e-12);
  // sklearn docs: all-negative data scores zero_division, for F1 too.
  const Labels zeros(6, 0);
  EXPECT_EQ(recall_score(zeros, zeros, Average::kBinary), 0.0);
  EXPECT_EQ(recall_score(zeros, zeros, Average::kBinary, 1, 1.0), 1.0);
  EXPECT_EQ(f1_score(zeros, zeros, Average::kBinary, 1, 1.0), 1.0);
}

TEST(ClassificationMetrics, BinaryNeedsTwoLabelsAndAValidPosLabel) {
  EXPECT_EQ(bad_input_message([] { f1_score(kDocTrue, kDocPred, Average::kBinary); }),
            "average 'binary' needs at most 2 distinct labels, got 3 (0, 1, 2); use macro, micro or weighted");
  EXPECT_EQ(bad_input_message([] { f1_score({0, 1}, {1, 0}, Average::kBinary, 5); }),
            "pos_label 5 is not one of the labels (0, 1)");
}

TEST(ClassificationMetrics, BadInputs) {
  EXPECT_THROW(accuracy_score({0, 1}, {0}), BadInput);
  EXPECT_THROW(accuracy_score({}, {}), BadInput);
  EXPECT_THROW(f1_score({}, {}, Average::kMacro), BadInput);
  EXPECT_THROW(precision_score({0, 1}, {0, 1, 1}, Average::kMicro), BadInput);
  EXPECT_THROW(precision_score({0, 1}, {0, 1}, Average::kMicro, 1, 2.0), BadInput);
}

TEST(ClassificationMetrics, AverageParse) {
  EXPECT_EQ(average_parse("macro"), Average::kMacro);
  EXPECT_EQ(average_parse("micro"), Average::kMicro);
  EXPECT_EQ(average_parse("weighted"), Average::kWeighted);
  EXPECT_EQ(average_parse("binary"), Average::kBinary);
  EXPECT_EQ(std::string(average_name(Average::kWeighted)), "weighted");
  EXPECT_EQ(bad_input_message([] { average_parse("samples"); }),
            "unknown average 'samples'; valid values are macro, micro, weighted, binary");
}

TEST(ClassificationMetrics, AllAtOnceMatchesTheSingleScores) {
  const PrecisionRecallF1 s = precision_recall_f1(kDocTrue, kDocPred, Average::kMacro);
  EXPECT_EQ(s.precision, precision_score(kDocTrue, kDocPred, Average::kMacro));
  EXPECT_EQ(s.recall, recall_score(kDocTrue, kDocPred, Average::kMacro));
  EXPECT_EQ(s.f1, f1_score(kDocTrue, kDocPred, Average::kMacro));
}

}  // namespace
}  // namespace hezar
