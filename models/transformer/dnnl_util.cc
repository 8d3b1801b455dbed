#include "models/transformer/dnnl_util.h"

#include <cstdlib>
#include <cstring>

namespace hezar::transformer {

namespace {
bool env_is(const char* name, const char* value) {
  const char* set = std::getenv(name);
  return set && std::strcmp(set, value) == 0;
}
}  // namespace

dnnl::engine& dnnl_cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

bool dnnl_gemm_enabled() {
  static const bool enabled = !env_is("HEZAR_GEMM", "openblas");
  return enabled;
}

bool dnnl_packing_enabled() {
  static const bool enabled = !env_is("HEZAR_PACK_WEIGHTS", "0");
  return enabled;
}

}  // namespace hezar::transformer
