#include "core/paths.h"

#include <cstdlib>

namespace hezar {

std::string cache_dir() {
  if (const char* dir = std::getenv("HEZAR_CACHE_DIR"); dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cache/hezar";
}

}  // namespace hezar
