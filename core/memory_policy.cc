#include "core/memory_policy.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace hezar {

bool memory_policy_apply() {
  const char* keep_defaults = std::getenv("HEZAR_MALLOC_DEFAULTS");
  if (keep_defaults && std::strcmp(keep_defaults, "1") == 0) return true;
  bool ok = true;
  // glibc caps the mmap threshold at 32 MiB on 64-bit; blocks above it are still mmapped, the rest reuse
  // the heap. Trimming and top padding are what keep the heap from shrinking and growing every layer.
  ok &= mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  ok &= mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  ok &= mallopt(M_TOP_PAD, 256 << 20) == 1;
  return ok;
}

}  // namespace hezar
