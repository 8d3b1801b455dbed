// End-to-end tests of `hezar pull` against the fake Hub on loopback: cache layout as huggingface_hub
// writes it, filters, pagination, resume, retries, faults that must leave no corrupt cache entry,
// traversal refusal, auth dropping on cross-host redirects, offline resolution.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "hub/hub-fetch.h"
#include "tests/hub/hub_test_util.h"

using namespace hubtest;

namespace {

class HubPullTest : public FakeHubTest {
 protected:
  static void SetUpTestSuite() {
    FakeHubTest::SetUpTestSuite();
    if (!hub_->ok()) return;
    files_ = {{"config.json", "{\"hidden_size\": 8}\n"},
              {"model.pt", random_bytes(3 * 1024 * 1024 + 123, 1)},
              {"preprocessor/p.yaml", "name: x\n"},
              {"sub/deep/w.bin", random_bytes(100 * 1024, 2)}};
    commit_ = hub_->commit("org/m", files_);
  }
  fs::path repo_dir() const { return cache_ / "models--org--m"; }
  fs::path snapshot() const { return repo_dir() / "snapshots" / commit_; }
  void expect_snapshot_complete() const {
    for (const auto& [path, bytes] : files_) EXPECT_EQ(read_text(snapshot() / path), bytes) << path;
  }
  // No file of the cache is a partial or corrupt blob: every blob's content hashes to its name.
  void expect_no_corrupt_blob() const {
    if (!fs::exists(repo_dir() / "blobs")) return;
    for (const auto& entry : fs::directory_iterator(repo_dir() / "blobs")) {
      const std::string name = entry.path().filename().string();
      if (name.find('.') != std::string::npos) continue;  // .incomplete temp files are not entries
      const std::string bytes = read_text(entry.path());
      EXPECT_TRUE(hezar::hub::sha256_hex(bytes) == name || hezar::hub::git_blob_sha1_hex(bytes) == name) << name;
    }
  }
  int count_requests(const std::string& host, const std::string& path_part, const std::string& range = "") const {
    int n = 0;
    for (const auto& r : hub_->log())
      if (r["host"] == host && contains(r["path"], path_part) && (range.empty() || r["range"] == range)) ++n;
    return n;
  }

