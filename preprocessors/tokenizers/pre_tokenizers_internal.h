#pragma once

#include <memory>
#include <string>

#include "preprocessors/tokenizers/components.h"

namespace hezar::tok {

bool is_bert_punc(char32_t c);
SplitBehavior split_behavior_from_json(const Json& j, const char* key, const std::string& path, SplitBehavior def);
std::string metaspace_scheme_from_json(const Json& j, const std::string& path);
std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(const Json& j, const std::string& path);

}  // namespace hezar::tok
