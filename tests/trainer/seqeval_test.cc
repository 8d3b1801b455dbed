// seqeval's chunking and scores, checked against the examples of seqeval's documentation and tests
// (conlleval's rules in the default mode), and the `seqeval` metric as the trainer builds it.
#include "trainer/seqeval.h"

#include <gtest/gtest.h>

#include "tests/testing/bad_input.h"
#include "trainer/metrics.h"

namespace hezar {
namespace {

using Seqs = std::vector<std::vector<std::string>>;

TEST(Seqeval, ChunksOfTheDocumentationExample) {
  auto chunks = seqeval_chunks({"B-PER", "I-PER", "O", "B-LOC"});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], SeqChunk("PER", 0, 1));
  EXPECT_EQ(chunks[1], SeqChunk("LOC", 3, 3));
}

TEST(Seqeval, LenientModeFollowsConllevalForIob1AndBrokenSequences) {
  // An I- after O starts a chunk (IOB1); a type change ends one; B- after I- of the same type splits.
  auto chunks = seqeval_chunks({"I-PER", "I-PER", "I-LOC", "B-LOC", "O", "I-MISC"});
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0], SeqChunk("PER", 0, 1));
  EXPECT_EQ(chunks[1], SeqChunk("LOC", 2, 2));
  EXPECT_EQ(chunks[2], SeqChunk("LOC", 3, 3));
  EXPECT_EQ(chunks[3], SeqChunk("MISC", 5, 5));
  // IOBES: E- and S- close chunks.
  chunks = seqeval_chunks({"B-PER", "E-PER", "S-LOC", "B-ORG", "I-ORG", "E-ORG"});
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[2], SeqChunk("ORG", 3, 5));
  // Suffix style: PER-B PER-I.
  chunks = seqeval_chunks({"PER-B", "PER-I", "O"}, /*suffix=*/true);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0], SeqChunk("PER", 0, 1));
}

TEST(Seqeval, StrictModesOnlyCountWellFormedChunks) {
  const std::vector<std::string> tags{"I-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-ORG"};
  auto iob2 = seqeval_chunks(tags, false, SeqevalMode::kStrictIob2);
  ASSERT_EQ(iob2.size(), 1u);  // the leading I-PER I-PER and the stray I-ORG are not chunks in IOB2
  EXPECT_EQ(iob2[0], SeqChunk("LOC", 3, 4));
  auto iob1 = seqeval_chunks(tags, false, SeqevalMode::kStrictIob1);
  ASSERT_EQ(iob1.size(), 3u);
  EXPECT_EQ(iob1[0], SeqChunk("PER", 0, 1));
  EXPECT_EQ(iob1[2], SeqChunk("ORG", 5, 5));
  // IOB1: B- separates two adjacent chunks of the same type.
  iob1 = seqeval_chunks({"I-PER", "B-PER", "I-PER"}, false, SeqevalMode::kStrictIob1);
  ASSERT_EQ(iob1.size(), 2u);
  EXPECT_EQ(iob1[1], SeqChunk("PER", 1, 2));
}

TEST(Seqeval, ScoresOfTheReadmeExample) {
  const Seqs truth{{"O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
  const Seqs predicted{{"O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
  const SeqevalScores s = seqeval_score(truth, predicted);
  EXPECT_DOUBLE_EQ(s.accuracy, 0.8);
  EXPECT_DOUBLE_EQ(s.precision, 0.5);
  EXPECT_DOUBLE_EQ(s.recall, 0.5);
  EXPECT_DOUBLE_EQ(s.f1, 0.5);
}

TEST(Seqeval, ZeroDivisionWhenNothingIsPredicted) {
  const Seqs truth{{"B-PER", "O"}}, predicted{{"O", "O"}};
  SeqevalScores s = seqeval_score(truth, predicted);
  EXPECT_DOUBLE_EQ(s.precision, 0.0);
  EXPECT_DOUBLE_EQ(s.recall, 0.0);
  EXPECT_DOUBLE_EQ(s.f1, 0.0);
  s = seqeval_score(truth, predicted, false, SeqevalMode::kLenient, 1.0);
  EXPECT_DOUBLE_EQ(s.precision, 1.0);  // no predicted chunk
  EXPECT_DOUBLE_EQ(s.recall, 0.0);     // one true chunk, none found
}

TEST(Seqeval, DetectsIobSchemas) {
  EXPECT_TRUE(seqeval_is_iob_schema({"O", "B-PER", "I-PER", "E-LOC", "S-LOC"}));
  EXPECT_FALSE(seqeval_is_iob_schema({"NN", "NNP", "VB", "DT"}));
  EXPECT_FALSE(seqeval_is_iob_schema({"O", "B-PER", "PRP"}));
}

TEST(Seqeval, BadInputs) {
  EXPECT_NE(testing::bad_input_message([&] { seqeval_score({{"O"}}, {{"O", "O"}}); }).find("sequence 0 has 1 true tags but 2 predicted"), std::string::npos);
  EXPECT_NE(testing::bad_input_message([&] { seqeval_score({}, {}); }).find("no tags to score"), std::string::npos);
}

// The registered metric: ids -> names through id2label, sequences from sequence_ends.
TEST(SeqevalMetric, ScoresSequencesOfClassIds) {
  auto metric = metric_build("seqeval");
  MetricInputs in;
  in.id2label = {{0, "O"}, {1, "B-PER"}, {2, "I-PER"}, {3, "B-MISC"}, {4, "I-MISC"}};
  in.targets = {0, 0, 0, 3, 4, 4, 0, 1, 2, 0};
  in.predictions = {0, 0, 3, 4, 4, 4, 0, 1, 2, 0};
  in.sequence_ends = {7, 10};
  auto r = metric->compute(in);
  EXPECT_EQ(metric->output_keys(), (std::vector<std::string>{"accuracy", "recall", "precision", "f1"}));
  EXPECT_DOUBLE_EQ(r.at("accuracy"), 0.8);
  EXPECT_DOUBLE_EQ(r.at("f1"), 0.5);
  EXPECT_TRUE(metric->maximize());
}

// Plain POS tags get Hezar's "B-" prefix, so every token is a chunk: P = R = F1 = token accuracy.
TEST(SeqevalMetric, PlainTagsAreSingleTokenChunks) {
  auto metric = metric_build("seqeval");
  MetricInputs in;
  in.id2label = {{0, "NN"}, {1, "VB"}, {2, "DT"}};
  in.targets = {2, 0, 1, 2, 0};
  in.predictions = {2, 0, 0, 2, 1};
  in.sequence_ends = {3, 5};
  auto r = metric->compute(in);
  EXPECT_DOUBLE_EQ(r.at("accuracy"), 0.6);
  EXPECT_DOUBLE_EQ(r.at("precision"), 0.6);
  EXPECT_DOUBLE_EQ(r.at("recall"), 0.6);
  EXPECT_DOUBLE_EQ(r.at("f1"), 0.6);
  in.id2label.erase(2);
  EXPECT_NE(testing::bad_input_message([&] { metric->compute(in); }).find("class id 2 is not in the model's id2label"), std::string::npos);
}

}  // namespace
}  // namespace hezar
