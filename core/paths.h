// Where hezar keeps its files.
#pragma once

#include <string>

namespace hezar {

// HEZAR_CACHE_DIR, else ~/.cache/hezar (as Hezar's Python package).
std::string cache_dir();

}  // namespace hezar
