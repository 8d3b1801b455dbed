// Where the Hub client talks to and keeps things, from the same environment variables as
// huggingface_hub (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_TOKEN_PATH, HF_HUB_OFFLINE) plus
// Hezar's HEZAR_CACHE_DIR.
#pragma once

#include <string>

namespace hezar::hub {

// HF_ENDPOINT without trailing '/', default https://huggingface.co.
std::string hub_endpoint();

// $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
std::string hf_home();

// The Hub cache root (models--org--name/... live directly in it). Hezar passes its own cache dir to
// every Hub call, so: HEZAR_CACHE_DIR, else HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else ~/.cache/hezar.
std::string hub_cache_root();

// HF_TOKEN_PATH, else $HF_HOME/token.
std::string token_path();

// HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the token file; CR/LF and surrounding spaces removed;
// "" when there is none, or when HF_HUB_DISABLE_IMPLICIT_TOKEN is set and `required` is false (reads).
std::string hub_token(bool required = false);

// HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) in {1, ON, YES, TRUE}, case-insensitive.
bool hub_offline();

// "~" and "$VAR"/"${VAR}" expanded, as Python's expanduser(expandvars(...)).
std::string expand_path(const std::string& path);

// An environment variable, or "" when unset.
std::string env_or_empty(const char* name);

}  // namespace hezar::hub
