#include "models/transformer/hf_layout.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/file_util.h"
#include "core/strings.h"
#include "preprocessors/text_tokenizer.h"

namespace fs = std::filesystem;

namespace hezar {

namespace {
const std::vector<std::string>& supported_types() {
  static const std::vector<std::string> types = {"bert", "roberta", "distilbert"};
  return types;
}

bool ends_with_str(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), std::string::npos, suffix) == 0;
}

// JSON value -> YAML node, so config.json values go through the same typed decoder as YAML files.
YAML::Node json_to_yaml(const nlohmann::json& j) {
  YAML::Node node;
  if (j.is_object()) {
    node = YAML::Node(YAML::NodeType::Map);
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!it.value().is_null()) node[it.key()] = json_to_yaml(it.value());
  } else if (j.is_array()) {
    node = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& item : j) node.push_back(json_to_yaml(item));
  } else if (j.is_string()) {
    node = j.get<std::string>();
  } else if (j.is_boolean()) {
    node = j.get<bool>();
  } else if (j.is_number_integer()) {
    node = j.get<int64_t>();
  } else if (j.is_number_float()) {
    node = j.get<double>();
  }
  return node;
}

// Keys a Hugging Face class legitimately lacks relative to Hezar's module: Hezar's BERT sequence labeler
// keeps BertModel's pooler (unused by its forward), HF's BertForTokenClassification has none.
bool absent_in_hf_layout(const std::string& key) { return key.rfind("bert.pooler.", 0) == 0; }

void attach_tokenizer(Model& model, const std::string& dir, const std::string& model_type) {
  if (!fs::is_regular_file(dir + "/tokenizer.json")) {
    spdlog::info("{}: no tokenizer.json; predict needs a tokenizer", dir);
    return;
  }
  std::shared_ptr<Preprocessor> tokenizer;
  if (model_type == "roberta") tokenizer = std::make_shared<TextTokenizer>(BpeTokenizerConfig(), dir);
  else tokenizer = std::make_shared<TextTokenizer>(WordPieceTokenizerConfig(), dir);
  model.preprocessors().add(tokenizer);
}

struct Registrar {
  Registrar() { model_register_layout("config.json", hf_model_load); }
} registrar;
}  // namespace

std::string hf_registry_name(const std::string& model_type, const std::string& architecture) {
  HEZAR_CHECK_INPUT(std::find(supported_types().begin(), supported_types().end(), model_type) != supported_types().end(),
                    "Hugging Face model_type '", model_type, "' is not supported; supported: ",
                    join(supported_types(), ", "));
  if (architecture.empty() || ends_with_str(architecture, "Model")) return model_type;
  if (ends_with_str(architecture, "ForSequenceClassification")) return model_type + "_text_classification";
  if (ends_with_str(architecture, "ForTokenClassification")) return model_type + "_sequence_labeling";
  if (ends_with_str(architecture, "ForMaskedLM")) return model_type + "_mask_filling";
  throw BadInput("Hugging Face architecture '" + architecture + "' has no Hezar model; supported: *Model, "
                 "*ForSequenceClassification, *ForTokenClassification, *ForMaskedLM");
}

std::unique_ptr<Config> hf_config_to_hezar(const nlohmann::json& j, const std::string& source) {
  HEZAR_CHECK_INPUT(j.is_object() && j.contains("model_type") && j["model_type"].is_string(), source,
                    ": not a Hugging Face config (no `model_type`)");
  const std::string model_type = j["model_type"].get<std::string>();
  std::string architecture;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty())
    architecture = j["architectures"][0].get<std::string>();
  const std::string name = hf_registry_name(model_type, architecture);
  std::unique_ptr<Config> config = ConfigRegistry::get("model", name).make_config();

  // Copy every config.json value whose key is one of our fields (HF-only keys are ignored).
  YAML::Node node(YAML::NodeType::Map);
  node["name"] = name;
  for (const std::string& field : config_field_names(*config)) {
    if (field == "task" || field == "num_labels" || !j.contains(field) || j[field].is_null()) continue;
    node[field] = json_to_yaml(j[field]);
  }
  if (name == "roberta_sequence_labeling") node["classifier_head"] = "linear";  // HF's token classifier
  config_decode(*config, node, DecodeContext{source, ""});
  if (auto* labels = config_find_field<std::map<int, std::string>>(*config, "id2label")) {
    if (labels->empty() && j.contains("num_labels") && j["num_labels"].is_number_integer())
      for (int i = 0; i < j["num_labels"].get<int>(); ++i) (*labels)[i] = "LABEL_" + std::to_string(i);
    config_set_labels(*config, *labels);
  }
  return config;
}

std::shared_ptr<Model> hf_model_load(const std::string& dir, const std::vector<std::string>& overrides) {
  const std::string config_path = dir + "/config.json";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(file_read(config_path));
  } catch (const nlohmann::json::exception& e) {
    throw BadInput(config_path + ": invalid JSON: " + e.what());
  }
  std::unique_ptr<Config> config = hf_config_to_hezar(j, config_path);
  // The strict load below replaces every weight but an unused pooler's (which keeps LibTorch's init).
  std::shared_ptr<Model> model = model_build_to_load(*config, overrides);
  model_load_weights_strict(*model, dir, config_path, absent_in_hf_layout);
  attach_tokenizer(*model, dir, j["model_type"].get<std::string>());
  return model;
}
}  // namespace hezar
