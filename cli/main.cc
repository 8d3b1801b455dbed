// `hezar`: train, evaluate and run Hezar models from the command line.
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "core/blas_policy.h"
#include "core/error.h"
#include "core/log.h"
#include "core/memory_policy.h"

#ifndef HEZAR_VERSION
#define HEZAR_VERSION "0.1.0"
#endif

namespace {
int run(int argc, char** argv) {
  CLI::App app{"hezar: train, evaluate and run Hezar models (a native C++ toolchain)", "hezar"};
  app.set_version_flag("--version", "hezar " HEZAR_VERSION);
  app.require_subcommand(1);
  std::string log_level = "info";
  bool quiet = false;
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "only print warnings and errors");
  int threads = 0;
  app.add_option("--threads", threads,
                 "intra-op compute threads (default: libtorch's choice, one per physical core)");
  hezar::cli::add_train_command(app);
  hezar::cli::add_eval_command(app);
  hezar::cli::add_predict_command(app);
  hezar::cli::add_list_command(app);
  hezar::cli::add_config_command(app);
  hezar::cli::add_tokenize_command(app);
  hezar::cli::add_tokenizer_commands(app);
  hezar::cli::add_hub_commands(app);
  app.parse_complete_callback([&] {
    hezar::log_init(log_level, quiet);
    HEZAR_CHECK_INPUT(threads >= 0, "--threads must be >= 0");
    if (threads > 0) at::set_num_threads(threads);
    hezar::log_compute_setup();
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : hezar::kExitBadInput;
  } catch (const hezar::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return hezar::kExitRuntime;
  }
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  hezar::blas_policy_apply();    // before the first BLAS call
  hezar::memory_policy_apply();  // before the first tensor is allocated
  const int code = run(argc, argv);
  // Every file is closed by now; LibTorch's static destructors only free memory and take ~10% of a
  // short command's wall time, so flush the streams and leave without running them.
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}
