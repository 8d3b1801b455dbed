// Inference-time self-attention on a fused QKV projection, one task per (sequence, head).
//
// Why not ATen's fused encoder layer or batched matmuls: on 2 cores they spend most of the attention time
// in layout copies (splitting QKV into [B, heads, L, d] and merging heads back) and in batched GEMMs too
// small to thread well. Here every task reads its head's Q, K and V in place as strided [L, d] views of
// the QKV rows, runs two single-threaded GEMMs and a softmax on an [L, L] scratch of its own, and writes
// its context straight into the head's columns of the output: no copies and no allocation per head.
#pragma once

#include <ATen/ATen.h>

namespace hezar::transformer {

// qkv [B, L, 3H] (query | key | value, contiguous; the query already scaled by 1/sqrt(head_dim)),
// key_bias [B, L] additive (0 = attend, lowest = padding) or undefined. Returns the context [B, L, H].
// Only for inference: nothing is recorded for autograd and there is no attention dropout.
at::Tensor attention_heads_parallel(const at::Tensor& qkv, const at::Tensor& key_bias, int64_t num_heads);

}  // namespace hezar::transformer
