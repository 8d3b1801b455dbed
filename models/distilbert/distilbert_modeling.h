// The DistilBERT encoder (HF DistilBertModel): word + position embeddings, LayerNorm, and post-LN
// transformer blocks with HF's parameter names (`embeddings.word_embeddings.weight`,
// `transformer.layer.0.attention.q_lin.weight`, `transformer.layer.0.ffn.lin1.weight`,
// `transformer.layer.0.sa_layer_norm.weight`, ...). No token types, no pooler.
#pragma once

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

#include "core/tensor_map.h"
#include "models/transformer/bert_encoder.h"

namespace hezar::transformer {

struct DistilBertHParams {
  int64_t vocab_size = 30522;
  int64_t dim = 768;
  int64_t n_layers = 6;
  int64_t n_heads = 12;
  int64_t hidden_dim = 3072;
  std::string activation = "gelu";
  double dropout = 0.1;
  double attention_dropout = 0.1;
  int64_t max_position_embeddings = 512;
  bool sinusoidal_pos_embds = false;
  double initializer_range = 0.02;
  int64_t pad_token_id = 0;
  bool output_hidden_states = false;  // keep every layer's output (HF's output_hidden_states)
  std::string who = "distilbert";
};

class DistilBertBlockImpl : public torch::nn::Module {
 public:
  explicit DistilBertBlockImpl(const DistilBertHParams& p);
  // Without autograd (eval, inference) this runs post_ln_layer_infer; otherwise the module path.
  // `first_token_only`: as BertLayerImpl::forward.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& additive_mask, bool first_token_only = false);

 private:
  DistilBertHParams p_;
  LayerInferenceCache cache_;
  torch::nn::Linear q_lin_{nullptr}, k_lin_{nullptr}, v_lin_{nullptr}, out_lin_{nullptr};
  torch::nn::Linear lin1_{nullptr}, lin2_{nullptr};
  torch::nn::LayerNorm sa_layer_norm_{nullptr}, output_layer_norm_{nullptr};
};
TORCH_MODULE(DistilBertBlock);

class DistilBertEncoderImpl : public torch::nn::Module {
 public:
  explicit DistilBertEncoderImpl(const DistilBertHParams& p);
  // `first_token_only`: as BertEncoderImpl::forward.
  EncoderOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask, bool first_token_only = false);
  EncoderOutput forward(const TensorMap& inputs, bool first_token_only = false);
  const at::Tensor& word_embeddings() const { return word_embeddings_->weight; }
  const DistilBertHParams& hparams() const { return p_; }
  void init_weights();

 private:
  DistilBertHParams p_;
  torch::nn::Embedding word_embeddings_{nullptr}, position_embeddings_{nullptr};
  torch::nn::LayerNorm embeddings_norm_{nullptr};
  std::vector<DistilBertBlock> layers_;
};
TORCH_MODULE(DistilBertEncoder);

}  // namespace hezar::transformer
