// Tokenizer internals shared by tokenizer.cc and tokenizer_json.cc.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "preprocessors/tokenizers/added_vocabulary.h"
#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/tokenizer.h"

namespace hezar::tok {

struct Tokenizer::Impl {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  AddedVocabulary added;
  nlohmann::json source;  // the loaded tokenizer.json, written back by save()
};

}  // namespace hezar::tok
