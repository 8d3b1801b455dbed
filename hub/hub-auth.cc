#include "hub/hub-auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_util.h"
#include "hub/hub-api.h"
#include "hub/hub-cache.h"
#include "hub/hub-env.h"

namespace fs = std::filesystem;

namespace hezar::hub {

std::string whoami(const std::string& token) {
  HEZAR_CHECK_INPUT(!token.empty(), "not logged in: run `hezar login` or set HF_TOKEN");
  HttpRequest request = hub_request("GET", hub_endpoint() + "/api/whoami-v2");
  request.token = token;
  HttpResponse response = http_send_retry(request);
  HEZAR_CHECK_INPUT(response.status != 401, "the Hub at ", hub_endpoint(),
                    " refused the token (invalid credentials); create a new one and run `hezar login` again");
  raise_for_status(response, RepoRef{"", RepoType::kModel, ""});
  nlohmann::json info = nlohmann::json::parse(response.body, nullptr, false);
  HEZAR_CHECK(!info.is_discarded() && info.contains("name") && info["name"].is_string(),
              "unexpected whoami answer from ", hub_endpoint());
  return info["name"];
}

std::string clean_token_input(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n"), end = text.find_last_not_of(" \t\r\n");
  HEZAR_CHECK_INPUT(begin != std::string::npos, "no token given: paste an access token from your Hub settings");
  std::string token = text.substr(begin, end - begin + 1);
  for (char c : token)
    HEZAR_CHECK_INPUT(c > 32 && c < 127, "the token must be one line of printable characters");
  return token;
}

std::string store_token(const std::string& token) {
  const fs::path path = token_path();
  if (!path.parent_path().empty() && !fs::exists(path.parent_path())) {
    fs::create_directories(path.parent_path());
    fs::permissions(path.parent_path(), fs::perms::owner_all);
  }
  const std::string tmp = path.string() + "." + random_hex(8) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  HEZAR_CHECK(fd >= 0, "cannot write the token file '", tmp, "': ", std::strerror(errno),
              "; set HF_TOKEN_PATH to a writable place");
  const bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    throw RuntimeFailure("cannot write the token file '" + path.string() + "': " + std::strerror(errno));
  }
  file_commit(tmp, path.string());
  return path.string();
}

bool delete_token() {
  std::error_code ec;
  return fs::remove(token_path(), ec);
}

}  // namespace hezar::hub
