// Inference-time self-attention on a fused QKV projection.
//
// Why not ATen's fused encoder layer or batched matmuls: on 2 cores they spend most of the attention time
// in layout copies (splitting QKV into [B, heads, L, d] and merging heads back). Both paths here read each
// head's Q, K and V in place as strided views of the QKV rows and write the context straight into the
// head's columns of the output: no copies.
// - Attention (fp32, and bf16 where the CPU has bf16 math): oneDNN batched matmuls over (sequence, head)
//   with the padding mask added as a post-op, and oneDNN's softmax, a few sequences at a time so the scores
//   stay in cache (4.6 ms per BERT-base forward at 1 x 128 and 147 ms at 32 x 128, against 6.8 and 240
//   for the per-head path). Scores and softmax are fp32 in both; bf16 rounds the probabilities once.
// - attention_heads_parallel (any dtype, and with HEZAR_GEMM=openblas): one task per (sequence, head),
//   two single-threaded ATen GEMMs and a softmax on an [L, L] scratch of its own.
#pragma once

#include <ATen/ATen.h>

#include <memory>

namespace hezar::transformer {

// qkv [B, L, 3H] (query | key | value, contiguous; the query already scaled by 1/sqrt(head_dim)),
// key_bias [B, L] additive (0 = attend, lowest = padding) or undefined. Returns the context [B, Q, H] of
// the first Q = `queries` positions of each sequence (all L when negative: a classifier reading only the
// first token needs only its row from the last layer). Only for inference: nothing is recorded for
// autograd and there is no attention dropout.
at::Tensor attention_heads_parallel(const at::Tensor& qkv, const at::Tensor& key_bias, int64_t num_heads,
                                    int64_t queries = -1);

// The same on oneDNN for fp32 and bf16, keeping its primitives (per chunk size, length, mask and type)
// between calls.
class Attention {
 public:
  Attention();
  ~Attention();
  Attention(Attention&&) noexcept;
  Attention& operator=(Attention&&) noexcept;

  at::Tensor forward(const at::Tensor& qkv, const at::Tensor& key_bias, int64_t num_heads, int64_t queries = -1);

 private:
  struct Primitives;
  std::unique_ptr<Primitives> primitives_;
};

}  // namespace hezar::transformer
