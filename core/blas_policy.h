// Process-wide BLAS kernel choice, applied once at startup by the `hezar` executable (and the benches).
#pragma once

#include <string>

namespace hezar {

// OpenBLAS picks its kernels from the CPU's model number and falls back to its generic Prescott (SSE3)
// kernels on models it does not know. Debian 12's OpenBLAS 0.3.21 does not know Emerald Rapids Xeons
// (family 6, model 207), on which its fp32 GEMMs then run ~5x slower (24 vs 128 GFLOP/s on 2 threads).
// When OpenBLAS fell back that way, this selects the kernels the CPU's features allow (SkylakeX with
// AVX-512, Haswell with AVX2 + FMA, Sandybridge with AVX) through OpenBLAS's own OPENBLAS_CORETYPE and
// its dynamic-arch initialisation, before any BLAS call. An OPENBLAS_CORETYPE set by the user is left
// alone. Returns the OpenBLAS core in use afterwards ("" when the BLAS is not a dynamic-arch OpenBLAS).
std::string blas_policy_apply();

// The OpenBLAS core (kernel set) in use, "" when the BLAS is not a dynamic-arch OpenBLAS.
std::string blas_core_name();

}  // namespace hezar
