// Tokens as huggingface_hub stores them: $HF_TOKEN_PATH or $HF_HOME/token, plain text, mode 0600.
#pragma once

#include <string>

namespace hezar::hub {

// The account name the token belongs to (GET /api/whoami-v2); BadInput if the Hub refuses the token.
std::string whoami(const std::string& token);

// Writes the token file atomically with mode 0600 (its folder created 0700); returns its path.
std::string store_token(const std::string& token);

// Removes the token file; false if there was none.
bool delete_token();

// A token with CR/LF and surrounding whitespace removed; BadInput if empty or not printable ASCII.
std::string clean_token_input(const std::string& text);

}  // namespace hezar::hub
