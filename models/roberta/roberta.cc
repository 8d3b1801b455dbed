#include "models/roberta/roberta.h"

namespace hezar {

HEZAR_REGISTER_MODEL("roberta", Roberta, RobertaConfig, "RoBERTa backbone (Hugging Face RobertaModel)");
HEZAR_REGISTER_MODEL("roberta_text_classification", RobertaTextClassification, RobertaTextClassificationConfig,
                     "RoBERTa with a dense+tanh classification head on <s>");
HEZAR_REGISTER_MODEL("roberta_sequence_labeling", RobertaSequenceLabeling, RobertaSequenceLabelingConfig,
                     "RoBERTa with a per-token classification head (POS, NER)");
HEZAR_REGISTER_MODEL("roberta_mask_filling", RobertaMaskFilling, RobertaMaskFillingConfig,
                     "RoBERTa masked language model (Hugging Face RobertaForMaskedLM)");

using transformer::BertEncoder;

namespace {
TextModelSpec spec_for(TextTask kind, const std::string& task, const RobertaFields& f,
                       std::vector<std::string> skip = {}) {
  return {kind, task, "roberta", kind == TextTask::kMaskFilling ? "roberta_mask_filling." : "", f.max_tokens(),
          std::move(skip)};
}
}  // namespace

Roberta::Roberta(const RobertaConfig& c) : TextModel(c, spec_for(TextTask::kBackbone, c.task, c)) {
  roberta_ = register_module("roberta", BertEncoder(c.hparams("roberta", /*pooler=*/true)));
}

TensorMap Roberta::forward(const TensorMap& inputs) {
  auto encoded = roberta_->forward(inputs);
  TensorMap out;
  add_hidden_states(out, encoded);
  out["pooler_output"] = encoded.pooler_output;
  return out;
}

RobertaClassifier::RobertaClassifier(const Config& config, const RobertaFields& f, int num_labels, bool linear_head,
                                     TextModelSpec spec)
    : TextModel(config, std::move(spec)),
      dropout_(f.classifier_dropout.value_or(f.hidden_dropout_prob)),
      linear_head_(linear_head) {
  roberta_ = register_module("roberta", BertEncoder(f.hparams(config.name(), /*pooler=*/false)));
  if (linear_head) {
    out_proj_ = register_module("classifier", torch::nn::Linear(f.hidden_size, num_labels));
  } else {
    auto head = transformer::add_group(*this, "classifier");
    dense_ = head->register_module("dense", torch::nn::Linear(f.hidden_size, f.hidden_size));
    out_proj_ = head->register_module("out_proj", torch::nn::Linear(f.hidden_size, num_labels));
    transformer::init_linear(*dense_, f.initializer_range);
  }
  transformer::init_linear(*out_proj_, f.initializer_range);
}

TensorMap RobertaClassifier::forward(const TensorMap& inputs) {
  auto encoded = roberta_->forward(inputs, /*first_token_only=*/spec().kind == TextTask::kTextClassification);
  TensorMap out;
  add_hidden_states(out, encoded);
  const bool train = is_training();
  // Text classification reads <s>; sequence labeling applies the head to every token.
  at::Tensor x = spec().kind == TextTask::kTextClassification ? encoded.last_hidden_state.select(1, 0)
                                                              : encoded.last_hidden_state;
  x = at::dropout(x, dropout_, train);
  if (!linear_head_) x = at::dropout(at::tanh(dense_->forward(x)), dropout_, train);
  out["logits"] = out_proj_->forward(x);
  pass_through(out, inputs);
  return out;
}

RobertaTextClassification::RobertaTextClassification(const RobertaTextClassificationConfig& c)
    : RobertaClassifier(c, c, resolve_num_labels(c.num_labels, c.id2label, c.name()), /*linear_head=*/false,
                        spec_for(TextTask::kTextClassification, c.task, c)) {}

namespace {
bool linear_head(const RobertaSequenceLabelingConfig& c) {
  HEZAR_CHECK_INPUT(!c.classifier_head || *c.classifier_head == "linear", c.name(),
                    ".classifier_head must be unset (Hezar's head) or 'linear', got '", *c.classifier_head, "'");
  return c.classifier_head.has_value();
}
}  // namespace

RobertaSequenceLabeling::RobertaSequenceLabeling(const RobertaSequenceLabelingConfig& c)
    : RobertaClassifier(c, c, resolve_num_labels(c.num_labels, c.id2label, c.name()), linear_head(c),
                        spec_for(TextTask::kSequenceLabeling, c.task, c, c.prediction_skip_tokens)) {}

RobertaMaskFilling::RobertaMaskFilling(const RobertaMaskFillingConfig& c)
    : TextModel(c, spec_for(TextTask::kMaskFilling, c.task, c)) {
  // HF RobertaForMaskedLM: roberta (no pooler) + lm_head.{dense, layer_norm, decoder, bias}.
  auto wrapper = transformer::add_group(*this, "roberta_mask_filling");
  roberta_ = wrapper->register_module("roberta", BertEncoder(c.hparams(c.name(), /*pooler=*/false)));
  auto lm_head = transformer::add_group(*wrapper, "lm_head");
  dense_ = lm_head->register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  layer_norm_ = lm_head->register_module(
      "layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
  transformer::init_linears_and_norms(*lm_head, c.initializer_range);
  at::Tensor bias = lm_head->register_parameter("bias", at::zeros({c.vocab_size}));
  const bool tie = c.tie_word_embeddings.value_or(true);
  decoder_ = lm_head->register_module(
      "decoder", transformer::TiedDecoder(c.hidden_size, c.vocab_size,
                                          tie ? roberta_->word_embeddings() : at::Tensor(), bias));
}

TensorMap RobertaMaskFilling::forward(const TensorMap& inputs) {
  auto encoded = roberta_->forward(inputs);
  TensorMap out;
  add_hidden_states(out, encoded);
  // RobertaLMHead: dense -> gelu (erf, whatever hidden_act is) -> layer_norm -> decoder.
  const at::Tensor last = labelled_positions(inputs, encoded.last_hidden_state, out);
  at::Tensor h = layer_norm_->forward(at::gelu(dense_->forward(last)));
  out["logits"] = decoder_->forward(h);
  pass_through(out, inputs);
  return out;
}

}  // namespace hezar
