#include "models/transformer/bert_encoder.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>

#include "core/error.h"
#include "models/transformer/layers.h"

namespace hezar::transformer {

namespace {
void check_hparams(const BertHParams& p) {
  HEZAR_CHECK_INPUT(p.hidden_size > 0 && p.num_attention_heads > 0 && p.hidden_size % p.num_attention_heads == 0,
                    p.who, ": hidden_size (", p.hidden_size, ") must be a positive multiple of num_attention_heads (",
                    p.num_attention_heads, ")");
  HEZAR_CHECK_INPUT(p.vocab_size > 0 && p.num_hidden_layers >= 0 && p.intermediate_size > 0 &&
                        p.max_position_embeddings > 0 && p.type_vocab_size > 0,
                    p.who, ": vocab_size, intermediate_size, max_position_embeddings and type_vocab_size must be "
                    "positive and num_hidden_layers not negative");
  HEZAR_CHECK_INPUT(p.position_embedding_type == "absolute", p.who, ": position_embedding_type '",
                    p.position_embedding_type, "' is not supported (only 'absolute')");
  check_activation(p.hidden_act, p.who + ".hidden_act");
}
}  // namespace

BertLayerImpl::BertLayerImpl(const BertHParams& p) : torch::nn::Module("BertLayer"), p_(p) {
  const int64_t h = p.hidden_size;
  auto attention = add_group(*this, "attention");
  auto self = add_group(*attention, "self");
  query_ = self->register_module("query", torch::nn::Linear(h, h));
  key_ = self->register_module("key", torch::nn::Linear(h, h));
  value_ = self->register_module("value", torch::nn::Linear(h, h));
  auto attn_output = add_group(*attention, "output");
  attn_out_ = attn_output->register_module("dense", torch::nn::Linear(h, h));
  attn_norm_ = attn_output->register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(p.layer_norm_eps)));
  auto intermediate = add_group(*this, "intermediate");
  intermediate_ = intermediate->register_module("dense", torch::nn::Linear(h, p.intermediate_size));
  auto output = add_group(*this, "output");
  output_ = output->register_module("dense", torch::nn::Linear(p.intermediate_size, h));
  out_norm_ = output->register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(p.layer_norm_eps)));
}

PostLnLayerParts BertLayerImpl::parts() const {
  return {query_, key_, value_, attn_out_, attn_norm_, intermediate_, output_, out_norm_, p_.num_attention_heads,
          p_.hidden_act};
}

at::Tensor BertLayerImpl::forward(const at::Tensor& x, const at::Tensor& additive_mask, bool first_token_only) {
  const bool train = is_training();
  if (!train && !at::GradMode::is_enabled())
    return post_ln_layer_infer(parts(), cache_, x, additive_mask, first_token_only);
  at::Tensor ctx = multi_head_attention(query_->forward(x), key_->forward(x), value_->forward(x), additive_mask,
                                        p_.num_attention_heads, p_.attention_probs_dropout_prob, train,
                                        /*scale_query_first=*/false);
  at::Tensor attn = at::dropout(attn_out_->forward(ctx), p_.hidden_dropout_prob, train);
  at::Tensor h = attn_norm_->forward(attn + x);
  at::Tensor inter = activation(p_.hidden_act, intermediate_->forward(h));
  at::Tensor out = at::dropout(output_->forward(inter), p_.hidden_dropout_prob, train);
  out = out_norm_->forward(out + h);
  return first_token_only ? out.narrow(1, 0, std::min<int64_t>(out.size(1), 1)) : out;
}

