// Process-wide memory policy, applied once at startup by the `hezar` executable (and the benches).
#pragma once

namespace hezar {

// Tells glibc's malloc to keep freed memory for reuse instead of returning it to the kernel. A forward
// pass allocates and frees the same activation sizes (up to ~50 MB each at batch 32) layer after layer;
// with glibc's defaults each one is a fresh mmap whose pages are faulted in and zeroed again (~400k page
// faults per BERT-base batch). Keeping them costs nothing in peak RSS, which the largest layer sets
// anyway. HEZAR_MALLOC_DEFAULTS=1 leaves glibc's defaults. Returns false when glibc refused a setting.
bool memory_policy_apply();

}  // namespace hezar
