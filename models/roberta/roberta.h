// Hezar's RoBERTa models: `roberta` (HF RobertaModel), `roberta_text_classification` (HF
// RobertaClassificationHead on <s>), `roberta_sequence_labeling` (the same head on every token, or HF's
// linear token classifier) and `roberta_mask_filling` (HF RobertaForMaskedLM under `roberta_mask_filling.`).
#pragma once

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "models/roberta/roberta_config.h"
#include "models/transformer/bert_encoder.h"
#include "models/transformer/layers.h"
#include "models/transformer/text_model.h"

namespace hezar {

class Roberta : public TextModel {
 public:
  explicit Roberta(const RobertaConfig& config);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  transformer::BertEncoder roberta_{nullptr};
};

// `roberta.*` (no pooler) + `classifier.dense.*` / `classifier.out_proj.*` (or `classifier.*` when linear).
class RobertaClassifier : public TextModel {
 public:
  RobertaClassifier(const Config& config, const RobertaFields& fields, int num_labels, bool linear_head,
                    TextModelSpec spec);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  double dropout_;
  bool linear_head_;
  transformer::BertEncoder roberta_{nullptr};
  torch::nn::Linear dense_{nullptr}, out_proj_{nullptr};
};

class RobertaTextClassification : public RobertaClassifier {
 public:
  explicit RobertaTextClassification(const RobertaTextClassificationConfig& config);
};

class RobertaSequenceLabeling : public RobertaClassifier {
 public:
  explicit RobertaSequenceLabeling(const RobertaSequenceLabelingConfig& config);
};

class RobertaMaskFilling : public TextModel {
 public:
  explicit RobertaMaskFilling(const RobertaMaskFillingConfig& config);
  TensorMap forward(const TensorMap& inputs) override;

 private:
  transformer::BertEncoder roberta_{nullptr};
  torch::nn::Linear dense_{nullptr};
  torch::nn::LayerNorm layer_norm_{nullptr};
  transformer::TiedDecoder decoder_{nullptr};
};

}  // namespace hezar
