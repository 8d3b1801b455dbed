// BERT / RoBERTa / DistilBERT models beyond numeric parity: predict through the tokenizer (matching the
// reference inputs and logits), configs and their YAML round trip, weights that do not fit the config,
// init_weights_from a backbone into task models, unsupported Hugging Face configs, and dropout modes.
#include <gtest/gtest.h>

#include <c10/core/InferenceMode.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "models/bert/bert.h"
#include "models/distilbert/distilbert.h"
#include "models/model.h"
#include "models/roberta/roberta.h"
#include "models/transformer/hf_layout.h"
#include "tests/models/fixtures.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;
using test::hf_folder;
using test::hf_model_fixture;
using test::load_json;
using test::scratch_dir;

at::Tensor ids_row(const nlohmann::json& ref, const char* key, int row) {
  std::vector<int64_t> v;
  const auto& mask = ref["inputs"]["attention_mask"][row];
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i].get<int>() == 1) v.push_back(ref["inputs"][key][row][i].get<int64_t>());
  return at::tensor(v, at::kLong).unsqueeze(0);
}

at::Tensor ref_output(const nlohmann::json& ref, const std::string& key) {
  const auto& j = ref["outputs"][key];
  return at::tensor(j["data"].get<std::vector<double>>(), at::kDouble)
      .reshape(j["shape"].get<std::vector<int64_t>>())
      .to(at::kFloat);
}

// The fixture's two-sequence padded batch (ids, attention mask, token types when it has them).
TensorMap padded_reference_batch(const std::string& name) {
  nlohmann::json ref = load_json(hf_model_fixture(name) + "/reference.json");
  auto rows = [&](const char* key) {
    std::vector<int64_t> flat;
    for (const auto& row : ref["inputs"][key])
      for (const auto& v : row) flat.push_back(v.get<int64_t>());
    return at::tensor(flat, at::kLong).reshape({2, -1});
  };
  TensorMap inputs = {{"token_ids", rows("input_ids")}, {"attention_mask", rows("attention_mask")}};
  if (ref["inputs"].contains("token_type_ids")) inputs["token_type_ids"] = rows("token_type_ids");
  return inputs;
}

std::string expect_bad_input(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const BadInput& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected BadInput";
  return "";
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(TransformerPredict, TextClassificationTokenizesLikeTheReferenceAndMatchesItsLogits) {
  auto model = model_load(hf_folder("bert-seqcls", "model.safetensors"));
  nlohmann::json ref = load_json(hf_model_fixture("bert-seqcls") + "/reference.json");
  const std::string text = ref["inputs"]["texts"][0];
  TensorMap inputs = model->preprocess({text});
  EXPECT_TRUE(at::equal(inputs.at("token_ids"), ids_row(ref, "input_ids", 0)));
  nlohmann::json out = model->predict({text}, PredictOptions{3});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), 3u);
  at::Tensor probs = at::softmax(ref_output(ref, "logits")[0], 0);
  const std::string best = out[0][0]["label"];
  EXPECT_EQ(best, "LABEL_" + std::to_string(probs.argmax().item<int64_t>()));
  EXPECT_NEAR(out[0][0]["score"].get<double>(), probs.max().item<double>(), 1e-5);
}

TEST(TransformerPredict, MaskFillingFillsTheMaskWithTheReferenceDistribution) {
  for (const char* name : {"bert-mlm", "roberta-mlm", "distilbert-mlm"}) {
    auto model = model_load(hf_folder(name, "model.safetensors"));
    nlohmann::json ref = load_json(hf_model_fixture(name) + "/reference.json");
    const std::string text = ref["inputs"]["texts"][0];
    at::Tensor ids = ids_row(ref, "input_ids", 0);
    EXPECT_TRUE(at::equal(model->preprocess({text}).at("token_ids"), ids)) << name;
    nlohmann::json out = model->predict({text}, PredictOptions{2});
    ASSERT_EQ(out[0].size(), 2u) << name;
    int64_t mask_pos = -1;
    for (int64_t i = 0; i < ids.size(1); ++i)
      if (ids[0][i].item<int64_t>() == 4) mask_pos = i;  // [MASK] / <mask> are id 4 in both fixtures
    at::Tensor probs = at::softmax(ref_output(ref, "logits")[0][mask_pos], 0);
    EXPECT_EQ(out[0][0]["token_id"].get<int64_t>(), probs.argmax().item<int64_t>()) << name;
    EXPECT_NEAR(out[0][0]["score"].get<double>(), probs.max().item<double>(), 1e-5) << name;
    EXPECT_FALSE(out[0][0]["sequence"].get<std::string>().empty());
    std::string two = expect_bad_input([&] { model->predict({text + " " + text}, {}); });
    EXPECT_NE(two.find("exactly one"), std::string::npos) << two;
    std::string none = expect_bad_input([&] { model->predict({"no mask here"}, {}); });
    EXPECT_NE(none.find("must have a"), std::string::npos) << none;
  }
}

