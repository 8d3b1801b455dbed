// The compute setup the `hezar` binary applies at startup, checked through its debug log.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/testing/run_hezar.h"

namespace {

using hezar::testing::Result;

// The OpenBLAS kernels `hezar --log-level debug` reports, "" when the BLAS is not a dynamic-arch OpenBLAS.
std::string kernels(const std::vector<std::string>& env, const std::vector<std::string>& unset) {
  const Result r = hezar::testing::run_hezar({"--log-level", "debug", "list", "models"},
                                             {hezar::testing::scratch("blas"), "", env, unset});
  EXPECT_EQ(r.code, 0) << r;
  std::smatch m;
  return std::regex_search(r.err, m, std::regex(R"(OpenBLAS kernels: (\w+))")) ? m[1].str() : std::string();
}

// OpenBLAS falls back to its SSE3 "Prescott" kernels on CPU models it does not know (Debian 12's 0.3.21
// on Emerald Rapids Xeons: 5x slower GEMMs); hezar then picks the kernels the CPU's features allow, and
// leaves a user's OPENBLAS_CORETYPE alone.
TEST(ComputeSetup, OpenBlasKernelsFitTheCpu) {
  const std::string chosen = kernels({}, {"OPENBLAS_CORETYPE"});
  if (chosen.empty()) GTEST_SKIP() << "the BLAS here is not a dynamic-arch OpenBLAS";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx")) EXPECT_NE(chosen, "Prescott");
  EXPECT_EQ(kernels({"OPENBLAS_CORETYPE=Nehalem"}, {}), "Nehalem") << "the user's choice is kept";
}

}  // namespace
