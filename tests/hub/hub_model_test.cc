// A trained model goes to the fake Hub with `hezar push` and comes back by Hub id everywhere a model folder
// is accepted: predict, eval, trainer.init_weights_from; offline from the cache, including a cache laid
// out by hand exactly as huggingface_hub writes it. Also login/logout/whoami and push's upload protocol.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ATen/ATen.h>

#include <algorithm>

#include "data/idx.h"
#include "hub/hub-fetch.h"
#include "preprocessors/image_io.h"
#include "tests/hub/hub_test_util.h"

using namespace hubtest;

namespace {

const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

class HubModelTest : public FakeHubTest {
 protected:
  static void SetUpTestSuite() {
    FakeHubTest::SetUpTestSuite();
    suite_ = fresh_dir("model_suite");
    if (!hub_->ok() || !fs::exists(std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz")) return;
    const at::Tensor images = hezar::idx_read(std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz");
    for (int i = 0; i < 3; ++i) {
      images_.push_back((suite_ / ("img" + std::to_string(i) + ".png")).string());
      hezar::image_save_png(images_.back(), images[i].contiguous());
    }
    out_ = suite_ / "trained";
    trained_ = run_hezar({"train", runfile("configs/image_classification/sample_net_fashion_mnist.yaml"), "--output-dir",
                          out_.string(), "--set", "dataset.max_size=256", "--set", "trainer.num_epochs=1",
                          "--set", "trainer.do_evaluate=false"},
                         {"HEZAR_CACHE_DIR=" + (suite_ / "train_cache").string()});
  }
  void SetUp() override {
    FakeHubTest::SetUp();
    if (HasFatalFailure()) return;
    if (images_.empty()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
    ASSERT_EQ(trained_.code, 0) << trained_;
  }
  void push_trained(const std::string& repo) {
    Result r = run_hezar({"push", out_.string(), repo}, env({"HF_TOKEN=hf_testtoken_write"}));
    ASSERT_EQ(r.code, 0) << r;
  }
  Result predict(const std::string& model, const std::vector<std::string>& more_env = {}) {
    std::vector<std::string> args = {"predict", model};
    args.insert(args.end(), images_.begin(), images_.end());
    args.push_back("--json");
    return run_hezar(args, env(more_env));
  }

  static fs::path suite_, out_;
  static std::vector<std::string> images_;
  static Result trained_;
};

fs::path HubModelTest::suite_, HubModelTest::out_;
std::vector<std::string> HubModelTest::images_;
Result HubModelTest::trained_;

TEST_F(HubModelTest, PushSendsConfigWeightsAndPreprocessorsOnly) {
  push_trained("tester/sample-net");
  Result r = run_hezar({"pull", "tester/sample-net", "--quiet"}, env());
  ASSERT_EQ(r.code, 0) << r;
  const fs::path snap = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(read_text(snap / "model_config.yaml"), read_text(out_ / "model_config.yaml"));
  EXPECT_EQ(read_text(snap / "model.pt"), read_text(out_ / "model.pt"));
  EXPECT_EQ(read_text(snap / "preprocessor/image_processor_config.yaml"),
            read_text(out_ / "preprocessor/image_processor_config.yaml"));
  ASSERT_TRUE(fs::exists(out_ / "checkpoints"));
  EXPECT_FALSE(fs::exists(snap / "checkpoints"));
  EXPECT_FALSE(fs::exists(snap / "logs"));
  EXPECT_TRUE(fs::is_symlink(snap / "model.pt"));
  // model.pt went through LFS (preupload said so), with the token never sent to the upload host.
  bool lfs_put = false;
  for (const auto& req : hub_->log()) {
    if (req["host"] == "127.0.0.2") EXPECT_FALSE(req["auth"].get<bool>()) << req.dump();
    lfs_put |= req["method"] == "PUT" && contains(req["path"], "/_lfs/upload/");
  }
  EXPECT_TRUE(lfs_put);
  // Pushing again changes nothing and makes no commit.
  hub_->clear();
  r = run_hezar({"push", out_.string(), "tester/sample-net"}, env({"HF_TOKEN=hf_testtoken_write"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(contains(r.err, "nothing changed")) << r;
  for (const auto& req : hub_->log()) EXPECT_FALSE(contains(req["path"], "/commit/")) << req.dump();
}

TEST_F(HubModelTest, PredictEvalAndInitWeightsAcceptAHubId) {
  push_trained("tester/sample-net-2");
  const Result local = predict(out_.string());
  ASSERT_EQ(local.code, 0) << local;
  const Result remote = predict("tester/sample-net-2");
  ASSERT_EQ(remote.code, 0) << remote;
  EXPECT_EQ(remote.out, local.out);
  // Offline, from the cache: same answers and no request.
  hub_->clear();
  const Result offline = predict("tester/sample-net-2", {"HF_HUB_OFFLINE=1"});
  ASSERT_EQ(offline.code, 0) << offline;
  EXPECT_EQ(offline.out, local.out);
  EXPECT_EQ(hub_->log().size(), 1u);

  const fs::path data = suite_ / "dataset.yaml";
  write_text(data, std::string("name: image_classification\npath: ") + kFashionDir + "\nformat: idx\nmax_size: 64\n");
  Result eval = run_hezar({"eval", "tester/sample-net-2", "--dataset", data.string(), "--json"}, env());
  ASSERT_EQ(eval.code, 0) << eval;
  EXPECT_TRUE(contains(eval.out, "accuracy")) << eval;

  const fs::path out2 = fresh_dir("finetune");
  Result train = run_hezar({"train", runfile("configs/image_classification/sample_net_fashion_mnist.yaml"),
                            "--output-dir", out2.string(), "--set", "dataset.max_size=64", "--set",
                            "trainer.num_epochs=1", "--set", "trainer.do_evaluate=false", "--set",
                            "trainer.init_weights_from=tester/sample-net-2"},
                           env());
  ASSERT_EQ(train.code, 0) << train;
  EXPECT_TRUE(contains(train.err, "initialised weights from " + cache_.string() + "/models--tester--sample-net-2/snapshots/"))
      << train;

  Result missing = predict("tester/no-such-model");
  EXPECT_EQ(missing.code, 2) << missing;
  EXPECT_TRUE(contains(missing.err, "is not a local folder")) << missing;
}

// A cache written the way huggingface_hub writes it (blobs named by ETag, relative symlinks, refs/main
// without a newline, no trees/ cache) is used offline as is.
TEST_F(HubModelTest, UsesACacheLaidOutByHuggingfaceHubOffline) {
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  const fs::path repo = cache_ / "models--hezarai--handmade";
  for (const char* rel : {"model_config.yaml", "model.pt", "preprocessor/image_processor_config.yaml"}) {
    const std::string bytes = read_text(out_ / rel);
    const std::string etag = std::string(rel) == "model.pt" ? hezar::hub::sha256_hex(bytes)
                                                             : hezar::hub::git_blob_sha1_hex(bytes);
    write_text(repo / "blobs" / etag, bytes);
    const fs::path pointer = repo / "snapshots" / commit / rel;
    fs::create_directories(pointer.parent_path());
    fs::create_symlink(fs::relative(repo / "blobs" / etag, pointer.parent_path()), pointer);
  }
  write_text(repo / "refs" / "main", commit);
  const Result local = predict(out_.string());
  const Result r = predict("hezarai/handmade", {"HF_HUB_OFFLINE=1"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, local.out);
  const Result pinned = predict("hezarai/handmade@" + commit, {"HF_HUB_OFFLINE=1"});
  ASSERT_EQ(pinned.code, 0) << pinned;
  EXPECT_EQ(hub_->log().size(), 1u);  // only the suite's own clear request
}

TEST_F(HubModelTest, LoginStoresTheTokenLikeHuggingfaceHub) {
  Result bad = run_hezar({"login"}, env(), "hf_wrong\n");
  EXPECT_EQ(bad.code, 2) << bad;
  EXPECT_FALSE(fs::exists(home_ / "token"));
  EXPECT_FALSE(contains(bad.err, "hf_wrong"));
  Result r = run_hezar({"login"}, env(), "  hf_testtoken_write \n");
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_FALSE(contains(r.out + r.err, "hf_testtoken_write"));
  EXPECT_EQ(read_text(home_ / "token"), "hf_testtoken_write");
  struct stat st {};
  ASSERT_EQ(::stat((home_ / "token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  r = run_hezar({"whoami"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "tester\n");
  // HF_TOKEN_PATH moves the file.
  const fs::path other = fresh_dir("tokpath") / "tok";
  ASSERT_EQ(run_hezar({"login"}, env({"HF_TOKEN_PATH=" + other.string()}), "hf_testtoken_write").code, 0);
  EXPECT_EQ(read_text(other), "hf_testtoken_write");
  r = run_hezar({"logout"}, env());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_FALSE(fs::exists(home_ / "token"));
  r = run_hezar({"whoami"}, env());
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "hezar login")) << r;
  r = run_hezar({"push", out_.string(), "tester/x"}, env());
  EXPECT_EQ(r.code, 2) << r;
}

TEST_F(HubModelTest, PushUsesMultipartLfsAndCanOpenAPullRequest) {
  hub_->admin("config", {{"multipart_threshold", 1024 * 1024}, {"chunk_size", 512 * 1024}});
  const fs::path dir = fresh_dir("push_any");
  const std::string big = random_bytes(1536 * 1024 + 7, 9);
  write_text(dir / "weights.bin", big);
  write_text(dir / "notes/readme.txt", "hello\n");
  write_text(dir / "empty.txt", "");
  write_text(dir / ".git/HEAD", "ref: refs/heads/main\n");
  hub_->fault({{"kind", "status"}, {"status", 503}, {"match", "/preupload/"}, {"times", 1}, {"headers", {{"Retry-After", "0"}}}});
  hub_->fault({{"kind", "status"}, {"status", 500}, {"match", "^/_lfs/part/.*/2$"}, {"times", 1}});
  Result r = run_hezar({"push", dir.string(), "tester/any", "--private", "--message", "add weights"},
                       env({"HF_TOKEN=hf_testtoken_write"}));
  hub_->admin("config", {{"multipart_threshold", 5 * 1024 * 1024}, {"chunk_size", 2 * 1024 * 1024}});
  ASSERT_EQ(r.code, 0) << r;
  int parts = 0, completes = 0, verifies = 0;
  for (const auto& req : hub_->log()) {
    parts += contains(req["path"], "/_lfs/part/");
    completes += contains(req["path"], "/_lfs/complete/");
    verifies += contains(req["path"], "/_lfs/verify/");
  }
  EXPECT_EQ(parts, 5);  // 4 parts, one of them retried after a 500
  EXPECT_EQ(completes, 1);
  EXPECT_EQ(verifies, 1);
  EXPECT_EQ(run_hezar({"pull", "tester/any"}, env()).code, 2);  // private
  r = run_hezar({"pull", "tester/any", "--quiet"}, env({"HF_TOKEN=hf_testtoken_write"}));
  ASSERT_EQ(r.code, 0) << r;
  const fs::path snap = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(read_text(snap / "weights.bin"), big);
  EXPECT_EQ(read_text(snap / "notes/readme.txt"), "hello\n");
  EXPECT_TRUE(fs::exists(snap / "empty.txt"));
  EXPECT_FALSE(fs::exists(snap / ".git"));

  write_text(dir / "notes/readme.txt", "changed\n");
  r = run_hezar({"push", dir.string(), "tester/any", "--create-pr"}, env({"HF_TOKEN=hf_testtoken_write"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(contains(r.out, "/discussions/1")) << r;
  r = run_hezar({"pull", "tester/any", "--quiet", "--revision", "refs/pr/1"}, env({"HF_TOKEN=hf_testtoken_write"}));
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_text(fs::path(r.out.substr(0, r.out.size() - 1)) / "notes/readme.txt"), "changed\n");
  EXPECT_TRUE(fs::exists(cache_ / "models--tester--any/refs/refs/pr/1"));
  r = run_hezar({"pull", "tester/any", "--quiet"}, env({"HF_TOKEN=hf_testtoken_write"}));
  EXPECT_EQ(read_text(fs::path(r.out.substr(0, r.out.size() - 1)) / "notes/readme.txt"), "hello\n");  // main unchanged
}

// A Hub dataset repo with JSONL / TSV shards under data/ (images beside them) trains and evaluates by id;
// a Parquet-only repo is refused with a clear message.
TEST_F(HubModelTest, DatasetReposLoadByIdAndParquetIsRefused) {
  const at::Tensor images = hezar::idx_read(std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz");
  const at::Tensor labels = hezar::idx_read(std::string(kFashionDir) + "/t10k-labels-idx1-ubyte.gz");
  const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  std::map<std::string, std::string> files;
  std::string train_a, train_b, test = "path\tlabel\n";
  for (int i = 0; i < 40; ++i) {
    const fs::path png = suite_ / ("ds" + std::to_string(i) + ".png");
    hezar::image_save_png(png.string(), images[i].contiguous());
    const std::string rel = "images/" + std::to_string(i) + ".png";
    files["data/" + rel] = read_text(png);
    const std::string label = names[labels[i].item<int64_t>()];
    if (i < 30) (i % 2 ? train_a : train_b) += json({{"path", rel}, {"label", label}}).dump() + "\n";
    else test += rel + "\t" + label + "\n";
  }
  files["data/train-00000-of-00002.jsonl"] = train_a;
  files["data/train-00001-of-00002.jsonl"] = train_b;
  files["data/test-00000-of-00001.tsv"] = test;
  files["README.md"] = "---\nlicense: mit\n---\n";
  hub_->commit("org/fashion-tiny", files, "dataset");

  const fs::path out = fresh_dir("ds_train");
  Result r = run_hezar({"train", runfile("configs/image_classification/sample_net_fashion_mnist.yaml"), "--output-dir",
                        out.string(), "--set", "dataset.path=org/fashion-tiny", "--set", "dataset.format=csv",
                        "--set", "trainer.num_epochs=1"},
                       env());
  ASSERT_EQ(r.code, 0) << r;
  const fs::path converted = cache_ / "hezar-datasets" / "datasets--org--fashion-tiny";
  ASSERT_TRUE(fs::exists(converted)) << r;
  const fs::path commit_dir = fs::directory_iterator(converted)->path();
  const std::string train_csv = read_text(commit_dir / "train.csv");
  EXPECT_EQ(std::count(train_csv.begin(), train_csv.end(), '\n'), 31);  // header + 30 rows from 2 shards
  Result eval = run_hezar({"eval", out.string(), "--dataset", "org/fashion-tiny", "--json"}, env());
  ASSERT_EQ(eval.code, 0) << eval;
  EXPECT_TRUE(contains(eval.out, "accuracy")) << eval;

  hub_->commit("org/parquet-only", {{"data/train-00000-of-00001.parquet", "PAR1 not really"}}, "dataset");
  r = run_hezar({"eval", out.string(), "--dataset", "org/parquet-only"}, env());
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "Parquet is not supported yet")) << r;
}

// Text dataset repos by id: JSONL shards + a TSV split for text classification, and JSONL shards with
// token/tag lists for sequence labeling (the lists survive the conversion as JSON arrays in CSV cells).
TEST_F(HubModelTest, TextDatasetReposTrainTextModelsById) {
  const std::vector<std::pair<std::string, std::string>> reviews = {
      {"a gorgeous , witty , seductive movie .", "pos"}, {"the plot is dull and the acting is worse .", "neg"},
      {"این فیلم واقعا زیبا و دیدنی بود", "pos"},       {"بازی‌ها ضعیف و داستان خسته‌کننده است", "neg"}};
  std::string train_a, train_b, test = "text\tlabel\n", tagged_a, tagged_b;
  for (int i = 0; i < 24; ++i) {
    const auto& [text, label] = reviews[i % reviews.size()];
    (i % 2 ? train_a : train_b) += json({{"text", text}, {"label", label}}).dump() + "\n";
    if (i < 8) test += text + "\t" + label + "\n";
    json words = json::array(), tags = json::array();
    for (const char* w : {"the", "movie", "is", "good"}) words.push_back(w);
    for (const char* t : {"DT", "NN", "VBZ", "JJ"}) tags.push_back(t);
    (i % 2 ? tagged_a : tagged_b) += json({{"tokens", words}, {"tags", tags}}).dump() + "\n";
  }
  hub_->commit("org/reviews", {{"data/train-00000-of-00002.jsonl", train_a}, {"data/train-00001-of-00002.jsonl", train_b},
                               {"data/test-00000-of-00001.tsv", test}}, "dataset");
  hub_->commit("org/tagged", {{"data/train-00000-of-00002.jsonl", tagged_a}, {"data/train-00001-of-00002.jsonl", tagged_b},
                              {"data/test-00000-of-00001.jsonl", tagged_a}}, "dataset");
  const std::string model = "  hidden_size: 32\n  num_hidden_layers: 1\n  num_attention_heads: 2\n"
                            "  intermediate_size: 64\n  max_position_embeddings: 64\n";
  const std::string rest = "preprocessor:\n  name: wordpiece_tokenizer\n  vocab_size: 200\n  min_frequency: 1\n"
                           "trainer:\n  output_dir: unused\n  num_epochs: 1\n  batch_size: 8\n";
  for (const auto& [task, repo] : {std::pair<std::string, std::string>{"text_classification", "org/reviews"},
                                   {"sequence_labeling", "org/tagged"}}) {
    const fs::path dir = fresh_dir("text_" + task);
    write_text(dir / "job.yaml", "model:\n  name: bert_" + task + "\n" + model + "dataset:\n  name: " + task +
                                     "\n  path: " + repo + "\n  max_length: 32\n" + rest);
    Result r = run_hezar({"train", (dir / "job.yaml").string(), "--output-dir", (dir / "out").string()}, env());
    ASSERT_EQ(r.code, 0) << task << r;
    Result eval = run_hezar({"eval", (dir / "out").string(), "--dataset", (dir / "job.yaml").string(), "--json"}, env());
    ASSERT_EQ(eval.code, 0) << task << eval;
    EXPECT_TRUE(contains(eval.out, task == "sequence_labeling" ? "\"f1\"" : "\"accuracy\"")) << eval;
  }
}

}  // namespace
