// Inference GEMMs of Linear layers through oneDNN's matmul instead of ATen's addmm (OpenBLAS).
//
// Why: on this 2-core AVX-512 host a BERT-base layer's four GEMMs take 9.9 ms at 128 rows and 305 ms at
// 4096 rows in Debian's OpenBLAS 0.3.21, 8.4 and 269 ms in Debian's oneDNN 2.6 reading the same weights
// in place (bench/RESULTS.md). The weights stay where they are (no packed copy, no extra memory): oneDNN
// reads the [out, in] row-major weight as an [in, out] column-major matrix. A primitive is made per row
// count (a few ms of JIT, then cached), so equal inputs give equal outputs whatever ran before.
// HEZAR_GEMM=openblas keeps every GEMM on ATen/OpenBLAS.
#pragma once

#include <ATen/ATen.h>

#include <memory>

namespace hezar::transformer {

class DnnlLinear {
 public:
  DnnlLinear();
  ~DnnlLinear();
  DnnlLinear(DnnlLinear&&) noexcept;
  DnnlLinear& operator=(DnnlLinear&&) noexcept;

  // rows [M, in] -> rows @ weight^T + bias (weight [out, in]) as a new contiguous [M, out] tensor.
  // Non-fp32, non-contiguous or autograd-recording inputs go through at::addmm.
  at::Tensor forward(const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& rows);

 private:
  struct Primitives;
  std::unique_ptr<Primitives> primitives_;
};

}  // namespace hezar::transformer
