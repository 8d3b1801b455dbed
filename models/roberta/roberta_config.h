// Configs of `roberta` and its task models, with Hezar's fields, order and defaults
// (hezar/models/*/roberta/*_config.py) — HF RobertaConfig fields, so config.json maps onto them by name.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/transformer/bert_encoder.h"

namespace hezar {

struct RobertaFields {
  double attention_probs_dropout_prob = 0.1;
  int bos_token_id = 0;
  int eos_token_id = 2;
  bool gradient_checkpointing = false;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  int hidden_size = 768;
  std::optional<double> classifier_dropout;
  double initializer_range = 0.02;
  int intermediate_size = 3072;
  double layer_norm_eps = 1e-12;
  int max_position_embeddings = 514;
  int num_attention_heads = 12;
  int num_hidden_layers = 12;
  int pad_token_id = 1;
  std::string position_embedding_type = "absolute";
  int type_vocab_size = 1;
  bool use_cache = true;
  int vocab_size = 42000;
  std::optional<bool> tie_word_embeddings;  // HF's; unset = true (mask filling ties the decoder)
  std::optional<bool> output_hidden_states;  // HF's; unset = false

  void visit_roberta(FieldVisitor& v) {
    v("attention_probs_dropout_prob", attention_probs_dropout_prob);
    v("bos_token_id", bos_token_id);
    v("eos_token_id", eos_token_id);
    v("gradient_checkpointing", gradient_checkpointing, "accepted for compatibility; ignored");
    v("hidden_act", hidden_act, "gelu (erf), gelu_new, relu, silu, ...");
    v("hidden_dropout_prob", hidden_dropout_prob);
    v("hidden_size", hidden_size);
    v("classifier_dropout", classifier_dropout, "dropout in the head; unset = hidden_dropout_prob");
    v("initializer_range", initializer_range);
    v("intermediate_size", intermediate_size);
    v("layer_norm_eps", layer_norm_eps);
    v("max_position_embeddings", max_position_embeddings, "positions start at pad_token_id + 1");
    v("num_attention_heads", num_attention_heads);
    v("num_hidden_layers", num_hidden_layers);
    v("pad_token_id", pad_token_id);
    v("position_embedding_type", position_embedding_type, "only absolute is supported");
    v("type_vocab_size", type_vocab_size);
    v("use_cache", use_cache);
    v("vocab_size", vocab_size);
    v("tie_word_embeddings", tie_word_embeddings, "tie the LM decoder to the word embeddings (default true)");
    v("output_hidden_states", output_hidden_states, "also output every layer's hidden states (default false)");
  }

  transformer::BertHParams hparams(const std::string& who, bool pooler) const {
    transformer::BertHParams p = transformer::bert_hparams_from(*this, who, pooler);
    p.roberta_positions = true;  // positions start at pad_token_id + 1
    return p;
  }
  // Longest input: positions run from pad_token_id + 1.
  int64_t max_tokens() const { return max_position_embeddings - pad_token_id - 1; }
};

struct RobertaConfig : Config, RobertaFields {
  HEZAR_CONFIG(RobertaConfig, "roberta", "model")
  std::string task = "language_modeling";
  void visit(FieldVisitor& v) override {
    v("task", task);
    visit_roberta(v);
  }
};

struct RobertaTextClassificationConfig : Config, RobertaFields {
  HEZAR_CONFIG(RobertaTextClassificationConfig, "roberta_text_classification", "model")
  std::string task = "text_classification";
  int num_labels = 0;
  std::map<int, std::string> id2label;
  void visit(FieldVisitor& v) override {
    v("task", task);
    v("num_labels", num_labels, "number of classes (0 = from id2label)");
    v("id2label", id2label, "class id -> label name");
    visit_roberta(v);
  }
};

struct RobertaSequenceLabelingConfig : Config, RobertaFields {
  HEZAR_CONFIG(RobertaSequenceLabelingConfig, "roberta_sequence_labeling", "model")
  std::string task = "sequence_labeling";
  int num_labels = 0;
  std::map<int, std::string> id2label;
  // Hezar's default is the typo'd ("<s>", "</s>, <pad>"); the intended tokens are used here.
  std::vector<std::string> prediction_skip_tokens = {"<s>", "</s>", "<pad>"};
  // Unset: Hezar's head (classifier.dense -> tanh -> classifier.out_proj on every token).
  // "linear": HF RobertaForTokenClassification's single `classifier` Linear (set when loading its config.json).
  std::optional<std::string> classifier_head;
  void visit(FieldVisitor& v) override {
    v("task", task);
    v("num_labels", num_labels, "number of tags (0 = from id2label)");
    v("id2label", id2label, "tag id -> tag name");
    visit_roberta(v);
    v("prediction_skip_tokens", prediction_skip_tokens, "tokens left out of predictions");
    v("classifier_head", classifier_head, "unset = Hezar's dense+tanh+out_proj head; linear = HF's");
  }
};

struct RobertaMaskFillingConfig : Config, RobertaFields {
  HEZAR_CONFIG(RobertaMaskFillingConfig, "roberta_mask_filling", "model")
  std::string task = "mask_filling";
  void visit(FieldVisitor& v) override {
    v("task", task);
    visit_roberta(v);
  }
};

}  // namespace hezar
