#include "hub/hub-upload.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "hub/hub-api.h"
#include "hub/hub-cache.h"
#include "hub/hub-env.h"
#include "hub/hub-fetch.h"
#include "hub/hub-glob.h"
#include "hub/hub-lfs.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace hezar::hub {

namespace {

bool is_weights_file(const std::string& name) {
  return name == "model.pt" || name == "pytorch_model.bin" || name == "model.safetensors" ||
         (name.rfind("model-", 0) == 0 && name.size() > 12 && name.substr(name.size() - 12) == ".safetensors") ||
         name == "model.safetensors.index.json";
}

std::string to_base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

void create_repo(const RepoRef& repo, const std::string& token, bool private_repo) {
  const size_t slash = repo.repo_id.find('/');
  json body = {{"name", slash == std::string::npos ? repo.repo_id : repo.repo_id.substr(slash + 1)},
               {"organization", slash == std::string::npos ? json(nullptr) : json(repo.repo_id.substr(0, slash))},
               {"type", repo_type_name(repo.type)},
               {"private", private_repo},
               {"visibility", private_repo ? "private" : "public"}};
  HttpRequest request = hub_request("POST", hub_endpoint() + "/api/repos/create");
  request.token = token;
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = body.dump();
  HttpResponse response = http_send_retry(request);
  if (response.status == 409) return;  // already exists
  raise_for_status(response, repo);
  spdlog::info("created {} ({})", repo.describe(), private_repo ? "private" : "public");
}

// As huggingface-cli upload: a revision the Hub does not know (RevisionNotFound) becomes a new branch from
// the default branch (POST /api/{type}s/{id}/branch/{branch}; 409 means another client just created it).
bool ensure_branch(const RepoRef& repo, const std::string& token) {
  HttpRequest probe = hub_request("GET", api_repo_url(repo) + "/revision/" + url_quote(repo.revision, ""));
  probe.token = token;
  HttpResponse info = http_send_retry(probe);
  if (info.status < 400) return false;
  if (info.header("x-error-code") != "RevisionNotFound") raise_for_status(info, repo);
  HttpRequest request = hub_request("POST", api_repo_url(repo) + "/branch/" + url_quote(repo.revision, ""));
  request.token = token;
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = "{}";  // no startingPoint: the branch starts at the default branch's head
  HttpResponse response = http_send_retry(request);
  if (response.status == 409) return false;
  raise_for_status(response, repo);
  spdlog::info("created branch '{}' in {}", repo.revision, repo.describe());
  return true;
}

// The remote files at the pushed revision matching `patterns` (huggingface_hub's delete_patterns), but
// never .gitattributes nor a file this push uploads (deleting it first would be pointless).
std::vector<std::string> files_to_delete(const RepoRef& repo, const std::vector<std::string>& patterns,
                                         const std::vector<LocalFile>& local) {
  std::vector<std::string> out;
  if (patterns.empty()) return out;
  for (const auto& [path, file] : fetch_tree(repo, repo.revision)) {
    if (path == ".gitattributes" || !path_selected(path, patterns, {})) continue;
    const bool pushed = std::any_of(local.begin(), local.end(), [&](const LocalFile& f) { return f.path == path; });
    if (!pushed) out.push_back(path);
  }
  return out;
}

// Asks the server which files go through LFS and which are unchanged (256 files per call).
void preupload(const RepoRef& repo, const std::string& token, bool create_pr, std::vector<LocalFile>& files) {
  const std::string url = api_repo_url(repo) + "/preupload/" + url_quote(repo.revision, "") + (create_pr ? "?create_pr=1" : "");
  for (size_t begin = 0; begin < files.size(); begin += 256) {
    json body = {{"files", json::array()}};
    const size_t end = std::min(files.size(), begin + 256);
    for (size_t i = begin; i < end; ++i)
      body["files"].push_back({{"path", files[i].path}, {"sample", to_base64(files[i].sample)}, {"size", files[i].size}});
    HttpRequest request = hub_request("POST", url);
    request.token = token;
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
    HttpResponse response = http_send_retry(request);
    raise_for_status(response, repo);
    json answer = json::parse(response.body, nullptr, false);
    HEZAR_CHECK(!answer.is_discarded() && answer.contains("files"), "malformed preupload answer for ", repo.describe());
    for (const auto& item : answer["files"]) {
      auto it = std::find_if(files.begin() + begin, files.begin() + end,
                             [&](const LocalFile& f) { return f.path == item.value("path", ""); });
      if (it == files.begin() + end) continue;
      it->lfs = item.value("uploadMode", "regular") == "lfs" && it->size > 0;  // empty files are always regular
      it->ignored = item.value("shouldIgnore", false);
      const std::string remote = item.contains("oid") && item["oid"].is_string() ? item["oid"].get<std::string>() : "";
      it->unchanged = !remote.empty() && remote == (it->lfs ? it->sha256 : it->git_sha1);
    }
  }
}

json commit_line(const std::string& key, const json& value) { return {{"key", key}, {"value", value}}; }

PushResult commit(const RepoRef& repo, const std::string& token, const PushOptions& options,
                  const std::vector<std::string>& deleted, const std::vector<const LocalFile*>& files,
                  const std::string& dir) {
  std::string body = commit_line("header", {{"summary", options.message.empty() ? "Upload folder using hezar"
                                                                               : options.message},
                                            {"description", ""}}).dump() + "\n";
  for (const std::string& path : deleted) body += commit_line("deletedFile", {{"path", path}}).dump() + "\n";
  for (const LocalFile* f : files) {
    if (f->lfs)
      body += commit_line("lfsFile", {{"path", f->path}, {"algo", "sha256"}, {"oid", f->sha256}, {"size", f->size}})
                  .dump() + "\n";
    else
      body += commit_line("file", {{"content", to_base64(file_read(dir + "/" + f->path))}, {"path", f->path},
                                   {"encoding", "base64"}}).dump() + "\n";
  }
  HttpRequest request = hub_request("POST", api_repo_url(repo) + "/commit/" + url_quote(repo.revision, "") +
                                                (options.create_pr ? "?create_pr=1" : ""));
  request.token = token;
  request.timeout_s = std::max(request.timeout_s, 60L);
  request.headers.emplace_back("Content-Type", "application/x-ndjson");
  request.body = std::move(body);
  HttpResponse response = http_send(request);  // never retried: a lost answer + retry would commit twice
  raise_for_status(response, repo);
  json answer = json::parse(response.body, nullptr, false);
  HEZAR_CHECK(!answer.is_discarded() && answer.contains("commitOid"), "malformed commit answer for ", repo.describe());
  PushResult result;
  result.commit = answer["commitOid"];
  result.commit_url = fix_endpoint_in_url(answer.value("commitUrl", ""));
  result.pr_url = fix_endpoint_in_url(answer.value("pullRequestUrl", ""));
  return result;
}

}  // namespace

