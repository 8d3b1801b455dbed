// What the oneDNN kernels of the transformer layers share (for .cc files only: dnnl.hpp is heavy).
#pragma once

#include <ATen/core/Tensor.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace hezar::transformer {

// The CPU engine every primitive runs on.
dnnl::engine& dnnl_cpu_engine();
// False with HEZAR_GEMM=openblas: every GEMM and the attention then run on ATen (OpenBLAS).
bool dnnl_gemm_enabled();
// Whether the oneDNN kernels take `t`: contiguous fp32, or contiguous bf16 on a CPU with native bf16 math
// (AVX-512 BF16 or AMX; elsewhere oneDNN emulates it slower than ATen's path).
bool dnnl_takes(const at::Tensor& t);
// oneDNN's type for a tensor dnnl_takes.
dnnl::memory::data_type dnnl_type(const at::Tensor& t);
// False with HEZAR_PACK_WEIGHTS=0: oneDNN then reads Linear weights in place (models/transformer/dnnl_linear.h).
bool dnnl_packing_enabled();

// Memory for data that every forward reads in full, once (packed weights: 340 MB for BERT-base), mapped on
// its own and advised to the kernel as transparent huge pages (the host's THP mode is "madvise"). With 4 KiB
// pages the GEMMs of a batch-1 forward walk ~85k pages of weights; huge pages made BERT-base b1 ~3% faster
// (bench/RESULTS.md). Where the kernel gives no huge page it is ordinary memory.
class HugePageBuffer {
 public:
  HugePageBuffer() = default;
  explicit HugePageBuffer(size_t bytes);
  ~HugePageBuffer();
  HugePageBuffer(HugePageBuffer&& other) noexcept { swap(other); }
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept {
    HugePageBuffer(std::move(other)).swap(*this);
    return *this;
  }
  void* data() const { return data_; }

 private:
  void swap(HugePageBuffer& other) noexcept {
    std::swap(mapping_, other.mapping_);
    std::swap(mapped_, other.mapped_);
    std::swap(data_, other.data_);
  }
  void* mapping_ = nullptr;
  size_t mapped_ = 0;
  void* data_ = nullptr;
};

}  // namespace hezar::transformer

namespace hezar::transformer {

// The primitives of the last few shapes, most recent first: the batches of one job mostly repeat a handful
// of shapes, and a primitive costs milliseconds of JIT to make.
template <class Shape, class Primitive, size_t kKeep = 4>
class RecentPrimitives {
 public:
  // The primitive for `shape`, made by `make()` when it is not among the recent ones.
  template <class Make>
  Primitive& get(const Shape& shape, Make&& make) {
    for (size_t i = 0; i < recent_.size(); ++i) {
      if (recent_[i].first != shape) continue;
      std::rotate(recent_.begin(), recent_.begin() + i, recent_.begin() + i + 1);
      return recent_.front().second;
    }
    if (recent_.size() == kKeep) recent_.pop_back();
    recent_.insert(recent_.begin(), {shape, make()});
    return recent_.front().second;
  }

 private:
  std::vector<std::pair<Shape, Primitive>> recent_;
};

}  // namespace hezar::transformer
