#include "core/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
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
