// Learning-rate schedules against PyTorch's own schedulers (Debian's python3-torch 1.13) and the
// formulas of transformers' get_*_schedule_with_warmup, step by step.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tests/core/tensor_io_test_util.h"
#include "trainer/lr_scheduler.h"

namespace hezar {
namespace {

constexpr int kSteps = 40;
constexpr double kBaseLr = 0.01;

// Prints {name: [lr at step 0..kSteps-1]} for PyTorch schedulers on a one-parameter SGD optimizer.
constexpr const char* kPython = R"PY(
import json, math, sys, torch
from torch.optim import lr_scheduler as S
N, LR = 40, 0.01
def run(make, metric=None):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=LR)
    sched = make(opt)
    out = []
    for i in range(N):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(metric[i]) if metric else sched.step()
    return out
def lam(f):
    return lambda opt: S.LambdaLR(opt, f)
W = 5
plateau = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8] * 4
out = {
  "step": run(lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
  "multi_step": run(lambda o: S.MultiStepLR(o, milestones=[5, 12, 30], gamma=0.3)),
  "exponential": run(lambda o: S.ExponentialLR(o, gamma=0.9)),
  "polynomial": run(lambda o: S.PolynomialLR(o, total_iters=N, power=2.0)),
  "one_cycle": run(lambda o: S.OneCycleLR(o, max_lr=0.05, total_steps=N, pct_start=0.25)),
  "linear": run(lam(lambda s: s / W if s < W else max(0.0, (N - s) / (N - W)))),
  "cosine": run(lam(lambda s: s / W if s < W else 0.5 * (1 + math.cos(math.pi * (s - W) / (N - W))))),
  "constant": run(lam(lambda s: s / W if s < W else 1.0)),
  "reduce_on_plateau": run(lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1), plateau),
  "plateau_metric": plateau,
}
json.dump(out, open(sys.argv[1], "w"))
)PY";

class LrSchedulerVsPyTorch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string path = test::tmp_path("torch_lrs.json");
    auto result = test::run_python("torch_lrs", kPython, path);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    expected_ = nlohmann::json::parse(test::read_bytes(path));
  }
  static std::vector<double> ours(const std::string& name, const LrSchedulerKwargs& kwargs) {
    LrScheduler scheduler(name, kwargs, kBaseLr, kSteps);
    std::vector<double> lrs;
    for (int i = 0; i < kSteps; ++i) {
      lrs.push_back(scheduler.lr());
      if (name == "reduce_on_plateau") scheduler.step_metric(expected_["plateau_metric"][i], false);
      else scheduler.step();
    }
    return lrs;
  }
  static void expect_same(const std::string& name, const LrSchedulerKwargs& kwargs) {
    std::vector<double> mine = ours(name, kwargs);
    const auto& theirs = expected_[name];
    ASSERT_EQ(theirs.size(), mine.size());
    for (size_t i = 0; i < mine.size(); ++i)
      EXPECT_NEAR(mine[i], theirs[i].get<double>(), 1e-12) << name << " at step " << i;
  }
  static nlohmann::json expected_;
};
nlohmann::json LrSchedulerVsPyTorch::expected_;

TEST_F(LrSchedulerVsPyTorch, Step) {
  LrSchedulerKwargs k;
  k.step_size = 7;
  k.gamma = 0.5;
  expect_same("step", k);
}

TEST_F(LrSchedulerVsPyTorch, MultiStep) {
  LrSchedulerKwargs k;
  k.milestones = {5, 12, 30};
  k.gamma = 0.3;
  expect_same("multi_step", k);
}

TEST_F(LrSchedulerVsPyTorch, Exponential) {
  LrSchedulerKwargs k;
  k.gamma = 0.9;
  expect_same("exponential", k);
}

TEST_F(LrSchedulerVsPyTorch, Polynomial) {
  LrSchedulerKwargs k;
  k.power = 2.0;
  expect_same("polynomial", k);
}

TEST_F(LrSchedulerVsPyTorch, OneCycle) {
  LrSchedulerKwargs k;
  k.max_lr = 0.05;
  k.pct_start = 0.25;
  expect_same("one_cycle", k);
}

TEST_F(LrSchedulerVsPyTorch, WarmupSchedules) {
  LrSchedulerKwargs k;
  k.warmup_steps = 5;
  expect_same("linear", k);
  expect_same("cosine", k);
  expect_same("constant", k);
  LrSchedulerKwargs ratio;
  ratio.warmup_ratio = 5.0 / kSteps;
  expect_same("linear", ratio);
}

TEST_F(LrSchedulerVsPyTorch, ReduceOnPlateau) {
  LrSchedulerKwargs k;
  k.factor = 0.5;
  k.patience = 2;
  k.cooldown = 1;
  expect_same("reduce_on_plateau", k);
}

TEST(LrScheduler, StateRestoresTheCurve) {
  LrSchedulerKwargs k;
  k.warmup_steps = 3;
  LrScheduler a("cosine", k, kBaseLr, 20), b("cosine", k, kBaseLr, 20);
  for (int i = 0; i < 7; ++i) a.step();
  b.set_state(a.state());
  EXPECT_EQ(a.lr(), b.lr());
}

TEST(LrScheduler, BadNamesAndKwargsAreClearErrors) {
  try {
    LrScheduler("cosin", {}, kBaseLr, 10);
    FAIL();
  } catch (const BadInput& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'cosine'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("valid: constant, cosine"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LrScheduler("step", {}, kBaseLr, 10), BadInput);        // needs step_size
  EXPECT_THROW(LrScheduler("multi_step", {}, kBaseLr, 10), BadInput);  // needs milestones
  LrSchedulerKwargs both;
  both.warmup_steps = 1;
  both.warmup_ratio = 0.1;
  EXPECT_THROW(LrScheduler("linear", both, kBaseLr, 10), BadInput);
  // Unknown kwargs are caught by the config decoder with a suggestion.
  LrSchedulerKwargs decoded;
  try {
    config_decode(decoded, yaml_parse("warmup_step: 3", "c.yaml"), DecodeContext{"c.yaml", "trainer.lr_scheduler_kwargs"});
    FAIL();
  } catch (const BadInput& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown key 'warmup_step' in trainer.lr_scheduler_kwargs (c.yaml:1); did you mean 'warmup_steps'?");
  }
}

}  // namespace
}  // namespace hezar
