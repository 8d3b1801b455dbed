// Entity-level sequence-labeling scores with the semantics of the Python `seqeval` package (which Hezar's
// `seqeval` metric wraps): chunks are extracted from IOB1/IOB2/IOE/IOBES tag sequences, precision/recall/F1
// are micro averages over chunks (classification_report's "micro avg"), accuracy is per token.
#pragma once

#include <string>
#include <tuple>
#include <vector>

namespace hezar {

// A chunk: (type, first token, last token), positions in the sequence passed in.
using SeqChunk = std::tuple<std::string, size_t, size_t>;

enum class SeqevalMode {
  kLenient,     // seqeval's default (mode=None): conlleval's rules; an I- after O starts a chunk (IOB1 too)
  kStrictIob2,  // mode="strict", scheme=IOB2: a chunk is B-X I-X*; stray I- tags form no chunk
  kStrictIob1,  // mode="strict", scheme=IOB1: I-X starts a chunk; B-X only separates two adjacent X chunks
};

// seqeval.metrics.sequence_labeling.get_entities for one sequence (suffix = tag after the type, "PER-B").
std::vector<SeqChunk> seqeval_chunks(const std::vector<std::string>& tags, bool suffix = false,
                                     SeqevalMode mode = SeqevalMode::kLenient);

struct SeqevalScores {
  double accuracy = 0.0, precision = 0.0, recall = 0.0, f1 = 0.0;
};

// Scores a set of sequences (true and predicted tags, same shapes). `zero_division` replaces a ratio whose
// denominator is 0 (no predicted / no true chunks), as seqeval's zero_division.
SeqevalScores seqeval_score(const std::vector<std::vector<std::string>>& y_true,
                            const std::vector<std::vector<std::string>>& y_pred, bool suffix = false,
                            SeqevalMode mode = SeqevalMode::kLenient, double zero_division = 0.0);

// True when every tag is "O" or carries a chunk prefix (B-, I-, E-, S-, L-, U-), i.e. the labels are an
// IOB-style schema. Plain tags (POS tags like "NN") are not, and Hezar prefixes them with "B-" so each
// token is its own chunk.
bool seqeval_is_iob_schema(const std::vector<std::string>& labels);

}  // namespace hezar
