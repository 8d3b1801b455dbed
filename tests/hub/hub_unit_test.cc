// Unit tests of the Hub client's pure rules: glob matching as Python's fnmatchcase + filter_repo_objects,
// file name validation, repo folder names, URL quoting, retry waits, environment resolution, and the
// hashing thread that follows a download file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "hub/hub-api.h"
#include "hub/hub-cache.h"
#include "hub/hub-env.h"
#include "hub/hub-fetch.h"
#include "hub/hub-glob.h"
#include "hub/hub-http.h"
#include "hub/hub.h"

using namespace hezar::hub;

TEST(HubGlob, MatchesLikeFnmatchcase) {
  EXPECT_TRUE(fnmatch_case("a/b/c.json", "*.json"));  // '*' spans '/'
  EXPECT_TRUE(fnmatch_case("config.json", "config.???n"));
  EXPECT_FALSE(fnmatch_case("Config.json", "config.json"));  // case-sensitive
  EXPECT_TRUE(fnmatch_case("model-1.bin", "model-[0-9].bin"));
  EXPECT_FALSE(fnmatch_case("model-a.bin", "model-[0-9].bin"));
  EXPECT_TRUE(fnmatch_case("model-a.bin", "model-[!0-9].bin"));
  EXPECT_TRUE(fnmatch_case("a[b", "a[b"));  // an unclosed '[' is literal
  EXPECT_TRUE(fnmatch_case("", "*"));
  EXPECT_FALSE(fnmatch_case("abc", "ab"));
  EXPECT_TRUE(fnmatch_case("abcbc", "*bc"));
}

TEST(HubGlob, FilterRepoObjectsRules) {
  EXPECT_TRUE(path_selected("onnx/model.onnx", {}, {}));
  EXPECT_FALSE(path_selected("onnx/model.onnx", {}, {"onnx/"}));  // a trailing '/' means the whole folder
  EXPECT_TRUE(path_selected("config.json", {"*.json", "*.safetensors"}, {"onnx/"}));
  EXPECT_FALSE(path_selected("model.bin", {"*.json", "*.safetensors"}, {}));
  EXPECT_FALSE(path_selected("sub/x.json", {"*.json"}, {"sub\\*"}));  // backslashes read as '/'
}

TEST(HubCache, ValidatesRelativeFileNames) {
  for (const char* bad : {"../x", "a/../../x", "/etc/passwd", "a\\b", "C:/x", "", "a//b", "./a"})
    EXPECT_THROW(validate_relative_filename(bad), hezar::RuntimeFailure) << bad;
  for (const char* good : {"config.json", "a/b/c.bin", "..a/b..", ".gitattributes"})
    EXPECT_NO_THROW(validate_relative_filename(good)) << good;
}

TEST(HubCache, RepoFolderNames) {
  EXPECT_EQ(repo_folder_name("openai-community/gpt2", RepoType::kModel), "models--openai-community--gpt2");
  EXPECT_EQ(repo_folder_name("Salesforce/wikitext", RepoType::kDataset), "datasets--Salesforce--wikitext");
  EXPECT_EQ(repo_folder_name("gpt2", RepoType::kModel), "models--gpt2");
  for (const char* bad : {"a--b/c", "a/b/c", "a/..b", "", "a/b.git", "-a/b", "a b/c"})
    EXPECT_THROW(repo_folder_name(bad, RepoType::kModel), hezar::BadInput) << bad;
  EXPECT_TRUE(is_commit_hash(std::string(40, 'a')));
  EXPECT_FALSE(is_commit_hash(std::string(40, 'A')));
  EXPECT_FALSE(is_commit_hash("main"));
}

