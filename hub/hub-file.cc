// hf_hub_download: one file, with HEAD metadata (relative redirects followed, cross-host ones not),
// .no_exist markers and cache fallback when the Hub cannot be reached.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "hub/hub-api.h"
#include "hub/hub-cache.h"
#include "hub/hub-env.h"
#include "hub/hub-fetch.h"
#include "hub/hub.h"

namespace fs = std::filesystem;

namespace hezar::hub {

namespace {

struct FileMetadata {
  std::string commit, etag, location;
  long long size = -1;
};

std::string normalise_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  while (!etag.empty() && etag.front() == '"') etag.erase(0, 1);
  while (!etag.empty() && etag.back() == '"') etag.pop_back();
  return etag;
}

FileMetadata parse_metadata(const HttpResponse& r, const RepoRef& repo, const std::string& filename) {
  FileMetadata meta;
  meta.commit = r.header("x-repo-commit");
  meta.etag = normalise_etag(r.header("x-linked-etag").empty() ? r.header("etag") : r.header("x-linked-etag"));
  meta.location = r.header("location").empty() ? r.url : r.header("location");
  const bool redirect = r.status >= 300 && r.status < 400;
  std::string size = r.header("x-linked-size");
  if (size.empty() && !redirect) size = r.header("content-length");
  if (!size.empty()) meta.size = std::atoll(size.c_str());
  HEZAR_CHECK(!meta.commit.empty(), "no X-Repo-Commit header for '", filename, "' of ", repo.describe(),
              ": the server at ", hub_endpoint(), " does not look like a Hub; fix HF_ENDPOINT");
  HEZAR_CHECK(!meta.etag.empty() && meta.size >= 0, "no ETag or size for '", filename, "' of ", repo.describe(),
              " from ", hub_endpoint());
  if (meta.location.find("://") == std::string::npos) meta.location = url_origin(r.url) + meta.location;
  return meta;
}

std::optional<std::string> cached_pointer(const RepoCache& cache, const std::string& revision,
                                          const std::string& filename) {
  auto commit = cache.resolve_revision(revision);
  if (!commit) return std::nullopt;
  std::string pointer = cache.pointer_path(*commit, filename);
  std::error_code ec;
  if (!fs::exists(pointer, ec)) return std::nullopt;
  return pointer;
}

HttpResponse head_file(const RepoRef& repo, const RepoCache& cache, const std::string& filename) {
  HttpRequest request = hub_request("HEAD", resolve_url(repo, repo.revision, filename));
  HttpResponse response = http_send(request);
  if (response.status == 404 && response.header("x-error-code") == "EntryNotFound" &&
      is_commit_hash(response.header("x-repo-commit"))) {
    cache.mark_no_exist(response.header("x-repo-commit"), filename);
    cache.write_ref(repo.revision, response.header("x-repo-commit"));
  }
  raise_for_status(response, repo, filename);
  return response;
}

}  // namespace

std::string hub_download_file(const RepoRef& repo, const std::string& filename) {
  validate_relative_filename(filename);
  RepoCache cache(hub_cache_root(), repo.repo_id, repo.type);
  if (is_commit_hash(repo.revision) || hub_offline())
    if (auto pointer = cached_pointer(cache, repo.revision, filename)) return *pointer;
  HEZAR_CHECK_INPUT(!hub_offline(), "'", filename, "' of ", repo.describe(), " at revision '", repo.revision,
                    "' is not in the cache at ", cache.root(), " and HF_HUB_OFFLINE is set; unset it to download");
  HttpResponse head;
  try {
    head = head_file(repo, cache, filename);
  } catch (const BadInput&) {
    throw;
  } catch (const RuntimeFailure& e) {  // network, 5xx, rate limit: fall back to the cache
    if (auto pointer = cached_pointer(cache, repo.revision, filename)) {
      spdlog::warn("hub: {}; using the cached {}", e.what(), *pointer);
      return *pointer;
    }
    throw;
  }
  const FileMetadata meta = parse_metadata(head, repo, filename);
  const std::string pointer = cache.pointer_path(meta.commit, filename);
  cache.ensure_layout();
  cache.write_ref(repo.revision, meta.commit);
  std::error_code ec;
  if (fs::exists(pointer, ec)) return pointer;
  FileLock lock(cache.lock_path(meta.etag));
  if (!fs::exists(cache.blob_path(meta.etag))) {
    const bool cross_host = url_origin(meta.location) != url_origin(head.url);
    BlobSource source{cross_host ? meta.location : resolve_url(repo, meta.commit, filename), !cross_host, meta.etag,
                      meta.size};
    fetch_blob(repo, filename, source, cache.incomplete_path(meta.etag), cache.blob_path(meta.etag));
  }
  cache.link_pointer(meta.commit, filename, meta.etag);
  return pointer;
}

}  // namespace hezar::hub
