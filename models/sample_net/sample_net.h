// sample_net: the small CNN of Hezar's models guide (conv 6 -> 16, fc 120 -> 84 -> num_classes), an image
// classifier for 28x28 (Fashion-MNIST) or 32x32 (CIFAR-style) inputs.
#pragma once

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <map>
#include <string>
#include <vector>

#include "models/model.h"

namespace hezar {

struct SampleNetConfig : Config {
  HEZAR_CONFIG(SampleNetConfig, "sample_net", "model")
  int num_channels = 3;
  int num_classes = 10;
  std::vector<int> input_shape = {32, 32};  // [height, width]
  std::map<int, std::string> id2label;

  void visit(FieldVisitor& v) override {
    v("num_channels", num_channels, "input image channels (1 gray, 3 RGB)");
    v("num_classes", num_classes, "number of output classes (set from id2label when training)");
    v("input_shape", input_shape, "[height, width] of the input images");
    v("id2label", id2label, "class id -> label name");
  }
};

class SampleNet : public Model {
 public:
  explicit SampleNet(const SampleNetConfig& config);
  std::string task() const override { return "image_classification"; }
  TensorMap forward(const TensorMap& inputs) override;
  TensorMap preprocess(const std::vector<std::string>& inputs) const override;
  nlohmann::json post_process(const TensorMap& outputs, const PredictOptions& options) const override;

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc3_{nullptr};
};

}  // namespace hezar