TEST(HubUrls, QuoteAsPython) {
  EXPECT_EQ(url_quote("refs/pr/1", ""), "refs%2Fpr%2F1");
  EXPECT_EQ(url_quote("sub dir/a+b.json"), "sub%20dir/a%2Bb.json");
  EXPECT_EQ(url_unquote("refs%2Fpr%2F1"), "refs/pr/1");
  ::setenv("HF_ENDPOINT", "https://hub.example/", 1);
  RepoRef repo{"org/ds", RepoType::kDataset, "refs/pr/1"};
  EXPECT_EQ(resolve_url(repo, repo.revision, "data/train.csv"),
            "https://hub.example/datasets/org/ds/resolve/refs%2Fpr%2F1/data/train.csv");
  EXPECT_EQ(fix_endpoint_in_url("https://huggingface.co/api/x"), "https://hub.example/api/x");
  ::unsetenv("HF_ENDPOINT");
}

TEST(HubHttp, UrlPolicyAllowsHttpOnlyOnLoopback) {
  EXPECT_NO_THROW(check_url_allowed("https://huggingface.co/x"));
  EXPECT_NO_THROW(check_url_allowed("http://127.0.0.1:8080/x"));
  EXPECT_NO_THROW(check_url_allowed("http://127.0.0.2/x"));
  EXPECT_NO_THROW(check_url_allowed("http://localhost/x"));
  EXPECT_NO_THROW(check_url_allowed("http://[::1]:80/x"));
  EXPECT_THROW(check_url_allowed("http://huggingface.co/x"), hezar::BadInput);
  EXPECT_THROW(check_url_allowed("http://127.0.0.1.evil.com/x"), hezar::BadInput);
  EXPECT_THROW(check_url_allowed("ftp://127.0.0.1/x"), hezar::BadInput);
}

TEST(HubHttp, RetryWaitsHonourRateLimitAndRetryAfter) {
  HttpResponse r;
  r.status = 429;
  r.headers["ratelimit"] = "\"api\";r=0;t=55";
  EXPECT_DOUBLE_EQ(retry_wait_seconds(r, 0), 56);
  r.headers["ratelimit"] = "\"api\";r=3;t=55";
  EXPECT_DOUBLE_EQ(retry_wait_seconds(r, 0), 1);
  r.status = 503;
  r.headers = {{"retry-after", "7"}};
  EXPECT_DOUBLE_EQ(retry_wait_seconds(r, 0), 8);
  r.headers.clear();
  EXPECT_DOUBLE_EQ(retry_wait_seconds(r, 0), 1);
  EXPECT_DOUBLE_EQ(retry_wait_seconds(r, 2), 4);
  EXPECT_DOUBLE_EQ(retry_wait_seconds(r, 4), 8);
}

TEST(HubEnv, PathsAndTokenFollowHuggingfaceHub) {
  ::setenv("HF_HOME", "/tmp/hf_home_test", 1);
  ::unsetenv("HF_TOKEN_PATH");
  EXPECT_EQ(hf_home(), "/tmp/hf_home_test");
  EXPECT_EQ(token_path(), "/tmp/hf_home_test/token");
  ::setenv("HF_TOKEN", "  hf_abc\r\n", 1);
  EXPECT_EQ(hub_token(), "hf_abc");
  ::setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1", 1);
  EXPECT_EQ(hub_token(), "");
  EXPECT_EQ(hub_token(true), "hf_abc");
  ::unsetenv("HF_HUB_DISABLE_IMPLICIT_TOKEN");
  ::unsetenv("HF_TOKEN");
  ::setenv("HEZAR_CACHE_DIR", "/tmp/hz", 1);
  ::setenv("HF_HUB_CACHE", "/tmp/hfc", 1);
  EXPECT_EQ(hub_cache_root(), "/tmp/hz");
  ::unsetenv("HEZAR_CACHE_DIR");
  EXPECT_EQ(hub_cache_root(), "/tmp/hfc");
  ::unsetenv("HF_HUB_CACHE");
  ::setenv("HF_HUB_OFFLINE", "yes", 1);
  EXPECT_TRUE(hub_offline());
  ::setenv("HF_HUB_OFFLINE", "0", 1);
  EXPECT_FALSE(hub_offline());
  ::unsetenv("HF_HUB_OFFLINE");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(expand_path("~/a/$HOME/${HOME}/$NOPE_X"), "/home/u/a//home/u//home/u/$NOPE_X");
}

