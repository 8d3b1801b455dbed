// Learning-rate schedules by Hezar's (PyTorch's) names, computed from the optimizer step count so that a
// resumed run continues the same curve. The learning rate is set on every optimizer parameter group.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace torch::optim {
class Optimizer;
}

namespace hezar {

// `lr_scheduler_kwargs`: every option any schedule takes; each schedule checks the ones it needs.
struct LrSchedulerKwargs : Config {
  HEZAR_CONFIG(LrSchedulerKwargs, "", "")
  std::optional<int64_t> warmup_steps;
  std::optional<double> warmup_ratio;      // warmup as a fraction of the total steps
  std::optional<int64_t> step_size;        // step
  std::vector<int64_t> milestones;         // multi_step
  double gamma = 0.1;                      // step, multi_step, exponential
  double power = 1.0;                      // polynomial
  double min_lr = 0.0;                     // cosine, polynomial, linear: the final learning rate
  std::optional<double> max_lr;            // one_cycle (default: the optimizer's learning_rate)
  double pct_start = 0.3;                  // one_cycle
  double div_factor = 25.0;                // one_cycle: initial lr = max_lr / div_factor
  double final_div_factor = 1e4;           // one_cycle: final lr = initial lr / final_div_factor
  double num_cycles = 0.5;                 // cosine: half a cosine wave by default
  double factor = 0.1;                     // reduce_on_plateau
  int64_t patience = 10;                   // reduce_on_plateau: evaluations without improvement
  double threshold = 1e-4;                 // reduce_on_plateau: relative improvement that counts
  int64_t cooldown = 0;                    // reduce_on_plateau

  void visit(FieldVisitor& v) override {
    v("warmup_steps", warmup_steps, "linear warmup steps (linear, cosine, constant)");
    v("warmup_ratio", warmup_ratio, "warmup as a fraction of total steps");
    v("step_size", step_size, "step: decay every N scheduler steps");
    v("milestones", milestones, "multi_step: scheduler steps at which to decay");
    v("gamma", gamma, "decay factor (step, multi_step, exponential)");
    v("power", power, "polynomial decay power");
    v("min_lr", min_lr, "final learning rate (linear, cosine, polynomial)");
    v("max_lr", max_lr, "one_cycle peak learning rate");
    v("pct_start", pct_start, "one_cycle: fraction of steps spent increasing");
    v("div_factor", div_factor, "one_cycle: initial lr = max_lr / div_factor");
    v("final_div_factor", final_div_factor, "one_cycle: final lr = initial lr / final_div_factor");
    v("num_cycles", num_cycles, "cosine waves over the schedule (0.5 = decay to min_lr)");
    v("factor", factor, "reduce_on_plateau: lr multiplier on a plateau");
    v("patience", patience, "reduce_on_plateau: evaluations without improvement before reducing");
    v("threshold", threshold, "reduce_on_plateau: relative improvement that counts");
    v("cooldown", cooldown, "reduce_on_plateau: evaluations to wait after a reduction");
  }
};

// What a resumed run needs to continue the schedule exactly (checkpoint's train/lr_scheduler.yaml).
struct LrSchedulerState : Config {
  HEZAR_CONFIG(LrSchedulerState, "", "")
  int64_t step = 0;
  double plateau_scale = 1.0;
  std::optional<double> plateau_best;
  int64_t plateau_bad = 0;
  int64_t plateau_cooldown = 0;
  void visit(FieldVisitor& v) override {
    v("step", step);
    v("plateau_scale", plateau_scale);
    v("plateau_best", plateau_best);
    v("plateau_bad", plateau_bad);
    v("plateau_cooldown", plateau_cooldown);
  }
};

class LrScheduler {
 public:
  // `total_steps` = scheduler steps over the whole run. An unknown name or a missing/invalid kwarg is
  // BadInput naming the valid names or the kwarg.
  LrScheduler(const std::string& name, const LrSchedulerKwargs& kwargs, double base_lr, int64_t total_steps);

  static const std::vector<std::string>& names();
  bool is_plateau() const { return name_ == "reduce_on_plateau"; }

  double lr() const;                     // the learning rate at the current step
  void step() { ++state_.step; }         // one scheduler step (not used by reduce_on_plateau)
  // reduce_on_plateau: one evaluation of the monitored metric.
  void step_metric(double value, bool maximize);
  void apply(torch::optim::Optimizer& optimizer) const;

  const LrSchedulerState& state() const { return state_; }
  void set_state(const LrSchedulerState& state) { state_ = state; }

 private:
  double factor_at(int64_t step) const;

  std::string name_;
  LrSchedulerKwargs kwargs_;
  double base_lr_;
  int64_t total_steps_;
  int64_t warmup_steps_ = 0;
  LrSchedulerState state_;
};

// Sets the learning rate of every parameter group.
void optimizer_set_lr(torch::optim::Optimizer& optimizer, double lr);

}  // namespace hezar
