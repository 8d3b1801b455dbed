#include "hub/hub-api.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>

#include "hub/hub-env.h"

namespace hezar::hub {

std::string RepoRef::describe() const { return repo_type_name(type) + " '" + repo_id + "'"; }

std::string resolve_url(const RepoRef& repo, const std::string& revision, const std::string& filename) {
  return hub_endpoint() + "/" + repo_type_url_prefix(repo.type) + repo.repo_id + "/resolve/" + url_quote(revision, "") +
         "/" + url_quote(filename);
}

std::string api_repo_url(const RepoRef& repo) {
  return hub_endpoint() + "/api/" + repo_type_name(repo.type) + "s/" + repo.repo_id;
}

HttpRequest hub_request(const std::string& method, const std::string& url, bool token_required) {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.token = hub_token(token_required);
  request.max_redirects = 10;  // a renamed repo answers with a relative redirect; others are not followed
  request.relative_redirects_only = true;
  const std::string timeout = env_or_empty(method == "GET" ? "HF_HUB_DOWNLOAD_TIMEOUT" : "HF_HUB_ETAG_TIMEOUT");
  if (!timeout.empty()) request.timeout_s = std::max(1L, std::atol(timeout.c_str()));
  return request;
}

namespace {
std::string server_message(const HttpResponse& response) {
  std::string message = response.header("x-error-message");
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_discarded() && body.is_object() && body.contains("error")) {
    const auto& error = body["error"];
    std::string text = error.is_string() ? error.get<std::string>() : error.dump();
    if (text != message) message += (message.empty() ? "" : "; ") + text;
  } else if (message.empty() && !response.body.empty() && response.body.size() < 300 &&
             response.body.find('<') == std::string::npos) {
    message = response.body;
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  for (char& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  return message.empty() ? "" : " (server: " + message + ")";
}

bool is_repo_url(const std::string& url) {
  static const std::regex repo_url(R"(/api/(models|datasets|spaces)/|/resolve/)");
  return std::regex_search(url, repo_url);
}
}  // namespace

void raise_for_status(const HttpResponse& r, const RepoRef& repo, const std::string& filename) {
  if (r.status < 400) return;
  const std::string code = r.header("x-error-code"), msg = server_message(r);
  const std::string where = repo.describe() + (repo.revision.empty() ? "" : " at revision '" + repo.revision + "'");
  if (code == "RevisionNotFound")
    throw BadInput("revision '" + repo.revision + "' not found in " + repo.describe() + msg +
                   "; check --revision (a branch, tag or 40-hex commit)");
  if (code == "EntryNotFound")
    throw BadInput("file '" + filename + "' not found in " + where + msg + "; check the file name and revision");
  if (code == "GatedRepo")
    throw BadInput(repo.describe() + " is gated" + msg +
                   "; ask for access on its Hub page, then log in with `hezar login` or set HF_TOKEN");
  const bool bad_credentials = r.header("x-error-message") == "Invalid credentials in Authorization header";
  if (r.status == 401 && bad_credentials)
    throw BadInput("the Hub refused the token (invalid credentials); run `hezar login` again or fix HF_TOKEN");
  if (code == "RepoNotFound" || (r.status == 401 && is_repo_url(r.url)))
    throw BadInput(repo.describe() + " not found on " + hub_endpoint() + msg +
                   "; check the id and --repo-type, and for a private repo log in with `hezar login` or set HF_TOKEN");
  if (r.status == 401)
    throw BadInput("the Hub needs a token for this" + msg + "; log in with `hezar login` or set HF_TOKEN");
  if (r.status == 403)
    throw BadInput("forbidden: " + where + msg + "; check that your token has write access to it");
  if (r.status == 400) throw BadInput("the Hub refused the request for " + where + msg);
  if (r.status == 429)
    throw RuntimeFailure("rate limited by the Hub on " + where + msg + "; wait and retry (RateLimit: " +
                         r.header("ratelimit") + ")");
  throw RuntimeFailure("the Hub answered HTTP " + std::to_string(r.status) + " for " + where +
                       (filename.empty() ? "" : " file '" + filename + "'") + msg + "; retry later");
}

std::string fix_endpoint_in_url(const std::string& url) {
  static const std::string hf = "https://huggingface.co";
  const std::string endpoint = hub_endpoint();
  if (endpoint != hf && url.rfind(hf, 0) == 0 && (url.size() == hf.size() || url[hf.size()] == '/'))
    return endpoint + url.substr(hf.size());
  return url;
}

std::string fetch_commit(const RepoRef& repo) {
  HttpRequest request = hub_request("GET", api_repo_url(repo) + "/revision/" + url_quote(repo.revision, ""));
  RetryPolicy policy;
  policy.retry_network_errors = false;  // unreachable: fall back to the cache at once, as huggingface_hub
  HttpResponse response = http_send_retry(request, policy);
  raise_for_status(response, repo);
  nlohmann::json info = nlohmann::json::parse(response.body, nullptr, false);
  HEZAR_CHECK(!info.is_discarded() && info.contains("sha") && info["sha"].is_string() &&
                  is_commit_hash(info["sha"].get<std::string>()),
              "the Hub's revision info for ", repo.describe(), " has no commit sha; is HF_ENDPOINT a Hub?");
  return info["sha"];
}

namespace {
std::string next_link(const std::string& link) {
  static const std::regex next(R"(<([^>]*)>\s*;\s*rel="?next"?)");
  std::smatch m;
  return std::regex_search(link, m, next) ? fix_endpoint_in_url(m[1]) : "";
}

void add_tree_items(const nlohmann::json& page, TreeFiles& files, const std::string& where) {
  HEZAR_CHECK(page.is_array(), "the Hub's tree listing of ", where, " is not a JSON array");
  for (const auto& item : page) {
    HEZAR_CHECK(item.is_object() && item.contains("path") && item["path"].is_string(), "malformed tree entry in ",
                where, ": ", item.dump());
    const std::string path = item["path"];
    validate_relative_filename(path);
    if (item.value("type", "") != "file") continue;
    TreeFile f;
    f.size = item.value("size", 0LL);
    f.blob_id = item.value("oid", "");
    if (item.contains("lfs") && item["lfs"].is_object()) {
      f.lfs_sha256 = item["lfs"].value("oid", "");
      f.size = item["lfs"].value("size", f.size);
    }
    files[path] = f;
  }
}
}  // namespace

TreeFiles fetch_tree(const RepoRef& repo, const std::string& commit) {
  std::string url = api_repo_url(repo) + "/tree/" + url_quote(commit, "") + "?recursive=true&expand=false";
  TreeFiles files;
  for (int page = 0; !url.empty(); ++page) {
    HEZAR_CHECK(page < 100000, "the Hub's tree listing of ", repo.describe(), " did not end after 100000 pages");
    HttpResponse response = http_send_retry(hub_request("GET", url));
    raise_for_status(response, repo);
    nlohmann::json items = nlohmann::json::parse(response.body, nullptr, false);
    add_tree_items(items, files, repo.describe());
    url = next_link(response.header("link"));
  }
  return files;
}

}  // namespace hezar::hub
