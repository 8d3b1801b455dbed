// Hezar's BERT models: the `bert` backbone (HF BertModel), `bert_text_classification` (pooler -> dropout ->
// classifier), `bert_sequence_labeling` (every token -> dropout -> classifier) and `bert_mask_filling`
// (HF BertForMaskedLM under `bert_mask_filling.`), with Hugging Face parameter names.
#pragma once

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "models/bert/bert_config.h"
#include "models/transformer/bert_encoder.h"
#include "models/transformer/layers.h"
#include "models/transformer/text_model.h"

namespace hezar {

class Bert : public TextModel {
 public:
  explicit Bert(const BertConfig& config);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  transformer::BertEncoder bert_{nullptr};
};

// Text classification and sequence labeling: `bert.*` (with pooler, as Hezar) + `classifier.*`.
class BertClassifier : public TextModel {
 public:
  BertClassifier(const Config& config, const BertFields& fields, int num_labels, TextModelSpec spec);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  double dropout_;
  transformer::BertEncoder bert_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

class BertTextClassification : public BertClassifier {
 public:
  explicit BertTextClassification(const BertTextClassificationConfig& config);
};

class BertSequenceLabeling : public BertClassifier {
 public:
  explicit BertSequenceLabeling(const BertSequenceLabelingConfig& config);
};

class BertMaskFilling : public TextModel {
 public:
  explicit BertMaskFilling(const BertMaskFillingConfig& config);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  std::string act_;
  transformer::BertEncoder bert_{nullptr};
  torch::nn::Linear transform_{nullptr};
  torch::nn::LayerNorm transform_norm_{nullptr};
  transformer::TiedDecoder decoder_{nullptr};
};

}  // namespace hezar
