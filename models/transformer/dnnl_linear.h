// Inference GEMMs of Linear layers through oneDNN's matmul instead of ATen's addmm (OpenBLAS).
//
// Why: on this 2-core AVX-512 host a BERT-base layer's four GEMMs take 9.9 ms at 128 rows and 305 ms at
// 4096 rows in Debian's OpenBLAS 0.3.21, 8.4 and 269 ms in Debian's oneDNN 2.6 reading the same weights
// in place (bench/RESULTS.md). oneDNN reads the [out, in] row-major weight as an [in, out] column-major
// matrix, and copies blocks of it into its own layout on every call. From the second call with the same
// weight (same storage, same version) on, the weight is reordered once into that blocked layout and kept
// (one more copy of the weight): 7-9% faster at 128 rows, ~4% at 4096, measured in one process
// alternating both (bench/RESULTS.md). A single call (one `hezar predict` batch) never pays the packing.
// A primitive is made per row count (a few ms of JIT, then cached), so equal inputs give equal outputs
// whatever ran before. bf16 models (`predict --bf16`) take the same path where the CPU has bf16 math
// (AVX-512 BF16 / AMX): BERT-base b1 88 -> ~55 ms against ATen's bf16 addmm, which reorders every weight on
// every call. HEZAR_GEMM=openblas keeps every GEMM on ATen/OpenBLAS; HEZAR_PACK_WEIGHTS=0 keeps oneDNN
// reading the weights in place (no packed copies).
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

  // What runs on the GEMM's result while it is still in cache (oneDNN post-ops): HF's "gelu" (erf) or
  // "relu", then adding it to `accumulate` (a residual [M, out], overwritten and returned).
  enum class Activation { kNone, kGelu, kRelu };

  // rows [M, in] -> act(rows @ weight^T + bias) (weight [out, in]) as a new contiguous [M, out] tensor, or
  // added into `accumulate` when given. All of one type, fp32 or bf16 (models/transformer/dnnl_util.h:
  // dnnl_takes); other, non-contiguous or autograd-recording inputs go through ATen. An undefined `weight`
  // means "the weight packed last" (its owner may free the plain copy once packed() says so).
  at::Tensor forward(const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& rows,
                     Activation act = Activation::kNone, const at::Tensor& accumulate = at::Tensor());
  // Whether forward() now uses a packed copy of the last weight it was given (of that weight's type).
  bool packed() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hezar::transformer
