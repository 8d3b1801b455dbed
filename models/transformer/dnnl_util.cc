#include "models/transformer/dnnl_util.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

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

bool dnnl_takes(const at::Tensor& t) {
  static const bool native_bf16 = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
    return (isa & bf16) == bf16;  // the ISA values are feature masks: AMX includes AVX-512 BF16
  }();
  if (!t.defined() || !t.is_contiguous()) return false;
  return t.scalar_type() == at::kFloat || (t.scalar_type() == at::kBFloat16 && native_bf16);
}

dnnl::memory::data_type dnnl_type(const at::Tensor& t) {
  return t.scalar_type() == at::kBFloat16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
}

bool dnnl_packing_enabled() {
  static const bool enabled = !env_is("HEZAR_PACK_WEIGHTS", "0");
  return enabled;
}

HugePageBuffer::HugePageBuffer(size_t bytes) {
  constexpr size_t kHuge = size_t{2} << 20;
  // Over-map by one huge page so the data can start on a 2 MiB boundary; the tail past the last whole huge
  // page stays in 4 KiB pages rather than rounding every weight up to 2 MiB.
  mapped_ = bytes + kHuge;
  mapping_ = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    throw std::bad_alloc();
  }
  const auto start = reinterpret_cast<uintptr_t>(mapping_);
  data_ = reinterpret_cast<void*>((start + kHuge - 1) & ~(kHuge - 1));
  madvise(data_, bytes, MADV_HUGEPAGE);  // advice only: without it the pages are ordinary ones
}

HugePageBuffer::~HugePageBuffer() {
  if (mapping_) munmap(mapping_, mapped_);
}

}  // namespace hezar::transformer
