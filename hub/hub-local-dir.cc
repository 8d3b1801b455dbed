#include "hub/hub-local-dir.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/file_util.h"
#include "hub/hub-api.h"
#include "hub/hub-fetch.h"

namespace fs = std::filesystem;

namespace hezar::hub {

namespace {
std::string read_metadata_etag(const std::string& path) {
  std::ifstream in(path);
  std::string commit, etag;
  if (!std::getline(in, commit) || !std::getline(in, etag)) return "";
  return etag;
}
}  // namespace

std::string download_to_local_dir(const RepoRef& repo, const std::string& commit, const TreeFiles& files,
                                  const std::string& dir) {
  const fs::path root = fs::absolute(dir);
  const fs::path meta_root = root / ".cache" / "huggingface";
  fs::create_directories(meta_root / "download");
  if (!fs::exists(meta_root / ".gitignore")) file_write_atomic((meta_root / ".gitignore").string(), "*");
  for (const auto& [path, file] : files) {
    validate_relative_filename(path);
    const fs::path dest = root / path;
    const fs::path metadata = meta_root / "download" / (path + ".metadata");
    const std::string etag = file.etag();
    if (fs::exists(dest) && read_metadata_etag(metadata.string()) == etag) continue;
    fs::create_directories(dest.parent_path());
    fs::create_directories(metadata.parent_path());
    FileLock lock(metadata.string().substr(0, metadata.string().size() - 9) + ".lock");
    const std::string incomplete = metadata.parent_path() / (dest.filename().string() + "." + etag + ".incomplete");
    BlobSource source{resolve_url(repo, commit, path), true, etag, file.size};
    fetch_blob(repo, path, source, incomplete, dest.string());
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
    file_write_atomic(metadata.string(), commit + "\n" + etag + "\n" + std::to_string(now) + "\n");
    spdlog::info("downloaded {} ({} bytes)", path, file.size);
  }
  return root.string();
}

}  // namespace hezar::hub