std::vector<std::string> push_file_list(const std::string& dir) {
  HEZAR_CHECK_INPUT(fs::is_directory(dir), "'", dir, "' is not a folder; pass the folder to push");
  const bool hezar_model = fs::is_regular_file(fs::path(dir) / "model_config.yaml");
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    const std::string top = rel.substr(0, rel.find('/'));
    if (it->is_directory()) {
      if (top == ".git" || rel == ".cache/huggingface" || (hezar_model && top != "preprocessor")) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    if (hezar_model && rel != "model_config.yaml" && !is_weights_file(rel) && top != "preprocessor") continue;
    files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  return files;
}

PushResult push_folder(const std::string& dir, const RepoRef& repo, const PushOptions& options) {
  const std::string token = hub_token(true);
  HEZAR_CHECK_INPUT(!token.empty(), "pushing needs a Hub token with write access: run `hezar login` or set HF_TOKEN");
  HEZAR_CHECK_INPUT(!hub_offline(), "HF_HUB_OFFLINE is set: pushing needs the Hub; unset it");
  std::vector<LocalFile> files;
  for (const std::string& path : push_file_list(dir)) files.push_back(describe_local_file(dir, path));
  HEZAR_CHECK_INPUT(!files.empty(), "nothing to push in '", dir, "'");
  create_repo(repo, token, options.private_repo);
  const bool created_branch = !options.create_pr && repo.revision != "main" && ensure_branch(repo, token);
  preupload(repo, token, options.create_pr, files);
  const std::vector<std::string> deleted = files_to_delete(repo, options.delete_patterns, files);
  std::vector<const LocalFile*> changed;
  PushResult result;
  result.created_branch = created_branch;
  for (const LocalFile& f : files) {
    if (f.ignored) continue;
    if (f.unchanged) ++result.unchanged;
    else changed.push_back(&f);
  }
  if (changed.empty() && deleted.empty()) {
    result.commit = fetch_commit(repo);
    spdlog::info("nothing to push: {} already has these {} files", repo.describe(), result.unchanged);
    return result;
  }
  std::vector<const LocalFile*> lfs;
  for (const LocalFile* f : changed)
    if (f->lfs) lfs.push_back(f);
  upload_lfs(repo, token, options.create_pr, lfs, dir);
  const size_t unchanged = result.unchanged;
  result = commit(repo, token, options, deleted, changed, dir);
  result.unchanged = unchanged;
  result.uploaded = changed.size();
  result.lfs_files = lfs.size();
  result.deleted = deleted.size();
  result.created_branch = created_branch;
  return result;
}

}  // namespace hezar::hub
