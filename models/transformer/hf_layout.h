// Hugging Face model folders (config.json + model.safetensors / sharded / pytorch_model.bin + tokenizer.json)
// as Hezar models: `model_type` + `architectures` pick the registry name, the HF hyper-parameters fill the
// config fields of the same name, and checkpoint keys are mapped to ours by TextModel::map_foreign_key.
// model_load() uses this for any folder with config.json and no model_config.yaml.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/model.h"

namespace hezar {

// "bert" + "BertForSequenceClassification" -> "bert_text_classification"; BadInput for unsupported ones.
std::string hf_registry_name(const std::string& model_type, const std::string& architecture);

// A parsed config.json -> our model config (id2label/num_labels, hyper-parameters copied by field name).
std::unique_ptr<Config> hf_config_to_hezar(const nlohmann::json& config_json, const std::string& source);

// Loads a Hugging Face model folder. Missing or mismatched weights are BadInput listing the keys, except
// keys the HF class does not have (the BERT pooler of a token classifier, reported at info level);
// tied weights omitted by Hub files are re-tied from the config (tie_word_embeddings).
std::shared_ptr<Model> hf_model_load(const std::string& dir, const std::vector<std::string>& overrides = {});

}  // namespace hezar
