#include "models/transformer/post_ln_layer.h"

#include <algorithm>
#include <cmath>

#include "models/transformer/layers.h"

namespace hezar::transformer {

void LayerInferenceCache::refresh_qkv(const PostLnLayerParts& p) {
  const std::vector<const at::Tensor*> sources = {&p.query->weight, &p.key->weight, &p.value->weight,
                                                  &p.query->bias,   &p.key->bias,   &p.value->bias};
  bool same = source_.size() == sources.size();
  for (size_t i = 0; same && i < sources.size(); ++i) same = source_[i].matches(*sources[i]);
  if (same && (qkv_weight_.defined() || qkv.packed())) {
    if (qkv.packed()) qkv_weight_.reset();  // oneDNN keeps its own copy now
    return;
  }
  at::NoGradGuard no_grad;
  const double scale = 1.0 / std::sqrt(static_cast<double>(p.query->weight.size(0) / p.num_heads));
  qkv_weight_ = at::cat({p.query->weight * scale, p.key->weight, p.value->weight}, 0);
  qkv_bias_ = at::cat({p.query->bias * scale, p.key->bias, p.value->bias}, 0);
  source_.clear();
  for (const at::Tensor* t : sources) source_.push_back(TensorIdentity::of(*t));
}

at::Tensor post_ln_layer_infer(const PostLnLayerParts& p, LayerInferenceCache& cache, const at::Tensor& x,
                               const at::Tensor& additive_mask, bool first_token_only) {
  const int64_t batch = x.size(0), length = x.size(1), hidden = x.size(2);
  // Keys and values come from every token; everything after attention only from the tokens asked for.
  const int64_t queries = first_token_only ? std::min<int64_t>(length, 1) : length;
  cache.refresh_qkv(p);
  at::Tensor rows = x.reshape({batch * length, hidden}).contiguous();
  at::Tensor projected =
      cache.qkv.forward(cache.qkv_weight(), cache.qkv_bias(), rows).view({batch, length, 3 * hidden});
  at::Tensor key_bias = additive_mask.defined() ? additive_mask.reshape({batch, length}) : at::Tensor();
  at::Tensor context = cache.attention.forward(projected, key_bias, p.num_heads, queries);
  projected.reset();  // the largest buffer of the layer after the FFN's: free it before that one
  at::Tensor attended =
      cache.attn_out.forward(p.attn_out->weight, p.attn_out->bias, context.view({batch * queries, hidden}));
  context.reset();
  attended.add_(queries == length ? rows : x.narrow(1, 0, queries).reshape({batch * queries, hidden}));
  rows.reset();
  const auto& n1 = p.attn_norm->options;
  at::Tensor h = cache.attn_norm.forward(attended, p.attn_norm->weight, p.attn_norm->bias, n1.eps());
  attended.reset();
  using Act = DnnlLinear::Activation;
  const Act act = p.activation == "gelu" || p.activation == "gelu_python" ? Act::kGelu
                  : p.activation == "relu"                                 ? Act::kRelu
                                                                           : Act::kNone;
  at::Tensor inner = cache.ffn_in.forward(p.ffn_in->weight, p.ffn_in->bias, h, act);
  if (act == Act::kNone) inner = activation(p.activation, inner);
  at::Tensor out = cache.ffn_out.forward(p.ffn_out->weight, p.ffn_out->bias, inner, Act::kNone, h);  // into h
  inner.reset();
  const auto& n2 = p.out_norm->options;
  return cache.out_norm.forward(out, p.out_norm->weight, p.out_norm->bias, n2.eps()).view({batch, queries, hidden});
}

}  // namespace hezar::transformer
