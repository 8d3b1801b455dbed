#include "core/blas_policy.h"

#include <dlfcn.h>

#include <cstdlib>

namespace hezar {

namespace {
template <typename Fn>
Fn blas_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

// The best kernels the CPU's features allow, named as OPENBLAS_CORETYPE takes them in 0.3.21 and every
// later release; "" for none better than Prescott.
std::string cpu_best_core() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  // SkylakeX kernels use AVX-512 F, CD, BW, DQ and VL.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
  return "";
}
}  // namespace

std::string blas_core_name() {
  auto corename = blas_symbol<char* (*)()>("openblas_get_corename");
  const char* name = corename && blas_symbol<void (*)()>("gotoblas_dynamic_init") ? corename() : nullptr;
  return name ? name : "";
}

std::string blas_policy_apply() {
  auto dynamic_quit = blas_symbol<void (*)()>("gotoblas_dynamic_quit");
  auto dynamic_init = blas_symbol<void (*)()>("gotoblas_dynamic_init");
  const std::string current = blas_core_name();
  if (current.empty() || !dynamic_quit) return current;
  if (current != "Prescott" || std::getenv("OPENBLAS_CORETYPE")) return current;
  const std::string best = cpu_best_core();
  if (best.empty()) return current;
  // dynamic_init reads OPENBLAS_CORETYPE and installs that core's kernel table and blocking sizes;
  // nothing else in OpenBLAS depends on the core before the first call. Child processes inherit the
  // variable, so ranks and tools started from here use the same kernels.
  setenv("OPENBLAS_CORETYPE", best.c_str(), 1);
  dynamic_quit();
  dynamic_init();
  return blas_core_name();
}

}  // namespace hezar
