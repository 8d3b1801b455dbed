#include "models/transformer/dnnl_linear.h"

#include <ATen/core/grad_mode.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <tuple>
#include <utility>
#include <vector>

namespace hezar::transformer {

namespace {
bool dnnl_enabled() {
  static const bool enabled = [] {
    const char* gemm = std::getenv("HEZAR_GEMM");
    return !(gemm && std::strcmp(gemm, "openblas") == 0);
  }();
  return enabled;
}

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
}  // namespace

// The primitives of the last few shapes (rows, in, out): batches of one job mostly repeat a handful.
struct DnnlLinear::Primitives {
  static constexpr size_t kKeep = 4;
  std::vector<std::pair<std::tuple<int64_t, int64_t, int64_t>, dnnl::matmul>> recent;

  dnnl::matmul& get(int64_t rows, int64_t in, int64_t out) {
    const auto key = std::make_tuple(rows, in, out);
    for (size_t i = 0; i < recent.size(); ++i) {
      if (recent[i].first != key) continue;
      std::rotate(recent.begin(), recent.begin() + i, recent.begin() + i + 1);  // most recent first
      return recent.front().second;
    }
    dnnl::memory::desc src({rows, in}, dt::f32, tag::ab), dst({rows, out}, dt::f32, tag::ab);
    dnnl::memory::desc weight({in, out}, dt::f32, tag::ba), bias({1, out}, dt::f32, tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weight, bias, dst), cpu_engine());
    if (recent.size() == kKeep) recent.pop_back();
    recent.insert(recent.begin(), {key, dnnl::matmul(pd)});
    return recent.front().second;
  }
};

DnnlLinear::DnnlLinear() = default;
DnnlLinear::~DnnlLinear() = default;
DnnlLinear::DnnlLinear(DnnlLinear&&) noexcept = default;
DnnlLinear& DnnlLinear::operator=(DnnlLinear&&) noexcept = default;

at::Tensor DnnlLinear::forward(const at::Tensor& w, const at::Tensor& b, const at::Tensor& rows) {
  const bool eligible = dnnl_enabled() && !at::GradMode::is_enabled() && rows.dim() == 2 &&
                        rows.size(0) > 0 && rows.size(1) == w.size(1) && rows.scalar_type() == at::kFloat &&
                        w.scalar_type() == at::kFloat && b.defined() && b.scalar_type() == at::kFloat &&
                        rows.is_contiguous() && w.is_contiguous() && b.is_contiguous();
  if (!eligible) return b.defined() ? at::addmm(b, rows, w.t()) : at::mm(rows, w.t());
  if (!primitives_) primitives_ = std::make_unique<Primitives>();
  const int64_t m = rows.size(0), in = w.size(1), out = w.size(0);
  dnnl::matmul& matmul = primitives_->get(m, in, out);
  at::Tensor result = at::empty({m, out}, rows.options());
  dnnl::memory src({{m, in}, dt::f32, tag::ab}, cpu_engine(), rows.data_ptr());
  dnnl::memory weight({{in, out}, dt::f32, tag::ba}, cpu_engine(), w.data_ptr());
  dnnl::memory bias({{1, out}, dt::f32, tag::ab}, cpu_engine(), b.data_ptr());
  dnnl::memory dst({{m, out}, dt::f32, tag::ab}, cpu_engine(), result.data_ptr());
  dnnl::stream stream(cpu_engine());
  matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weight}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  stream.wait();
  return result;
}

}  // namespace hezar::transformer
