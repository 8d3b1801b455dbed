#include "hub/hub-lfs.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "hub/hub-api.h"
#include "hub/hub-cache.h"
#include "hub/hub-env.h"

using nlohmann::json;

namespace hezar::hub {

namespace {
struct MdFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Md = std::unique_ptr<EVP_MD_CTX, MdFree>;

std::string final_hex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_DigestFinal_ex(ctx, digest, &size);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) out += {hex[digest[i] >> 4], hex[digest[i] & 15]};
  return out;
}

std::string read_range(const std::string& path, long long offset, long long size) {
  std::ifstream in(path, std::ios::binary);
  HEZAR_CHECK_INPUT(in.good(), "cannot read '", path, "': ", std::strerror(errno));
  in.seekg(offset);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), size);
  HEZAR_CHECK(in.gcount() == size, "'", path, "' changed while it was being pushed");
  return bytes;
}
}  // namespace

LocalFile describe_local_file(const std::string& dir, const std::string& path) {
  validate_relative_filename(path);
  LocalFile f;
  f.path = path;
  const std::string full = dir + "/" + path;
  std::FILE* in = std::fopen(full.c_str(), "rb");
  HEZAR_CHECK_INPUT(in != nullptr, "cannot read '", full, "': ", std::strerror(errno));
  std::fseek(in, 0, SEEK_END);
  f.size = std::ftell(in);
  std::fseek(in, 0, SEEK_SET);
  Md sha256(EVP_MD_CTX_new()), sha1(EVP_MD_CTX_new());
  EVP_DigestInit_ex(sha256.get(), EVP_sha256(), nullptr);
  EVP_DigestInit_ex(sha1.get(), EVP_sha1(), nullptr);
  const std::string prefix = "blob " + std::to_string(f.size);
  EVP_DigestUpdate(sha1.get(), prefix.c_str(), prefix.size() + 1);
  std::vector<char> buffer(1 << 20);
  for (size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), in)) > 0;) {
    if (f.sample.size() < 512) f.sample.append(buffer.data(), std::min<size_t>(n, 512 - f.sample.size()));
    EVP_DigestUpdate(sha256.get(), buffer.data(), n);
    EVP_DigestUpdate(sha1.get(), buffer.data(), n);
  }
  std::fclose(in);
  f.sha256 = final_hex(sha256.get());
  f.git_sha1 = final_hex(sha1.get());
  return f;
}

