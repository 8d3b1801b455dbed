// `mask_filling` dataset (masked-LM data, to train *_mask_filling models): texts from text lines (txt),
// CSV, TSV or JSONL (a folder with `<split>.<ext>` files, or one file; see data/text_source.h), with
// BERT's dynamic masking: among the non-special tokens each is chosen with mlm_probability; a chosen
// token becomes the mask token (80%), a random token of the vocabulary (10%) or stays (10%), and its
// label is the original id (-100 elsewhere). An example with no chosen token gets one, so no batch has
// an all-ignored loss (this raises the masked share of very short texts a little: 0.85^n of n-token
// texts get the extra one). The choice depends only on (seed, epoch, example index): a resumed run and any
// number of loader workers mask identically, and each epoch masks differently (Dataset::set_epoch).
// Example: token_ids, attention_mask, token_type_ids, labels [L].
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/text_batch.h"
#include "data/text_source.h"

namespace hezar {

struct MaskFillingDatasetConfig : TextDatasetConfig {
  HEZAR_CONFIG(MaskFillingDatasetConfig, "mask_filling", "dataset")
  MaskFillingDatasetConfig() { max_length = 128; }
  std::string text_field = "text";
  double mlm_probability = 0.15;
  int64_t seed = 42;

  void visit(FieldVisitor& v) override {
    visit_source(v, "auto | txt | csv | tsv | jsonl (auto: by file extension; txt = one text per line)", true);
    v("text_field", text_field, "field (column) with the text");
    visit_limits(v);
    v("mlm_probability", mlm_probability, "fraction of tokens chosen for masking");
    v("seed", seed, "seed of the masking (with the epoch and the example index)");
  }
};

class MaskFillingDataset : public Dataset {
 public:
  MaskFillingDataset(const MaskFillingDatasetConfig& config, const std::string& split,
                     const PreprocessorSet& preprocessors);
  const Config& config() const override { return config_; }
  size_t size() const override { return texts_.size(); }
  TensorMap get(size_t index) const override;
  // One tokenizer call (on its thread pool) for the whole batch, padded to the longest.
  TensorMap get_batch(const std::vector<size_t>& indices) const override;
  TensorMap collate(const std::vector<TensorMap>& examples) const override;
  std::vector<std::string> training_texts() const override { return texts_; }
  std::string task() const override { return "mask_filling"; }
  void set_epoch(int64_t epoch) const override { epoch_ = epoch; }

 private:
  TensorMap encode(const std::vector<size_t>& indices, bool pad) const;

  MaskFillingDatasetConfig config_;
  std::shared_ptr<TextTokenizer> tokenizer_;
  std::string mask_token_;
  std::vector<std::string> texts_;
  std::vector<std::string> where_;
  mutable std::atomic<int64_t> epoch_{0};
  std::string who_;  // "<name> dataset (split '<split>')", for log lines
  TruncationWarning truncation_;
};

// The masking of one encoded example, in place: `ids` (the encoding's ids) gets masked and `labels`
// (filled with -100) gets the original ids at the chosen positions. Depends only on the arguments.
void mlm_mask(const tok::Encoding& encoding, uint64_t seed, int64_t epoch, uint64_t index, double probability,
              uint32_t mask_id, uint32_t vocab_size, int64_t* ids, int64_t* labels);

}  // namespace hezar
