// The oneDNN kernels of the transformer layers against plain ATen: Linear GEMMs (in place, then with the
// packed weight, repacked when the weight changes), attention (masked, chunked), LayerNorm, in fp32 and
// bf16, and the huge-page buffers the packed weights live in.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "models/transformer/attention.h"
#include "models/transformer/dnnl_layer_norm.h"
#include "models/transformer/dnnl_linear.h"
#include "models/transformer/dnnl_util.h"

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
  // bf16 (oneDNN where the CPU has bf16 math, else ATen) does the same.
  DnnlLinear half;
  at::Tensor residual = at::zeros({9, 48}, at::kBFloat16);
  half.forward(w.to(at::kBFloat16), b.to(at::kBFloat16), rows.to(at::kBFloat16), Act::kGelu, residual);
  EXPECT_TRUE(at::allclose(residual.to(at::kFloat), at::gelu(plain), 0.1, 0.1));
}

// The product of bf16-rounded inputs computed in fp32: what a bf16 GEMM accumulating in fp32 approximates
// before it rounds its result to bf16.
at::Tensor bf16_reference(const at::Tensor& w, const at::Tensor& b, const at::Tensor& rows) {
  auto round = [](const at::Tensor& t) { return t.to(at::kBFloat16).to(at::kFloat); };
  return at::addmm(round(b), round(rows), round(w).t());
}

TEST(DnnlLinear, Bf16GemmsPackTheirWeightsToo) {
  at::manual_seed(4);
  at::Tensor w = at::randn({96, 64}), b = at::randn({96}), rows = at::randn({37, 64});
  const at::Tensor expected = bf16_reference(w, b, rows);
  at::Tensor w16 = w.to(at::kBFloat16), b16 = b.to(at::kBFloat16), rows16 = rows.to(at::kBFloat16);
  c10::InferenceMode guard;
  DnnlLinear linear;
  at::Tensor first = linear.forward(w16, b16, rows16);
  at::Tensor second = linear.forward(w16, b16, rows16);
  EXPECT_EQ(second.scalar_type(), at::kBFloat16);
  // bf16 keeps 8 bits of mantissa: the result is within one unit in its last place (2^-7 relative; AMX's
  // dot products do not always round to the nearest).
  for (const at::Tensor& got : {first, second})
    EXPECT_TRUE(at::allclose(got.to(at::kFloat), expected, 1.0 / 128, 1e-3)) << (got.to(at::kFloat) - expected).abs().max();
  EXPECT_EQ(linear.packed(), dnnl_takes(w16)) << "packed on oneDNN when the CPU has bf16 math";
  if (linear.packed()) {
    EXPECT_TRUE(at::equal(first, second));
    EXPECT_THROW(linear.forward(at::Tensor(), b, rows), std::exception) << "the packed weight is bf16, the rows fp32";
  }
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

// An additive key mask [batch, length] of fp32 or bf16 whose first sequence is padded from its middle on
// with the type's lowest value (as the models' masks).
at::Tensor mask_padding_the_first(int64_t batch, int64_t length, at::ScalarType type) {
  const float lowest = type == at::kBFloat16 ? static_cast<float>(std::numeric_limits<c10::BFloat16>::lowest())
                                             : std::numeric_limits<float>::lowest();
  at::Tensor mask = at::zeros({batch, length}, at::kFloat);
  mask.index_put_({0, at::indexing::Slice(length / 2, at::indexing::None)}, lowest);
  return mask.to(type);
}

TEST(Attention, MatchesPlainAtenWithMasksAndChunks) {
  at::manual_seed(2);
  c10::InferenceMode guard;
  Attention attention;
  // 2 heads x 512^2 scores are 2 MiB a sequence: 3 sequences run as chunks of 2 and 1.
  for (const auto& [batch, length, heads] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 7, 4}, {3, 512, 2}, {5, 33, 3}}) {
    at::Tensor qkv = at::randn({batch, length, 3 * heads * 16});
    at::Tensor mask = mask_padding_the_first(batch, length, at::kFloat);
    for (const at::Tensor& bias : {at::Tensor(), mask}) {
      at::Tensor expected = reference_attention(qkv, bias, heads);
      at::Tensor got = attention.forward(qkv, bias, heads);
      EXPECT_TRUE(at::allclose(got, expected, 1e-5, 1e-5)) << batch << "x" << length << ": " << (got - expected).abs().max();
      EXPECT_TRUE(at::allclose(attention_heads_parallel(qkv, bias, heads), expected, 1e-5, 1e-5));
      // Only the first queries (a classifier's last layer): their rows of the full result.
      for (int64_t queries : {int64_t{1}, std::min<int64_t>(3, length)}) {
        at::Tensor first = expected.narrow(1, 0, queries);
        at::Tensor some = attention.forward(qkv, bias, heads, queries);
        EXPECT_EQ(some.sizes(), first.sizes());
        EXPECT_TRUE(at::allclose(some, first, 1e-5, 1e-5)) << queries << " queries: " << (some - first).abs().max();
        EXPECT_TRUE(at::allclose(attention_heads_parallel(qkv, bias, heads, queries), first, 1e-5, 1e-5));
      }
    }
  }
  EXPECT_THROW(attention.forward(at::randn({1, 4, 12}), at::Tensor(), 2, 5), std::exception);
  EXPECT_EQ(attention.forward(at::empty({0, 4, 12}), at::Tensor(), 2).numel(), 0);
  EXPECT_THROW(attention.forward(at::randn({1, 4, 10}), at::Tensor(), 2), std::exception);
}

