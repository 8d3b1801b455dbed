// What the oneDNN kernels of the transformer layers share (for .cc files only: dnnl.hpp is heavy).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <utility>
#include <vector>

namespace hezar::transformer {

// The CPU engine every primitive runs on.
dnnl::engine& dnnl_cpu_engine();
// False with HEZAR_GEMM=openblas: every GEMM and the attention then run on ATen (OpenBLAS).
bool dnnl_gemm_enabled();
// False with HEZAR_PACK_WEIGHTS=0: oneDNN then reads Linear weights in place (models/transformer/dnnl_linear.h).
bool dnnl_packing_enabled();

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