TEST(TransformerPredict, SequenceLabelingSkipsSpecialTokens) {
  auto model = model_load(hf_folder("bert-tokcls", "pytorch_model.bin"));
  nlohmann::json ref = load_json(hf_model_fixture("bert-tokcls") + "/reference.json");
  PredictOptions options;
  options.return_scores = true;
  options.return_offsets = true;
  nlohmann::json out = model->predict({"Where is the café?"}, options);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_FALSE(out[0].empty());
  for (const auto& item : out[0]) {
    EXPECT_NE(item["token"], "[CLS]");
    EXPECT_NE(item["token"], "[SEP]");
    EXPECT_TRUE(item.contains("label") && item.contains("score") && item.contains("start") && item.contains("end"));
  }
  EXPECT_EQ(out[0][0]["token"], "wh");  // reference tokens: [CLS] wh ##ere is ...
}

TEST(TransformerConfig, RoundTripsThroughYamlWithHezarFieldNames) {
  BertTextClassificationConfig config;
  config.id2label = {{0, "negative"}, {1, "positive"}};
  std::string yaml = config_to_yaml(config);
  EXPECT_EQ(yaml.rfind("name: bert_text_classification\nconfig_type: model\ntask: text_classification\n", 0), 0u) << yaml;
  for (const char* key : {"hidden_size: 768", "layer_norm_eps: 1.0e-12", "position_embedding_type: absolute"})
    EXPECT_NE(yaml.find(key), std::string::npos) << key;
  EXPECT_EQ(yaml.find("classifier_dropout"), std::string::npos) << "unset optionals are skipped";
  auto decoded = config_decode_any("model", yaml_parse(yaml, "test"), DecodeContext{"test", ""});
  EXPECT_EQ(config_to_yaml(*decoded), yaml);
}

TEST(TransformerConfig, TaskModelsNeedLabels) {
  std::string msg = expect_bad_input([] { model_build(RobertaTextClassificationConfig()); });
  EXPECT_NE(msg.find("num_labels"), std::string::npos) << msg;
}

TEST(TransformerLoad, WeightsThatDoNotFitTheConfigListTheKeys) {
  // Hugging Face layout: config.json says hidden_size 48, the weights are 32 wide.
  std::string dir = scratch_dir("bert-wrong-hidden");
  nlohmann::json config = load_json(hf_model_fixture("bert-seqcls") + "/config.json");
  config["hidden_size"] = 48;
  write_text(dir + "/config.json", config.dump());
  fs::copy_file(hf_model_fixture("bert-seqcls") + "/model.safetensors", dir + "/model.safetensors");
  std::string msg = expect_bad_input([&] { model_load(dir); });
  EXPECT_NE(msg.find("shape mismatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bert.embeddings.LayerNorm.bias: file [32] vs model [48]"), std::string::npos) << msg;

  // Hezar layout: a saved model whose model_config.yaml was edited.
  auto model = model_load(hf_folder("distilbert-seqcls", "model.safetensors"));
  std::string saved = scratch_dir("distilbert-saved-wrong");
  model->save(saved);
  YAML::Node yaml = YAML::LoadFile(saved + "/model_config.yaml");
  yaml["n_layers"] = 3;
  write_text(saved + "/model_config.yaml", YAML::Dump(yaml));
  msg = expect_bad_input([&] { model_load(saved); });
  EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("distilbert.transformer.layer.2."), std::string::npos) << msg;
}

