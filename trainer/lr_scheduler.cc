#include "trainer/lr_scheduler.h"

#include <torch/optim/optimizer.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace hezar {

const std::vector<std::string>& LrScheduler::names() {
  static const std::vector<std::string> kNames = {"constant",    "cosine",      "exponential",
                                                  "linear",      "multi_step",  "one_cycle",
                                                  "polynomial",  "reduce_on_plateau", "step"};
  return kNames;
}

LrScheduler::LrScheduler(const std::string& name, const LrSchedulerKwargs& kwargs, double base_lr,
                         int64_t total_steps)
    : name_(name), kwargs_(kwargs), base_lr_(base_lr), total_steps_(std::max<int64_t>(1, total_steps)) {
  const auto& valid = names();
  HEZAR_CHECK_INPUT(std::find(valid.begin(), valid.end(), name) != valid.end(), "unknown lr_scheduler '", name,
                    "' in trainer.lr_scheduler", did_you_mean(name, valid), "; valid: ", join(valid, ", "));
  HEZAR_CHECK_INPUT(!(kwargs.warmup_steps && kwargs.warmup_ratio),
                    "trainer.lr_scheduler_kwargs: set warmup_steps or warmup_ratio, not both");
  if (kwargs.warmup_steps) warmup_steps_ = *kwargs.warmup_steps;
  if (kwargs.warmup_ratio) {
    HEZAR_CHECK_INPUT(*kwargs.warmup_ratio >= 0 && *kwargs.warmup_ratio < 1,
                      "trainer.lr_scheduler_kwargs.warmup_ratio must be in [0, 1)");
    warmup_steps_ = static_cast<int64_t>(std::ceil(*kwargs.warmup_ratio * total_steps_));
  }
  HEZAR_CHECK_INPUT(warmup_steps_ >= 0, "trainer.lr_scheduler_kwargs.warmup_steps must be >= 0");
  if (name == "step")
    HEZAR_CHECK_INPUT(kwargs.step_size && *kwargs.step_size > 0,
                      "lr_scheduler 'step' needs trainer.lr_scheduler_kwargs.step_size > 0");
  if (name == "multi_step")
    HEZAR_CHECK_INPUT(!kwargs.milestones.empty() && std::is_sorted(kwargs.milestones.begin(), kwargs.milestones.end()),
                      "lr_scheduler 'multi_step' needs increasing trainer.lr_scheduler_kwargs.milestones");
  if (name == "one_cycle")
    HEZAR_CHECK_INPUT(kwargs.pct_start > 0 && kwargs.pct_start < 1,
                      "trainer.lr_scheduler_kwargs.pct_start must be in (0, 1)");
  if (name == "reduce_on_plateau")
    HEZAR_CHECK_INPUT(kwargs.factor > 0 && kwargs.factor < 1,
                      "trainer.lr_scheduler_kwargs.factor must be in (0, 1) for reduce_on_plateau");
}

// Multiplier of base_lr (or, for one_cycle, of max_lr) after `step` scheduler steps.
double LrScheduler::factor_at(int64_t step) const {
  const auto& k = kwargs_;
  const double min_factor = k.min_lr / base_lr_;
  if (warmup_steps_ > 0 && step < warmup_steps_ &&
      (name_ == "linear" || name_ == "cosine" || name_ == "constant"))
    return static_cast<double>(step) / warmup_steps_;
  const double decay_steps = std::max<int64_t>(1, total_steps_ - warmup_steps_);
  const double progress = std::min(1.0, (step - warmup_steps_) / decay_steps);
  if (name_ == "constant") return 1.0;
  if (name_ == "linear") return min_factor + (1.0 - min_factor) * (1.0 - progress);
  if (name_ == "cosine")
    return min_factor + (1.0 - min_factor) * 0.5 * (1.0 + std::cos(M_PI * 2.0 * k.num_cycles * progress));
  if (name_ == "polynomial") {
    const double p = std::min(1.0, static_cast<double>(step) / total_steps_);
    return min_factor + (1.0 - min_factor) * std::pow(1.0 - p, k.power);
  }
  if (name_ == "step") return std::pow(k.gamma, step / *k.step_size);
  if (name_ == "multi_step") {
    auto passed = std::upper_bound(k.milestones.begin(), k.milestones.end(), step) - k.milestones.begin();
    return std::pow(k.gamma, static_cast<double>(passed));
  }
  if (name_ == "exponential") return std::pow(k.gamma, static_cast<double>(step));
  if (name_ == "one_cycle") {  // cosine annealing up to max_lr, then down, as torch's OneCycleLR
    const double max_lr = k.max_lr.value_or(base_lr_), initial = max_lr / k.div_factor;
    const double final_lr = initial / k.final_div_factor, up = k.pct_start * total_steps_ - 1;
    auto anneal = [](double from, double to, double pct) { return to + (from - to) / 2 * (std::cos(M_PI * pct) + 1); };
    const double lr = step <= up ? anneal(initial, max_lr, up > 0 ? step / up : 1.0)
                                 : anneal(max_lr, final_lr, std::min(1.0, (step - up) / (total_steps_ - 1 - up)));
    return lr / base_lr_;
  }
  return state_.plateau_scale;  // reduce_on_plateau
}

double LrScheduler::lr() const { return base_lr_ * factor_at(state_.step); }

void LrScheduler::step_metric(double value, bool maximize) {
  const auto& k = kwargs_;
  const bool better = !state_.plateau_best ||
                      (maximize ? value > *state_.plateau_best * (1 + k.threshold)
                                : value < *state_.plateau_best * (1 - k.threshold));
  if (better) {
    state_.plateau_best = value;
    state_.plateau_bad = 0;
  } else {
    ++state_.plateau_bad;
  }
  if (state_.plateau_cooldown > 0) {
    --state_.plateau_cooldown;
    state_.plateau_bad = 0;
  }
  if (state_.plateau_bad > k.patience) {
    state_.plateau_scale *= k.factor;
    state_.plateau_cooldown = k.cooldown;
    state_.plateau_bad = 0;
  }
}

void LrScheduler::apply(torch::optim::Optimizer& optimizer) const { optimizer_set_lr(optimizer, lr()); }

void optimizer_set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace hezar
