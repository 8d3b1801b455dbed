#include "hub/hub-cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "core/error.h"
#include "core/file_util.h"

namespace fs = std::filesystem;

namespace hezar::hub {

RepoType parse_repo_type(const std::string& name) {
  if (name == "model") return RepoType::kModel;
  if (name == "dataset") return RepoType::kDataset;
  if (name == "space") return RepoType::kSpace;
  throw BadInput("unknown repo type '" + name + "': use model, dataset or space");
}

std::string repo_type_name(RepoType type) {
  switch (type) {
    case RepoType::kModel: return "model";
    case RepoType::kDataset: return "dataset";
    case RepoType::kSpace: return "space";
  }
  return "model";
}

std::string repo_type_url_prefix(RepoType type) {
  return type == RepoType::kModel ? "" : repo_type_name(type) + "s/";
}

std::string repo_folder_name(const std::string& repo_id, RepoType type) {
  static const std::regex valid(R"(^([\w\-.]+/)?[\w\-.]{1,96}$)");
  HEZAR_CHECK_INPUT(std::regex_match(repo_id, valid) && repo_id.find("--") == std::string::npos &&
                        repo_id.find("..") == std::string::npos && repo_id.size() <= 96 &&
                        repo_id.front() != '.' && repo_id.front() != '-' && repo_id.back() != '.' &&
                        repo_id.back() != '-' && !(repo_id.size() >= 4 && repo_id.substr(repo_id.size() - 4) == ".git"),
                    "invalid Hub repo id '", repo_id,
                    "': use 'name' or 'namespace/name' with letters, digits, '-', '_', '.' (no '--' or '..')");
  std::string folder = repo_type_name(type) + "s";
  size_t slash = repo_id.find('/');
  if (slash == std::string::npos) return folder + "--" + repo_id;
  return folder + "--" + repo_id.substr(0, slash) + "--" + repo_id.substr(slash + 1);
}

void validate_relative_filename(const std::string& path) {
  auto refuse = [&](const char* why) {
    throw RuntimeFailure("refusing Hub file name '" + path + "' (" + why +
                         "): it could be written outside the cache; nothing was written, report this repository");
  };
  if (path.empty()) refuse("empty");
  if (path.find('\\') != std::string::npos) refuse("backslash");
  if (path.find('\0') != std::string::npos) refuse("NUL byte");
  if (path[0] == '/') refuse("absolute path");
  if (path.size() >= 2 && path[1] == ':') refuse("drive letter");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    if (segment == "..") refuse("'..' segment");
    if (segment.empty() || segment == ".") refuse("empty or '.' segment");
    start = end + 1;
  }
}

bool is_commit_hash(const std::string& revision) {
  static const std::regex commit("^[0-9a-f]{40}$");
  return std::regex_match(revision, commit);
}

std::string random_hex(int chars) {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < chars; ++i) out += hex[rng() & 15];
  return out;
}

bool symlinks_disabled() {
  const char* value = std::getenv("HF_HUB_DISABLE_SYMLINKS");
  std::string v = value ? value : "";
  for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

RepoCache::RepoCache(const std::string& root, const std::string& repo_id, RepoType type)
    : root_(root), folder_name_(repo_folder_name(repo_id, type)) {
  folder_ = root_ + "/" + folder_name_;
}

std::string RepoCache::blob_path(const std::string& etag) const { return folder_ + "/blobs/" + etag; }
std::string RepoCache::incomplete_path(const std::string& etag) const { return blob_path(etag) + ".incomplete"; }
std::string RepoCache::lock_path(const std::string& etag) const {
  return root_ + "/.locks/" + folder_name_ + "/" + etag + ".lock";
}
std::string RepoCache::snapshot_dir(const std::string& commit) const { return folder_ + "/snapshots/" + commit; }
std::string RepoCache::pointer_path(const std::string& commit, const std::string& filename) const {
  validate_relative_filename(filename);
  return snapshot_dir(commit) + "/" + filename;
}

std::optional<std::string> RepoCache::resolve_revision(const std::string& revision) const {
  if (is_commit_hash(revision)) return revision;
  std::ifstream in(folder_ + "/refs/" + revision, std::ios::binary);
  if (!in) return std::nullopt;
  std::string commit((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back()))) commit.pop_back();
  if (!is_commit_hash(commit)) return std::nullopt;
  return commit;
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  if (resolve_revision(revision) == commit) return;
  HEZAR_CHECK_INPUT(revision.find("..") == std::string::npos && !revision.empty() && revision[0] != '/',
                    "invalid revision '", revision, "'");
  const std::string path = folder_ + "/refs/" + revision;
  fs::create_directories(fs::path(path).parent_path());
  const std::string tmp = path + "." + random_hex(8) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << commit;
    HEZAR_CHECK(out.good(), "cannot write '", tmp, "': ", std::strerror(errno));
  }
  file_commit(tmp, path);
}

