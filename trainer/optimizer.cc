#include "trainer/optimizer.h"

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include "core/error.h"
#include "core/strings.h"

namespace hezar {

std::unique_ptr<torch::optim::Optimizer> optimizer_build(const std::string& name,
                                                         std::vector<at::Tensor> parameters,
                                                         double learning_rate, double weight_decay) {
  HEZAR_CHECK_INPUT(learning_rate > 0, "trainer.learning_rate must be positive, got ", learning_rate);
  if (name == "adam")
    return std::make_unique<torch::optim::Adam>(
        parameters, torch::optim::AdamOptions(learning_rate).weight_decay(weight_decay));
  if (name == "adamw")
    return std::make_unique<torch::optim::AdamW>(
        parameters, torch::optim::AdamWOptions(learning_rate).weight_decay(weight_decay));
  if (name == "sgd")
    return std::make_unique<torch::optim::SGD>(
        parameters, torch::optim::SGDOptions(learning_rate).weight_decay(weight_decay));
  const std::vector<std::string> valid = {"adam", "adamw", "sgd"};
  throw BadInput(detail::concat("unknown optimizer '", name, "' in trainer.optimizer", did_you_mean(name, valid),
                                "; valid: ", join(valid, ", ")));
}

}  // namespace hezar
