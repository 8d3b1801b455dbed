// Numeric parity with Hugging Face transformers 4.31 on the reference checkpoints in
// $HEZAR_SHARED_DIR/fixtures/hf-reference/models/{bert,roberta,distilbert}-{seqcls,tokcls,mlm}: each one is
// loaded in the Hugging Face layout from model.safetensors (tied weights omitted) and from
// pytorch_model.bin, run on reference.json's inputs, and compared (logits, every hidden state, pooler
// output) within atol = rtol = 1e-4 where attention_mask is 1; then saved in Hezar's layout and reloaded.
#include <gtest/gtest.h>

#include <c10/core/InferenceMode.h>

#include <filesystem>
#include <iostream>

#include "models/model.h"
#include "tests/models/fixtures.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;

at::Tensor json_tensor(const nlohmann::json& j, at::ScalarType type) {
  std::vector<int64_t> shape = j["shape"].get<std::vector<int64_t>>();
  std::vector<double> data = j["data"].get<std::vector<double>>();
  return at::tensor(data, at::kDouble).reshape(shape).to(type);
}

at::Tensor json_ids(const nlohmann::json& rows) {
  std::vector<int64_t> flat;
  for (const auto& row : rows)
    for (const auto& v : row) flat.push_back(v.get<int64_t>());
  return at::tensor(flat, at::kLong).reshape({static_cast<int64_t>(rows.size()), -1});
}

TensorMap reference_inputs(const nlohmann::json& ref) {
  TensorMap inputs;
  inputs["token_ids"] = json_ids(ref["inputs"]["input_ids"]);
  inputs["attention_mask"] = json_ids(ref["inputs"]["attention_mask"]);
  if (ref["inputs"].contains("token_type_ids")) inputs["token_type_ids"] = json_ids(ref["inputs"]["token_type_ids"]);
  return inputs;
}

TensorMap run(Model& model, const TensorMap& inputs) {
  c10::InferenceMode guard;
  model.eval();
  return model.forward(inputs);
}

// Max |ours - ref| over positions with attention_mask 1; fails beyond atol + rtol * |ref|.
double compare(const std::string& what, const at::Tensor& ours, const at::Tensor& ref, const at::Tensor& mask) {
  EXPECT_EQ(ours.sizes(), ref.sizes()) << what;
  if (ours.sizes() != ref.sizes()) return INFINITY;
  at::Tensor a = ours.to(at::kDouble), b = ref.to(at::kDouble);
  if (a.dim() >= 2 && a.size(1) == mask.size(1)) {  // per-token output: keep real tokens only
    at::Tensor keep = mask.to(at::kBool);
    a = a.index({keep});
    b = b.index({keep});
  }
  at::Tensor diff = (a - b).abs();
  const double max_diff = diff.max().item<double>();
  const bool ok = (diff <= 1e-4 + 1e-4 * b.abs()).all().item<bool>();
  EXPECT_TRUE(ok) << what << ": max abs diff " << max_diff;
  return max_diff;
}

using Case = std::tuple<std::string, std::string>;  // fixture dir, our registry name
class HfParity : public ::testing::TestWithParam<std::tuple<Case, std::string>> {};

TEST_P(HfParity, MatchesTransformersAndSurvivesHezarLayoutRoundTrip) {
  const auto& [name, expected_model] = std::get<0>(GetParam());
  const std::string& weights = std::get<1>(GetParam());
  nlohmann::json ref = test::load_json(test::hf_model_fixture(name) + "/reference.json");
  // HF's output_hidden_states (off by default, as in transformers) so every layer is compared.
  std::shared_ptr<Model> model = model_load(test::hf_folder(name, weights), {"output_hidden_states=true"});
  EXPECT_EQ(model->config().name(), expected_model);
  TensorMap inputs = reference_inputs(ref);
  TensorMap outputs = run(*model, inputs);
  std::string report = name + " (" + weights + "):";
  for (const auto& [key, value] : ref["outputs"].items()) {
    ASSERT_TRUE(outputs.count(key)) << name << " has no output " << key;
    double d = compare(name + " " + key, outputs.at(key), json_tensor(value, at::kFloat), inputs.at("attention_mask"));
    char buf[64];
    std::snprintf(buf, sizeof(buf), " %s %.2e", key.c_str(), d);
    report += buf;
  }
  std::cout << "[parity] " << report << std::endl;

  // Hezar layout: model_config.yaml + model.pt/model.safetensors + preprocessor/ reload to identical outputs.
  for (const char* file : {"model.pt", "model.safetensors"}) {
    std::string saved = test::scratch_dir(name + "-saved-" + file);
    model->save(saved, file);
    ASSERT_TRUE(fs::exists(saved + "/model_config.yaml"));
    ASSERT_TRUE(fs::exists(saved + "/preprocessor/tokenizer.json")) << "tokenizer saved beside the model";
    std::shared_ptr<Model> reloaded = model_load(saved);
    EXPECT_EQ(reloaded->config().name(), expected_model);
    TensorMap again = run(*reloaded, inputs);
    for (const auto& [key, value] : ref["outputs"].items())
      EXPECT_TRUE(at::equal(again.at(key), outputs.at(key))) << name << " " << key << " after reload from " << file;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, HfParity,
    ::testing::Combine(::testing::Values(std::make_tuple(std::string("bert-seqcls"), std::string("bert_text_classification")),
                                         std::make_tuple(std::string("bert-tokcls"), std::string("bert_sequence_labeling")),
                                         std::make_tuple(std::string("bert-mlm"), std::string("bert_mask_filling")),
                                         std::make_tuple(std::string("roberta-seqcls"), std::string("roberta_text_classification")),
                                         std::make_tuple(std::string("roberta-tokcls"), std::string("roberta_sequence_labeling")),
                                         std::make_tuple(std::string("roberta-mlm"), std::string("roberta_mask_filling")),
                                         std::make_tuple(std::string("distilbert-seqcls"), std::string("distilbert_text_classification")),
                                         std::make_tuple(std::string("distilbert-tokcls"), std::string("distilbert_sequence_labeling")),
                                         std::make_tuple(std::string("distilbert-mlm"), std::string("distilbert_mask_filling"))),
                       ::testing::Values(std::string("model.safetensors"), std::string("pytorch_model.bin"))),
    [](const auto& info) {
      std::string n = std::get<0>(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
      for (char& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

}  // namespace
}  // namespace hezar
