#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "hub/hub-api.h"
#include "hub/hub-cache.h"
#include "hub/hub-env.h"
#include "hub/hub-fetch.h"
#include "hub/hub-glob.h"
#include "hub/hub-local-dir.h"
#include "hub/hub.h"

namespace fs = std::filesystem;

namespace hezar::hub {

namespace {

TreeFiles select_files(const TreeFiles& all, const PullOptions& options) {
  TreeFiles selected;
  for (const auto& [path, file] : all)
    if (path_selected(path, options.include, options.exclude)) selected[path] = file;
  return selected;
}

bool pointer_ok(const std::string& pointer) {
  std::error_code ec;
  return fs::exists(pointer, ec);  // follows the symlink: a dangling pointer does not count
}

std::string offline_snapshot(const RepoRef& repo, const RepoCache& cache, const PullOptions& options,
                             const std::string& why) {
  const auto commit = cache.resolve_revision(repo.revision);
  const std::string dir = commit ? cache.snapshot_dir(*commit) : "";
  HEZAR_CHECK_INPUT(commit && fs::is_directory(dir), repo.describe(), " at revision '", repo.revision,
                    "' is not in the cache at ", cache.root(), " and ", why,
                    "; connect to the Hub (unset HF_HUB_OFFLINE) and run `hezar pull ", repo.repo_id, "`");
  if (auto tree = cache.read_tree(*commit)) {
    for (const auto& [path, file] : select_files(*tree, options))
      HEZAR_CHECK_INPUT(pointer_ok(cache.pointer_path(*commit, path)), "the cached snapshot ", dir,
                        " is incomplete (missing '", path, "') and ", why, "; run `hezar pull ", repo.repo_id,
                        "` online to complete it");
  }
  spdlog::debug("hub: {} resolved offline to {}", repo.describe(), dir);
  return dir;
}

void download_to_cache(const RepoRef& repo, const RepoCache& cache, const std::string& commit,
                       const std::string& path, const TreeFile& file) {
  const std::string pointer = cache.pointer_path(commit, path);
  if (pointer_ok(pointer)) return;
  const std::string etag = file.etag();
  HEZAR_CHECK(!etag.empty(), "the Hub's tree listing has no object id for '", path, "' in ", repo.describe());
  FileLock lock(cache.lock_path(etag));
  if (!fs::exists(cache.blob_path(etag))) {
    BlobSource source{resolve_url(repo, commit, path), true, etag, file.size};
    fetch_blob(repo, path, source, cache.incomplete_path(etag), cache.blob_path(etag));
    spdlog::info("downloaded {} ({} bytes)", path, file.size);
  }
  cache.link_pointer(commit, path, etag);
}

// Runs fn(i) for i in [0, n) on up to `workers` threads; rethrows the first failure.
template <class Fn>
void parallel_for(size_t n, size_t workers, Fn fn) {
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex mutex;
  auto work = [&] {
    for (size_t i; (i = next++) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(n, workers); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

// The commit of repo.revision from the Hub; nullopt (after a warning) when the Hub cannot be reached.
std::optional<std::string> online_commit(const RepoRef& repo) {
  if (is_commit_hash(repo.revision)) return repo.revision;
  try {
    return fetch_commit(repo);
  } catch (const NetworkError& e) {
    spdlog::warn("hub: cannot reach the Hub ({}); trying the cache", e.what());
  } catch (const BadInput&) {
    throw;
  } catch (const RuntimeFailure& e) {
    spdlog::warn("hub: {}; trying the cache", e.what());
  }
  return std::nullopt;
}

}  // namespace

std::string snapshot_download(const RepoRef& repo, const PullOptions& options) {
  RepoCache cache(hub_cache_root(), repo.repo_id, repo.type);
  if (hub_offline() && options.local_dir.empty()) return offline_snapshot(repo, cache, options, "HF_HUB_OFFLINE is set");
  HEZAR_CHECK_INPUT(!hub_offline(), "HF_HUB_OFFLINE is set: --local-dir needs the Hub; unset it");
  const auto commit = online_commit(repo);
  if (!commit) return offline_snapshot(repo, cache, options, "the Hub cannot be reached");
  std::optional<TreeFiles> tree = cache.read_tree(*commit);
  if (!tree) tree = fetch_tree(repo, *commit);  // validates every name before anything is written
  const TreeFiles selected = select_files(*tree, options);
  if (!options.local_dir.empty()) return download_to_local_dir(repo, *commit, selected, options.local_dir);
  cache.ensure_layout();
  cache.write_tree(*commit, *tree);
  std::vector<std::pair<std::string, TreeFile>> files(selected.begin(), selected.end());
  parallel_for(files.size(), 4, [&](size_t i) { download_to_cache(repo, cache, *commit, files[i].first, files[i].second); });
  fs::create_directories(cache.snapshot_dir(*commit));
  cache.write_ref(repo.revision, *commit);  // only once the snapshot is complete
  return cache.snapshot_dir(*commit);
}

bool looks_like_repo_id(const std::string& text) {
  std::error_code ec;
  if (text.empty() || fs::exists(text, ec)) return false;
  const std::string id = text.substr(0, text.find('@'));
  if (id.empty() || id[0] == '.' || id[0] == '/' || id[0] == '~' || std::count(id.begin(), id.end(), '/') > 1)
    return false;
  try {
    repo_folder_name(id, RepoType::kModel);
    return true;
  } catch (const BadInput&) {
    return false;
  }
}

std::string hub_resolve_dir(const std::string& path_or_repo_id, RepoType type) {
  if (!looks_like_repo_id(path_or_repo_id)) return path_or_repo_id;
  RepoRef repo;
  repo.type = type;
  const size_t at = path_or_repo_id.find('@');
  repo.repo_id = path_or_repo_id.substr(0, at);
  if (at != std::string::npos) repo.revision = path_or_repo_id.substr(at + 1);
  HEZAR_CHECK_INPUT(!repo.revision.empty(), "empty revision after '@' in '", path_or_repo_id, "'");
  spdlog::info("'{}' is not a local folder: using Hub {}", path_or_repo_id, repo.describe());
  try {
    return snapshot_download(repo);
  } catch (const BadInput& e) {
    throw BadInput("'" + path_or_repo_id + "' is not a local folder, and as a Hub id: " + e.what());
  }
}

std::string hub_resolve_model_dir(const std::string& path_or_repo_id) {
  return hub_resolve_dir(path_or_repo_id, RepoType::kModel);
}

}  // namespace hezar::hub
