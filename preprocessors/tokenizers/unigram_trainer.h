// Unigram training with the semantics of Hugging Face tokenizers' UnigramTrainer
// (models/unigram/trainer.rs, itself a port of sentencepiece's unigram trainer):
//   1. seed pieces: every character (weighted by word counts) plus the frequent substrings of the
//      distinct words, i.e. the internal nodes of their suffix tree (2..max_piece_length chars),
//      ranked by occurrences x length, at most seed_size of them;
//   2. EM on the words (E: forward-backward expected counts; M: Bayesian/digamma re-estimation that
//      drops pieces seen < 0.5 times), n_sub_iterations per round;
//   3. while there are more than 1.1 x vocab_size pieces, prune to max(1.1 x vocab_size,
//      shrinking_factor x size) by the loss in likelihood when a piece is replaced by its second-best
//      segmentation;
//   4. finalize: every character of the corpus (and of initial_alphabet) is kept, then pieces in model
//      order up to vocab_size, sorted by score; special tokens (and the unk token) come first.
// HF's arithmetic quirks are kept so the vocabularies agree (see unigram_trainer.cc). Differences, all
// where HF depends on hash-map order or overflows: ties are broken by code point / corpus order, the
// final cut never exceeds vocab_size, and counts are 64-bit.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "preprocessors/tokenizers/tokenizer.h"
#include "preprocessors/tokenizers/trainers.h"

namespace hezar::tok {

struct UnigramTrainerOptions {
  size_t vocab_size = 8000;
  unsigned n_sub_iterations = 2;
  double shrinking_factor = 0.75;
  std::vector<std::string> special_tokens;
  std::vector<char32_t> initial_alphabet;
  std::optional<std::string> unk_token;
  size_t max_piece_length = 16;
  size_t seed_size = 1000000;
  size_t threads = 0;  // 0 = hardware concurrency; the result does not depend on it
};

struct UnigramTrainResult {
  std::vector<std::pair<std::string, double>> vocab;  // index = id
  std::optional<uint32_t> unk_id;
};

// A word and its count (the trainer's "sentence").
using UnigramSentence = std::pair<std::u32string, uint64_t>;

// Step 1 alone: the seed pieces with their log-probabilities, in HF's order (characters by count then
// code point, descending; then substrings by occurrences x length then string, descending).
std::vector<std::pair<std::u32string, double>> unigram_seed_pieces(const std::vector<UnigramSentence>& sentences,
                                                                   size_t max_piece_length, size_t seed_size);

// Trains on counted words. BadInput when the vocabulary cannot hold every character of the corpus.
UnigramTrainResult train_unigram(const WordCounts& words, const UnigramTrainerOptions& opts);

// Trains `base`'s Unigram model and returns the trained copy with the special tokens added.
std::shared_ptr<Tokenizer> train_unigram_tokenizer(const Tokenizer& base, const WordCounts& words,
                                                   const UnigramTrainerOptions& opts);

}  // namespace hezar::tok
