// Configs of `bert` and its task models, with Hezar's fields and defaults
// (hezar/models/{backbone,text_classification,sequence_labeling,mask_filling}/bert/*_config.py). These are
// HF BertConfig fields, so a Hugging Face config.json maps onto them by name (models/transformer/hf_layout).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/transformer/bert_encoder.h"

namespace hezar {

// The HF BertConfig hyper-parameters, in Hezar's field order.
struct BertFields {
  int vocab_size = 42000;
  int hidden_size = 768;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  int pad_token_id = 0;
  std::string position_embedding_type = "absolute";
  bool use_cache = true;
  std::optional<double> classifier_dropout;
  std::optional<bool> tie_word_embeddings;  // HF's; unset = true (mask filling ties the decoder)
  std::optional<bool> output_hidden_states;  // HF's; unset = false

  void visit_bert(FieldVisitor& v) {
    v("vocab_size", vocab_size);
    v("hidden_size", hidden_size);
    v("num_hidden_layers", num_hidden_layers);
    v("num_attention_heads", num_attention_heads);
    v("intermediate_size", intermediate_size);
    v("hidden_act", hidden_act, "gelu (erf), gelu_new, relu, silu, ...");
    v("hidden_dropout_prob", hidden_dropout_prob);
    v("attention_probs_dropout_prob", attention_probs_dropout_prob);
    v("max_position_embeddings", max_position_embeddings);
    v("type_vocab_size", type_vocab_size);
    v("initializer_range", initializer_range);
    v("layer_norm_eps", layer_norm_eps);
    v("pad_token_id", pad_token_id);
    v("position_embedding_type", position_embedding_type, "only absolute is supported");
    v("use_cache", use_cache);
    v("classifier_dropout", classifier_dropout, "dropout before the head; unset = hidden_dropout_prob");
    v("tie_word_embeddings", tie_word_embeddings, "tie the LM decoder to the word embeddings (default true)");
    v("output_hidden_states", output_hidden_states, "also output every layer's hidden states (default false)");
  }

  transformer::BertHParams hparams(const std::string& who, bool pooler) const {
    return transformer::bert_hparams_from(*this, who, pooler);
  }
};

struct BertConfig : Config, BertFields {
  HEZAR_CONFIG(BertConfig, "bert", "model")
  std::string task = "backbone";
  void visit(FieldVisitor& v) override {
    v("task", task);
    visit_bert(v);
  }
};

struct BertTextClassificationConfig : Config, BertFields {
  HEZAR_CONFIG(BertTextClassificationConfig, "bert_text_classification", "model")
  std::string task = "text_classification";
  int num_labels = 0;  // 0 = len(id2label)
  std::map<int, std::string> id2label;
  void visit(FieldVisitor& v) override {
    v("task", task);
    v("num_labels", num_labels, "number of classes (0 = from id2label)");
    v("id2label", id2label, "class id -> label name");
    visit_bert(v);
  }
};

struct BertSequenceLabelingConfig : Config, BertFields {
  HEZAR_CONFIG(BertSequenceLabelingConfig, "bert_sequence_labeling", "model")
  std::string task = "sequence_labeling";
  int num_labels = 0;
  std::map<int, std::string> id2label;
  std::vector<std::string> prediction_skip_tokens = {"[SEP]", "[CLS]"};
  void visit(FieldVisitor& v) override {
    v("task", task);
    v("num_labels", num_labels, "number of tags (0 = from id2label)");
    v("id2label", id2label, "tag id -> tag name");
    visit_bert(v);
    v("prediction_skip_tokens", prediction_skip_tokens, "tokens left out of predictions");
  }
};

struct BertMaskFillingConfig : Config, BertFields {
  HEZAR_CONFIG(BertMaskFillingConfig, "bert_mask_filling", "model")
  std::string task = "mask_filling";
  void visit(FieldVisitor& v) override {
    v("task", task);
    visit_bert(v);
  }
};

}  // namespace hezar
