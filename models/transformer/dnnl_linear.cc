#include "models/transformer/dnnl_linear.h"

#include <ATen/core/grad_mode.h>

#include <optional>
#include <tuple>

#include "core/error.h"
#include "models/transformer/dnnl_util.h"
#include "models/transformer/tensor_identity.h"

namespace hezar::transformer {

namespace {
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

}  // namespace

struct DnnlLinear::State {
  // rows, in, out, data type, packed weights, activation, accumulate
  using Shape = std::tuple<int64_t, int64_t, int64_t, dt, bool, Activation, bool>;
  RecentPrimitives<Shape, dnnl::matmul> recent;
  std::optional<TensorIdentity> weight;  // of the last calls
  int uses = 0;                     // calls in a row with `weight`
  HugePageBuffer packed_buffer;     // holds `packed` (declared first: outlives it)
  dnnl::memory packed;              // `weight` in oneDNN's layout, once packed
  int64_t in = 0, out = 0;          // of `weight`
  dt type = dt::f32;                // of `weight` (and of the rows, bias and result)

  dnnl::matmul::primitive_desc describe(const Shape& shape, const dnnl::memory::desc& weights) const {
    const auto [m, k, n, type, is_packed, act, accumulate] = shape;
    dnnl::memory::desc src({m, k}, type, tag::ab), dst({m, n}, type, tag::ab);
    dnnl::memory::desc bias({1, n}, type, tag::ab);
    dnnl::post_ops ops;
    if (act == Activation::kGelu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f);
    if (act == Activation::kRelu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    if (accumulate) ops.append_sum(1.f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, bias, dst), attr, dnnl_cpu_engine());
  }

  dnnl::memory::desc plain_weights() const { return dnnl::memory::desc({in, out}, type, tag::ba); }

  dnnl::matmul& matmul(int64_t rows, Activation act, bool accumulate) {
    const Shape shape{rows, in, out, type, bool(packed), act, accumulate};
    return recent.get(shape, [&] {
      return dnnl::matmul(describe(shape, packed ? packed.get_desc() : plain_weights()));
    });
  }

  // Tracks which weight the calls use; from its second call on, reorders it into the layout oneDNN picks
  // for `rows`; primitives for other row counts then take that layout as given.
  void track(const at::Tensor& w, int64_t rows, dnnl::stream& stream) {
    if (weight && weight->matches(w)) {
      uses = std::min(uses + 1, 2);
    } else {
      weight = TensorIdentity::of(w);
      uses = 1;
      packed = dnnl::memory();
      packed_buffer = HugePageBuffer();
      in = w.size(1);
      out = w.size(0);
      type = dnnl_type(w);
    }
    if (packed || uses < 2 || !dnnl_packing_enabled()) return;
    const auto pd = describe({rows, in, out, type, false, Activation::kNone, false},
                             dnnl::memory::desc({in, out}, type, tag::any));
    dnnl::memory plain(plain_weights(), dnnl_cpu_engine(), w.data_ptr());
    packed_buffer = HugePageBuffer(pd.weights_desc().get_size());
    packed = dnnl::memory(pd.weights_desc(), dnnl_cpu_engine(), packed_buffer.data());
    dnnl::reorder(plain, packed).execute(stream, plain, packed);
  }
};

DnnlLinear::DnnlLinear() = default;
DnnlLinear::~DnnlLinear() = default;
DnnlLinear::DnnlLinear(DnnlLinear&&) noexcept = default;
DnnlLinear& DnnlLinear::operator=(DnnlLinear&&) noexcept = default;

bool DnnlLinear::packed() const { return state_ && state_->packed; }

at::Tensor DnnlLinear::forward(const at::Tensor& w, const at::Tensor& b, const at::Tensor& rows, Activation act,
                               const at::Tensor& accumulate) {
  HEZAR_CHECK(w.defined() || packed(), "linear: no weight given and none packed");
  const int64_t in = w.defined() ? w.size(1) : state_->in;
  const int64_t out = w.defined() ? w.size(0) : state_->out;
  // Rows, weight, bias and residual all of one type the kernels take (the packed weight's, when packed).
  const auto type = rows.scalar_type();
  auto takes = [&](const at::Tensor& t) { return dnnl_takes(t) && t.scalar_type() == type; };
  const bool eligible = dnnl_gemm_enabled() && !at::GradMode::is_enabled() && rows.dim() == 2 && rows.size(0) > 0 &&
                        rows.size(1) == in && takes(rows) && (w.defined() ? takes(w) : state_->type == dnnl_type(rows)) &&
                        takes(b) &&
                        (!accumulate.defined() || (takes(accumulate) && accumulate.sizes() == at::IntArrayRef{rows.size(0), out}));
  if (!eligible) {
    HEZAR_CHECK(w.defined(), "linear: the weight exists only packed for inference, input is ", rows.sizes(),
                " ", rows.scalar_type());
    at::Tensor y = b.defined() ? at::addmm(b, rows, w.t()) : at::mm(rows, w.t());
    if (act == Activation::kGelu) y = at::gelu(y);
    if (act == Activation::kRelu) y = at::relu(y);
    return accumulate.defined() ? accumulate.add_(y) : y;
  }
  if (!state_) state_ = std::make_unique<State>();
  State& s = *state_;
  const int64_t m = rows.size(0);
  dnnl::stream stream(dnnl_cpu_engine());
  if (w.defined()) s.track(w, m, stream);
  dnnl::matmul& matmul = s.matmul(m, act, accumulate.defined());
  at::Tensor result = accumulate.defined() ? accumulate : at::empty({m, s.out}, rows.options());
  dnnl::memory src({{m, s.in}, s.type, tag::ab}, dnnl_cpu_engine(), rows.data_ptr());
  dnnl::memory weight = s.packed ? s.packed : dnnl::memory(s.plain_weights(), dnnl_cpu_engine(), w.data_ptr());
  dnnl::memory bias({{1, s.out}, s.type, tag::ab}, dnnl_cpu_engine(), b.data_ptr());
  dnnl::memory dst({{m, s.out}, s.type, tag::ab}, dnnl_cpu_engine(), result.data_ptr());
  matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weight}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  stream.wait();
  return result;
}

}  // namespace hezar::transformer
