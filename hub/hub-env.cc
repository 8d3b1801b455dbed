#include "hub/hub-env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/file_util.h"
#include "core/paths.h"

namespace hezar::hub {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string expand_path(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '$') {
      out += path[i];
      continue;
    }
    size_t start = i + 1, end = start;
    bool braced = start < path.size() && path[start] == '{';
    if (braced) end = path.find('}', start);
    else
      while (end < path.size() && (std::isalnum(static_cast<unsigned char>(path[end])) || path[end] == '_')) ++end;
    if ((braced && end == std::string::npos) || (!braced && end == start)) {
      out += path[i];
      continue;
    }
    std::string name = path.substr(braced ? start + 1 : start, end - (braced ? start + 1 : start));
    const char* value = std::getenv(name.c_str());
    out += value ? std::string(value) : path.substr(i, end + (braced ? 1 : 0) - i);
    i = braced ? end : end - 1;
  }
  if (!out.empty() && out[0] == '~' && (out.size() == 1 || out[1] == '/')) out = env_or_empty("HOME") + out.substr(1);
  return out;
}

std::string hub_endpoint() {
  std::string endpoint = env_or_empty("HF_ENDPOINT");
  if (endpoint.empty()) endpoint = "https://huggingface.co";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

std::string hf_home() {
  std::string home = env_or_empty("HF_HOME");
  if (!home.empty()) return expand_path(home);
  std::string xdg = env_or_empty("XDG_CACHE_HOME");
  if (!xdg.empty()) return expand_path(xdg) + "/huggingface";
  return expand_path("~/.cache/huggingface");
}

std::string hub_cache_root() {
  for (const char* name : {"HEZAR_CACHE_DIR", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
    std::string dir = env_or_empty(name);
    if (!dir.empty()) return expand_path(dir);
  }
  return cache_dir();
}

std::string token_path() {
  std::string path = env_or_empty("HF_TOKEN_PATH");
  return path.empty() ? hf_home() + "/token" : expand_path(path);
}

namespace {
std::string clean_token(std::string token) {
  token.erase(std::remove_if(token.begin(), token.end(), [](char c) { return c == '\r' || c == '\n'; }), token.end());
  size_t begin = token.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  size_t end = token.find_last_not_of(" \t");
  return token.substr(begin, end - begin + 1);
}

bool truthy(const std::string& value) {
  std::string upper = value;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper == "1" || upper == "ON" || upper == "YES" || upper == "TRUE";
}
}  // namespace

std::string hub_token(bool required) {
  if (!required && truthy(env_or_empty("HF_HUB_DISABLE_IMPLICIT_TOKEN"))) return "";
  for (const char* name : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
    std::string token = clean_token(env_or_empty(name));
    if (!token.empty()) return token;
  }
  try {
    return clean_token(file_read(token_path()));
  } catch (...) {
    return "";
  }
}

bool hub_offline() { return truthy(env_or_empty("HF_HUB_OFFLINE")) || truthy(env_or_empty("TRANSFORMERS_OFFLINE")); }

}  // namespace hezar::hub
