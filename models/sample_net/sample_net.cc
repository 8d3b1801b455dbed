#include "models/sample_net/sample_net.h"

#include <ATen/ATen.h>

#include "models/classification.h"
#include "preprocessors/image_processor.h"

namespace hezar {

HEZAR_REGISTER_MODEL("sample_net", SampleNet, SampleNetConfig,
                     "Small CNN image classifier from Hezar's models guide (LeNet-style)");

namespace {
// Spatial size after conv(5) -> pool(2) -> conv(5) -> pool(2).
int64_t feature_size(int64_t input) { return ((input - 4) / 2 - 4) / 2; }
}  // namespace

SampleNet::SampleNet(const SampleNetConfig& c) : Model(c) {
  HEZAR_CHECK_INPUT(c.input_shape.size() == 2 && feature_size(c.input_shape[0]) > 0 &&
                        feature_size(c.input_shape[1]) > 0,
                    "sample_net.input_shape must be [height, width], each at least 16");
  HEZAR_CHECK_INPUT(c.num_channels > 0 && c.num_classes > 0,
                    "sample_net: num_channels and num_classes must be positive");
  const int64_t flat = 16 * feature_size(c.input_shape[0]) * feature_size(c.input_shape[1]);
  conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, 6, 5)));
  conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 16, 5)));
  fc1_ = register_module("fc1", torch::nn::Linear(flat, 120));
  fc2_ = register_module("fc2", torch::nn::Linear(120, 84));
  fc3_ = register_module("fc3", torch::nn::Linear(84, c.num_classes));
}

TensorMap SampleNet::forward(const TensorMap& inputs) {
  at::Tensor x = tensor_at(inputs, "pixel_values", "sample_net");
  x = at::max_pool2d(at::relu(conv1_->forward(x)), {2, 2});
  x = at::max_pool2d(at::relu(conv2_->forward(x)), {2, 2});
  x = x.flatten(1);
  x = at::relu(fc1_->forward(x));
  x = at::relu(fc2_->forward(x));
  return {{"logits", fc3_->forward(x)}};
}

TensorMap SampleNet::preprocess(const std::vector<std::string>& inputs) const {
  return preprocessors().get<ImageProcessor>("image_processor", "sample_net")->process_files(inputs);
}

nlohmann::json SampleNet::post_process(const TensorMap& outputs, const PredictOptions& options) const {
  return classification_top_k(tensor_at(outputs, "logits", "sample_net"), id2label(), options.top_k);
}

}  // namespace hezar
