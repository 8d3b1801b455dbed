#include "core/file_util.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace hezar {

std::string file_read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HEZAR_CHECK_INPUT(in.good(), "cannot read '", path, "': ", std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

void file_commit(const std::string& tmp, const std::string& path) {
  int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    throw RuntimeFailure(detail::concat("cannot write '", path, "': ", std::strerror(err)));
  }
}

void remove_stale_temps(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t mark = name.rfind(".tmp.");
    if (mark == std::string::npos) continue;
    const std::string rest = name.substr(mark + 5);  // "<pid>.<counter>"
    const long pid = std::strtol(rest.c_str(), nullptr, 10);
    if (pid <= 0 || rest.find('.') == std::string::npos) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) continue;  // its writer still runs
    std::filesystem::remove_all(entry.path(), ec);
  }
}

void file_write_atomic(const std::string& path, const std::string& bytes) {
  std::string tmp = temp_path_for(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    HEZAR_CHECK(out.good(), "cannot write '", path, "': ", std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out.good()) {
      std::remove(tmp.c_str());
      throw RuntimeFailure(detail::concat("cannot write '", path, "': disk full or I/O error"));
    }
  }
  file_commit(tmp, path);
}

}  // namespace hezar
