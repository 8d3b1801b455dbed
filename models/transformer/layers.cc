#include "models/transformer/layers.h"

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "core/error.h"
#include "core/strings.h"
#include "models/model.h"

namespace hezar::transformer {

namespace {
using ActFn = at::Tensor (*)(const at::Tensor&);

at::Tensor gelu_tanh(const at::Tensor& x) { return at::gelu(x, "tanh"); }
at::Tensor gelu_erf(const at::Tensor& x) { return at::gelu(x); }
at::Tensor quick_gelu(const at::Tensor& x) { return x * at::sigmoid(1.702 * x); }
at::Tensor relu(const at::Tensor& x) { return at::relu(x); }
at::Tensor silu(const at::Tensor& x) { return at::silu(x); }
at::Tensor tanh_fn(const at::Tensor& x) { return at::tanh(x); }
at::Tensor sigmoid(const at::Tensor& x) { return at::sigmoid(x); }
at::Tensor mish(const at::Tensor& x) { return at::mish(x); }

const std::map<std::string, ActFn>& activations() {
  static const std::map<std::string, ActFn> table = {
      {"gelu", gelu_erf},           {"gelu_python", gelu_erf}, {"gelu_new", gelu_tanh},
      {"gelu_pytorch_tanh", gelu_tanh}, {"gelu_fast", gelu_tanh}, {"quick_gelu", quick_gelu},
      {"relu", relu},               {"silu", silu},            {"swish", silu},
      {"tanh", tanh_fn},            {"sigmoid", sigmoid},      {"mish", mish}};
  return table;
}
}  // namespace

bool activation_supported(const std::string& name) { return activations().count(name) > 0; }

void check_activation(const std::string& name, const std::string& who) {
  if (activation_supported(name)) return;
  std::vector<std::string> names;
  for (const auto& entry : activations()) names.push_back(entry.first);
  throw BadInput(who + ": unknown activation '" + name + "'; supported: " + join(names, ", "));
}

at::Tensor activation(const std::string& name, const at::Tensor& x) {
  auto it = activations().find(name);
  HEZAR_CHECK_INPUT(it != activations().end(), "unknown activation '", name, "'");
  return it->second(x);
}

at::Tensor additive_attention_mask(const at::Tensor& mask, at::ScalarType dtype) {
  if (!mask.defined()) return {};
  HEZAR_CHECK_INPUT(mask.dim() == 2, "attention_mask must be [batch, length], got ", mask.sizes());
  // HF's torch.finfo(dtype).min for the dtype itself: float's lowest would round to -inf in bfloat16, and
  // 0 * -inf at the kept positions is NaN.
  double lowest = static_cast<double>(std::numeric_limits<float>::lowest());
  if (dtype == at::kDouble) lowest = std::numeric_limits<double>::lowest();
  if (dtype == at::kBFloat16) lowest = static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
  if (dtype == at::kHalf) lowest = static_cast<double>(std::numeric_limits<c10::Half>::lowest());
  return at::zeros({mask.size(0), 1, 1, mask.size(1)}, mask.options().dtype(dtype))
      .masked_fill(mask.eq(0).unsqueeze(1).unsqueeze(2), lowest);
}

at::Tensor multi_head_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const at::Tensor& additive_mask, int64_t num_heads, double dropout,
                                bool training, bool scale_query_first) {
  const int64_t batch = q.size(0), length = q.size(1), hidden = q.size(2);
  const int64_t head_dim = hidden / num_heads;
  auto heads = [&](const at::Tensor& t) { return t.view({batch, -1, num_heads, head_dim}).transpose(1, 2); };
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  at::Tensor qh = heads(q), kh = heads(k), vh = heads(v);
  at::Tensor scores;
  if (scale_query_first) {
    scores = at::matmul(qh * scale, kh.transpose(-1, -2));
  } else {
    scores = at::matmul(qh, kh.transpose(-1, -2));
    scores.mul_(scale);
  }
  if (additive_mask.defined()) scores.add_(additive_mask);
  at::Tensor probs = at::softmax(scores, -1);
  if (training && dropout > 0) probs = at::dropout(probs, dropout, true);
  return at::matmul(probs, vh).transpose(1, 2).reshape({batch, length, hidden});
}

void init_linear(torch::nn::LinearImpl& linear, double std) {
  if (model_init_skipped()) return;
  at::NoGradGuard no_grad;
  linear.weight.normal_(0.0, std);
  if (linear.bias.defined()) linear.bias.zero_();
}

void init_embedding(at::Tensor weight, double std, int64_t padding_idx) {
  if (model_init_skipped()) return;
  at::NoGradGuard no_grad;
  weight.normal_(0.0, std);
  if (padding_idx >= 0 && padding_idx < weight.size(0)) weight[padding_idx].zero_();
}

void init_layer_norm(torch::nn::LayerNormImpl& norm) {
  if (model_init_skipped()) return;
  at::NoGradGuard no_grad;
  norm.weight.fill_(1.0);
  norm.bias.zero_();
}

void init_linears_and_norms(torch::nn::Module& root, double std) {
  for (const auto& module : root.modules(/*include_self=*/false)) {  // root may not be in a shared_ptr yet
    if (auto* linear = module->as<torch::nn::LinearImpl>()) init_linear(*linear, std);
    else if (auto* norm = module->as<torch::nn::LayerNormImpl>()) init_layer_norm(*norm);
  }
}

std::shared_ptr<torch::nn::Module> add_group(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>(name));
}

TiedDecoderImpl::TiedDecoderImpl(int64_t in, int64_t vocab, const at::Tensor& tie_to, const at::Tensor& shared_bias)
    : torch::nn::Module("TiedDecoder") {
  if (tie_to.defined()) {
    HEZAR_CHECK(tie_to.size(0) == vocab && tie_to.size(1) == in, "tied decoder weight has shape ",
                tie_to.sizes(), ", expected [", vocab, ", ", in, "]");
    weight_ = register_buffer("weight", tie_to);
  } else {
    weight_ = register_parameter("weight", at::empty({vocab, in}));
    at::NoGradGuard no_grad;
    if (!model_init_skipped()) weight_.normal_(0.0, 0.02);
  }
  bias_ = shared_bias.defined() ? register_buffer("bias", shared_bias) : register_parameter("bias", at::zeros({vocab}));
}

const at::Tensor& input_ids_of(const TensorMap& inputs, const std::string& who) {
  for (const char* key : {"token_ids", "input_ids"}) {
    auto it = inputs.find(key);
    if (it != inputs.end()) return it->second;
  }
  throw BadInput(who + " needs `token_ids` (or `input_ids`) in its inputs");
}

at::Tensor optional_long(const TensorMap& inputs, const std::string& key) {
  auto it = inputs.find(key);
  return it == inputs.end() ? at::Tensor() : it->second.to(at::kLong);
}

}  // namespace hezar::transformer
