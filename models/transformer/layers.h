// Building blocks shared by the BERT, RoBERTa and DistilBERT families: activations by Hugging Face name,
// additive attention masks, HF's weight initialisation, tied output projections, and the
// multi-head self-attention math. Module and parameter names follow Hugging Face exactly, so state dicts
// of real checkpoints load without renaming.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <memory>
#include <string>

#include "core/tensor_map.h"

namespace hezar::transformer {

// HF ACT2FN names: gelu (erf), gelu_new / gelu_pytorch_tanh / gelu_fast (tanh approximation),
// gelu_python, quick_gelu, relu, silu / swish, tanh, sigmoid, mish.
bool activation_supported(const std::string& name);
// BadInput naming `who` and the supported names when `name` is unknown.
void check_activation(const std::string& name, const std::string& who);
at::Tensor activation(const std::string& name, const at::Tensor& x);

// [B, L] 1/0 mask -> [B, 1, 1, L] additive mask (0 to keep, float min to drop), as HF's
// get_extended_attention_mask. An undefined mask gives an undefined tensor (attend everywhere).
at::Tensor additive_attention_mask(const at::Tensor& mask, at::ScalarType dtype);

// Multi-head scaled dot-product attention on [B, L, H] projections with an additive [B, 1, 1, L] mask.
// `scale_query_first` reproduces DistilBERT (q / sqrt(d) before the product) versus BERT (after).
at::Tensor multi_head_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const at::Tensor& additive_mask, int64_t num_heads, double dropout,
                                bool training, bool scale_query_first);

// HF's _init_weights: Linear and Embedding weights ~ N(0, std), biases 0, the padding row of embeddings 0,
// LayerNorm weight 1 and bias 0. `padding_idx` < 0 means none.
void init_linear(torch::nn::LinearImpl& linear, double std);
void init_embedding(at::Tensor weight, double std, int64_t padding_idx);
void init_layer_norm(torch::nn::LayerNormImpl& norm);
// init_linear / init_layer_norm on every Linear and LayerNorm below `root`.
void init_linears_and_norms(torch::nn::Module& root, double std);

// A plain module used only to give parameters their HF dotted path ("attention", "self", "cls", ...).
std::shared_ptr<torch::nn::Module> add_group(torch::nn::Module& parent, const std::string& name);

// The output projection of a masked-LM head: hidden -> vocab. With `tie_to` defined, its weight is that
// tensor (the word embeddings), registered as a buffer so it appears in the state dict under its own name
// (as PyTorch's state_dict lists tied duplicates) but is not a second parameter for optimizers.
// `shared_bias` is registered the same way (HF ties decoder.bias to the head's bias); undefined = own bias.
class TiedDecoderImpl : public torch::nn::Module {
 public:
  TiedDecoderImpl(int64_t in, int64_t vocab, const at::Tensor& tie_to, const at::Tensor& shared_bias);
  at::Tensor forward(const at::Tensor& x) const { return at::linear(x, weight_, bias_); }
  const at::Tensor& weight() const { return weight_; }

 private:
  at::Tensor weight_, bias_;
};
TORCH_MODULE(TiedDecoder);

// "token_ids" (Hezar) or "input_ids" (HF): the token ids of a batch, BadInput when neither is there.
const at::Tensor& input_ids_of(const TensorMap& inputs, const std::string& who);
// `key` from `inputs` as int64, or an undefined tensor when absent.
at::Tensor optional_long(const TensorMap& inputs, const std::string& key);

}  // namespace hezar::transformer