TEST(Attention, Bf16MatchesFp32OnTheSameRoundedInputs) {
  at::manual_seed(5);
  c10::InferenceMode guard;
  Attention attention;
  for (const auto& [batch, length, heads] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 7, 4}, {3, 512, 2}, {2, 128, 12}}) {
    at::Tensor qkv = at::randn({batch, length, 3 * heads * 64}).to(at::kBFloat16);
    at::Tensor mask = mask_padding_the_first(batch, length, at::kBFloat16);
    for (const at::Tensor& bias : {at::Tensor(), mask}) {
      at::Tensor expected = reference_attention(qkv.to(at::kFloat), bias.defined() ? bias.to(at::kFloat) : bias, heads);
      for (int64_t queries : {int64_t{-1}, int64_t{1}}) {
        at::Tensor want = queries < 0 ? expected : expected.narrow(1, 0, queries);
        at::Tensor got = attention.forward(qkv, bias, heads, queries);
        ASSERT_EQ(got.scalar_type(), at::kBFloat16);
        // Probabilities and context are rounded to bf16: a few units in the last place of values ~1.
        EXPECT_TRUE(at::allclose(got.to(at::kFloat), want, 0.02, 0.02))
            << batch << "x" << length << ": " << (got.to(at::kFloat) - want).abs().max();
      }
    }
  }
}

TEST(DnnlLayerNorm, MatchesAtenInPlaceAndFallsBackOutsideInference) {
  at::manual_seed(3);
  at::Tensor w = at::randn({48}), b = at::randn({48});
  DnnlLayerNorm norm;
  for (int64_t rows : {1, 7, 130}) {
    at::Tensor x = at::randn({rows, 48}) * 5 + 3;
    const at::Tensor expected = at::layer_norm(x, {48}, w, b, 1e-12);
    c10::InferenceMode guard;
    at::Tensor y = norm.forward(x, w, b, 1e-12);
    EXPECT_LT((y - expected).abs().max().item<float>(), 1e-5) << rows << " rows";
    EXPECT_EQ(y.data_ptr(), x.data_ptr()) << "fp32 inference normalises in place";
  }
  // Another eps is another primitive, not the cached one.
  at::Tensor x = at::randn({4, 48});
  const at::Tensor loose = at::layer_norm(x, {48}, w, b, 0.5);
  {
    c10::InferenceMode guard;
    EXPECT_LT((norm.forward(x.clone(), w, b, 0.5) - loose).abs().max().item<float>(), 1e-5);
  }
  // Recording gradients (training): ATen, the input left as it was.
  at::Tensor wg = w.clone().requires_grad_(true);
  at::Tensor kept = x.clone();
  at::Tensor trained = norm.forward(x, wg, b, 1e-12);
  EXPECT_TRUE(trained.requires_grad());
  EXPECT_TRUE(at::equal(x, kept));
  c10::InferenceMode guard;
  // bf16 rows (bf16 or fp32 scale and shift): normalised in fp32 and rounded once, in place on oneDNN.
  for (const at::Tensor& affine_w : {w, w.to(at::kBFloat16)}) {
    at::Tensor x16 = x.to(at::kBFloat16);
    const at::Tensor want = at::layer_norm(x16.to(at::kFloat), {48}, affine_w.to(at::kFloat), b, 1e-12);
    at::Tensor half = norm.forward(x16, affine_w, b.to(affine_w.scalar_type()), 1e-12);
    EXPECT_EQ(half.scalar_type(), at::kBFloat16);
    EXPECT_TRUE(at::allclose(half.to(at::kFloat), want, 1.0 / 128, 1e-2)) << (half.to(at::kFloat) - want).abs().max();
    EXPECT_EQ(half.data_ptr() == x16.data_ptr(), dnnl_takes(x16));
  }
}

TEST(HugePageBuffer, IsAlignedToHugePagesWritableAndMovable) {
  HugePageBuffer buffer(3 << 20);
  ASSERT_NE(buffer.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer.data()) % (2 << 20), 0u);
  std::memset(buffer.data(), 7, 3 << 20);
  HugePageBuffer moved = std::move(buffer);
  EXPECT_EQ(buffer.data(), nullptr);
  EXPECT_EQ(static_cast<unsigned char*>(moved.data())[(3 << 20) - 1], 7);
  moved = HugePageBuffer();
  EXPECT_EQ(moved.data(), nullptr);
}

}  // namespace
}  // namespace hezar::transformer
