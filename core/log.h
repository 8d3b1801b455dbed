// Logging (spdlog) and the startup report of the machine's compute setup.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace hezar {

// Sets the global level ("trace", "debug", "info", "warn", "error", "off"); quiet = warnings and up.
// Log lines go to stderr so that stdout stays machine-readable (--json output, paths).
void log_init(const std::string& level, bool quiet);

// Which BLAS library libtorch's libblas.so.3 resolves to in this process ("" if none is loaded yet).
std::string blas_library_path();

// Logs the BLAS in use and the thread count at debug level; warns when it is the netlib reference
// BLAS, which is ~50x slower than OpenBLAS on this hardware.
void log_compute_setup();

}  // namespace hezar
