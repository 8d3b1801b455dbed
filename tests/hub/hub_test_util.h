// Test helpers for the Hub suites: a fake Hub server (tests/hub/fake_hub.py run by /usr/bin/python3 on
// 127.0.0.1 and 127.0.0.2 only) started per suite, its admin API, and the real `hezar` binary run with a
// given environment.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hub/hub-http.h"
#include "tests/testing/run_hezar.h"

namespace hubtest {

namespace fs = std::filesystem;
using nlohmann::json;
using hezar::testing::read_text;
using hezar::testing::Result;
using hezar::testing::runfile;
using hezar::testing::tmp_root;
using hezar::testing::write_text;
using hezar::testing::shell_quote;

inline fs::path fresh_dir(const std::string& name) {
  static int counter = 0;
  fs::path dir = tmp_root() / "hub" / (name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::string random_bytes(size_t n, unsigned seed) {
  std::string out(n, '\0');
  unsigned x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    out[i] = static_cast<char>(x & 0xFF);
  }
  return out;
}

inline std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// The fake Hub, one per suite; killed (by its pid) in the destructor, and it exits by itself when the
// test process goes away.
class FakeHub {
 public:
  explicit FakeHub(const std::vector<std::string>& extra_args = {}) {
    dir_ = fresh_dir("server");
    const std::string port_file = (dir_ / "port").string();
    std::vector<std::string> args = {"/usr/bin/python3", runfile("tests/hub/fake_hub.py"), "--root",
                                     (dir_ / "root").string(), "--port-file", port_file, "--max-seconds", "900"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::istringstream in(read_text(port_file));
    in >> port_ >> cdn_port_;
  }
  ~FakeHub() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ok() const { return port_ > 0; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int cdn_port() const { return cdn_port_; }

  json admin(const std::string& what, const json& body = json::object()) const {
    hezar::hub::HttpRequest request;
    request.method = what == "log" ? "GET" : "POST";
    request.url = endpoint() + "/_admin/" + what;
    request.body = body.dump();
    request.headers.emplace_back("Content-Type", "application/json");
    return json::parse(hezar::hub::http_send(request).body);
  }
  // Commits files ({path: bytes}) to a repo (created if needed); returns the commit id.
  std::string commit(const std::string& repo, const std::map<std::string, std::string>& files,
                     const std::string& type = "model", const json& extra = json::object()) const {
    json body = extra;
    body["repo"] = repo;
    body["type"] = type;
    body["files"] = json::object();
    for (const auto& [path, bytes] : files) body["files"][path] = base64(bytes);
    return admin("commit", body)["commit"];
  }
  void fault(const json& spec) const { admin("fault", spec); }
  void clear() const { admin("clear"); }
  json log() const { return admin("log"); }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0, cdn_port_ = 0;
};

// Runs the real binary with `env` ("NAME=value" entries) and without the user's HF_* settings.
inline Result run_hezar(const std::vector<std::string>& args, const std::vector<std::string>& env,
                        const std::string& stdin_text = "") {
  return hezar::testing::run_hezar(
      args, {{}, stdin_text, env, {"HF_TOKEN", "HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "HF_ENDPOINT"}});
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A suite against one fake Hub (started once per test binary): every test starts from an empty Hub and
// gets a fresh cache and HF_HOME, which env() points hezar at.
class FakeHubTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { hub_ = new FakeHub(); }
  static void TearDownTestSuite() {
    delete hub_;
    hub_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(hub_->ok()) << "the fake Hub did not start";
    hub_->clear();
    cache_ = fresh_dir("cache");
    home_ = fresh_dir("home");
  }
  // The suite's environment; `more` entries come last, so they override.
  std::vector<std::string> env(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> all = {"HF_ENDPOINT=" + hub_->endpoint(), "HEZAR_CACHE_DIR=" + cache_.string(),
                                    "HF_HOME=" + home_.string()};
    all.insert(all.end(), more.begin(), more.end());
    return all;
  }

  static inline FakeHub* hub_ = nullptr;
  fs::path cache_, home_;
};

}  // namespace hubtest
