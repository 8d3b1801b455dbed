// sample_net and the Model base: parameter names and shapes, save/load in Hezar's layout, flexible
// state-dict loading, and interop with PyTorch (Debian's python3-torch loads our model.pt strictly and
// reproduces our logits).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/tensor_file.h"
#include "core/torch_pickle.h"
#include "models/model.h"
#include "models/sample_net/sample_net.h"
#include "preprocessors/image_processor.h"
#include "tests/core/tensor_io_test_util.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<Model> make_net(int channels, int height, int width, int classes = 10) {
  SampleNetConfig config;
  config.num_channels = channels;
  config.input_shape = {height, width};
  config.num_classes = classes;
  return model_build(config);
}

std::map<std::string, std::vector<int64_t>> shapes(const Model& model) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& [name, tensor] : model.state_dict_tensors()) out[name] = tensor.sizes().vec();
  return out;
}

TEST(SampleNet, ParameterNamesAndShapesMatchTheGuideNet) {
  auto net = make_net(3, 32, 32);
  std::map<std::string, std::vector<int64_t>> expected = {
      {"conv1.weight", {6, 3, 5, 5}}, {"conv1.bias", {6}},      {"conv2.weight", {16, 6, 5, 5}},
      {"conv2.bias", {16}},           {"fc1.weight", {120, 400}}, {"fc1.bias", {120}},
      {"fc2.weight", {84, 120}},      {"fc2.bias", {84}},        {"fc3.weight", {10, 84}},
      {"fc3.bias", {10}}};
  EXPECT_EQ(shapes(*net), expected);
  EXPECT_EQ(shapes(*make_net(1, 28, 28)).at("fc1.weight"), (std::vector<int64_t>{120, 256}));
}

TEST(SampleNet, ForwardGivesLogitsPerClass) {
  auto net = make_net(1, 28, 28, 7);
  auto out = net->forward({{"pixel_values", at::randn({5, 1, 28, 28})}});
  EXPECT_EQ(out.at("logits").sizes(), (std::vector<int64_t>{5, 7}));
}

TEST(SampleNet, RejectsInputsTooSmallForTheNetwork) {
  SampleNetConfig config;
  config.input_shape = {12, 12};
  EXPECT_THROW(model_build(config), BadInput);
}

TEST(SampleNet, LabelsSetTheClassCount) {
  SampleNetConfig config;
  ASSERT_TRUE(config_set_labels(config, {{0, "cat"}, {1, "dog"}, {2, "bird"}}));
  EXPECT_EQ(config.num_classes, 3);
  auto net = model_build(config);
  EXPECT_EQ(net->id2label().at(2), "bird");
  TensorMap outputs{{"logits", at::tensor(std::vector<float>{0.f, 5.f, 1.f}).reshape({1, 3})}};
  nlohmann::json result = net->post_process(outputs, PredictOptions{2});
  ASSERT_EQ(result.size(), 1u);
  ASSERT_EQ(result[0].size(), 2u);
  EXPECT_EQ(result[0][0]["label"], "dog");
  EXPECT_GT(result[0][0]["score"].template get<double>(), result[0][1]["score"].template get<double>());
}

class SavedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(SavedModel, RoundTripsWithPreprocessor) {
  const std::string dir = test::tmp_path("saved_" + GetParam());
  auto net = make_net(1, 28, 28);
  ImageProcessorConfig processor;
  processor.gray_scale = true;
  processor.rescale = 1.0 / 255;
  net->preprocessors().add(preprocessor_build(processor));
  net->save(dir, GetParam());
  EXPECT_TRUE(fs::is_regular_file(dir + "/model_config.yaml"));
  EXPECT_TRUE(fs::is_regular_file(dir + "/" + GetParam()));
  EXPECT_TRUE(fs::is_regular_file(dir + "/preprocessor/image_processor_config.yaml"));

