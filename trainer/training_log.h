// logs/<run>/training_logs.csv (step, epoch, train.loss, train.lr, evaluation.*), continued across
// resumes, and the same scalars as TensorBoard events (tags train.loss, train.lr, evaluation.<key>).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "trainer/tensorboard.h"

namespace hezar {

class TrainingLog {
 public:
  // `eval_keys` fixes the evaluation columns; an existing CSV in `dir` is continued.
  TrainingLog(const std::string& dir, const std::vector<std::string>& eval_keys);
  void add(int64_t step, int epoch, double loss, double lr, const std::map<std::string, double>& eval);
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, path_, text_;
  std::vector<std::string> eval_keys_;
  TensorBoardWriter tensorboard_;
};

}  // namespace hezar
