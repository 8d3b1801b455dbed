// Hezar's DistilBERT models: `distilbert` (HF DistilBertModel), `distilbert_text_classification`
// ([CLS] -> pre_classifier -> ReLU -> dropout -> classifier), `distilbert_sequence_labeling` (every token ->
// dropout -> classifier) and `distilbert_mask_filling` (HF DistilBertForMaskedLM under
// `distilbert_mask_filling.`).
#pragma once

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "models/distilbert/distilbert_config.h"
#include "models/distilbert/distilbert_modeling.h"
#include "models/transformer/layers.h"
#include "models/transformer/text_model.h"

namespace hezar {

class DistilBert : public TextModel {
 public:
  explicit DistilBert(const DistilBertConfig& config);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  transformer::DistilBertEncoder distilbert_{nullptr};
};

class DistilBertTextClassification : public TextModel {
 public:
  explicit DistilBertTextClassification(const DistilBertTextClassificationConfig& config);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  double dropout_;
  transformer::DistilBertEncoder distilbert_{nullptr};
  torch::nn::Linear pre_classifier_{nullptr}, classifier_{nullptr};
};

class DistilBertSequenceLabeling : public TextModel {
 public:
  explicit DistilBertSequenceLabeling(const DistilBertSequenceLabelingConfig& config);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  double dropout_;
  transformer::DistilBertEncoder distilbert_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

class DistilBertMaskFilling : public TextModel {
 public:
  explicit DistilBertMaskFilling(const DistilBertMaskFillingConfig& config);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  std::string act_;
  transformer::DistilBertEncoder distilbert_{nullptr};
  torch::nn::Linear vocab_transform_{nullptr};
  torch::nn::LayerNorm vocab_layer_norm_{nullptr};
  transformer::TiedDecoder vocab_projector_{nullptr};
};

}  // namespace hezar
