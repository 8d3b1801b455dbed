// Tokenizer training, as Hugging Face tokenizers' trainers (models/{bpe,wordpiece,unigram}/trainer.rs):
// words are counted from text files read line by line *with* their line endings, through the
// tokenizer's own normalizer and pre-tokenizer; then a model is learnt and put into a copy of the
// tokenizer. BPE and WordPiece reproduce HF's merges and vocabulary exactly (same merge order, same
// tie-breaking by pair ids, same quirks) with one documented difference: where HF's result depends on
// hash-map iteration order (ids of continuing-subword "##x" alphabet tokens; ties at the
// limit_alphabet cut), we use first appearance in the corpus / the lower code point, so our output
// is deterministic.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "preprocessors/tokenizers/tokenizer.h"

namespace hezar::tok {

// (word, count) in order of first appearance.
using WordCounts = std::vector<std::pair<std::string, uint64_t>>;

struct BpeTrainerOptions {
  size_t vocab_size = 30000;
  uint64_t min_frequency = 0;
  std::vector<std::string> special_tokens;
  std::optional<size_t> limit_alphabet;
  std::vector<char32_t> initial_alphabet;
  std::optional<std::string> continuing_subword_prefix, end_of_word_suffix;
  std::optional<size_t> max_token_length;
};

struct BpeTrainResult {
  std::vector<std::string> vocab;                    // index = id
  std::vector<std::pair<uint32_t, uint32_t>> merges;  // in rank order, as HF serializes them
};

BpeTrainResult train_bpe(const WordCounts& words, const BpeTrainerOptions& opts);

// Counts the pre-tokens of every line (line ending included) of `files` through `tokenizer`. Invalid
// UTF-8 is BadInput naming the file and line.
WordCounts count_words(const Tokenizer& tokenizer, const std::vector<std::string>& files);
WordCounts count_words_in_lines(const Tokenizer& tokenizer, const std::vector<std::string>& lines);

// Trains the tokenizer's model (BPE or WordPiece; the model object keeps its other fields, as in HF) and
// returns the trained copy with the special tokens added.
std::shared_ptr<Tokenizer> train_bpe_tokenizer(const Tokenizer& base, const WordCounts& words,
                                               const BpeTrainerOptions& opts);
std::shared_ptr<Tokenizer> train_wordpiece_tokenizer(const Tokenizer& base, const WordCounts& words,
                                                     BpeTrainerOptions opts);

}  // namespace hezar::tok
