#include "models/distilbert/distilbert_modeling.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "models/transformer/layers.h"

namespace hezar::transformer {

namespace {
torch::nn::LayerNorm make_norm(int64_t dim) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-12));  // DistilBERT's fixed eps
}

// HF create_sinusoidal_embeddings: sin on even columns, cos on odd ones.
void fill_sinusoidal(at::Tensor weight) {
  at::NoGradGuard no_grad;
  const int64_t n_pos = weight.size(0), dim = weight.size(1);
  auto w = weight.accessor<float, 2>();
  for (int64_t pos = 0; pos < n_pos; ++pos)
    for (int64_t j = 0; j < dim; ++j) {
      const double angle = pos / std::pow(10000.0, 2.0 * (j / 2) / dim);
      w[pos][j] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
}
}  // namespace

DistilBertBlockImpl::DistilBertBlockImpl(const DistilBertHParams& p) : torch::nn::Module("TransformerBlock"), p_(p) {
  const int64_t d = p.dim;
  auto attention = add_group(*this, "attention");
  q_lin_ = attention->register_module("q_lin", torch::nn::Linear(d, d));
  k_lin_ = attention->register_module("k_lin", torch::nn::Linear(d, d));
  v_lin_ = attention->register_module("v_lin", torch::nn::Linear(d, d));
  out_lin_ = attention->register_module("out_lin", torch::nn::Linear(d, d));
  sa_layer_norm_ = register_module("sa_layer_norm", make_norm(d));
  auto ffn = add_group(*this, "ffn");
  lin1_ = ffn->register_module("lin1", torch::nn::Linear(d, p.hidden_dim));
  lin2_ = ffn->register_module("lin2", torch::nn::Linear(p.hidden_dim, d));
  output_layer_norm_ = register_module("output_layer_norm", make_norm(d));
}

at::Tensor DistilBertBlockImpl::forward(const at::Tensor& x, const at::Tensor& additive_mask, bool first_token_only) {
  const bool train = is_training();
  if (!train && !at::GradMode::is_enabled()) {
    return post_ln_layer_infer({q_lin_, k_lin_, v_lin_, out_lin_, sa_layer_norm_, lin1_, lin2_, output_layer_norm_,
                                p_.n_heads, p_.activation},
                               cache_, x, additive_mask, first_token_only);
  }
  at::Tensor ctx = multi_head_attention(q_lin_->forward(x), k_lin_->forward(x), v_lin_->forward(x), additive_mask,
                                        p_.n_heads, p_.attention_dropout, train, /*scale_query_first=*/true);
  at::Tensor sa = sa_layer_norm_->forward(out_lin_->forward(ctx) + x);
  at::Tensor ffn = lin2_->forward(activation(p_.activation, lin1_->forward(sa)));
  ffn = at::dropout(ffn, p_.dropout, train);
  at::Tensor out = output_layer_norm_->forward(ffn + sa);
  return first_token_only ? out.narrow(1, 0, std::min<int64_t>(out.size(1), 1)) : out;
}

DistilBertEncoderImpl::DistilBertEncoderImpl(const DistilBertHParams& p) : torch::nn::Module("DistilBertModel"), p_(p) {
  HEZAR_CHECK_INPUT(p.dim > 0 && p.n_heads > 0 && p.dim % p.n_heads == 0, p.who, ": dim (", p.dim,
                    ") must be a positive multiple of n_heads (", p.n_heads, ")");
  HEZAR_CHECK_INPUT(p.vocab_size > 0 && p.n_layers >= 0 && p.hidden_dim > 0 && p.max_position_embeddings > 0,
                    p.who, ": vocab_size, hidden_dim and max_position_embeddings must be positive");
  check_activation(p.activation, p.who + ".activation");
  auto embeddings = add_group(*this, "embeddings");
  word_embeddings_ = embeddings->register_module("word_embeddings", torch::nn::Embedding(p.vocab_size, p.dim));
  position_embeddings_ =
      embeddings->register_module("position_embeddings", torch::nn::Embedding(p.max_position_embeddings, p.dim));
  embeddings_norm_ = embeddings->register_module("LayerNorm", make_norm(p.dim));
  auto transformer = add_group(*this, "transformer");
  auto layer_list = add_group(*transformer, "layer");
  for (int64_t i = 0; i < p.n_layers; ++i)
    layers_.push_back(layer_list->register_module(std::to_string(i), DistilBertBlock(p)));
  init_weights();
}

void DistilBertEncoderImpl::init_weights() {
  init_embedding(word_embeddings_->weight, p_.initializer_range, p_.pad_token_id);
  if (p_.sinusoidal_pos_embds) fill_sinusoidal(position_embeddings_->weight);
  else init_embedding(position_embeddings_->weight, p_.initializer_range, -1);
  init_linears_and_norms(*this, p_.initializer_range);
}

EncoderOutput DistilBertEncoderImpl::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                             bool first_token_only) {
  HEZAR_CHECK_INPUT(input_ids.dim() == 2, p_.who, ": token ids must be [batch, length], got ", input_ids.sizes());
  const int64_t length = input_ids.size(1);
  HEZAR_CHECK_INPUT(length <= p_.max_position_embeddings, p_.who, ": sequence of length ", length,
                    " exceeds max_position_embeddings ", p_.max_position_embeddings, " (truncate the input)");
  at::Tensor ids = input_ids.to(at::kLong);
  HEZAR_CHECK_INPUT(ids.numel() == 0 || (ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < p_.vocab_size),
                    p_.who, ": token id out of range [0, ", p_.vocab_size, ") (tokenizer and model vocab differ?)");
  at::Tensor positions = at::arange(length, ids.options()).unsqueeze(0);
  at::Tensor x = at::embedding(word_embeddings_->weight, ids) + at::embedding(position_embeddings_->weight, positions);
  x = at::dropout(embeddings_norm_->forward(x), p_.dropout, is_training());

  EncoderOutput out;
  if (p_.output_hidden_states) out.hidden_states.push_back(x);
  at::Tensor mask = additive_attention_mask(attention_mask, x.scalar_type());
  out.first_token_only = first_token_only && !p_.output_hidden_states && !layers_.empty();
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i]->forward(x, mask, out.first_token_only && i + 1 == layers_.size());
    if (p_.output_hidden_states) out.hidden_states.push_back(x);
  }
  out.last_hidden_state = x;
  return out;
}

EncoderOutput DistilBertEncoderImpl::forward(const TensorMap& inputs, bool first_token_only) {
  return forward(input_ids_of(inputs, p_.who), optional_long(inputs, "attention_mask"), first_token_only);
}

}  // namespace hezar::transformer
