// The inference path of a post-LayerNorm transformer layer, shared by BERT/RoBERTa (BertLayer) and
// DistilBERT (TransformerBlock), which differ only in parameter names:
//   h = LN1(x + attn_out(attention(x)));  y = LN2(h + ffn_out(act(ffn_in(h))))
// One GEMM for Q, K and V (weights concatenated once, with the query pre-scaled by 1/sqrt(head_dim)),
// attention one task per (sequence, head) (models/transformer/attention.h), bias/residual/activation
// fused into the GEMM outputs in place. Used when no gradient is recorded; training keeps the plain
// module path (dropout, autograd).
#pragma once

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <utility>
#include <vector>

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

// cat(query * s, key, value) weights and biases, rebuilt when a source tensor changes (load, to(dtype),
// an optimizer step).
class QkvCache {
 public:
  void refresh(const PostLnLayerParts& parts);
  const at::Tensor& weight() const { return weight_; }
  const at::Tensor& bias() const { return bias_; }

 private:
  at::Tensor weight_, bias_;
  std::vector<std::pair<const void*, uint32_t>> source_;
};

// x [B, L, H]; additive_mask [B, 1, 1, L] (0 keep, the dtype's lowest = padding) or undefined.
at::Tensor post_ln_layer_infer(const PostLnLayerParts& parts, QkvCache& qkv, const at::Tensor& x,
                               const at::Tensor& additive_mask);

}  // namespace hezar::transformer
