#include "core/log.h"

#include <link.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <ATen/Parallel.h>

#include <climits>
#include <cstdlib>

#include "core/blas_policy.h"
#include "core/error.h"
#include "core/strings.h"

namespace hezar {

void log_init(const std::string& level, bool quiet) {
  auto logger = spdlog::stderr_color_mt("hezar");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  auto parsed = spdlog::level::from_str(level);
  HEZAR_CHECK_INPUT(parsed != spdlog::level::off || level == "off", "unknown log level '", level,
                    "'; valid: trace, debug, info, warn, error, off");
  spdlog::set_level(quiet ? spdlog::level::warn : parsed);
}

std::string blas_library_path() {
  std::string found;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) {
        std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (name.find("libblas.so") == std::string::npos && name.find("openblas") == std::string::npos)
          return 0;
        char resolved[PATH_MAX];
        *static_cast<std::string*>(data) = realpath(name.c_str(), resolved) ? resolved : name;
        return 1;
      },
      &found);
  return found;
}

void log_compute_setup() {
  std::string blas = blas_library_path();
  const std::string core = blas_core_name();
  spdlog::debug("BLAS: {}{}; intra-op threads: {}", blas.empty() ? "(not loaded)" : blas,
                core.empty() ? "" : " (OpenBLAS kernels: " + core + ")", at::get_num_threads());
  if (!blas.empty() && blas.find("openblas") == std::string::npos && blas.find("mkl") == std::string::npos)
    spdlog::warn("libtorch is using the reference BLAS ({}), which is ~50x slower; install "
                 "libopenblas0-openmp (scripts/install-deps.sh)", blas);
}

}  // namespace hezar
