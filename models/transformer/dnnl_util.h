// What the oneDNN kernels of the transformer layers share (for .cc files only: dnnl.hpp is heavy).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace hezar::transformer {

// The CPU engine every primitive runs on.
dnnl::engine& dnnl_cpu_engine();
// False with HEZAR_GEMM=openblas: every GEMM and the attention then run on ATen (OpenBLAS).
bool dnnl_gemm_enabled();
// False with HEZAR_PACK_WEIGHTS=0: oneDNN then reads Linear weights in place (models/transformer/dnnl_linear.h).
bool dnnl_packing_enabled();

}  // namespace hezar::transformer