TEST(TransformerLoad, UnsupportedHuggingFaceConfigsAreClearErrors) {
  for (auto [key, value, expected] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"model_type", "gpt2", "model_type 'gpt2' is not supported"},
           {"architectures", "BertForQuestionAnswering", "architecture 'BertForQuestionAnswering' has no Hezar model"},
           {"hidden_act", "swishy", "unknown activation 'swishy'"}}) {
    std::string dir = scratch_dir("bert-bad-" + key);
    nlohmann::json config = load_json(hf_model_fixture("bert-seqcls") + "/config.json");
    config[key] = key == "architectures" ? nlohmann::json::array({value}) : nlohmann::json(value);
    write_text(dir + "/config.json", config.dump());
    fs::copy_file(hf_model_fixture("bert-seqcls") + "/model.safetensors", dir + "/model.safetensors");
    std::string msg = expect_bad_input([&] { model_load(dir); });
    EXPECT_NE(msg.find(expected), std::string::npos) << msg;
  }
}

TEST(TransformerLoad, InitWeightsFromABackboneReportsTheHeadAsNew) {
  // A `bert` backbone with the fixture's weights (from the classifier checkpoint), saved in Hezar's layout.
  auto classifier = model_load(hf_folder("bert-seqcls", "model.safetensors"));
  const auto& fields = dynamic_cast<const BertFields&>(
      config_cast<BertTextClassificationConfig>(classifier->config()));
  BertConfig backbone_config;
  static_cast<BertFields&>(backbone_config) = fields;
  auto backbone = model_build(backbone_config);
  LoadReport from_hf = model_init_weights_from(*backbone, hf_model_fixture("bert-seqcls"));
  EXPECT_TRUE(from_hf.missing.empty()) << from_hf.summary();
  std::string backbone_dir = scratch_dir("bert-backbone");
  backbone->save(backbone_dir);

  BertTextClassificationConfig task_config;
  static_cast<BertFields&>(task_config) = fields;
  task_config.id2label = {{0, "a"}, {1, "b"}};
  auto task = model_build(task_config);
  LoadReport report = model_init_weights_from(*task, backbone_dir);
  EXPECT_EQ(report.missing, (std::vector<std::string>{"classifier.bias", "classifier.weight"})) << report.summary();
  EXPECT_TRUE(report.unexpected.empty() && report.mismatched.empty()) << report.summary();

  // Mask filling wraps the backbone under `bert_mask_filling.`; the tied decoder weight is not missing.
  BertMaskFillingConfig mlm_config;
  static_cast<BertFields&>(mlm_config) = fields;
  auto mlm = model_build(mlm_config);
  report = model_init_weights_from(*mlm, backbone_dir);
  for (const auto& key : report.missing) EXPECT_EQ(key.rfind("bert_mask_filling.cls.predictions.", 0), 0u) << key;
  EXPECT_EQ(std::count(report.missing.begin(), report.missing.end(),
                       "bert_mask_filling.cls.predictions.decoder.weight"), 0);
  EXPECT_TRUE(report.unexpected.size() == 2 && report.unexpected[0].find("pooler") != std::string::npos)
      << report.summary();  // the backbone's pooler has no place in BertForMaskedLM

  // Same hidden states as the backbone.
  c10::InferenceMode guard;
  backbone->eval();
  mlm->eval();
  TensorMap inputs = {{"token_ids", at::tensor({2, 353, 454, 3}, at::kLong).unsqueeze(0)}};
  EXPECT_TRUE(at::allclose(backbone->forward(inputs).at("last_hidden_state"),
                           mlm->forward(inputs).at("last_hidden_state")));
}

TEST(TransformerModes, EvalIsDeterministicAndTrainAppliesDropout) {
  auto model = model_load(hf_folder("roberta-seqcls", "model.safetensors"));
  TensorMap inputs = {{"token_ids", at::tensor({0, 56, 601, 515, 2}, at::kLong).unsqueeze(0)}};
  at::NoGradGuard no_grad;
  model->eval();
  at::Tensor a = model->forward(inputs).at("logits"), b = model->forward(inputs).at("logits");
  EXPECT_TRUE(at::equal(a, b));
  model->train();
  at::Tensor c = model->forward(inputs).at("logits");
  EXPECT_FALSE(at::allclose(a, c)) << "hidden_dropout_prob 0.1 applies in train mode";
  at::Tensor loss = model->compute_loss(model->forward(inputs), at::tensor({1}, at::kLong));
  EXPECT_TRUE(std::isfinite(loss.item<double>()));
}

