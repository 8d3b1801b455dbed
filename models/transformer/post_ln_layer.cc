#include "models/transformer/post_ln_layer.h"

#include <cmath>

#include "models/transformer/attention.h"
#include "models/transformer/layers.h"

namespace hezar::transformer {

namespace {
// LayerNorm of [N, H] rows. bf16 LayerNorm is ~8x slower than fp32 in libtorch 1.13 on CPU, so reduced
// precision inputs are normalised in fp32 and cast back (also the more accurate choice).
at::Tensor layer_norm(const at::Tensor& x, const torch::nn::LayerNorm& norm) {
  const auto& o = norm->options;
  if (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble)
    return at::layer_norm(x, o.normalized_shape(), norm->weight, norm->bias, o.eps());
  return at::layer_norm(x.to(at::kFloat), o.normalized_shape(), norm->weight.to(at::kFloat),
                        norm->bias.to(at::kFloat), o.eps())
      .to(x.scalar_type());
}

// out = in @ linear.weight^T + linear.bias, as a fresh [N, out_features] tensor.
at::Tensor affine(const torch::nn::Linear& linear, const at::Tensor& in) {
  return at::addmm(linear->bias, in, linear->weight.t());
}
}  // namespace

void QkvCache::refresh(const PostLnLayerParts& p) {
  std::vector<std::pair<const void*, uint32_t>> source;
  for (const auto* t : {&p.query->weight, &p.key->weight, &p.value->weight, &p.query->bias, &p.key->bias,
                        &p.value->bias})
    source.emplace_back(t->data_ptr(), t->is_inference() ? 0 : t->_version());  // inference tensors have none
  if (source == source_ && weight_.defined()) return;
  at::NoGradGuard no_grad;
  const double scale = 1.0 / std::sqrt(static_cast<double>(p.query->weight.size(0) / p.num_heads));
  weight_ = at::cat({p.query->weight * scale, p.key->weight, p.value->weight}, 0);
  bias_ = at::cat({p.query->bias * scale, p.key->bias, p.value->bias}, 0);
  source_ = std::move(source);
}

at::Tensor post_ln_layer_infer(const PostLnLayerParts& p, QkvCache& qkv, const at::Tensor& x,
                               const at::Tensor& additive_mask) {
  const int64_t batch = x.size(0), length = x.size(1), hidden = x.size(2);
  qkv.refresh(p);
  at::Tensor rows = x.reshape({batch * length, hidden});
  at::Tensor projected = at::addmm(qkv.bias(), rows, qkv.weight().t()).view({batch, length, 3 * hidden});
  at::Tensor key_bias = additive_mask.defined() ? additive_mask.reshape({batch, length}) : at::Tensor();
  at::Tensor context = attention_heads_parallel(projected, key_bias, p.num_heads);
  projected.reset();  // the largest buffer of the layer after the FFN's: free it before that one
  at::Tensor attended = affine(p.attn_out, context.view({batch * length, hidden}));
  context.reset();
  at::Tensor h = layer_norm(attended.add_(rows), p.attn_norm);
  attended.reset();
  at::Tensor inner = affine(p.ffn_in, h);
  if (p.activation == "gelu" || p.activation == "gelu_python") at::gelu_(inner);
  else if (p.activation == "relu") at::relu_(inner);
  else inner = activation(p.activation, inner);
  at::Tensor out = affine(p.ffn_out, inner);
  inner.reset();
  return layer_norm(out.add_(h), p.out_norm).view({batch, length, hidden});
}

}  // namespace hezar::transformer