BertEncoderImpl::BertEncoderImpl(const BertHParams& p) : torch::nn::Module("BertModel"), p_(p) {
  check_hparams(p);
  const int64_t h = p.hidden_size;
  auto embeddings = add_group(*this, "embeddings");
  word_embeddings_ = embeddings->register_module("word_embeddings", torch::nn::Embedding(p.vocab_size, h));
  position_embeddings_ =
      embeddings->register_module("position_embeddings", torch::nn::Embedding(p.max_position_embeddings, h));
  token_type_embeddings_ =
      embeddings->register_module("token_type_embeddings", torch::nn::Embedding(p.type_vocab_size, h));
  embeddings_norm_ = embeddings->register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(p.layer_norm_eps)));
  auto encoder = add_group(*this, "encoder");
  auto layer_list = add_group(*encoder, "layer");
  for (int64_t i = 0; i < p.num_hidden_layers; ++i)
    layers_.push_back(layer_list->register_module(std::to_string(i), BertLayer(p)));
  if (p.add_pooling_layer) pooler_ = add_group(*this, "pooler")->register_module("dense", torch::nn::Linear(h, h));
  init_weights();
}

void BertEncoderImpl::init_weights() {
  const double std = p_.initializer_range;
  init_embedding(word_embeddings_->weight, std, p_.pad_token_id);
  // RoBERTa's position embeddings have padding_idx = pad_token_id too; BERT's have none.
  init_embedding(position_embeddings_->weight, std, p_.roberta_positions ? p_.pad_token_id : -1);
  init_embedding(token_type_embeddings_->weight, std, -1);
  init_linears_and_norms(*this, std);
}

EncoderOutput BertEncoderImpl::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                       const at::Tensor& token_type_ids, const at::Tensor& position_ids,
                                       bool first_token_only) {
  HEZAR_CHECK_INPUT(input_ids.dim() == 2, p_.who, ": token ids must be [batch, length], got ", input_ids.sizes());
  const int64_t length = input_ids.size(1);
  at::Tensor ids = input_ids.to(at::kLong);
  at::Tensor positions = position_ids;
  if (!positions.defined()) {
    if (p_.roberta_positions) {
      at::Tensor not_pad = ids.ne(p_.pad_token_id).to(at::kLong);
      positions = at::cumsum(not_pad, 1) * not_pad + p_.pad_token_id;
    } else {
      positions = at::arange(length, ids.options()).unsqueeze(0);
    }
  }
  const int64_t max_position = positions.numel() ? positions.max().item<int64_t>() : 0;
  HEZAR_CHECK_INPUT(max_position < p_.max_position_embeddings, p_.who, ": sequence of length ", length,
                    " needs position ", max_position, " but max_position_embeddings is ",
                    p_.max_position_embeddings, " (truncate the input)");
  HEZAR_CHECK_INPUT(ids.numel() == 0 || (ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < p_.vocab_size),
                    p_.who, ": token id out of range [0, ", p_.vocab_size, ") (tokenizer and model vocab differ?)");
  at::Tensor types = token_type_ids.defined() ? token_type_ids.to(at::kLong) : at::zeros_like(ids);
  HEZAR_CHECK_INPUT(types.numel() == 0 || types.max().item<int64_t>() < p_.type_vocab_size, p_.who,
                    ": token_type_ids out of range (type_vocab_size ", p_.type_vocab_size, ")");

  const bool train = is_training();
  at::Tensor x = at::embedding(word_embeddings_->weight, ids) + at::embedding(token_type_embeddings_->weight, types);
  x = x + at::embedding(position_embeddings_->weight, positions);
  x = at::dropout(embeddings_norm_->forward(x), p_.hidden_dropout_prob, train);

  EncoderOutput out;
  if (p_.output_hidden_states) out.hidden_states.push_back(x);
  at::Tensor mask = additive_attention_mask(attention_mask, x.scalar_type());
  out.first_token_only = first_token_only && !p_.output_hidden_states && !layers_.empty();
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i]->forward(x, mask, out.first_token_only && i + 1 == layers_.size());
    if (p_.output_hidden_states) out.hidden_states.push_back(x);
  }
  out.last_hidden_state = x;
  if (pooler_) out.pooler_output = at::tanh(pooler_->forward(x.select(1, 0)));
  return out;
}

EncoderOutput BertEncoderImpl::forward(const TensorMap& inputs, bool first_token_only) {
  return forward(input_ids_of(inputs, p_.who), optional_long(inputs, "attention_mask"),
                 optional_long(inputs, "token_type_ids"), optional_long(inputs, "position_ids"), first_token_only);
}

}  // namespace hezar::transformer
