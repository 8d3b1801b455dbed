// Configs of `distilbert` and its task models, with Hezar's fields, order and defaults
// (hezar/models/*/distilbert/*_config.py) — HF DistilBertConfig fields, so config.json maps onto them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/distilbert/distilbert_modeling.h"

namespace hezar {

struct DistilBertFields {
  std::string activation = "gelu";
  double attention_dropout = 0.1;
  int dim = 768;
  double dropout = 0.1;
  int hidden_dim = 3072;
  double initializer_range = 0.02;
  int max_position_embeddings = 512;
  int n_heads = 12;
  int n_layers = 6;
  bool output_past = true;
  int pad_token_id = 0;
  double qa_dropout = 0.1;
  bool tie_weights_ = true;
  int vocab_size = 42000;
  std::optional<bool> sinusoidal_pos_embds;  // HF's; unset = false (learned positions)
  std::optional<bool> tie_word_embeddings;   // HF's; unset = true (mask filling ties the projector)
  std::optional<bool> output_hidden_states;  // HF's; unset = false

  // `extra` lists the task config's own fields, written after `qa_dropout` as Hezar orders them.
  template <class Extra>
  void visit_distilbert(FieldVisitor& v, Extra extra) {
    v("activation", activation, "gelu (erf), gelu_new, relu, ...");
    v("attention_dropout", attention_dropout);
    v("dim", dim);
    v("dropout", dropout);
    v("hidden_dim", hidden_dim, "feed-forward size");
    v("initializer_range", initializer_range);
    v("max_position_embeddings", max_position_embeddings);
    v("n_heads", n_heads);
    v("n_layers", n_layers);
    v("output_past", output_past);
    v("pad_token_id", pad_token_id);
    v("qa_dropout", qa_dropout);
    extra();
    v("tie_weights_", tie_weights_);
    v("vocab_size", vocab_size);
    v("sinusoidal_pos_embds", sinusoidal_pos_embds, "fixed sinusoidal position embeddings (default false)");
    v("tie_word_embeddings", tie_word_embeddings, "tie the LM projector to the word embeddings (default true)");
    v("output_hidden_states", output_hidden_states, "also output every layer's hidden states (default false)");
  }

  transformer::DistilBertHParams hparams(const std::string& who) const {
    transformer::DistilBertHParams p;
    p.vocab_size = vocab_size;
    p.dim = dim;
    p.n_layers = n_layers;
    p.n_heads = n_heads;
    p.hidden_dim = hidden_dim;
    p.activation = activation;
    p.dropout = dropout;
    p.attention_dropout = attention_dropout;
    p.max_position_embeddings = max_position_embeddings;
    p.sinusoidal_pos_embds = sinusoidal_pos_embds.value_or(false);
    p.initializer_range = initializer_range;
    p.pad_token_id = pad_token_id;
    p.output_hidden_states = output_hidden_states.value_or(false);
    p.who = who;
    return p;
  }
};

struct DistilBertConfig : Config, DistilBertFields {
  HEZAR_CONFIG(DistilBertConfig, "distilbert", "model")
  std::string task = "language_modeling";
  void visit(FieldVisitor& v) override {
    v("task", task);
    visit_distilbert(v, [] {});
  }
};

struct DistilBertTextClassificationConfig : Config, DistilBertFields {
  HEZAR_CONFIG(DistilBertTextClassificationConfig, "distilbert_text_classification", "model")
  std::string task = "text_classification";
  int num_labels = 0;
  std::map<int, std::string> id2label;
  double seq_classif_dropout = 0.2;
  void visit(FieldVisitor& v) override {
    v("task", task);
    v("num_labels", num_labels, "number of classes (0 = from id2label)");
    v("id2label", id2label, "class id -> label name");
    visit_distilbert(v, [&] { v("seq_classif_dropout", seq_classif_dropout); });
  }
};

struct DistilBertSequenceLabelingConfig : Config, DistilBertFields {
  HEZAR_CONFIG(DistilBertSequenceLabelingConfig, "distilbert_sequence_labeling", "model")
  std::string task = "sequence_labeling";
  int num_labels = 0;
  std::map<int, std::string> id2label;
  double hidden_dropout_prob = 0.1;
  bool use_cache = true;
  std::optional<double> classifier_dropout;
  std::vector<std::string> prediction_skip_tokens = {"[SEP]", "[CLS]"};
  void visit(FieldVisitor& v) override {
    v("task", task);
    v("num_labels", num_labels, "number of tags (0 = from id2label)");
    v("id2label", id2label, "tag id -> tag name");
    visit_distilbert(v, [] {});
    v("hidden_dropout_prob", hidden_dropout_prob, "classifier dropout when classifier_dropout is unset");
    v("use_cache", use_cache);
    v("classifier_dropout", classifier_dropout);
    v("prediction_skip_tokens", prediction_skip_tokens, "tokens left out of predictions");
  }
};

struct DistilBertMaskFillingConfig : Config, DistilBertFields {
  HEZAR_CONFIG(DistilBertMaskFillingConfig, "distilbert_mask_filling", "model")
  std::string task = "mask_filling";
  void visit(FieldVisitor& v) override {
    v("task", task);
    visit_distilbert(v, [] {});
  }
};

}  // namespace hezar
