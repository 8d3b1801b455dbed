#include "models/transformer/dnnl_layer_norm.h"

#include <ATen/core/grad_mode.h>

#include <tuple>

#include "models/transformer/dnnl_util.h"

namespace hezar::transformer {

namespace {
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

at::Tensor aten_layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps) {
  const int64_t hidden = x.size(-1);
  if (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble)
    return at::layer_norm(x, {hidden}, weight, bias, eps);
  return at::layer_norm(x.to(at::kFloat), {hidden}, weight.to(at::kFloat), bias.to(at::kFloat), eps)
      .to(x.scalar_type());
}
}  // namespace

struct DnnlLayerNorm::State {
  using Shape = std::tuple<int64_t, int64_t, float, dt>;  // rows, hidden, eps, data type
  RecentPrimitives<Shape, dnnl::layer_normalization_forward> recent;
};

DnnlLayerNorm::DnnlLayerNorm() = default;
DnnlLayerNorm::~DnnlLayerNorm() = default;
DnnlLayerNorm::DnnlLayerNorm(DnnlLayerNorm&&) noexcept = default;
DnnlLayerNorm& DnnlLayerNorm::operator=(DnnlLayerNorm&&) noexcept = default;

at::Tensor DnnlLayerNorm::forward(const at::Tensor& rows, const at::Tensor& weight, const at::Tensor& bias,
                                  double eps) {
  // Rows of fp32 or (where the CPU has bf16 math) bf16; oneDNN normalises in fp32 and takes the scale and
  // shift in fp32.
  const bool eligible = dnnl_gemm_enabled() && !at::GradMode::is_enabled() && rows.dim() == 2 && rows.size(0) > 0 &&
                        dnnl_takes(rows) && dnnl_takes(weight) && dnnl_takes(bias) &&
                        weight.numel() == rows.size(1) && bias.numel() == rows.size(1);
  if (!eligible) return aten_layer_norm(rows, weight, bias, eps);
  if (!state_) state_ = std::make_unique<State>();
  const int64_t m = rows.size(0), hidden = rows.size(1);
  const dt type = dnnl_type(rows);
  const dnnl::memory::desc data({m, hidden}, type, tag::ab), affine({hidden}, dt::f32, tag::a);
  at::Tensor scale = weight.to(at::kFloat), shift = bias.to(at::kFloat);
  auto& engine = dnnl_cpu_engine();
  auto& norm = state_->recent.get({m, hidden, static_cast<float>(eps), type}, [&] {
    const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    return dnnl::layer_normalization_forward(dnnl::layer_normalization_forward::primitive_desc(
        dnnl::layer_normalization_forward::desc(dnnl::prop_kind::forward_inference, data, static_cast<float>(eps),
                                                flags),
        engine));
  });
  dnnl::memory x(data, engine, rows.data_ptr());
  dnnl::stream stream(engine);
  norm.execute(stream, {{DNNL_ARG_SRC, x},
                        {DNNL_ARG_DST, x},
                        {DNNL_ARG_SCALE, dnnl::memory(affine, engine, scale.data_ptr())},
                        {DNNL_ARG_SHIFT, dnnl::memory(affine, engine, shift.data_ptr())}});
  stream.wait();
  return rows;
}

}  // namespace hezar::transformer
