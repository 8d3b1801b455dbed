// The BERT encoder shared by BERT and RoBERTa (HF BertModel / RobertaModel): embeddings (word + position
// + token type, LayerNorm, dropout), post-LN transformer layers and an optional tanh pooler, with HF's
// parameter names (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`,
// `pooler.dense.weight`, ...). RoBERTa differs only in its position ids (padding_idx + 1 + cumulative
// count of non-pad tokens), selected by `roberta_positions`.
#pragma once

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

#include "core/tensor_map.h"
#include "models/transformer/post_ln_layer.h"

namespace hezar::transformer {

struct BertHParams {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  std::string position_embedding_type = "absolute";
  bool roberta_positions = false;
  bool add_pooling_layer = true;
  bool output_hidden_states = false;  // keep every layer's output (HF's output_hidden_states)
  std::string who = "bert";  // for error messages
};

// The hyper-parameters of any config whose fields carry HF BertConfig's names (bert, roberta).
template <class Fields>
BertHParams bert_hparams_from(const Fields& f, const std::string& who, bool pooler) {
  BertHParams p;
  p.vocab_size = f.vocab_size;
  p.hidden_size = f.hidden_size;
  p.num_hidden_layers = f.num_hidden_layers;
  p.num_attention_heads = f.num_attention_heads;
  p.intermediate_size = f.intermediate_size;
  p.hidden_act = f.hidden_act;
  p.hidden_dropout_prob = f.hidden_dropout_prob;
  p.attention_probs_dropout_prob = f.attention_probs_dropout_prob;
  p.max_position_embeddings = f.max_position_embeddings;
  p.type_vocab_size = f.type_vocab_size;
  p.initializer_range = f.initializer_range;
  p.layer_norm_eps = f.layer_norm_eps;
  p.pad_token_id = f.pad_token_id;
  p.position_embedding_type = f.position_embedding_type;
  p.add_pooling_layer = pooler;
  p.output_hidden_states = f.output_hidden_states.value_or(false);
  p.who = who;
  return p;
}

struct EncoderOutput {
  at::Tensor last_hidden_state;  // [B, L, H], or [B, 1, H] when first_token_only
  // Whether only the first token's row of the last layer was computed (asked for, and no hidden states kept).
  bool first_token_only = false;
  // With output_hidden_states: [0] embeddings output, [i] output of layer i; else empty (at batch 32 x 128
  // a BERT-base keeps 163 MB of them alive, and the allocator cannot reuse any layer's output).
  std::vector<at::Tensor> hidden_states;
  at::Tensor pooler_output;  // undefined without a pooler
};

class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertHParams& p);
  // `additive_mask` [B, 1, 1, L] (0 keep, lowest drop) or undefined. Without autograd (eval, inference)
  // this runs post_ln_layer_infer; otherwise the module path with dropout. With `first_token_only`,
  // returns [B, 1, H] (computed for that row alone on the inference path).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& additive_mask, bool first_token_only = false);

 private:
  PostLnLayerParts parts() const;

  BertHParams p_;
  LayerInferenceCache cache_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, attn_out_{nullptr};
  torch::nn::Linear intermediate_{nullptr}, output_{nullptr};
  torch::nn::LayerNorm attn_norm_{nullptr}, out_norm_{nullptr};
};
TORCH_MODULE(BertLayer);

class BertEncoderImpl : public torch::nn::Module {
 public:
  explicit BertEncoderImpl(const BertHParams& p);
  // input_ids [B, L]; attention_mask, token_type_ids, position_ids optional (undefined tensors).
  // `first_token_only`: the caller reads only the first token of the last layer (text classification),
  // so that layer computes just its row, unless output_hidden_states keeps every layer's output.
  EncoderOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                        const at::Tensor& token_type_ids, const at::Tensor& position_ids,
                        bool first_token_only = false);
  // Convenience: reads token_ids/input_ids, attention_mask, token_type_ids, position_ids from a batch.
  EncoderOutput forward(const TensorMap& inputs, bool first_token_only = false);
  const at::Tensor& word_embeddings() const { return word_embeddings_->weight; }
  const BertHParams& hparams() const { return p_; }
  // HF's _init_weights over every submodule.
  void init_weights();

 private:
  BertHParams p_;
  torch::nn::Embedding word_embeddings_{nullptr}, position_embeddings_{nullptr}, token_type_embeddings_{nullptr};
  torch::nn::LayerNorm embeddings_norm_{nullptr};
  std::vector<BertLayer> layers_;
  torch::nn::Linear pooler_{nullptr};
};
TORCH_MODULE(BertEncoder);

}  // namespace hezar::transformer
