// The inference path of a post-LayerNorm transformer layer, shared by BERT/RoBERTa (BertLayer) and
// DistilBERT (TransformerBlock), which differ only in parameter names:
//   h = LN1(x + attn_out(attention(x)));  y = LN2(h + ffn_out(act(ffn_in(h))))
// One GEMM for Q, K and V (weights concatenated once, with the query pre-scaled by 1/sqrt(head_dim)),
// attention on Q/K/V read in place (models/transformer/attention.h), GEMMs with their bias, the FFN's
// activation and residual on oneDNN (models/transformer/dnnl_linear.h), LayerNorm on oneDNN in place
// (models/transformer/dnnl_layer_norm.h). Used when no gradient is recorded; training keeps the plain
// module path (dropout, autograd).
#pragma once

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <utility>
#include <vector>

#include "models/transformer/attention.h"
#include "models/transformer/dnnl_layer_norm.h"
#include "models/transformer/dnnl_linear.h"
#include "models/transformer/tensor_identity.h"

namespace hezar::transformer {

struct PostLnLayerParts {
  const torch::nn::Linear& query;
  const torch::nn::Linear& key;
  const torch::nn::Linear& value;
  const torch::nn::Linear& attn_out;
  const torch::nn::LayerNorm& attn_norm;
  const torch::nn::Linear& ffn_in;
  const torch::nn::Linear& ffn_out;
  const torch::nn::LayerNorm& out_norm;
  int64_t num_heads;
  const std::string& activation;
};

// What a layer keeps between inference calls: cat(query * s, key, value) weights and biases, rebuilt when a
// source tensor changes (load, to(dtype), an optimizer step), and the GEMMs (primitives, packed weights).
// Once the QKV GEMM has packed its weight, the plain cat(...) is freed (qkv_weight() is then undefined).
class LayerInferenceCache {
 public:
  void refresh_qkv(const PostLnLayerParts& parts);
  const at::Tensor& qkv_weight() const { return qkv_weight_; }
  const at::Tensor& qkv_bias() const { return qkv_bias_; }
  DnnlLinear qkv, attn_out, ffn_in, ffn_out;
  Attention attention;
  DnnlLayerNorm attn_norm, out_norm;

 private:
  at::Tensor qkv_weight_, qkv_bias_;
  std::vector<TensorIdentity> source_;
};

// x [B, L, H]; additive_mask [B, 1, 1, L] (0 keep, the dtype's lowest = padding) or undefined. Returns
// [B, L, H], or with `first_token_only` just the first token's output [B, 1, H] (what a classifier reading
// [CLS] / <s> needs from the last layer: its keys and values still come from every token, the rest of the
// layer, ~80% of its GEMM work, runs on one row per sequence).
at::Tensor post_ln_layer_infer(const PostLnLayerParts& parts, LayerInferenceCache& cache, const at::Tensor& x,
                               const at::Tensor& additive_mask, bool first_token_only = false);

}  // namespace hezar::transformer
