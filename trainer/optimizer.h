// Optimizers by Hezar's names.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <vector>

namespace hezar {

// adam | adamw | sgd; an unknown name is BadInput listing the valid ones.
std::unique_ptr<torch::optim::Optimizer> optimizer_build(const std::string& name,
                                                         std::vector<at::Tensor> parameters,
                                                         double learning_rate, double weight_decay);

}  // namespace hezar