TEST(HubHashes, GitBlobSha1AndSha256) {
  EXPECT_EQ(git_blob_sha1_hex(""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  EXPECT_EQ(git_blob_sha1_hex("hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

namespace {
std::string pseudo_random(size_t n, unsigned seed) {
  std::string out(n, '\0');
  unsigned x = seed * 2654435761u + 1;
  for (char& c : out) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x & 0xFF);
  }
  return out;
}

// Appends `bytes` to `file` in uneven chunks (as curl delivers them), reporting each to `hashing`.
long long append_reporting(std::FILE* file, const std::string& bytes, long long have, FileHashFollower& hashing) {
  for (size_t at = 0, step = 1; at < bytes.size(); step = step * 7 % 200003 + 1) {
    const size_t n = std::min(bytes.size() - at, step);
    EXPECT_EQ(std::fwrite(bytes.data() + at, 1, n, file), n);
    std::fflush(file);
    at += n;
    have += static_cast<long long>(n);
    hashing.written(have);
  }
  return have;
}

std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name + "." + std::to_string(::getpid());
}
}  // namespace

TEST(HubHashes, FollowerHashesWhatIsAppendedIncludingKeptBytes) {
  const std::string data = pseudo_random(5 * 1024 * 1024 + 17, 3);
  const std::string path = temp_path("follow");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  const size_t kept = 2 * 1024 * 1024 + 5;  // a previous run's bytes: hashed by the worker from the file
  std::fwrite(data.data(), 1, kept, file);
  std::fflush(file);
  FileHashFollower hashing(path, sha256_hex(data), static_cast<long long>(data.size()));
  ASSERT_TRUE(hashing.enabled());
  hashing.written(static_cast<long long>(kept));
  const long long have = append_reporting(file, data.substr(kept), static_cast<long long>(kept), hashing);
  std::fclose(file);
  EXPECT_EQ(hashing.hex(have), sha256_hex(data));
  std::remove(path.c_str());
}

TEST(HubHashes, FollowerRestartsAfterTruncationAndDoesGitSha1) {
  const std::string data = pseudo_random(3 * 1024 * 1024 + 1, 4), junk = pseudo_random(1500 * 1024, 5);
  const std::string path = temp_path("restart");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  FileHashFollower hashing(path, git_blob_sha1_hex(data), static_cast<long long>(data.size()));
  append_reporting(file, junk, 0, hashing);  // e.g. a server that ignored Range: the bytes are dropped
  hashing.restart();
  ASSERT_EQ(::ftruncate(::fileno(file), 0), 0);
  std::fseek(file, 0, SEEK_SET);
  const long long have = append_reporting(file, data, 0, hashing);
  std::fclose(file);
  EXPECT_EQ(hashing.hex(have), git_blob_sha1_hex(data));
  std::remove(path.c_str());
}

TEST(HubHashes, FollowerFailsWhenTheFileIsShorterThanReported) {
  const std::string path = temp_path("short");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  std::fwrite("abc", 1, 3, file);
  std::fclose(file);
  FileHashFollower hashing(path, std::string(64, 'a'), 10);
  EXPECT_THROW(hashing.hex(10), hezar::RuntimeFailure);
  FileHashFollower unknown(path, "\"not-a-hash\"", 3);  // no hash to check: nothing runs
  EXPECT_FALSE(unknown.enabled());
  EXPECT_EQ(unknown.hex(3), "");
  std::remove(path.c_str());
}

TEST(HubIds, LooksLikeRepoId) {
  EXPECT_TRUE(looks_like_repo_id("hezarai/bert-fa-sentiment-dksf"));
  EXPECT_TRUE(looks_like_repo_id("org/name@v1"));
  EXPECT_FALSE(looks_like_repo_id("/abs/path"));
  EXPECT_FALSE(looks_like_repo_id("./rel"));
  EXPECT_FALSE(looks_like_repo_id("a/b/c"));
  EXPECT_FALSE(looks_like_repo_id("/"));
}
