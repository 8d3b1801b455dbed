#pragma once

#include <string>
#include <vector>

#include "preprocessors/tokenizers/encoding.h"

namespace hezar::tok {

// Trims leading/trailing (byte-level) spaces out of token offsets (HF process_offsets).
void byte_level_process_offsets(Encoding& e, bool add_prefix_space);
// Byte-level tokens -> text; invalid UTF-8 becomes U+FFFD.
std::string byte_level_decode(const std::vector<std::string>& tokens);

}  // namespace hezar::tok
