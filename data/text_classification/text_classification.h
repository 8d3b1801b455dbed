// `text_classification` dataset: texts with one class label each, from CSV, TSV or JSONL (a folder with
// `<split>.<ext>` files, or one file; see data/text_source.h). Texts are tokenized when examples are
// fetched, so the tokenizer may be trained (on training_texts()) after the dataset is built.
// Example: token_ids, attention_mask, token_type_ids [L] and labels (int64 scalar).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/text_batch.h"
#include "data/text_source.h"

namespace hezar {

struct TextClassificationDatasetConfig : TextDatasetConfig {
  HEZAR_CONFIG(TextClassificationDatasetConfig, "text_classification", "dataset")
  std::string text_field = "text";
  std::string label_field = "label";
  std::map<int, std::string> id2label;

  void visit(FieldVisitor& v) override {
    visit_source(v, "auto | csv | tsv | jsonl (auto: by file extension)", true);
    v("text_field", text_field, "field (column) with the text");
    v("label_field", label_field, "field (column) with the label");
    visit_limits(v);
    v("id2label", id2label, "class id -> name; derived from the data (sorted, over all splits) when empty");
  }
};

class TextClassificationDataset : public Dataset {
 public:
  TextClassificationDataset(const TextClassificationDatasetConfig& config, const std::string& split,
                            const PreprocessorSet& preprocessors);
  const Config& config() const override { return config_; }
  size_t size() const override { return texts_.size(); }
  TensorMap get(size_t index) const override;
  // One tokenizer call (on its thread pool) for the whole batch, padded to the longest.
  TensorMap get_batch(const std::vector<size_t>& indices) const override;
  TensorMap collate(const std::vector<TensorMap>& examples) const override;
  std::map<int, std::string> id2label() const override { return config_.id2label; }
  std::string task() const override { return "text_classification"; }
  std::vector<std::string> training_texts() const override { return texts_; }

 private:
  TensorMap encode(const std::vector<size_t>& indices, bool pad) const;

  TextClassificationDatasetConfig config_;
  std::shared_ptr<TextTokenizer> tokenizer_;
  std::vector<std::string> texts_;
  std::vector<int64_t> labels_;
  std::vector<std::string> where_;  // file:line of each example
  std::string who_;  // "<name> dataset (split '<split>')", for log lines
  TruncationWarning truncation_;
};

}  // namespace hezar
