// Shared pieces between the normalizer, pre-tokenizer and decoder files.
#pragma once

#include <memory>
#include <string>

#include "preprocessors/tokenizers/components.h"

namespace hezar::tok {

// Maps every byte of the UTF-8 text to its GPT-2 char (ByteLevel), keeping alignments.
void byte_level_transform(NormalizedString& n);
std::unique_ptr<Normalizer> make_replace_normalizer(const Json& j, const std::string& path);
std::unique_ptr<Normalizer> make_precompiled_normalizer(const Json& j, const std::string& path);

}  // namespace hezar::tok