void RepoCache::link_pointer(const std::string& commit, const std::string& filename, const std::string& etag) const {
  const fs::path pointer = pointer_path(commit, filename);
  fs::create_directories(pointer.parent_path());
  const fs::path target = fs::path(blob_path(etag)).lexically_relative(pointer.parent_path());
  const fs::path tmp = pointer.string() + "." + random_hex(8) + ".tmp";
  std::error_code ec;
  if (symlinks_disabled()) fs::copy_file(blob_path(etag), tmp, ec);  // HF_HUB_DISABLE_SYMLINKS: a copy
  else fs::create_symlink(target, tmp, ec);
  HEZAR_CHECK(!ec, "cannot create symlink '", tmp.string(), "': ", ec.message());
  fs::rename(tmp, pointer, ec);
  if (ec) fs::remove(tmp);
  HEZAR_CHECK(!ec, "cannot create '", pointer.string(), "': ", ec.message());
}

void RepoCache::mark_no_exist(const std::string& commit, const std::string& filename) const {
  validate_relative_filename(filename);
  const fs::path marker = folder_ + "/.no_exist/" + commit + "/" + filename;
  std::error_code ec;
  fs::create_directories(marker.parent_path(), ec);
  std::ofstream touch(marker, std::ios::app);
}

void RepoCache::ensure_layout() const {
  for (const char* sub : {"/blobs", "/snapshots", "/refs"}) fs::create_directories(folder_ + sub);
  fs::create_directories(root_ + "/.locks/" + folder_name_);
  const std::string tag = root_ + "/CACHEDIR.TAG";
  if (!fs::exists(tag))
    file_write_atomic(tag,
                      "Signature: 8a477f597d28d172789f06886806bc55\n"
                      "# This file is a cache directory tag created by huggingface_hub.\n"
                      "# For information about cache directory tags, see:\n"
                      "#\thttps://bford.info/cachedir/\n");
}

void RepoCache::write_tree(const std::string& commit, const TreeFiles& files) const {
  nlohmann::json out = {{"format_version", 1}, {"files", nlohmann::json::object()}};
  for (const auto& [path, f] : files) {
    nlohmann::json entry = {{"size", f.size}, {"blob_id", f.blob_id}};
    if (!f.lfs_sha256.empty()) {
      entry["lfs_sha256"] = f.lfs_sha256;
      entry["lfs_size"] = f.size;
    }
    out["files"][path] = entry;
  }
  fs::create_directories(folder_ + "/trees");
  file_write_atomic(folder_ + "/trees/" + commit + ".json", out.dump(1));
}

std::optional<TreeFiles> RepoCache::read_tree(const std::string& commit) const {
  std::ifstream in(folder_ + "/trees/" + commit + ".json");
  if (!in) return std::nullopt;
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || doc.value("format_version", 0) != 1 || !doc.contains("files")) return std::nullopt;
  TreeFiles files;
  for (const auto& [path, entry] : doc["files"].items()) {
    TreeFile f;
    f.size = entry.value("size", 0LL);
    f.blob_id = entry.value("blob_id", "");
    f.lfs_sha256 = entry.value("lfs_sha256", "");
    files[path] = f;
  }
  return files;
}

FileLock::FileLock(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0664);
  HEZAR_CHECK(fd_ >= 0, "cannot open lock file '", path, "': ", std::strerror(errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    if (errno == ENOLCK || errno == EOPNOTSUPP) break;  // no flock on this file system: as SoftFileLock-less
    int err = errno;
    ::close(fd_);
    throw RuntimeFailure(detail::concat("cannot lock '", path, "': ", std::strerror(err)));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace hezar::hub
