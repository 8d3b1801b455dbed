// DataLoader: seeded, resumable epoch order; batching; worker threads; error propagation; collate.
#include "data/data_loader.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/error.h"

namespace hezar {
namespace {

struct RangeConfig : Config {
  HEZAR_CONFIG(RangeConfig, "test_range", "test_dataset")
  int size = 0;
  void visit(FieldVisitor& v) override { v("size", size); }
};

// Example i is {"index": i (int64 scalar), "value": [i, 2i] (float)}. get() throws for `bad_index`, and
// sleeps `slow_ms` for every index below `slow_below` (to make worker timing deterministic).
class RangeDataset : public Dataset {
 public:
  explicit RangeDataset(size_t n) { config_.size = static_cast<int>(n); }
  const Config& config() const override { return config_; }
  size_t size() const override { return static_cast<size_t>(config_.size); }
  TensorMap get(size_t index) const override {
    ++calls;
    if (index < slow_below) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
    if (static_cast<int64_t>(index) == bad_index)
      throw BadInput("example " + std::to_string(index) + " is broken");
    const double v = static_cast<double>(index);
    return {{"index", at::scalar_tensor(static_cast<int64_t>(index), at::kLong)},
            {"value", at::tensor({v, 2 * v}, at::kFloat)}};
  }

  int64_t bad_index = -1;
  size_t slow_below = 0;
  int slow_ms = 0;
  mutable std::atomic<int> calls{0};

 private:
  RangeConfig config_;
};

std::vector<int64_t> indices_of(const TensorMap& batch) {
  const at::Tensor t = batch.at("index").contiguous();
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

// Every batch of `epoch` (from `start_batch`) as lists of example indices.
std::vector<std::vector<int64_t>> run_epoch(DataLoader& loader, int64_t epoch, size_t start_batch = 0) {
  loader.start_epoch(epoch, start_batch);
  std::vector<std::vector<int64_t>> batches;
  while (auto batch = loader.next()) batches.push_back(indices_of(*batch));
  EXPECT_FALSE(loader.next().has_value()) << "next() after the end of the epoch must stay empty";
  return batches;
}

DataLoaderOptions options(size_t batch_size, bool shuffle = true, uint64_t seed = 42, size_t workers = 0,
                          bool drop_last = false) {
  DataLoaderOptions o;
  o.batch_size = batch_size;
  o.shuffle = shuffle;
  o.seed = seed;
  o.num_workers = workers;
  o.drop_last = drop_last;
  return o;
}

bool is_permutation_of_range(const std::vector<size_t>& order, size_t n) {
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<size_t> expected(n);
  std::iota(expected.begin(), expected.end(), 0);
  return sorted == expected;
}

TEST(DataLoaderTest, EpochOrderIsASeededPermutation) {
  RangeDataset dataset(100);
  DataLoader a(dataset, options(8, true, 42));
  DataLoader b(dataset, options(8, true, 42));
  DataLoader other_seed(dataset, options(8, true, 7));

  const std::vector<size_t> e1 = a.epoch_order(1);
  EXPECT_TRUE(is_permutation_of_range(e1, 100));
  std::vector<size_t> identity(100);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(e1, identity) << "shuffle=true must actually shuffle";

  EXPECT_EQ(e1, a.epoch_order(1)) << "same (seed, epoch) must give the same order";
  EXPECT_EQ(e1, b.epoch_order(1)) << "same (seed, epoch) in another loader must give the same order";
  EXPECT_NE(e1, a.epoch_order(2)) << "different epochs must give different orders";
  EXPECT_TRUE(is_permutation_of_range(a.epoch_order(2), 100));
  EXPECT_NE(e1, other_seed.epoch_order(1)) << "different seeds must give different orders";
  EXPECT_TRUE(is_permutation_of_range(other_seed.epoch_order(1), 100));
}

TEST(DataLoaderTest, BatchesFollowEpochOrder) {
  RangeDataset dataset(10);
  DataLoader loader(dataset, options(4, true, 3));
  const std::vector<size_t> order = loader.epoch_order(5);
  const auto batches = run_epoch(loader, 5);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].size(), 4u);
  EXPECT_EQ(batches[1].size(), 4u);
  EXPECT_EQ(batches[2].size(), 2u);
  std::vector<size_t> seen;
  for (const auto& b : batches)
    for (int64_t i : b) seen.push_back(static_cast<size_t>(i));
  EXPECT_EQ(seen, order);
}

TEST(DataLoaderTest, NoShuffleKeepsDatasetOrder) {
  RangeDataset dataset(7);
  DataLoader loader(dataset, options(3, /*shuffle=*/false));
  std::vector<size_t> identity(7);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(loader.epoch_order(1), identity);
  EXPECT_EQ(loader.epoch_order(9), identity);
  const auto batches = run_epoch(loader, 2);
  const std::vector<std::vector<int64_t>> expected = {{0, 1, 2}, {3, 4, 5}, {6}};
  EXPECT_EQ(batches, expected);
}

TEST(DataLoaderTest, NumBatchesWithAndWithoutDropLast) {
  RangeDataset dataset(10);
  EXPECT_EQ(DataLoader(dataset, options(3)).num_batches(), 4u);
  EXPECT_EQ(DataLoader(dataset, options(3, true, 42, 0, /*drop_last=*/true)).num_batches(), 3u);
  EXPECT_EQ(DataLoader(dataset, options(5)).num_batches(), 2u);
  EXPECT_EQ(DataLoader(dataset, options(5, true, 42, 0, true)).num_batches(), 2u);
  EXPECT_EQ(DataLoader(dataset, options(10)).num_batches(), 1u);
  EXPECT_EQ(DataLoader(dataset, options(11)).num_batches(), 1u);
  EXPECT_EQ(DataLoader(dataset, options(11, true, 42, 0, true)).num_batches(), 0u);

  // drop_last: the short final batch is not produced, every produced batch is full.
  DataLoader dropping(dataset, options(3, false, 42, 0, true));
  const auto batches = run_epoch(dropping, 1);
  const std::vector<std::vector<int64_t>> expected = {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}};
  EXPECT_EQ(batches, expected);
}

