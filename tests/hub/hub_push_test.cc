// `hezar push` against the fake Hub beyond the basic upload protocol (see hub_model_test.cc for that):
// pushing to a branch that does not exist yet creates it from main first, as `huggingface-cli upload
// --revision` does, and --delete removes remote files in the same commit as upload_folder's
// delete_patterns (never .gitattributes, never a file being pushed).
#include <gtest/gtest.h>

#include <set>

#include "tests/hub/hub_test_util.h"

using namespace hubtest;

namespace {

class HubPushTest : public FakeHubTest {
 protected:
  std::vector<std::string> env() const { return FakeHubTest::env({"HF_TOKEN=hf_testtoken_write"}); }
  // The files of a revision as the Hub lists them (GET /api/models/{repo}/revision/{rev}); empty when the
  // revision does not exist.
  std::set<std::string> remote_files(const std::string& repo, const std::string& revision) const {
    hezar::hub::HttpRequest request;
    request.url = hub_->endpoint() + "/api/models/" + repo + "/revision/" + hezar::hub::url_quote(revision, "");
    const hezar::hub::HttpResponse response = hezar::hub::http_send(request);
    std::set<std::string> out;
    if (response.status != 200) return out;
    const json info = json::parse(response.body);
    for (const auto& sibling : info.at("siblings")) out.insert(sibling.at("rfilename").get<std::string>());
    return out;
  }
  // The content of a file at a revision, through `hezar pull`.
  std::string pulled(const std::string& repo, const std::string& revision, const std::string& file) const {
    Result r = run_hezar({"pull", repo, file, "--revision", revision}, env());
    EXPECT_EQ(r.code, 0) << r;
    return r.code == 0 ? read_text(r.out.substr(0, r.out.size() - 1)) : "";
  }
  int count_requests(const std::string& method, const std::string& path) const {
    int n = 0;
    for (const auto& r : hub_->log()) n += r["method"] == method && r["path"] == path;
    return n;
  }
};

TEST_F(HubPushTest, PushToAMissingBranchCreatesItFromMain) {
  hub_->commit("tester/branchy", {{"base.txt", "from main\n"}});
  const fs::path dir = fresh_dir("push_branch");
  write_text(dir / "feature.txt", "on dev\n");

  Result r = run_hezar({"push", dir.string(), "tester/branchy", "--revision", "dev", "--message", "dev work"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(contains(r.err, "created branch 'dev'")) << r;
  EXPECT_EQ(count_requests("POST", "/api/models/tester/branchy/branch/dev"), 1);
  EXPECT_EQ(remote_files("tester/branchy", "dev"), (std::set<std::string>{".gitattributes", "base.txt", "feature.txt"}));
  EXPECT_EQ(remote_files("tester/branchy", "main"), (std::set<std::string>{".gitattributes", "base.txt"}));
  EXPECT_EQ(pulled("tester/branchy", "dev", "feature.txt"), "on dev\n");
  EXPECT_EQ(pulled("tester/branchy", "dev", "base.txt"), "from main\n");

  // The branch exists now: the next push commits to it without creating anything.
  hub_->clear();
  write_text(dir / "feature.txt", "on dev, v2\n");
  r = run_hezar({"push", dir.string(), "tester/branchy", "--revision", "dev"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_FALSE(contains(r.err, "created branch")) << r;
  EXPECT_EQ(count_requests("POST", "/api/models/tester/branchy/branch/dev"), 0);
  EXPECT_EQ(pulled("tester/branchy", "dev", "feature.txt"), "on dev, v2\n");

  // A branch name with a slash is quoted as one path segment, as huggingface_hub does.
  r = run_hezar({"push", dir.string(), "tester/branchy", "--revision", "feat/x"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(count_requests("POST", "/api/models/tester/branchy/branch/feat%2Fx"), 1);
  EXPECT_EQ(pulled("tester/branchy", "feat/x", "feature.txt"), "on dev, v2\n");
  EXPECT_EQ(remote_files("tester/branchy", "main"), (std::set<std::string>{".gitattributes", "base.txt"}));
}

TEST_F(HubPushTest, DeletePatternsRemoveRemoteFilesInTheSameCommit) {
  hub_->commit("tester/cleanup", {{"keep.txt", "keep\n"},
                                  {"old/a.txt", "a\n"},
                                  {"old/deep/b.txt", "b\n"},
                                  {"logs/run.log", "old log\n"},
                                  {"logs/other.log", "other\n"},
                                  {"notes.md", "notes\n"}});
  const fs::path dir = fresh_dir("push_delete");
  write_text(dir / "logs/run.log", "new log\n");
  write_text(dir / "new.txt", "new\n");

  Result r = run_hezar({"push", dir.string(), "tester/cleanup", "--delete", "old/", "--delete", "*.log", "--delete",
                        ".gitattributes"},
                       env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(contains(r.err, "deleted 3")) << r;  // old/a.txt, old/deep/b.txt, logs/other.log
  EXPECT_EQ(remote_files("tester/cleanup", "main"),
            (std::set<std::string>{".gitattributes", "keep.txt", "logs/run.log", "new.txt", "notes.md"}));
  EXPECT_EQ(pulled("tester/cleanup", "main", "logs/run.log"), "new log\n");  // pushed, so not deleted

  // Deletions alone still make a commit, even when every pushed file is unchanged.
  r = run_hezar({"push", dir.string(), "tester/cleanup", "--delete", "notes.md"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(contains(r.err, "pushed 0 files")) << r;
  EXPECT_TRUE(contains(r.err, "deleted 1")) << r;
  EXPECT_EQ(remote_files("tester/cleanup", "main"),
            (std::set<std::string>{".gitattributes", "keep.txt", "logs/run.log", "new.txt"}));

  // Nothing matches and nothing changed: no commit.
  r = run_hezar({"push", dir.string(), "tester/cleanup", "--delete", "*.bin"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(contains(r.err, "nothing changed")) << r;
}

}  // namespace
