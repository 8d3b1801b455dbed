// Running the real `hezar` binary from tests: runfile lookup, scratch folders and a child process with
// stdout/stderr captured apart.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

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

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A runfile of this workspace as an absolute path, e.g. runfile("cli/hezar").
inline std::string runfile(const std::string& path) {
  const char* dir = std::getenv("TEST_SRCDIR");
  if (!dir || !*dir) dir = std::getenv("RUNFILES_DIR");
  return std::filesystem::absolute(std::filesystem::path(dir ? dir : ".") / "hezar" / path).string();
}

inline std::filesystem::path tmp_root() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::filesystem::absolute(dir ? dir : "/tmp");
}

// An empty folder `name` under $TEST_TMPDIR (emptied if it exists).
inline std::filesystem::path scratch(const std::string& name) {
  auto path = tmp_root() / name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

struct RunOptions {
  std::filesystem::path cwd;         // empty = the test's working directory
  std::string stdin_text;            // what the child reads on stdin
  std::vector<std::string> env;      // "NAME=value" set for the child
  std::vector<std::string> unset_env;  // names removed from the child's environment
};

// The shell command line running hezar with `args`; output goes to `io`.out / `io`.err, stdin comes
// from `io`.in when options.stdin_text is set (run_hezar writes it), else from /dev/null.
inline std::string hezar_command(const std::vector<std::string>& args, const std::filesystem::path& io,
                                 const RunOptions& options = {}) {
  std::string command = options.cwd.empty() ? "" : "cd " + shell_quote(options.cwd.string()) + " && ";
  command += "exec env";
  for (const auto& name : options.unset_env) command += " -u " + shell_quote(name);
  for (const auto& e : options.env) command += " " + shell_quote(e);
  command += " " + shell_quote(runfile("cli/hezar"));
  for (const auto& arg : args) command += " " + shell_quote(arg);
  const std::string in = options.stdin_text.empty() ? "/dev/null" : io.string() + ".in";
  return command + " <" + shell_quote(in) + " >" + shell_quote(io.string() + ".out") + " 2>" +
         shell_quote(io.string() + ".err");
}

// Runs hezar to completion.
inline Result run_hezar(const std::vector<std::string>& args, const RunOptions& options = {}) {
  static int counter = 0;
  const auto io = tmp_root() / "hezar_io" / (std::to_string(::getpid()) + "_" + std::to_string(counter++));
  if (!options.stdin_text.empty()) write_text(io.string() + ".in", options.stdin_text);
  else std::filesystem::create_directories(io.parent_path());
  const int status = std::system(hezar_command(args, io, options).c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = read_text(io.string() + ".out");
  r.err = read_text(io.string() + ".err");
  return r;
}

}  // namespace hezar::testing