  static std::map<std::string, std::string> files_;
  static std::string commit_;
};

std::map<std::string, std::string> HubPullTest::files_;
std::string HubPullTest::commit_;

TEST_F(HubPullTest, CacheLayoutIsHuggingfaceHubs) {
  Result r = run_hezar({"pull", "org/m", "--quiet"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, snapshot().string() + "\n");
  expect_snapshot_complete();
  EXPECT_EQ(read_text(repo_dir() / "refs" / "main"), commit_);  // no trailing newline
  const std::string lfs_etag = hezar::hub::sha256_hex(files_["model.pt"]);
  EXPECT_EQ(fs::read_symlink(snapshot() / "model.pt"), fs::path("../../blobs/" + lfs_etag));
  EXPECT_EQ(fs::read_symlink(snapshot() / "config.json"),
            fs::path("../../blobs/" + hezar::hub::git_blob_sha1_hex(files_["config.json"])));
  EXPECT_EQ(fs::read_symlink(snapshot() / "sub/deep/w.bin"),
            fs::path("../../../../blobs/" + hezar::hub::sha256_hex(files_["sub/deep/w.bin"])));
  EXPECT_TRUE(fs::exists(cache_ / ".locks" / "models--org--m" / (lfs_etag + ".lock")));
  EXPECT_TRUE(contains(read_text(cache_ / "CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55"));
  json tree = json::parse(read_text(repo_dir() / "trees" / (commit_ + ".json")));
  EXPECT_EQ(tree["format_version"], 1);
  EXPECT_EQ(tree["files"]["model.pt"]["lfs_sha256"], lfs_etag);
  expect_no_corrupt_blob();

  // A second pull at the same revision downloads nothing.
  hub_->clear();
  r = run_hezar({"pull", "org/m", "--quiet"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(count_requests("127.0.0.1", "/resolve/"), 0);
  EXPECT_EQ(count_requests("127.0.0.2", "/_cdn/"), 0);
}

TEST_F(HubPullTest, IncludeExcludeFollowThePythonRules) {
  Result r = run_hezar({"pull", "org/m", "--quiet", "--include", "*.json", "--include", "sub/", "--exclude", "*.bin"},
                       env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::exists(snapshot() / "config.json"));
  EXPECT_FALSE(fs::exists(snapshot() / "sub/deep/w.bin"));  // included by sub/, excluded by *.bin ('*' spans '/')
  EXPECT_FALSE(fs::exists(snapshot() / "model.pt"));
  EXPECT_FALSE(fs::exists(snapshot() / "preprocessor"));
}

TEST_F(HubPullTest, TreeListingFollowsLinkPagination) {
  hub_->admin("config", {{"page_size", 2}});
  Result r = run_hezar({"pull", "org/m", "--quiet"}, env());
  hub_->admin("config", {{"page_size", 1000}});
  ASSERT_EQ(r.code, 0) << r;
  expect_snapshot_complete();
  EXPECT_GE(count_requests("127.0.0.1", "cursor="), 2);
}

TEST_F(HubPullTest, ResumesAfterADroppedConnection) {
  hub_->fault({{"kind", "drop"}, {"match", "^/_cdn/" + hezar::hub::sha256_hex(files_["model.pt"])}, {"after", 1048576},
               {"times", 1}});
  Result r = run_hezar({"pull", "org/m", "--quiet"}, env());
  ASSERT_EQ(r.code, 0) << r;
  expect_snapshot_complete();
  expect_no_corrupt_blob();
  EXPECT_EQ(count_requests("127.0.0.2", "/_cdn/", "bytes=1048576-"), 1) << hub_->log().dump();
}

// A server (or proxy) that answers a Range request with 200 and the whole body: the temp file and the hash
// start over, and the result is still the exact file.
TEST_F(HubPullTest, ARangeTheServerIgnoresStartsTheFileOver) {
  const std::string cdn_path = "^/_cdn/" + hezar::hub::sha256_hex(files_["model.pt"]);
  hub_->fault({{"kind", "drop"}, {"match", cdn_path}, {"after", 2 * 1048576 + 3}, {"times", 1}});
  hub_->fault({{"kind", "ignore_range"}, {"match", cdn_path}, {"times", 1}});
  Result r = run_hezar({"pull", "org/m", "--quiet", "--include", "model.pt"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_text(snapshot() / "model.pt"), files_["model.pt"]);
  expect_no_corrupt_blob();
  int restarted = 0;  // the Range request answered 200 (whole body)
  for (const auto& req : hub_->log()) restarted += req["range"] == "bytes=2097155-" && req["status"] == 200;
  EXPECT_EQ(restarted, 1) << hub_->log().dump();
}

TEST_F(HubPullTest, AFailedRunKeepsNoPartialEntryAndTheRerunResumes) {
  const std::string cdn_path = "^/_cdn/" + hezar::hub::sha256_hex(files_["model.pt"]);
  hub_->fault({{"kind", "drop"}, {"match", cdn_path}, {"after", 1048576}, {"times", 1}});
  hub_->fault({{"kind", "drop"}, {"match", cdn_path}, {"after", 0}, {"times", 6}});
  Result r = run_hezar({"pull", "org/m", "--quiet"}, env());
  ASSERT_EQ(r.code, 1) << r;
  EXPECT_TRUE(contains(r.err, "rerun to resume")) << r;
  EXPECT_FALSE(fs::exists(snapshot() / "model.pt"));
  EXPECT_FALSE(fs::exists(repo_dir() / "refs" / "main"));  // a partial snapshot is never referenced
  expect_no_corrupt_blob();
  Result offline = run_hezar({"pull", "org/m", "--quiet"}, env({"HF_HUB_OFFLINE=1"}));
  EXPECT_EQ(offline.code, 2) << offline;

  hub_->clear();
  r = run_hezar({"pull", "org/m", "--quiet"}, env());
  ASSERT_EQ(r.code, 0) << r;
  expect_snapshot_complete();
  EXPECT_EQ(count_requests("127.0.0.2", "/_cdn/", "bytes=1048576-"), 1) << hub_->log().dump();
}

TEST_F(HubPullTest, RetriesServerErrorsAndRateLimits) {
  hub_->fault({{"kind", "status"}, {"status", 503}, {"match", "/api/models/org/m/revision/"}, {"times", 1},
               {"headers", {{"Retry-After", "0"}}}});
  hub_->fault({{"kind", "status"}, {"status", 500}, {"match", "/tree/"}, {"times", 1}});
  hub_->fault({{"kind", "status"}, {"status", 429}, {"match", "/resolve/.*/config.json"}, {"times", 1},
               {"headers", {{"RateLimit", "\"api\";r=0;t=1"}, {"RateLimit-Policy", "\"fixed window\";\"api\";q=500;w=300"}}}});
  const auto start = std::chrono::steady_clock::now();
  Result r = run_hezar({"pull", "org/m", "--quiet"}, env());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.code, 0) << r;
  expect_snapshot_complete();
  EXPECT_GE(seconds, 2.0);  // the 429's RateLimit t=1 means wait 1 + 1 s
  EXPECT_TRUE(contains(r.err, "HTTP 429")) << r;
}

TEST_F(HubPullTest, WrongSizeOrCorruptBodyLeavesNothingCached) {
  for (const char* kind : {"wrong_size", "corrupt"}) {
    SCOPED_TRACE(kind);
    hub_->clear();
    hub_->fault({{"kind", kind}, {"match", "^/_cdn/"}, {"delta", -10}, {"times", 1}});
    Result r = run_hezar({"pull", "org/m", "--quiet", "--include", "model.pt"}, env());
    ASSERT_EQ(r.code, 1) << r;
    EXPECT_TRUE(contains(r.err, std::string(kind) == "corrupt" ? "checksum mismatch" : "size mismatch")) << r;
    EXPECT_FALSE(fs::exists(snapshot() / "model.pt"));
    const std::string etag = hezar::hub::sha256_hex(files_["model.pt"]);
    EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / etag));
    EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / (etag + ".incomplete")));
  }
  Result r = run_hezar({"pull", "org/m", "--quiet", "--include", "model.pt"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_text(snapshot() / "model.pt"), files_["model.pt"]);
}

TEST_F(HubPullTest, TraversalNamesInATreeAreRefusedBeforeAnythingIsWritten) {
  for (const char* evil : {"../evil.txt", "/tmp/evil.txt", "a/../../evil.txt", "a\\..\\evil.txt"}) {
    SCOPED_TRACE(evil);
    hub_->clear();
    hub_->fault({{"kind", "tree_extra"}, {"match", "/tree/"}, {"times", 1},
                 {"entries", {{{"type", "file"}, {"oid", std::string(40, 'a')}, {"size", 3}, {"path", evil}}}}});
    Result r = run_hezar({"pull", "org/m", "--quiet"}, env());
    ASSERT_EQ(r.code, 1) << r;
    EXPECT_TRUE(contains(r.err, "refusing Hub file name")) << r;
    EXPECT_FALSE(fs::exists(repo_dir())) << "something was written before the listing was validated";
    EXPECT_EQ(count_requests("127.0.0.1", "/resolve/"), 0);
  }
}

TEST_F(HubPullTest, TheTokenIsNotSentToAnotherHost) {
  hub_->admin("commit", {{"repo", "org/private"}, {"private", true}, {"files", {{"w.bin", base64(random_bytes(5000, 3))}}}});
  Result denied = run_hezar({"pull", "org/private", "--quiet"}, env());
  EXPECT_EQ(denied.code, 2) << denied;
  EXPECT_TRUE(contains(denied.err, "hezar login")) << denied;
  hub_->clear();
  Result r = run_hezar({"--log-level", "trace", "pull", "org/private", "--quiet"}, env({"HF_TOKEN=hf_testtoken_write"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(contains(r.err, "hub: GET")) << r;  // requests are logged at debug level, the token never
  EXPECT_FALSE(contains(r.out + r.err, "hf_testtoken_write")) << r;
  int hub_requests = 0, cdn_requests = 0;
  for (const auto& req : hub_->log()) {
    if (req["host"] == "127.0.0.2") {
      ++cdn_requests;
      EXPECT_FALSE(req["auth"].get<bool>()) << req.dump();
    } else if (contains(req["path"], "org/private")) {
      ++hub_requests;
      EXPECT_TRUE(req["auth"].get<bool>()) << req.dump();
    }
  }
  EXPECT_GE(cdn_requests, 1);
  EXPECT_GE(hub_requests, 2);
  Result bad = run_hezar({"pull", "org/private", "--quiet"}, env({"HF_TOKEN=hf_wrong"}));
  EXPECT_EQ(bad.code, 2) << bad;
  EXPECT_TRUE(contains(bad.err, "invalid credentials")) << bad;
  EXPECT_FALSE(contains(bad.err, "hf_wrong")) << bad;
}

TEST_F(HubPullTest, OfflineResolvesFromTheCacheWithoutTheNetwork) {
  Result missing = run_hezar({"pull", "org/m", "--quiet"}, env({"HF_HUB_OFFLINE=1"}));
  EXPECT_EQ(missing.code, 2) << missing;
  EXPECT_TRUE(contains(missing.err, "HF_HUB_OFFLINE")) << missing;
  ASSERT_EQ(run_hezar({"pull", "org/m", "--quiet"}, env()).code, 0);
  hub_->clear();
  Result r = run_hezar({"pull", "org/m", "--quiet"}, env({"HF_HUB_OFFLINE=1"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, snapshot().string() + "\n");
  EXPECT_EQ(hub_->log().size(), 1u);  // only the suite's own clear request
  // The Hub unreachable: the cached snapshot is used, with a warning.
  r = run_hezar({"pull", "org/m", "--quiet"}, env({"HF_ENDPOINT=http://127.0.0.1:9"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, snapshot().string() + "\n");
  EXPECT_TRUE(contains(r.err, "trying the cache")) << r;
  // An incomplete snapshot (per the tree cache) is refused offline.
  fs::remove(snapshot() / "config.json");
  r = run_hezar({"pull", "org/m", "--quiet"}, env({"HF_HUB_OFFLINE=1"}));
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "incomplete")) << r;
}

TEST_F(HubPullTest, ErrorsNameTheRepoRevisionAndFix) {
  Result r = run_hezar({"pull", "org/nope"}, env());
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "model 'org/nope' not found")) << r;
  r = run_hezar({"pull", "org/m", "--revision", "v9"}, env());
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "revision 'v9' not found")) << r;
  r = run_hezar({"pull", "org/m", "--repo-type", "dataset"}, env());
  EXPECT_EQ(r.code, 2) << r;
  r = run_hezar({"pull", "bad--id"}, env());
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "invalid Hub repo id")) << r;
  r = run_hezar({"pull", "org/m"}, env({"HF_ENDPOINT=http://example.com"}));
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "https")) << r;
  hub_->admin("commit", {{"repo", "org/gated"}, {"gated", true}, {"files", {{"a.txt", base64("a")}}}});
  r = run_hezar({"pull", "org/gated"}, env());
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "gated")) << r;
}