TEST(TransformerModes, InferenceLayersMatchTheAutogradPath) {
  // Under inference (no grad, eval) the layers run post_ln_layer_infer (fused QKV, oneDNN attention and
  // GEMMs); with grad on they run the op-by-op module path. Both must agree at every layer,
  // padded batch included, for BERT, RoBERTa and DistilBERT.
  for (const char* name : {"bert-seqcls", "roberta-tokcls", "distilbert-tokcls"}) {
    auto model = model_load(hf_folder(name, "model.safetensors"), {"output_hidden_states=true"});
    TensorMap inputs = padded_reference_batch(name);
    at::Tensor keep = inputs.at("attention_mask").to(at::kBool);
    ASSERT_FALSE(keep.all().item<bool>()) << name << ": the batch must be padded";
    model->eval();
    auto compare = [&](const std::string& when) {
      TensorMap slow = model->forward(inputs);
      ASSERT_TRUE(slow.at("logits").requires_grad());
      std::vector<TensorMap> fast(3);  // the first call reads the GEMM weights in place, later ones packed
      {
        c10::InferenceMode guard;
        for (auto& run : fast) run = model->forward(inputs);
      }
      int compared = 0;
      for (const auto& [key, value] : slow) {
        if (key.rfind("hidden_states.", 0) != 0 && key != "logits") continue;
        at::Tensor a = value.detach(), b = fast[0].at(key);
        if (a.dim() == 3) {  // per token: padded positions are meaningless
          a = a.index({keep});
          b = b.index({keep});
        }
        EXPECT_TRUE(at::allclose(a, b, 1e-5, 1e-5)) << name << when << " " << key << ": " << (a - b).abs().max();
        EXPECT_TRUE(at::equal(fast[0].at(key), fast[1].at(key))) << name << when << " " << key;
        EXPECT_TRUE(at::equal(fast[0].at(key), fast[2].at(key))) << name << when << " " << key;
        ++compared;
      }
      EXPECT_GE(compared, 4) << name;
    };
    compare("");
    {
      // Weights written in place (a load, an optimizer step) are packed again: every layer's GEMMs follow.
      at::NoGradGuard no_grad;
      for (auto& param : model->parameters()) param.mul_(0.5);
    }
    compare(" after the weights changed");
  }
}

TEST(TransformerModes, Bf16InferenceFollowsFp32) {
  // `predict --bf16`: the model in bfloat16 runs the same inference layers (oneDNN GEMMs with packed
  // weights, attention, LayerNorm where the CPU has bf16 math; ATen elsewhere). Every layer's output must
  // stay within bf16's precision of fp32's, on padded batches, and repeated calls (packed weights) agree.
  for (const char* name : {"bert-seqcls", "roberta-tokcls", "distilbert-tokcls"}) {
    auto model = model_load(hf_folder(name, "model.safetensors"), {"output_hidden_states=true"});
    TensorMap inputs = padded_reference_batch(name);
    at::Tensor keep = inputs.at("attention_mask").to(at::kBool);
    model->eval();
    c10::InferenceMode guard;
    TensorMap fp32 = model->forward(inputs);
    model->to(at::kBFloat16);
    std::vector<TensorMap> bf16(3);
    for (auto& run : bf16) run = model->forward(inputs);
    int compared = 0;
    for (const auto& [key, value] : fp32) {
      if (key.rfind("hidden_states.", 0) != 0 && key != "logits") continue;
      at::Tensor want = value, got = bf16[0].at(key);
      ASSERT_EQ(got.scalar_type(), at::kBFloat16) << name << " " << key;
      if (want.dim() == 3) {
        want = want.index({keep});
        got = got.index({keep});
      }
      got = got.to(at::kFloat);
      // Hidden states are LayerNorm outputs (~N(0, 1)): a few bf16 units in the last place over the layers.
      EXPECT_TRUE(at::allclose(got, want, 0.03, 0.03)) << name << " " << key << ": " << (got - want).abs().max();
      EXPECT_TRUE(at::equal(bf16[1].at(key), bf16[2].at(key))) << name << " " << key;
      ++compared;
    }
    EXPECT_GE(compared, 4) << name;
  }
}

