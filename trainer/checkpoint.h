// Checkpoints in Hezar's layout, written atomically, and everything an exact resume needs:
//
//   checkpoints/<step>/model_config.yaml, model.pt, preprocessor/
//   checkpoints/<step>/train/train_config.yaml, dataset_config.yaml, optimizer.pt, lr_scheduler.yaml,
//                            rng_state.pt, trainer_state.yaml
//   checkpoints/trainer_state.yaml                       (the latest checkpoint's state, as Hezar)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/model.h"
#include "trainer/lr_scheduler.h"
#include "trainer/trainer_config.h"

namespace torch::optim {
class Optimizer;
}

namespace hezar {

struct CheckpointParts {
  Model* model;
  const TrainerConfig* trainer_config;
  const Config* dataset_config;
  torch::optim::Optimizer* optimizer;
  LrScheduler* scheduler;  // may be null
  TrainerState* state;
};

// Folder name of a step: zero-padded to the width of the total step count, as Hezar.
std::string checkpoint_name(int64_t step, int64_t total_steps);

// Writes `root/<name>` under a temp name and renames it into place, then checkpoints/trainer_state.yaml.
void checkpoint_save(const std::string& root, const std::string& name, const CheckpointParts& parts);

// The checkpoint folder `resume_from_checkpoint` points at: "true" = the latest one under `root`
// (from root/trainer_state.yaml), otherwise a path. Missing trainer state is BadInput.
std::string checkpoint_resolve(const std::string& resume_from_checkpoint, const std::string& root);

// Restores model, optimizer, scheduler, RNG and trainer state. Refuses (BadInput, saying what differs)
// a checkpoint made for another model config, dataset or data order.
void checkpoint_load(const std::string& dir, const CheckpointParts& parts);

// Deletes the oldest checkpoints beyond `limit`, never `keep_step` (the best one).
void checkpoint_rotate(const std::string& root, int limit, std::optional<int64_t> keep_step);

}  // namespace hezar
