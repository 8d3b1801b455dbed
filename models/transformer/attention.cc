#include "models/transformer/attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "models/transformer/dnnl_util.h"

namespace hezar::transformer {

namespace {
void check_inputs(const at::Tensor& qkv, const at::Tensor& key_bias, int64_t num_heads, int64_t queries) {
  HEZAR_CHECK(qkv.dim() == 3 && qkv.size(2) % (3 * num_heads) == 0 && qkv.is_contiguous(),
              "attention: qkv must be contiguous [batch, length, 3 * hidden], got ", qkv.sizes());
  HEZAR_CHECK(!key_bias.defined() ||
                  (key_bias.dim() == 2 && key_bias.size(0) == qkv.size(0) && key_bias.size(1) == qkv.size(1)),
              "attention: key bias must be [", qkv.size(0), ", ", qkv.size(1), "], got ", key_bias.sizes());
  HEZAR_CHECK(queries <= qkv.size(1), "attention: ", queries, " queries from sequences of ", qkv.size(1));
}

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

// The scores of this many bytes per chunk of sequences stay in L2/L3: 32 sequences at once were 20% slower.
constexpr int64_t kScoresBudget = 4 << 20;
}  // namespace

at::Tensor attention_heads_parallel(const at::Tensor& qkv, const at::Tensor& key_bias, int64_t num_heads,
                                    int64_t queries) {
  check_inputs(qkv, key_bias, num_heads, queries);
  const int64_t batch = qkv.size(0), length = qkv.size(1), hidden = qkv.size(2) / 3;
  const int64_t head_dim = hidden / num_heads, nq = queries < 0 ? length : queries;
  at::Tensor context = at::empty({batch, nq, hidden}, qkv.options());
  if (qkv.numel() == 0 || nq == 0) return context;
  at::Tensor bias = key_bias.defined() ? key_bias.to(qkv.scalar_type()).contiguous() : at::Tensor();
  at::parallel_for(0, batch * num_heads, 1, [&](int64_t begin, int64_t end) {
    // Inside parallel_for ATen runs single-threaded, and OpenBLAS (OpenMP build) sees the parallel region.
    at::Tensor scores = at::empty({nq, length}, qkv.options());
    at::Tensor probs = at::empty({nq, length}, qkv.options());
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / num_heads, h = task % num_heads;
      at::Tensor rows = qkv[b];  // [L, 3H]
      at::Tensor q = rows.narrow(1, h * head_dim, head_dim).narrow(0, 0, nq);
      at::Tensor k = rows.narrow(1, hidden + h * head_dim, head_dim);
      at::Tensor v = rows.narrow(1, 2 * hidden + h * head_dim, head_dim);
      if (bias.defined()) {
        at::addmm_out(scores, bias[b].unsqueeze(0).expand({nq, length}), q, k.t());
      } else {
        at::mm_out(scores, q, k.t());
      }
      at::_softmax_out(probs, scores, 1, false);
      at::Tensor out = context[b].narrow(1, h * head_dim, head_dim);  // [nq, d] with row stride H: written in place
      at::mm_out(out, probs, v);
    }
  });
  return context;
}

// For `n` sequences of `length` tokens, the first `nq` of them attending: scores = Q K^T (+ mask) in fp32,
// softmax over keys into probabilities of the input's type, context = P V, with Q, K, V strided views of
// the QKV rows ([n, heads, nq or L, d], row stride 3H) and the context written as [n, nq, H] (head h in
// columns h*d...). fp32 keeps the probabilities over the scores; bf16 has a buffer of its own for them.
struct Attention::Primitives {
  // n, nq, length, heads, head_dim, masked, data type
  using Shape = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, bool, dt>;
  struct Entry {
    dnnl::memory::desc q, k, v, scores, probs, mask, context;
    dnnl::matmul qk, pv;
    dnnl::softmax_v2_forward softmax;
  };
  RecentPrimitives<Shape, Entry> recent;