namespace {

HttpRequest lfs_request(const std::string& method, const std::string& url, const std::string& token) {
  HttpRequest request = hub_request(method, fix_endpoint_in_url(url));
  request.token = token;
  request.timeout_s = std::max(request.timeout_s, 60L);
  request.relative_redirects_only = false;
  request.headers.emplace_back("Accept", "application/vnd.git-lfs+json");
  request.headers.emplace_back("Content-Type", "application/vnd.git-lfs+json");
  return request;
}

void check_ok(const HttpResponse& r, const RepoRef& repo, const std::string& what, const std::string& path) {
  if (r.status < 300) return;
  raise_for_status(r, repo, path);
  throw RuntimeFailure("LFS " + what + " of '" + path + "' for " + repo.describe() + " answered HTTP " +
                       std::to_string(r.status) + "; retry");
}

void upload_multipart(const RepoRef& repo, const LocalFile& f, const json& upload, const std::string& dir) {
  const json& header = upload["header"];
  const long long chunk = std::stoll(header["chunk_size"].get<std::string>());
  HEZAR_CHECK(chunk > 0, "LFS multipart chunk_size must be positive for '", f.path, "'");
  const long long parts = (f.size + chunk - 1) / chunk;
  HEZAR_CHECK(static_cast<long long>(header.size()) - 1 == parts, "LFS multipart for '", f.path, "' offers ",
              header.size() - 1, " part URLs for ", parts, " parts");
  json completion = {{"oid", f.sha256}, {"parts", json::array()}};
  for (long long i = 1; i <= parts; ++i) {
    HttpRequest put = lfs_request("PUT", header[std::to_string(i)].get<std::string>(), "");
    put.headers.clear();  // presigned URL: the body only
    put.body = read_range(dir + "/" + f.path, (i - 1) * chunk, std::min(chunk, f.size - (i - 1) * chunk));
    HttpResponse r = http_send_retry(put);
    check_ok(r, repo, "part upload", f.path);
    HEZAR_CHECK(!r.header("etag").empty(), "LFS part ", i, " of '", f.path, "' returned no ETag");
    completion["parts"].push_back({{"partNumber", i}, {"etag", r.header("etag")}});
  }
  HttpRequest complete = lfs_request("POST", upload["href"], "");
  complete.body = completion.dump();
  check_ok(http_send_retry(complete), repo, "multipart completion", f.path);
}

void upload_one(const RepoRef& repo, const std::string& token, const LocalFile& f, const json& actions,
                const std::string& dir) {
  const json& upload = actions["upload"];
  HEZAR_CHECK(upload.contains("href") && upload["href"].is_string(), "LFS upload action without href for '", f.path, "'");
  if (upload.contains("header") && upload["header"].is_object() && upload["header"].contains("chunk_size")) {
    upload_multipart(repo, f, upload, dir);
  } else {
    HttpRequest put = lfs_request("PUT", upload["href"], "");
    put.headers.clear();
    if (upload.contains("header") && upload["header"].is_object())
      for (const auto& [k, v] : upload["header"].items())
        if (v.is_string()) put.headers.emplace_back(k, v.get<std::string>());
    put.body = read_range(dir + "/" + f.path, 0, f.size);
    check_ok(http_send_retry(put), repo, "upload", f.path);
  }
  if (actions.contains("verify") && actions["verify"].is_object()) {
    HttpRequest verify = lfs_request("POST", actions["verify"]["href"], token);
    verify.body = json({{"oid", f.sha256}, {"size", f.size}}).dump();
    check_ok(http_send_retry(verify), repo, "verify", f.path);
  }
  spdlog::info("uploaded {} ({} bytes, LFS)", f.path, f.size);
}

}  // namespace

void upload_lfs(const RepoRef& repo, const std::string& token, bool create_pr,
                const std::vector<const LocalFile*>& files, const std::string& dir) {
  const std::string url = hub_endpoint() + "/" + repo_type_url_prefix(repo.type) + repo.repo_id + ".git/info/lfs/objects/batch";
  for (size_t begin = 0; begin < files.size(); begin += 256) {
    const size_t end = std::min(files.size(), begin + 256);
    json body = {{"operation", "upload"}, {"transfers", {"basic", "multipart"}}, {"objects", json::array()},
                 {"hash_algo", "sha256"}};
    if (!create_pr) body["ref"] = {{"name", repo.revision}};
    for (size_t i = begin; i < end; ++i) body["objects"].push_back({{"oid", files[i]->sha256}, {"size", files[i]->size}});
    HttpRequest request = lfs_request("POST", url, token);
    request.body = body.dump();
    HttpResponse response = http_send_retry(request);
    raise_for_status(response, repo);
    json answer = json::parse(response.body, nullptr, false);
    HEZAR_CHECK(!answer.is_discarded() && answer.contains("objects") && answer["objects"].is_array(),
                "malformed LFS batch answer for ", repo.describe());
    for (const auto& object : answer["objects"]) {
      const std::string oid = object.value("oid", "");
      if (object.contains("error"))
        throw RuntimeFailure("LFS batch API refused object " + oid + " of " + repo.describe() + ": " +
                             object["error"].value("message", "") + " (code " +
                             std::to_string(object["error"].value("code", 0)) + ")");
      if (!object.contains("actions")) continue;  // the server already has it
      for (size_t i = begin; i < end; ++i)
        if (files[i]->sha256 == oid) upload_one(repo, token, *files[i], object["actions"], dir);
    }
  }
}

}  // namespace hezar::hub