TEST(DataLoaderTest, ZeroBatchSizeIsBadInput) {
  RangeDataset dataset(3);
  EXPECT_THROW(DataLoader(dataset, options(0)), BadInput);
}

TEST(DataLoaderTest, ResumeMidEpochYieldsTheRemainingBatches) {
  RangeDataset dataset(23);
  for (size_t workers : {0u, 2u}) {
    SCOPED_TRACE("workers=" + std::to_string(workers));
    DataLoader full(dataset, options(4, true, 11, workers));
    const auto uninterrupted = run_epoch(full, 3);
    ASSERT_EQ(uninterrupted.size(), 6u);
    for (size_t k = 0; k <= uninterrupted.size(); ++k) {
      SCOPED_TRACE("start_batch=" + std::to_string(k));
      DataLoader resumed(dataset, options(4, true, 11, workers));
      const auto rest = run_epoch(resumed, 3, k);
      const std::vector<std::vector<int64_t>> expected(uninterrupted.begin() + k, uninterrupted.end());
      EXPECT_EQ(rest, expected);
    }
    // Past the end: nothing, not an error.
    DataLoader past(dataset, options(4, true, 11, workers));
    EXPECT_TRUE(run_epoch(past, 3, 100).empty());
  }
}

TEST(DataLoaderTest, RestartingAnEpochMidwayStartsOver) {
  RangeDataset dataset(20);
  DataLoader loader(dataset, options(3, true, 5, 2));
  const auto reference = run_epoch(loader, 1);
  loader.start_epoch(1);
  ASSERT_TRUE(loader.next().has_value());
  ASSERT_TRUE(loader.next().has_value());
  // Abandon epoch 1 with workers mid-flight, run epoch 2, then epoch 1 again from the start.
  const auto epoch2 = run_epoch(loader, 2);
  EXPECT_EQ(epoch2.size(), reference.size());
  EXPECT_NE(epoch2, reference);
  EXPECT_EQ(run_epoch(loader, 1), reference);
}

TEST(DataLoaderTest, WorkersGiveTheSameBatchesInTheSameOrder) {
  RangeDataset dataset(50);
  DataLoader serial(dataset, options(4, true, 123, 0));
  DataLoader threaded(dataset, options(4, true, 123, 3));
  for (int64_t epoch : {1, 2, 3}) {
    SCOPED_TRACE("epoch=" + std::to_string(epoch));
    const auto a = run_epoch(serial, epoch);
    const auto b = run_epoch(threaded, epoch);
    EXPECT_EQ(a.size(), 13u);
    EXPECT_EQ(a, b);
  }
  // Whole tensors, not only the indices.
  serial.start_epoch(4);
  threaded.start_epoch(4);
  while (auto x = serial.next()) {
    auto y = threaded.next();
    ASSERT_TRUE(y.has_value());
    ASSERT_EQ(x->size(), y->size());
    for (const auto& [key, tensor] : *x) EXPECT_TRUE(tensor.equal(y->at(key))) << key;
  }
  EXPECT_FALSE(threaded.next().has_value());
}

TEST(DataLoaderTest, SlowWorkersStillDeliverInOrder) {
  RangeDataset dataset(24);
  dataset.slow_below = 12;  // the first half of the examples is slow: later batches finish first
  dataset.slow_ms = 5;
  DataLoader serial(dataset, options(2, false, 1, 0));
  DataLoader threaded(dataset, options(2, false, 1, 3));
  EXPECT_EQ(run_epoch(serial, 1), run_epoch(threaded, 1));
}