TEST(TransformerLoad, LoadingSkipsTheRandomInitButBuildingDoesNot) {
  // model_load builds under ModelInitSkip (its strict load replaces every weight); model_build alone runs
  // HF's init: Linear weights ~ N(0, 0.02), where LibTorch's constructors leave kaiming-uniform ones.
  BertTextClassificationConfig config;
  config.hidden_size = 64;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.intermediate_size = 128;
  config.vocab_size = 500;
  config.id2label = {{0, "a"}, {1, "b"}};
  const std::string key = "bert.encoder.layer.0.intermediate.dense.weight";
  auto weight = [&](Model& m) { return m.named_parameters()[key]; };
  auto stddev = [&](Model& m) { return weight(m).std().item<double>(); };
  auto built = model_build(config);
  EXPECT_NEAR(stddev(*built), 0.02, 0.004);
  {
    ModelInitSkip skip;
    {
      ModelInitSkip nested;
    }
    EXPECT_TRUE(model_init_skipped()) << "a nested guard restores the outer state";
    auto raw = model_build(config);
    EXPECT_GT(stddev(*raw), 0.05) << "LibTorch's own init (kaiming uniform, bound 1/sqrt(64))";
  }
  EXPECT_FALSE(model_init_skipped());
  const std::string dir = scratch_dir("bert-init-skip");
  built->save(dir, "model.safetensors");
  auto loaded = model_load(dir);
  EXPECT_TRUE(at::equal(weight(*loaded), weight(*built)));
  EXPECT_NEAR(stddev(*model_build(config)), 0.02, 0.004) << "building after a load initialises again";
}

TEST(TransformerModes, HiddenStatesAreOptIn) {
  // As transformers: only with output_hidden_states (at batch 32 x 128 a BERT-base would keep 163 MB alive).
  TensorMap inputs = {{"token_ids", at::tensor({2, 353, 454, 3}, at::kLong).unsqueeze(0)}};
  c10::InferenceMode guard;
  auto plain = model_load(hf_folder("bert-tokcls", "model.safetensors"));
  plain->eval();
  TensorMap out = plain->forward(inputs);
  EXPECT_EQ(out.count("hidden_states.0"), 0u);
  EXPECT_EQ(out.count("last_hidden_state"), 1u);
  auto all = model_load(hf_folder("bert-tokcls", "model.safetensors"), {"output_hidden_states=true"});
  all->eval();
  TensorMap full = all->forward(inputs);
  EXPECT_EQ(full.count("hidden_states.2"), 1u);  // embeddings + 2 layers
  EXPECT_EQ(full.count("hidden_states.3"), 0u);
  EXPECT_TRUE(at::equal(full.at("hidden_states.2"), out.at("last_hidden_state")));
  EXPECT_TRUE(at::equal(full.at("logits"), out.at("logits")));
}

TEST(TransformerModes, TextClassificationComputesOnlyTheFirstTokenOfTheLastLayer) {
  // The classifiers read [CLS] / <s> only, so without output_hidden_states the last layer runs on that row
  // (keys and values from every token). Same logits as computing every token, padded batch included, on
  // the inference path and the autograd path; no last_hidden_state in the outputs (transformers'
  // SequenceClassifierOutput has none either).
  for (const char* name : {"bert-seqcls", "roberta-seqcls", "distilbert-seqcls"}) {
    TensorMap inputs = padded_reference_batch(name);
    auto first = model_load(hf_folder(name, "model.safetensors"));
    auto every = model_load(hf_folder(name, "model.safetensors"), {"output_hidden_states=true"});
    first->eval();
    every->eval();
    at::Tensor autograd = first->forward(inputs).at("logits").detach();
    c10::InferenceMode guard;
    at::Tensor expected = every->forward(inputs).at("logits");
    for (int call = 0; call < 3; ++call) {  // in place, then packed weights (other row counts than 2 x L)
      TensorMap out = first->forward(inputs);
      EXPECT_EQ(out.count("last_hidden_state"), 0u) << name;
      EXPECT_TRUE(at::allclose(out.at("logits"), expected, 1e-5, 1e-5))
          << name << " call " << call << ": " << (out.at("logits") - expected).abs().max();
    }
    EXPECT_TRUE(at::allclose(autograd, expected, 1e-5, 1e-5)) << name << ": " << (autograd - expected).abs().max();
  }
}

TEST(TransformerModes, RegistryListsTheTwelveModels) {
  for (const char* name : {"bert", "roberta", "distilbert", "bert_text_classification", "bert_sequence_labeling",
                           "bert_mask_filling", "roberta_text_classification", "roberta_sequence_labeling",
                           "roberta_mask_filling", "distilbert_text_classification", "distilbert_sequence_labeling",
                           "distilbert_mask_filling"})
    EXPECT_NE(ConfigRegistry::find("model", name), nullptr) << name;
}

}  // namespace
}  // namespace hezar
