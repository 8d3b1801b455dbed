#include "models/bert/bert.h"

namespace hezar {

HEZAR_REGISTER_MODEL("bert", Bert, BertConfig, "BERT backbone (Hugging Face BertModel)");
HEZAR_REGISTER_MODEL("bert_text_classification", BertTextClassification, BertTextClassificationConfig,
                     "BERT with a classification head on the pooled [CLS] output");
HEZAR_REGISTER_MODEL("bert_sequence_labeling", BertSequenceLabeling, BertSequenceLabelingConfig,
                     "BERT with a per-token classification head (POS, NER)");
HEZAR_REGISTER_MODEL("bert_mask_filling", BertMaskFilling, BertMaskFillingConfig,
                     "BERT masked language model (Hugging Face BertForMaskedLM)");

using transformer::BertEncoder;

namespace {
TextModelSpec spec_for(TextTask kind, const std::string& task, const BertFields& f,
                       std::vector<std::string> skip = {}) {
  return {kind, task, "bert", kind == TextTask::kMaskFilling ? "bert_mask_filling." : "",
          f.max_position_embeddings, std::move(skip)};
}
}  // namespace

Bert::Bert(const BertConfig& c) : TextModel(c, spec_for(TextTask::kBackbone, c.task, c)) {
  bert_ = register_module("bert", BertEncoder(c.hparams("bert", /*pooler=*/true)));
}

TensorMap Bert::forward(const TensorMap& inputs) {
  auto encoded = bert_->forward(inputs);
  TensorMap out;
  add_hidden_states(out, encoded);
  out["pooler_output"] = encoded.pooler_output;
  return out;
}

BertClassifier::BertClassifier(const Config& config, const BertFields& f, int num_labels, TextModelSpec spec)
    : TextModel(config, std::move(spec)), dropout_(f.classifier_dropout.value_or(f.hidden_dropout_prob)) {
  bert_ = register_module("bert", BertEncoder(f.hparams(config.name(), /*pooler=*/true)));
  classifier_ = register_module("classifier", torch::nn::Linear(f.hidden_size, num_labels));
  transformer::init_linear(*classifier_, f.initializer_range);
}

TensorMap BertClassifier::forward(const TensorMap& inputs) {
  auto encoded = bert_->forward(inputs, /*first_token_only=*/spec().kind == TextTask::kTextClassification);
  TensorMap out;
  add_hidden_states(out, encoded);
  out["pooler_output"] = encoded.pooler_output;
  // Text classification reads the pooled [CLS]; sequence labeling every token.
  const at::Tensor& features =
      spec().kind == TextTask::kTextClassification ? encoded.pooler_output : encoded.last_hidden_state;
  out["logits"] = classifier_->forward(at::dropout(features, dropout_, is_training()));
  pass_through(out, inputs);
  return out;
}

BertTextClassification::BertTextClassification(const BertTextClassificationConfig& c)
    : BertClassifier(c, c, resolve_num_labels(c.num_labels, c.id2label, c.name()),
                     spec_for(TextTask::kTextClassification, c.task, c)) {}

BertSequenceLabeling::BertSequenceLabeling(const BertSequenceLabelingConfig& c)
    : BertClassifier(c, c, resolve_num_labels(c.num_labels, c.id2label, c.name()),
                     spec_for(TextTask::kSequenceLabeling, c.task, c, c.prediction_skip_tokens)) {}

BertMaskFilling::BertMaskFilling(const BertMaskFillingConfig& c)
    : TextModel(c, spec_for(TextTask::kMaskFilling, c.task, c)), act_(c.hidden_act) {
  // HF BertForMaskedLM: bert (no pooler) + cls.predictions.{transform.{dense, LayerNorm}, decoder, bias}.
  auto wrapper = transformer::add_group(*this, "bert_mask_filling");
  bert_ = wrapper->register_module("bert", BertEncoder(c.hparams(c.name(), /*pooler=*/false)));
  auto predictions = transformer::add_group(*transformer::add_group(*wrapper, "cls"), "predictions");
  at::Tensor bias = predictions->register_parameter("bias", at::zeros({c.vocab_size}));
  auto transform = transformer::add_group(*predictions, "transform");
  transform_ = transform->register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  transform_norm_ = transform->register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
  transformer::init_linears_and_norms(*transform, c.initializer_range);
  const bool tie = c.tie_word_embeddings.value_or(true);
  decoder_ = predictions->register_module(
      "decoder", transformer::TiedDecoder(c.hidden_size, c.vocab_size, tie ? bert_->word_embeddings() : at::Tensor(),
                                          bias));
}

TensorMap BertMaskFilling::forward(const TensorMap& inputs) {
  auto encoded = bert_->forward(inputs);
  TensorMap out;
  add_hidden_states(out, encoded);
  const at::Tensor last = labelled_positions(inputs, encoded.last_hidden_state, out);
  at::Tensor h = transform_norm_->forward(transformer::activation(act_, transform_->forward(last)));
  out["logits"] = decoder_->forward(h);
  pass_through(out, inputs);
  return out;
}

}  // namespace hezar
