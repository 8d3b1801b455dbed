// `sequence_labeling` dataset: sentences of words with one tag per word (POS, NER, chunks), from
//   - CoNLL columns (`conll`): one token per line, the token in the first column and its tag in the
//     last; a blank line ends a sentence; -DOCSTART- lines are skipped;
//   - JSON lines (`jsonl`): `tokens_field` and `tags_field` lists (tags as names or integers);
//   - `word_tag` lines: one sentence per line of whitespace-separated `word/TAG` (the tag follows the
//     last "/", so "1/2/CD" is the word "1/2" tagged CD).
// `auto` goes by extension (.conll, .jsonl/.json) and tells word/TAG lines from CoNLL columns by content.
// Words are tokenized as pre-split input (each word on its own; HF's is_split_into_words) when examples
// are fetched; every sub-word of a word gets the word's tag (label_all_tokens, as Hezar) or only the
// first one does (the rest get ignore_index, as special tokens and padding do). With is_iob_schema, the
// later sub-words of a B-X word get I-X. Example: token_ids, attention_mask, token_type_ids, labels [L].
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/text_batch.h"
#include "data/text_source.h"

namespace hezar {

struct SequenceLabelingDatasetConfig : TextDatasetConfig {
  HEZAR_CONFIG(SequenceLabelingDatasetConfig, "sequence_labeling", "dataset")
  std::string tokens_field = "tokens";
  std::string tags_field = "tags";
  int ignore_index = -100;
  bool label_all_tokens = true;
  bool is_iob_schema = false;
  std::map<int, std::string> id2label;

  void visit(FieldVisitor& v) override {
    visit_source(v, "auto | conll | jsonl | word_tag | csv | tsv (auto: by extension, then by content)", false);
    v("tokens_field", tokens_field, "JSONL field with the list of words");
    v("tags_field", tags_field, "JSONL field with the list of tags");
    visit_limits(v);
    v("ignore_index", ignore_index, "label of special tokens, padding (and later sub-words unless label_all_tokens)");
    v("label_all_tokens", label_all_tokens, "give every sub-word of a word the word's tag (else only the first)");
    v("is_iob_schema", is_iob_schema, "tags are IOB: later sub-words of a B-X word get I-X");
    v("id2label", id2label, "tag id -> name; derived from the data (sorted, over all splits) when empty");
  }
};

class SequenceLabelingDataset : public Dataset {
 public:
  SequenceLabelingDataset(const SequenceLabelingDatasetConfig& config, const std::string& split,
                          const PreprocessorSet& preprocessors);
  const Config& config() const override { return config_; }
  size_t size() const override { return words_.size(); }
  TensorMap get(size_t index) const override;
  // One tokenizer call (on its thread pool) for the whole batch, padded to the longest.
  TensorMap get_batch(const std::vector<size_t>& indices) const override;
  TensorMap collate(const std::vector<TensorMap>& examples) const override;
  std::map<int, std::string> id2label() const override { return config_.id2label; }
  std::string task() const override { return "sequence_labeling"; }
  // Each sentence's words joined by a space.
  std::vector<std::string> training_texts() const override;

 private:
  void add_sentences(const std::vector<TextRecord>& records);
  TensorMap encode(const std::vector<size_t>& indices, bool pad) const;
  // Per-token labels of `e` (the encoding of sentence `index`).
  std::vector<int64_t> align_labels(const tok::Encoding& e, size_t index) const;

  SequenceLabelingDatasetConfig config_;
  std::shared_ptr<TextTokenizer> tokenizer_;
  std::vector<std::vector<std::string>> words_;
  std::vector<std::vector<int64_t>> tags_;     // tag id per word
  std::vector<int64_t> continuation_;          // tag id -> id for later sub-words (B-X -> I-X with IOB)
  std::vector<std::string> where_;             // file:line of each sentence
  std::string who_;  // "<name> dataset (split '<split>')", for log lines
  TruncationWarning truncation_;
};

// Parsers of the sentence formats, as records {tokens_field: [...], tags_field: [...]} (exposed for tests).
std::vector<TextRecord> conll_read(const std::string& file, const std::string& tokens_field,
                                   const std::string& tags_field);
std::vector<TextRecord> word_tag_read(const std::string& file, const std::string& tokens_field,
                                      const std::string& tags_field);
// "conll" or "word_tag" for a text file, from its first lines.
std::string sentence_format_sniff(const std::string& file);

}  // namespace hezar