  auto loaded = model_load(dir);
  at::Tensor x = at::randn({2, 1, 28, 28});
  net->eval();
  loaded->eval();
  EXPECT_TRUE(at::equal(net->forward({{"pixel_values", x}}).at("logits"),
                        loaded->forward({{"pixel_values", x}}).at("logits")));
  ASSERT_NE(loaded->preprocessors().find<ImageProcessor>(), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Formats, SavedModel, ::testing::Values("model.pt", "model.safetensors"));

TEST(Model, LoadStateDictReportsWhatDoesNotFit) {
  auto net = make_net(1, 28, 28);
  TensorDict tensors = net->state_dict_tensors();
  tensors.erase(tensors.begin());                                  // conv1.weight missing
  tensors.emplace_back("extra.weight", at::zeros({3}));            // unexpected
  for (auto& [name, t] : tensors)
    if (name == "fc3.weight") t = at::zeros({5, 84});              // shape mismatch
  LoadReport report = net->load_state_dict(tensors);
  EXPECT_EQ(report.missing, std::vector<std::string>{"conv1.weight"});
  EXPECT_EQ(report.unexpected, std::vector<std::string>{"extra.weight"});
  ASSERT_EQ(report.mismatched.size(), 1u);
  EXPECT_EQ(report.mismatched[0], "fc3.weight: file [5, 84] vs model [10, 84]");
  EXPECT_FALSE(report.complete());
}

TEST(Model, LoadStateDictCopiesValues) {
  auto a = make_net(1, 28, 28), b = make_net(1, 28, 28);
  ASSERT_TRUE(b->load_state_dict(a->state_dict_tensors()).complete());
  for (size_t i = 0; i < a->state_dict_tensors().size(); ++i)
    EXPECT_TRUE(at::equal(a->state_dict_tensors()[i].second, b->state_dict_tensors()[i].second));
}

TEST(Model, LoadErrorsAreBadInput) {
  EXPECT_THROW(model_load(test::tmp_path("no_such_model")), BadInput);
  const std::string dir = test::tmp_path("broken_model");
  make_net(1, 28, 28)->save(dir);
  const std::string bytes = test::read_bytes(dir + "/model.pt");
  std::ofstream(dir + "/model.pt", std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  EXPECT_THROW(model_load(dir), BadInput);
  fs::remove(dir + "/model.pt");
  EXPECT_THROW(model_load(dir), BadInput);
  // Weights of another model do not fit: every key missing or mismatched.
  const std::string other = test::tmp_path("other_model");
  make_net(3, 32, 32)->save(other);
  fs::copy_file(other + "/model.pt", dir + "/model.pt");
  EXPECT_THROW(model_load(dir), BadInput);
}

// The Python side: the same network written as in Hezar's models guide.
constexpr const char* kPythonNet = R"PY(
import sys, torch, torch.nn as nn, torch.nn.functional as F
class Net(nn.Module):
    def __init__(self, channels, flat, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(flat, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)
    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
)PY";

TEST(Interop, PyTorchLoadsOurModelPtStrictlyAndAgreesOnLogits) {
  const std::string dir = test::tmp_path("interop_ours");
  auto net = make_net(1, 28, 28);
  net->save(dir);
  at::Tensor x = at::randn({4, 1, 28, 28});
  torch_save(test::tmp_path("interop_input.pt"), {{"x", x}});
  const std::string script = std::string(kPythonNet) + R"PY(
net = Net(1, 256, 10)
net.load_state_dict(torch.load(sys.argv[1]), strict=True)
net.eval()
x = torch.load(sys.argv[2])["x"]
with torch.no_grad():
    torch.save({"logits": net(x)}, sys.argv[3])
)PY";
  auto result = test::run_python("interop_ours", script,
                                 dir + "/model.pt " + test::tmp_path("interop_input.pt") + " " +
                                     test::tmp_path("interop_logits.pt"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  at::Tensor theirs = torch_load(test::tmp_path("interop_logits.pt")).at(0).second;
  net->eval();
  at::Tensor ours = net->forward({{"pixel_values", x}}).at("logits");
  EXPECT_TRUE(at::allclose(ours, theirs, 1e-5, 1e-6)) << (ours - theirs).abs().max();
}

TEST(Interop, WeLoadAModelPtSavedByPyTorch) {
  const std::string dir = test::tmp_path("interop_theirs");
  fs::create_directories(dir);
  SampleNetConfig config;
  config.num_channels = 3;
  config_save(config, dir + "/model_config.yaml");
  const std::string script = std::string(kPythonNet) + R"PY(
torch.manual_seed(0)
net = Net(3, 400, 10).eval()
torch.save(net.state_dict(), sys.argv[1] + "/model.pt")
x = torch.randn(2, 3, 32, 32)
with torch.no_grad():
    torch.save({"x": x, "logits": net(x)}, sys.argv[1] + "/expected.pt")
)PY";
  auto result = test::run_python("interop_theirs", script, dir);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto net = model_load(dir);
  TensorDict expected = torch_load(dir + "/expected.pt");
  net->eval();
  at::Tensor ours = net->forward({{"pixel_values", expected.at(0).second}}).at("logits");
  EXPECT_TRUE(at::allclose(ours, expected.at(1).second, 1e-5, 1e-6));
}

}  // namespace
}  // namespace hezar
