// Helpers for tests that read /work/shared fixtures (HEZAR_SHARED_DIR).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace hezar::test {

inline std::string shared_dir() {
  const char* d = std::getenv("HEZAR_SHARED_DIR");
  return d && *d ? d : "/work/shared";
}

inline std::string tokenizer_fixture_dir(const std::string& name) {
  return shared_dir() + "/fixtures/hf-reference/tokenizers/" + name;
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

}  // namespace hezar::test
