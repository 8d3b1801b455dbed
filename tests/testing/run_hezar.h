// Running the real `hezar` binary from tests: runfile lookup, scratch folders and a child process with
// stdout/stderr captured apart.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace hezar::testing {

struct Result {
  int code = -1;
  std::string out, err;
};

inline std::ostream& operator<<(std::ostream& os, const Result& r) {
  return os << "\n  exit code: " << r.code << "\n  stdout: " << r.out << "\n  stderr: " << r.err;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A runfile of this workspace as an absolute path, e.g. runfile("cli/hezar").
inline std::string runfile(const std::string& path) {
  const char* dir = std::getenv("TEST_SRCDIR");
  return std::filesystem::absolute(std::filesystem::path(dir ? dir : ".") / "hezar" / path).string();
}

inline std::filesystem::path scratch(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  auto path = std::filesystem::absolute(std::filesystem::path(dir ? dir : "/tmp") / name);
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

// The shell command line running hezar with `args`, its output redirected to files beside `io`.
inline std::string hezar_command(const std::vector<std::string>& args, const std::filesystem::path& io) {
  std::string command = "exec " + shell_quote(runfile("cli/hezar"));
  for (const auto& arg : args) command += " " + shell_quote(arg);
  return command + " </dev/null >" + shell_quote(io.string() + ".out") + " 2>" + shell_quote(io.string() + ".err");
}

// Runs hezar to completion.
inline Result run_hezar(const std::vector<std::string>& args) {
  static int counter = 0;
  const auto io = scratch("io_" + std::to_string(counter++)) / "run";
  const int status = std::system(hezar_command(args, io).c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = read_text(io.string() + ".out");
  r.err = read_text(io.string() + ".err");
  return r;
}

}  // namespace hezar::testing
