// Inference LayerNorm over the last dimension through oneDNN's layer_normalization.
//
// Why: ATen 1.13 takes 52-59 us for the 128 x 768 rows of a BERT-base layer on this 2-core host and oneDNN
// 13 us (844 vs 283 us at 4096 rows); a BERT-base forward has 24 of them. Outputs agree within ~2e-6.
// bf16 rows (where the CPU has bf16 math) are normalised in fp32 by oneDNN too. Other, non-contiguous or
// autograd-recording inputs, and HEZAR_GEMM=openblas, go through ATen (reduced precision normalised in
// fp32: bf16 LayerNorm is ~8x slower than fp32 in libtorch 1.13 on CPU, and less accurate).
#pragma once

#include <ATen/ATen.h>

#include <memory>

namespace hezar::transformer {

class DnnlLayerNorm {
 public:
  DnnlLayerNorm();
  ~DnnlLayerNorm();
  DnnlLayerNorm(DnnlLayerNorm&&) noexcept;
  DnnlLayerNorm& operator=(DnnlLayerNorm&&) noexcept;

  // rows [M, H] -> (rows - mean) / sqrt(var + eps) * weight + bias per row. Consumes `rows`: the result may
  // be written over it (it is on the oneDNN path), so the caller must not read `rows` afterwards.
  at::Tensor forward(const at::Tensor& rows, const at::Tensor& weight, const at::Tensor& bias, double eps);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hezar::transformer
