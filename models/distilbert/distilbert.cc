#include "models/distilbert/distilbert.h"

namespace hezar {

HEZAR_REGISTER_MODEL("distilbert", DistilBert, DistilBertConfig, "DistilBERT backbone (Hugging Face DistilBertModel)");
HEZAR_REGISTER_MODEL("distilbert_text_classification", DistilBertTextClassification,
                     DistilBertTextClassificationConfig, "DistilBERT with a classification head on [CLS]");
HEZAR_REGISTER_MODEL("distilbert_sequence_labeling", DistilBertSequenceLabeling, DistilBertSequenceLabelingConfig,
                     "DistilBERT with a per-token classification head (POS, NER)");
HEZAR_REGISTER_MODEL("distilbert_mask_filling", DistilBertMaskFilling, DistilBertMaskFillingConfig,
                     "DistilBERT masked language model (Hugging Face DistilBertForMaskedLM)");

using transformer::DistilBertEncoder;

namespace {
TextModelSpec spec_for(TextTask kind, const std::string& task, const DistilBertFields& f,
                       std::vector<std::string> skip = {}) {
  return {kind, task, "distilbert", kind == TextTask::kMaskFilling ? "distilbert_mask_filling." : "",
          f.max_position_embeddings, std::move(skip)};
}
}  // namespace

DistilBert::DistilBert(const DistilBertConfig& c) : TextModel(c, spec_for(TextTask::kBackbone, c.task, c)) {
  distilbert_ = register_module("distilbert", DistilBertEncoder(c.hparams("distilbert")));
}

TensorMap DistilBert::forward(const TensorMap& inputs) {
  TensorMap out;
  add_hidden_states(out, distilbert_->forward(inputs));
  return out;
}

DistilBertTextClassification::DistilBertTextClassification(const DistilBertTextClassificationConfig& c)
    : TextModel(c, spec_for(TextTask::kTextClassification, c.task, c)), dropout_(c.seq_classif_dropout) {
  const int num_labels = resolve_num_labels(c.num_labels, c.id2label, c.name());
  distilbert_ = register_module("distilbert", DistilBertEncoder(c.hparams(c.name())));
  pre_classifier_ = register_module("pre_classifier", torch::nn::Linear(c.dim, c.dim));
  classifier_ = register_module("classifier", torch::nn::Linear(c.dim, num_labels));
  transformer::init_linear(*pre_classifier_, c.initializer_range);
  transformer::init_linear(*classifier_, c.initializer_range);
}

TensorMap DistilBertTextClassification::forward(const TensorMap& inputs) {
  auto encoded = distilbert_->forward(inputs, /*first_token_only=*/true);
  TensorMap out;
  add_hidden_states(out, encoded);
  at::Tensor pooled = at::relu(pre_classifier_->forward(encoded.last_hidden_state.select(1, 0)));
  out["logits"] = classifier_->forward(at::dropout(pooled, dropout_, is_training()));
  pass_through(out, inputs);
  return out;
}

DistilBertSequenceLabeling::DistilBertSequenceLabeling(const DistilBertSequenceLabelingConfig& c)
    : TextModel(c, spec_for(TextTask::kSequenceLabeling, c.task, c, c.prediction_skip_tokens)),
      dropout_(c.classifier_dropout.value_or(c.hidden_dropout_prob)) {
  const int num_labels = resolve_num_labels(c.num_labels, c.id2label, c.name());
  distilbert_ = register_module("distilbert", DistilBertEncoder(c.hparams(c.name())));
  classifier_ = register_module("classifier", torch::nn::Linear(c.dim, num_labels));
  transformer::init_linear(*classifier_, c.initializer_range);
}

TensorMap DistilBertSequenceLabeling::forward(const TensorMap& inputs) {
  auto encoded = distilbert_->forward(inputs);
  TensorMap out;
  add_hidden_states(out, encoded);
  out["logits"] = classifier_->forward(at::dropout(encoded.last_hidden_state, dropout_, is_training()));
  pass_through(out, inputs);
  return out;
}

DistilBertMaskFilling::DistilBertMaskFilling(const DistilBertMaskFillingConfig& c)
    : TextModel(c, spec_for(TextTask::kMaskFilling, c.task, c)), act_(c.activation) {
  // HF DistilBertForMaskedLM: distilbert + vocab_transform -> activation -> vocab_layer_norm -> vocab_projector.
  auto wrapper = transformer::add_group(*this, "distilbert_mask_filling");
  distilbert_ = wrapper->register_module("distilbert", DistilBertEncoder(c.hparams(c.name())));
  vocab_transform_ = wrapper->register_module("vocab_transform", torch::nn::Linear(c.dim, c.dim));
  vocab_layer_norm_ = wrapper->register_module(
      "vocab_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim}).eps(1e-12)));
  transformer::init_linear(*vocab_transform_, c.initializer_range);
  const bool tie = c.tie_word_embeddings.value_or(true);
  vocab_projector_ = wrapper->register_module(
      "vocab_projector", transformer::TiedDecoder(c.dim, c.vocab_size,
                                                  tie ? distilbert_->word_embeddings() : at::Tensor(), at::Tensor()));
}

TensorMap DistilBertMaskFilling::forward(const TensorMap& inputs) {
  auto encoded = distilbert_->forward(inputs);
  TensorMap out;
  add_hidden_states(out, encoded);
  const at::Tensor last = labelled_positions(inputs, encoded.last_hidden_state, out);
  at::Tensor h = transformer::activation(act_, vocab_transform_->forward(last));
  out["logits"] = vocab_projector_->forward(vocab_layer_norm_->forward(h));
  pass_through(out, inputs);
  return out;
}

}  // namespace hezar
