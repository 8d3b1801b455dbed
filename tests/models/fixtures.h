// Reading the Hugging Face reference fixtures ($HEZAR_SHARED_DIR/fixtures/hf-reference/models) in tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace hezar::test {

inline std::string hf_model_fixture(const std::string& name) {
  const char* d = std::getenv("HEZAR_SHARED_DIR");
  return std::string(d && *d ? d : "/work/shared") + "/fixtures/hf-reference/models/" + name;
}

inline nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

// An empty scratch folder under $TEST_TMPDIR.
inline std::string scratch_dir(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

// A Hugging Face folder with config.json, tokenizer.json and only the `weights` file of fixture `name`.
inline std::string hf_folder(const std::string& name, const std::string& weights) {
  namespace fs = std::filesystem;
  std::string dir = scratch_dir(name + "-" + weights);
  for (const char* file : {"config.json", "tokenizer.json"})
    if (fs::exists(hf_model_fixture(name) + "/" + file))
      fs::create_symlink(hf_model_fixture(name) + "/" + file, dir + "/" + file);
  fs::create_symlink(hf_model_fixture(name) + "/" + weights, dir + "/" + weights);
  return dir;
}

}  // namespace hezar::test
