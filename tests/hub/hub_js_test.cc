// Conformance with the official JS Hub client (@huggingface/hub from npm, installed by
// scripts/install-npm-peers.sh) against the same fake Hub: what it uploads hezar pulls bit-identical,
// what hezar pushes it downloads bit-identical, and each uses the cache the other wrote.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/hub/hub_test_util.h"

using namespace hubtest;

namespace {

std::string npm_dir() {
  if (const char* dir = std::getenv("HEZAR_NPM_DIR"); dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/hezar/npm";
}

Result run_node(const std::vector<std::string>& args) {
  static int counter = 0;
  const fs::path io = tmp_root() / "js_io";
  fs::create_directories(io);
  const fs::path out = io / (std::to_string(counter) + ".out"), err = io / (std::to_string(counter++) + ".err");
  std::string command = "HEZAR_NPM_DIR=" + shell_quote(npm_dir()) + " node " + shell_quote(runfile("tests/hub/js_peer.cjs"));
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, read_text(out), read_text(err)};
}

// Every regular file under `dir` (following symlinks), relative path -> bytes.
std::map<std::string, std::string> tree_of(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (fs::is_regular_file(e.path())) files[e.path().lexically_relative(dir).generic_string()] = read_text(e.path());
  return files;
}

// The last line of a command's output.
std::string line(std::string out) {
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
}

// "path: size sha" lines, for readable failures.
std::string summary(const std::map<std::string, std::string>& files) {
  std::string out;
  for (const auto& [path, bytes] : files) out += path + ": " + std::to_string(bytes.size()) + "\n";
  return out;
}

class HubJsTest : public FakeHubTest {
 protected:
  void SetUp() override {
    FakeHubTest::SetUp();
    if (HasFatalFailure()) return;
    if (std::system("node --version >/dev/null 2>&1") != 0 ||
        !fs::exists(npm_dir() + "/node_modules/@huggingface/hub/package.json"))
      GTEST_SKIP() << "@huggingface/hub is not installed: run scripts/install-npm-peers.sh";
    src_ = fresh_dir("src");
    write_text(src_ / "config.json", "{\"name\": \"bert\"}\n");
    write_text(src_ / "vocab/vocab.txt", "[PAD]\n[UNK]\nسلام\n");
    write_text(src_ / "model.safetensors", random_bytes(7 * 1024 * 1024 + 5, 11));  // multipart LFS (> 5 MiB)
    write_text(src_ / "sub/w.bin", random_bytes(300 * 1024, 12));                   // basic LFS
  }
  std::vector<std::string> env(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> all = {"HF_TOKEN=hf_testtoken_write"};
    all.insert(all.end(), more.begin(), more.end());
    return FakeHubTest::env(all);
  }

  fs::path src_;
};

TEST_F(HubJsTest, WhatTheJsClientUploadsHezarPullsBitIdentical) {
  Result js = run_node({"upload", hub_->endpoint(), "hf_testtoken_write", "tester/from-js", src_.string()});
  ASSERT_EQ(js.code, 0) << js;
  Result r = run_hezar({"pull", "tester/from-js", "--quiet"}, env());
  ASSERT_EQ(r.code, 0) << r;
  auto pulled = tree_of(line(r.out));
  pulled.erase(".gitattributes");
  EXPECT_EQ(summary(pulled), summary(tree_of(src_)));
  EXPECT_TRUE(pulled == tree_of(src_));
  EXPECT_TRUE(contains(line(r.out), line(js.out))) << "snapshot folder is named by the JS commit";
}

TEST_F(HubJsTest, WhatHezarPushesTheJsClientDownloadsBitIdentical) {
  Result r = run_hezar({"push", src_.string(), "tester/from-hezar"}, env());
  ASSERT_EQ(r.code, 0) << r;
  const fs::path js_cache = fresh_dir("js_cache");
  Result js = run_node({"snapshot", hub_->endpoint(), "hf_testtoken_write", "tester/from-hezar", js_cache.string()});
  ASSERT_EQ(js.code, 0) << js;
  auto downloaded = tree_of(line(js.out));
  downloaded.erase(".gitattributes");
  EXPECT_EQ(summary(downloaded), summary(tree_of(src_)));
  EXPECT_TRUE(downloaded == tree_of(src_));
  const fs::path one = fresh_dir("js_file") / "w.bin";
  js = run_node({"file", hub_->endpoint(), "hf_testtoken_write", "tester/from-hezar", "sub/w.bin", one.string()});
  ASSERT_EQ(js.code, 0) << js;
  EXPECT_EQ(read_text(one), read_text(src_ / "sub/w.bin"));
}

TEST_F(HubJsTest, EachClientUsesTheCacheTheOtherWrote) {
  ASSERT_EQ(run_node({"upload", hub_->endpoint(), "hf_testtoken_write", "tester/shared", src_.string()}).code, 0);
  // The JS client's cache (huggingface_hub layout), read by hezar offline.
  const fs::path js_cache = fresh_dir("js_cache");
  Result js = run_node({"snapshot", hub_->endpoint(), "hf_testtoken_write", "tester/shared", js_cache.string()});
  ASSERT_EQ(js.code, 0) << js;
  hub_->clear();
  Result r = run_hezar({"pull", "tester/shared", "--quiet"}, env({"HEZAR_CACHE_DIR=" + js_cache.string(), "HF_HUB_OFFLINE=1"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(line(r.out), line(js.out));
  EXPECT_EQ(hub_->log().size(), 1u);  // only the suite's own clear request
  // hezar's cache, used by the JS client without downloading anything again.
  ASSERT_EQ(run_hezar({"pull", "tester/shared", "--quiet"}, env()).code, 0);
  hub_->clear();
  js = run_node({"snapshot", hub_->endpoint(), "hf_testtoken_write", "tester/shared", cache_.string()});
  ASSERT_EQ(js.code, 0) << js;
  for (const auto& req : hub_->log()) {
    EXPECT_FALSE(contains(req["path"], "/resolve/")) << req.dump();
    EXPECT_FALSE(contains(req["path"], "/_cdn/")) << req.dump();
  }
  auto files = tree_of(line(js.out));
  files.erase(".gitattributes");
  EXPECT_EQ(summary(files), summary(tree_of(src_)));
  EXPECT_TRUE(files == tree_of(src_));
}

}  // namespace
