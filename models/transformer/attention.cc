#include "models/transformer/attention.h"

#include <ATen/Parallel.h>

#include "core/error.h"

namespace hezar::transformer {

at::Tensor attention_heads_parallel(const at::Tensor& qkv, const at::Tensor& key_bias, int64_t num_heads) {
  HEZAR_CHECK(qkv.dim() == 3 && qkv.size(2) % (3 * num_heads) == 0 && qkv.is_contiguous(),
              "attention: qkv must be contiguous [batch, length, 3 * hidden], got ", qkv.sizes());
  const int64_t batch = qkv.size(0), length = qkv.size(1), hidden = qkv.size(2) / 3;
  const int64_t head_dim = hidden / num_heads;
  HEZAR_CHECK(!key_bias.defined() || (key_bias.dim() == 2 && key_bias.size(0) == batch && key_bias.size(1) == length),
              "attention: key bias must be [", batch, ", ", length, "], got ", key_bias.sizes());
  at::Tensor context = at::empty({batch, length, hidden}, qkv.options());
  if (qkv.numel() == 0) return context;
  at::Tensor bias = key_bias.defined() ? key_bias.to(qkv.scalar_type()).contiguous() : at::Tensor();
  at::parallel_for(0, batch * num_heads, 1, [&](int64_t begin, int64_t end) {
    // Inside parallel_for ATen runs single-threaded, and OpenBLAS (OpenMP build) sees the parallel region.
    at::Tensor scores = at::empty({length, length}, qkv.options());
    at::Tensor probs = at::empty({length, length}, qkv.options());
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / num_heads, h = task % num_heads;
      at::Tensor rows = qkv[b];  // [L, 3H]
      at::Tensor q = rows.narrow(1, h * head_dim, head_dim);
      at::Tensor k = rows.narrow(1, hidden + h * head_dim, head_dim);
      at::Tensor v = rows.narrow(1, 2 * hidden + h * head_dim, head_dim);
      if (bias.defined()) {
        at::addmm_out(scores, bias[b].unsqueeze(0).expand({length, length}), q, k.t());
      } else {
        at::mm_out(scores, q, k.t());
      }
      at::_softmax_out(probs, scores, 1, false);
      at::Tensor out = context[b].narrow(1, h * head_dim, head_dim);  // [L, d] with row stride H: written in place
      at::mm_out(out, probs, v);
    }
  });
  return context;
}

}  // namespace hezar::transformer