TEST(DataLoaderTest, WorkerExceptionIsRethrownByNext) {
  RangeDataset dataset(40);
  dataset.bad_index = 17;
  auto loader = std::make_unique<DataLoader>(dataset, options(4, false, 42, 3));
  loader->start_epoch(1);
  std::string message;
  size_t delivered = 0;
  try {
    while (auto batch = loader->next()) ++delivered;
    FAIL() << "the epoch ended without rethrowing the worker's exception";
  } catch (const BadInput& e) {
    message = e.what();
  }
  EXPECT_EQ(message, "example 17 is broken") << "the original exception (type and message) must come through";
  EXPECT_LE(delivered, 4u) << "batch 4 (examples 16..19) cannot have been delivered";
  // The loader can be destroyed cleanly (workers joined) after the error.
  loader.reset();
  SUCCEED();
}

TEST(DataLoaderTest, WorkerExceptionCanBeFollowedByANewEpoch) {
  RangeDataset dataset(12);
  dataset.bad_index = 5;
  DataLoader loader(dataset, options(2, false, 42, 2));
  loader.start_epoch(1);
  EXPECT_THROW({ while (loader.next()) {} }, BadInput);
  // start_epoch clears the error: a new epoch that skips the broken example runs normally.
  loader.start_epoch(2, 3);  // batches 3.. = examples 6..11, none broken
  std::vector<std::vector<int64_t>> rest;
  while (auto batch = loader.next()) rest.push_back(indices_of(*batch));
  const std::vector<std::vector<int64_t>> expected = {{6, 7}, {8, 9}, {10, 11}};
  EXPECT_EQ(rest, expected);
}

TEST(DataLoaderTest, SerialExceptionPropagatesFromNext) {
  RangeDataset dataset(10);
  dataset.bad_index = 3;
  DataLoader loader(dataset, options(2, false, 42, 0));
  loader.start_epoch(1);
  ASSERT_TRUE(loader.next().has_value());  // examples 0, 1
  EXPECT_THROW(loader.next(), BadInput);   // examples 2, 3
}

// With workers, the batches before a failing one are still delivered, in order, before the error: the
// worker count changes speed, never what the caller sees.
TEST(DataLoaderTest, WorkerErrorInALaterBatchDoesNotPreemptEarlierBatches) {
  RangeDataset dataset(8);
  dataset.bad_index = 2;   // batch 2 fails at once...
  dataset.slow_below = 2;  // ...while batches 0 and 1 take a while
  dataset.slow_ms = 100;
  DataLoader loader(dataset, options(1, false, 42, 3));
  loader.start_epoch(1);
  std::vector<int64_t> delivered;
  try {
    while (auto batch = loader.next()) delivered.push_back(indices_of(*batch)[0]);
    FAIL() << "no exception";
  } catch (const BadInput& e) {
    EXPECT_STREQ(e.what(), "example 2 is broken");
  }
  EXPECT_EQ(delivered, (std::vector<int64_t>{0, 1}))
      << "workers=3 must deliver the same batches before the failure as workers=0";
}

TEST(DataLoaderTest, DestroyingALoaderWithPendingWorkersDoesNotHang) {
  RangeDataset dataset(1000);
  {
    DataLoader loader(dataset, options(2, true, 42, 3));
    loader.start_epoch(1);
    ASSERT_TRUE(loader.next().has_value());
    // Workers are blocked on the prefetch limit: the destructor must wake and join them.
  }
  EXPECT_LT(dataset.calls.load(), 1000) << "workers must prefetch a bounded number of batches";
}

TEST(DataLoaderTest, CollateStacksEveryKey) {
  RangeDataset dataset(5);
  std::vector<TensorMap> examples = {dataset.get(4), dataset.get(1), dataset.get(3)};
  TensorMap batch = dataset.collate(examples);
  ASSERT_EQ(batch.size(), 2u);
  const at::Tensor index = batch.at("index");
  const at::Tensor value = batch.at("value");
  EXPECT_EQ(index.sizes(), (std::vector<int64_t>{3}));
  EXPECT_EQ(index.scalar_type(), at::kLong);
  EXPECT_EQ(value.sizes(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(value.scalar_type(), at::kFloat);
  EXPECT_TRUE(index.equal(at::tensor({4, 1, 3}, at::kLong)));
  EXPECT_TRUE(value.equal(at::tensor({4.f, 8.f, 1.f, 2.f, 3.f, 6.f}, at::kFloat).view({3, 2})));

  // Loader batches are collated the same way.
  DataLoader loader(dataset, options(5, false));
  loader.start_epoch(1);
  auto full = loader.next();
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->at("value").sizes(), (std::vector<int64_t>{5, 2}));
  EXPECT_TRUE(full->at("index").equal(at::arange(5, at::kLong)));
}

TEST(DataLoaderTest, CollateRejectsEmptyAndMismatchedBatches) {
  RangeDataset dataset(2);
  EXPECT_THROW(dataset.collate({}), RuntimeFailure);
  TensorMap first = dataset.get(0);
  TensorMap second = dataset.get(1);
  second.erase("value");
  EXPECT_THROW(dataset.collate({first, second}), RuntimeFailure);
}

}  // namespace
}  // namespace hezar