  static Entry make(const Shape& shape) {
    const auto [n, nq, length, heads, head_dim, masked, type] = shape;
    const int64_t hidden = heads * head_dim, row = 3 * hidden;
    Entry e;
    e.q = dnnl::memory::desc({n, heads, nq, head_dim}, type, dims{length * row, head_dim, row, 1});
    e.k = dnnl::memory::desc({n, heads, head_dim, length}, type, dims{length * row, head_dim, 1, row});
    e.v = dnnl::memory::desc({n, heads, length, head_dim}, type, dims{length * row, head_dim, row, 1});
    e.scores = dnnl::memory::desc({n, heads, nq, length}, dt::f32, tag::abcd);
    e.probs = dnnl::memory::desc({n, heads, nq, length}, type, tag::abcd);
    e.mask = dnnl::memory::desc({n, 1, 1, length}, dt::f32, tag::abcd);
    e.context = dnnl::memory::desc({n, heads, nq, head_dim}, type, dims{nq * hidden, head_dim, hidden, 1});
    dnnl::primitive_attr attr;
    if (masked) {
      dnnl::post_ops ops;
      ops.append_binary(dnnl::algorithm::binary_add, e.mask);
      attr.set_post_ops(ops);
    }
    auto& engine = dnnl_cpu_engine();
    e.qk = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(e.q, e.k, e.scores), attr, engine));
    e.softmax = dnnl::softmax_v2_forward(dnnl::softmax_v2_forward::primitive_desc(
        dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_accurate,
                                       e.scores, e.probs, 3),
        engine));
    e.pv = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(e.probs, e.v, e.context), engine));
    return e;
  }

  Entry& get(const Shape& shape) {
    return recent.get(shape, [&] { return make(shape); });
  }
};

Attention::Attention() = default;
Attention::~Attention() = default;
Attention::Attention(Attention&&) noexcept = default;
Attention& Attention::operator=(Attention&&) noexcept = default;

at::Tensor Attention::forward(const at::Tensor& qkv, const at::Tensor& key_bias, int64_t num_heads, int64_t queries) {
  if (!dnnl_gemm_enabled() || !dnnl_takes(qkv)) return attention_heads_parallel(qkv, key_bias, num_heads, queries);
  check_inputs(qkv, key_bias, num_heads, queries);
  const int64_t batch = qkv.size(0), length = qkv.size(1), hidden = qkv.size(2) / 3;
  const int64_t nq = queries < 0 ? length : queries;
  at::Tensor context = at::empty({batch, nq, hidden}, qkv.options());
  if (qkv.numel() == 0 || nq == 0) return context;
  const dt type = dnnl_type(qkv);
  const bool separate_probs = type != dt::f32;
  at::Tensor bias = key_bias.defined() ? key_bias.to(at::kFloat).contiguous() : at::Tensor();
  const int64_t bytes_per_score = sizeof(float) + (separate_probs ? qkv.element_size() : 0);
  const int64_t per_sequence = num_heads * nq * length * bytes_per_score;
  const int64_t most = std::max<int64_t>(1, kScoresBudget / per_sequence);
  const int64_t chunks = (batch + most - 1) / most;
  const int64_t chunk = (batch + chunks - 1) / chunks;  // equal chunks: at most two primitive sets
  at::Tensor scores = at::empty({chunk * num_heads * nq * length}, qkv.options().dtype(at::kFloat));
  at::Tensor probs = separate_probs ? at::empty({chunk * num_heads * nq * length}, qkv.options()) : scores;
  if (!primitives_) primitives_ = std::make_unique<Primitives>();
  auto& engine = dnnl_cpu_engine();
  dnnl::stream stream(engine);
  const int64_t element = qkv.element_size();  // offsets below are in elements of the input's type
  auto* in_bytes = static_cast<char*>(qkv.data_ptr());
  auto* out_bytes = static_cast<char*>(context.data_ptr());
  for (int64_t first = 0; first < batch; first += chunk) {
    const int64_t n = std::min(chunk, batch - first);
    auto& e = primitives_->get({n, nq, length, num_heads, hidden / num_heads, bias.defined(), type});
    char* rows = in_bytes + first * length * 3 * hidden * element;
    dnnl::memory q(e.q, engine, rows), k(e.k, engine, rows + hidden * element),
        v(e.v, engine, rows + 2 * hidden * element);
    dnnl::memory s(e.scores, engine, scores.data_ptr()), p(e.probs, engine, probs.data_ptr()),
        out(e.context, engine, out_bytes + first * nq * hidden * element);
    std::unordered_map<int, dnnl::memory> qk_args{{DNNL_ARG_SRC, q}, {DNNL_ARG_WEIGHTS, k}, {DNNL_ARG_DST, s}};
    if (bias.defined())
      qk_args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
          dnnl::memory(e.mask, engine, bias.data_ptr<float>() + first * length);
    e.qk.execute(stream, qk_args);
    e.softmax.execute(stream, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, p}});
    e.pv.execute(stream, {{DNNL_ARG_SRC, p}, {DNNL_ARG_WEIGHTS, v}, {DNNL_ARG_DST, out}});
  }
  stream.wait();
  return context;
}

}  // namespace hezar::transformer