TEST_F(HubPullTest, LocalDirModeWritesPlainFilesAndMetadata) {
  const fs::path dir = fresh_dir("local");
  Result r = run_hezar({"pull", "org/m", "--quiet", "--local-dir", dir.string()}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, dir.string() + "\n");
  for (const auto& [path, bytes] : files_) {
    EXPECT_FALSE(fs::is_symlink(dir / path));
    EXPECT_EQ(read_text(dir / path), bytes);
  }
  const std::string meta = read_text(dir / ".cache/huggingface/download/model.pt.metadata");
  EXPECT_EQ(meta.substr(0, 41 + 65), commit_ + "\n" + hezar::hub::sha256_hex(files_["model.pt"]) + "\n");
  EXPECT_EQ(read_text(dir / ".cache/huggingface/.gitignore"), "*");
  hub_->clear();
  ASSERT_EQ(run_hezar({"pull", "org/m", "--quiet", "--local-dir", dir.string()}, env()).code, 0);
  EXPECT_EQ(count_requests("127.0.0.2", "/_cdn/"), 0);  // up to date: nothing downloaded again
}

}  // namespace

namespace {

// `hezar pull REPO FILE...` is hf_hub_download: HEAD metadata (X-Linked-Etag/Size, relative redirects of a
// renamed repo followed with the token kept), the blob fetched from the cross-host location without the
// token, and .no_exist markers for files the repo does not have.
TEST_F(HubPullTest, SingleFilesUseHeadMetadataAndFollowRenames) {
  hub_->admin("config", {{"aliases", {{"org/old-name", "org/m"}}}});
  Result r = run_hezar({"pull", "org/old-name", "model.pt", "config.json"}, env({"HF_TOKEN=hf_testtoken_write"}));
  ASSERT_EQ(r.code, 0) << r;
  const fs::path old_snapshot = cache_ / "models--org--old-name" / "snapshots" / commit_;
  EXPECT_EQ(r.out, (old_snapshot / "model.pt").string() + "\n" + (old_snapshot / "config.json").string() + "\n");
  EXPECT_EQ(read_text(old_snapshot / "model.pt"), files_["model.pt"]);
  EXPECT_EQ(read_text(cache_ / "models--org--old-name" / "refs" / "main"), commit_);
  bool followed = false;
  for (const auto& req : hub_->log()) {
    if (req["host"] == "127.0.0.2") EXPECT_FALSE(req["auth"].get<bool>()) << req.dump();
    else if (req["method"] == "HEAD") EXPECT_TRUE(req["auth"].get<bool>()) << req.dump();
    followed |= req["method"] == "HEAD" && contains(req["path"], "/org/m/resolve/main/model.pt");
  }
  EXPECT_TRUE(followed) << hub_->log().dump();

  r = run_hezar({"pull", "org/m", "nope.txt"}, env());
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "file 'nope.txt' not found")) << r;
  EXPECT_TRUE(fs::exists(repo_dir() / ".no_exist" / commit_ / "nope.txt"));
  // A pinned commit that is cached needs no request at all.
  hub_->clear();
  r = run_hezar({"pull", "org/old-name", "--revision", commit_, "config.json"}, env({"HF_HUB_OFFLINE=1"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(hub_->log().size(), 1u);  // only the suite's own clear request
}

}  // namespace

namespace {

// Two processes pulling the same repo at once share the blob locks: both succeed, one copy per blob.
TEST_F(HubPullTest, ConcurrentPullsShareTheCache) {
  Result a, b;
  std::thread other([&] { b = run_hezar({"pull", "org/m", "--quiet"}, env()); });
  a = run_hezar({"pull", "org/m", "--quiet"}, env());
  other.join();
  ASSERT_EQ(a.code, 0) << a;
  ASSERT_EQ(b.code, 0) << b;
  EXPECT_EQ(a.out, b.out);
  expect_snapshot_complete();
  expect_no_corrupt_blob();
  int blobs = 0;
  for (const auto& entry : fs::directory_iterator(repo_dir() / "blobs")) blobs += entry.is_regular_file();
  EXPECT_EQ(blobs, 5);  // 4 files + .gitattributes
}

TEST_F(HubPullTest, DisabledSymlinksGiveCopies) {
  Result r = run_hezar({"pull", "org/m", "--quiet"}, env({"HF_HUB_DISABLE_SYMLINKS=1"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_FALSE(fs::is_symlink(snapshot() / "model.pt"));
  expect_snapshot_complete();
}

}  // namespace

namespace {

// A tokenizer is loaded by Hub id too (`hezar tokenize ORG/NAME TEXT`).
TEST_F(HubPullTest, TokenizeAcceptsAHubId) {
  const std::string tokenizer = R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
 "normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},
 "pre_tokenizer":{"type":"BertPreTokenizer"},"post_processor":null,
 "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
 "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
          "vocab":{"[UNK]":0,"hello":1,"world":2}}})";
  hub_->commit("org/tok", {{"tokenizer.json", tokenizer}});
  Result r = run_hezar({"tokenize", "org/tok", "Hello world", "--json"}, env());
  ASSERT_EQ(r.code, 0) << r;
  json out = json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(out["ids"], json({1, 2})) << r;
}

}  // namespace
