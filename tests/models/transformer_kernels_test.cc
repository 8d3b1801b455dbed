// The oneDNN kernels of the transformer layers against plain ATen: Linear GEMMs (in place, then with the
// packed weight, repacked when the weight changes) and attention (masked, chunked).
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "models/transformer/attention.h"
#include "models/transformer/dnnl_linear.h"

namespace hezar::transformer {
namespace {

TEST(DnnlLinear, PacksTheWeightFromItsSecondCallAndRepacksWhenItChanges) {
  at::manual_seed(1);
  at::Tensor w = at::randn({96, 64}), b = at::randn({96});
  at::Tensor rows = at::randn({37, 64}), more = at::randn({5, 64});
  c10::InferenceMode guard;
  DnnlLinear linear;
  at::Tensor first = linear.forward(w, b, rows);
  EXPECT_FALSE(linear.packed()) << "one call reads the weight in place";
  EXPECT_TRUE(at::allclose(first, at::addmm(b, rows, w.t()), 1e-5, 1e-5));
  at::Tensor second = linear.forward(w, b, rows);
  EXPECT_TRUE(linear.packed());
  EXPECT_TRUE(at::equal(first, second)) << "packing must not change the result";
  // Other row counts and an undefined weight ("the one packed") use the packed copy too.
  EXPECT_TRUE(at::allclose(linear.forward(w, b, more), at::addmm(b, more, w.t()), 1e-5, 1e-5));
  EXPECT_TRUE(at::equal(linear.forward(at::Tensor(), b, rows), first));
  // Written in place (a load, an optimizer step): the version changes and the packed copy is dropped.
  w.mul_(-2);
  at::Tensor changed = linear.forward(w, b, rows);
  EXPECT_FALSE(linear.packed());
  EXPECT_TRUE(at::allclose(changed, at::addmm(b, rows, w.t()), 1e-5, 1e-5));
  // Another tensor: packed anew from its second call.
  at::Tensor other = at::randn({96, 64});
  linear.forward(other, b, rows);
  EXPECT_TRUE(at::allclose(linear.forward(other, b, rows), at::addmm(b, rows, other.t()), 1e-5, 1e-5));
  EXPECT_TRUE(linear.packed());
}

TEST(DnnlLinear, AnInputOneDnnCannotTakeNeedsThePlainWeight) {
  at::Tensor w = at::randn({8, 4}), b = at::randn({8});
  c10::InferenceMode guard;
  DnnlLinear linear;
  at::Tensor rows = at::randn({3, 4});
  linear.forward(w, b, rows);
  linear.forward(w, b, rows);
  ASSERT_TRUE(linear.packed());
  at::Tensor half = rows.to(at::kBFloat16);
  EXPECT_TRUE(at::allclose(linear.forward(w.to(at::kBFloat16), b.to(at::kBFloat16), half).to(at::kFloat),
                           at::addmm(b, rows, w.t()), 0.05, 0.05));
  EXPECT_THROW(linear.forward(at::Tensor(), b, half), std::exception);
}

TEST(DnnlLinear, ActivationAndAccumulateRunOnTheGemmsResult) {
  at::manual_seed(3);
  at::Tensor w = at::randn({48, 32}), b = at::randn({48}), rows = at::randn({9, 32});
  at::Tensor plain = at::addmm(b, rows, w.t());
  c10::InferenceMode guard;
  using Act = DnnlLinear::Activation;
  DnnlLinear gelu, relu, sum;
  for (int call = 0; call < 3; ++call) {  // in place, then packed
    EXPECT_TRUE(at::allclose(gelu.forward(w, b, rows, Act::kGelu), at::gelu(plain), 1e-5, 1e-5));
    EXPECT_TRUE(at::allclose(relu.forward(w, b, rows, Act::kRelu), at::relu(plain), 1e-5, 1e-5));
    at::Tensor residual = at::randn({9, 48}), expected = residual + plain;
    at::Tensor got = sum.forward(w, b, rows, Act::kNone, residual);
    EXPECT_EQ(got.data_ptr(), residual.data_ptr()) << "the result is written into the residual";
    EXPECT_TRUE(at::allclose(got, expected, 1e-5, 1e-5));
    EXPECT_EQ(sum.packed(), call > 0);
  }
  // The ATen fallback (bf16) does the same.
  DnnlLinear half;
  at::Tensor residual = at::zeros({9, 48}, at::kBFloat16);
  half.forward(w.to(at::kBFloat16), b.to(at::kBFloat16), rows.to(at::kBFloat16), Act::kGelu, residual);
  EXPECT_TRUE(at::allclose(residual.to(at::kFloat), at::gelu(plain), 0.1, 0.1));
}

at::Tensor reference_attention(const at::Tensor& qkv, const at::Tensor& key_bias, int64_t heads) {
  const int64_t batch = qkv.size(0), length = qkv.size(1), hidden = qkv.size(2) / 3;
  auto split = [&](int64_t part) {
    return qkv.narrow(2, part * hidden, hidden).reshape({batch, length, heads, -1}).transpose(1, 2);
  };
  at::Tensor scores = at::matmul(split(0), split(1).transpose(-1, -2));
  if (key_bias.defined()) scores = scores + key_bias.view({batch, 1, 1, length});
  return at::matmul(at::softmax(scores, -1), split(2)).transpose(1, 2).reshape({batch, length, hidden});
}

TEST(Attention, MatchesPlainAtenWithMasksAndChunks) {
  at::manual_seed(2);
  c10::InferenceMode guard;
  Attention attention;
  // 2 heads x 512^2 scores are 2 MiB a sequence: 3 sequences run as chunks of 2 and 1.
  for (const auto& [batch, length, heads] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 7, 4}, {3, 512, 2}, {5, 33, 3}}) {
    at::Tensor qkv = at::randn({batch, length, 3 * heads * 16});
    at::Tensor mask = at::zeros({batch, length});
    mask.index_put_({0, at::indexing::Slice(length / 2, at::indexing::None)}, std::numeric_limits<float>::lowest());
    for (const at::Tensor& bias : {at::Tensor(), mask}) {
      at::Tensor expected = reference_attention(qkv, bias, heads);
      at::Tensor got = attention.forward(qkv, bias, heads);
      EXPECT_TRUE(at::allclose(got, expected, 1e-5, 1e-5)) << batch << "x" << length << ": " << (got - expected).abs().max();
      EXPECT_TRUE(at::allclose(attention_heads_parallel(qkv, bias, heads), expected, 1e-5, 1e-5));
    }
  }
  EXPECT_EQ(attention.forward(at::empty({0, 4, 12}), at::Tensor(), 2).numel(), 0);
  EXPECT_THROW(attention.forward(at::randn({1, 4, 10}), at::Tensor(), 2), std::exception);
}

}  // namespace
}  // namespace hezar::transformer
