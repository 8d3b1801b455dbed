#include "trainer/optimizer.h"

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include "core/error.h"
#include "core/strings.h"
#include "trainer/trainer_config.h"

namespace hezar {

std::unique_ptr<torch::optim::Optimizer> optimizer_build(const TrainerConfig& config,
                                                         std::vector<at::Tensor> parameters) {
  const std::string& name = config.optimizer;
  const double learning_rate = config.learning_rate, weight_decay = config.weight_decay;
  HEZAR_CHECK_INPUT(learning_rate > 0, "trainer.learning_rate must be positive, got ", learning_rate);
  HEZAR_CHECK_INPUT(weight_decay >= 0, "trainer.weight_decay must be >= 0, got ", weight_decay);
  HEZAR_CHECK_INPUT(name == "sgd" || (config.momentum == 0 && !config.nesterov),
                    "trainer.momentum and trainer.nesterov apply to the sgd optimizer only");
  HEZAR_CHECK_INPUT(!config.nesterov || config.momentum > 0, "trainer.nesterov needs trainer.momentum > 0");
  if (name == "adam")
    return std::make_unique<torch::optim::Adam>(
        parameters, torch::optim::AdamOptions(learning_rate).weight_decay(weight_decay));
  if (name == "adamw")
    return std::make_unique<torch::optim::AdamW>(
        parameters, torch::optim::AdamWOptions(learning_rate).weight_decay(weight_decay));
  if (name == "sgd")
    return std::make_unique<torch::optim::SGD>(
        parameters, torch::optim::SGDOptions(learning_rate)
                        .weight_decay(weight_decay)
                        .momentum(config.momentum)
                        .nesterov(config.nesterov));
  const std::vector<std::string> valid = {"adam", "adamw", "sgd"};
  throw BadInput(detail::concat("unknown optimizer '", name, "' in trainer.optimizer", did_you_mean(name, valid),
                                "; valid: ", join(valid, ", ")));
}

}  // namespace hezar
