// Real test material for the tokenizer tests, fetched by scripts/install-test-material.sh (Debian's
// php-faker prose and sentencepiece tools) and scripts/install-npm-peers.sh (the HF npm binding).
// Tests skip with a message naming the script when something is missing.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace hezar::test {

inline std::string home_cache(const char* env, const char* sub) {
  const char* d = std::getenv(env);
  if (d && *d) return d;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/.cache/hezar/" + sub;
}
inline std::string material_dir() { return home_cache("HEZAR_MATERIAL_DIR", "material"); }
inline std::string npm_dir() { return home_cache("HEZAR_NPM_DIR", "npm"); }
inline bool have_npm_tokenizers() {
  return std::filesystem::exists(npm_dir() + "/node_modules/tokenizers/package.json");
}
inline std::string spm_tool(const std::string& name) { return material_dir() + "/bin/" + name; }

inline std::string faker_text_path(const std::string& locale) {
  return material_dir() + "/root/usr/share/php/Faker/Provider/" + locale + "/Text.php";
}

// The prose of php-faker's Text.php: the lines of the `$baseText` heredoc (between <<<'EOT' and EOT;).
inline std::vector<std::string> faker_lines(const std::string& locale) {
  std::ifstream in(faker_text_path(locale));
  std::vector<std::string> out;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line.find("<<<'EOT'") != std::string::npos || line.find("<<<EOT") != std::string::npos;
      continue;
    }
    if (line.rfind("EOT", 0) == 0) break;
    out.push_back(line);
  }
  return out;
}

// Every 10th line is held out from training.
inline void split_heldout(const std::vector<std::string>& lines, std::vector<std::string>& train,
                          std::vector<std::string>& heldout) {
  for (size_t i = 0; i < lines.size(); ++i) (i % 10 == 9 ? heldout : train).push_back(lines[i]);
}

// Bazel's per-test temp folder (cleaned by Bazel), else the system's.
inline std::filesystem::path test_tmp_root() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir && *dir ? std::filesystem::path(dir) : std::filesystem::temp_directory_path();
}

inline std::string scratch_dir(const std::string& tag) {
  auto p = test_tmp_root() / ("hezar_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(p);
  return p.string();
}

inline void write_file(const std::string& path, const std::string& s) {
  std::ofstream(path, std::ios::binary) << s;
}
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

// Runs `node tests/tokenizers/SCRIPT args...` with the npm binding on NODE_PATH; returns the exit code.
inline int run_node(const std::string& script, const std::vector<std::string>& args) {
  std::string path = std::filesystem::path(__FILE__).parent_path().string() + "/" + script;
  if (!std::filesystem::exists(path)) path = "tests/tokenizers/" + script;
  std::string cmd = "NODE_PATH='" + npm_dir() + "/node_modules' node '" + path + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  return std::system(cmd.c_str());
}

}  // namespace hezar::test
