// Optimizers by Hezar's names.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <vector>

namespace hezar {

struct TrainerConfig;

// trainer.optimizer: adam | adamw | sgd; an unknown name is BadInput listing the valid ones.
std::unique_ptr<torch::optim::Optimizer> optimizer_build(const TrainerConfig& config,
                                                         std::vector<at::Tensor> parameters);

}  // namespace hezar
