// DataLoader sharding for distributed training: W ranks x batch B see exactly the batches of 1 process x
// batch B*W, without overlap or loss, at every resume point and whatever the worker count.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <vector>

#include "data/data_loader.h"

namespace hezar {
namespace {

struct RangeConfig : Config {
  HEZAR_CONFIG(RangeConfig, "test_range", "test_dataset")
  int size = 0;
  void visit(FieldVisitor& v) override { v("size", size); }
};

class RangeDataset : public Dataset {
 public:
  explicit RangeDataset(size_t n) { config_.size = static_cast<int>(n); }
  const Config& config() const override { return config_; }
  size_t size() const override { return static_cast<size_t>(config_.size); }
  TensorMap get(size_t index) const override {
    return {{"index", at::scalar_tensor(static_cast<int64_t>(index), at::kLong)}};
  }

 private:
  RangeConfig config_;
};

std::vector<int64_t> indices_of(const TensorMap& batch) {
  if (batch.empty()) return {};
  const at::Tensor t = batch.at("index").contiguous();
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

DataLoaderOptions options(size_t batch_size, size_t rank, size_t world, size_t workers = 0) {
  DataLoaderOptions o;
  o.batch_size = batch_size;
  o.seed = 7;
  o.num_workers = workers;
  o.rank = rank;
  o.world_size = world;
  return o;
}

// Each batch of an epoch from `start`: the example indices and the global batch size reported.
std::vector<std::pair<std::vector<int64_t>, size_t>> epoch(DataLoader& loader, int64_t e, size_t start = 0) {
  loader.start_epoch(e, start);
  std::vector<std::pair<std::vector<int64_t>, size_t>> batches;
  while (auto batch = loader.next()) batches.emplace_back(indices_of(*batch), loader.last_global_batch_size());
  return batches;
}

TEST(DataLoaderShard, RanksTogetherSeeTheBatchesOfOneProcessWithWTimesTheBatch) {
  for (size_t n : {1, 2, 5, 11, 24, 25, 26, 100}) {
    for (size_t world : {2, 3}) {
      for (size_t start : {0, 1}) {
        RangeDataset dataset(n);
        const size_t b = 4;
        DataLoader single(dataset, options(b * world, 0, 1));
        const auto expected = epoch(single, 3, start);
        std::vector<std::vector<std::pair<std::vector<int64_t>, size_t>>> ranks;
        for (size_t r = 0; r < world; ++r) {
          DataLoader loader(dataset, options(b, r, world, r % 2));  // with and without worker threads
          EXPECT_EQ(loader.num_batches(), single.num_batches());
          ranks.push_back(epoch(loader, 3, start));
          ASSERT_EQ(ranks.back().size(), expected.size()) << "n " << n << " world " << world;
        }
        for (size_t i = 0; i < expected.size(); ++i) {
          std::vector<int64_t> joined;
          size_t smallest = b, largest = 0;
          for (size_t r = 0; r < world; ++r) {
            const auto& [indices, global] = ranks[r][i];
            EXPECT_EQ(global, expected[i].first.size());
            smallest = std::min(smallest, indices.size());
            largest = std::max(largest, indices.size());
            joined.insert(joined.end(), indices.begin(), indices.end());
          }
          EXPECT_LE(largest, b);
          EXPECT_LE(largest - smallest, 1u);  // a short last batch is split evenly
          EXPECT_EQ(joined, expected[i].first) << "n " << n << " world " << world << " batch " << i;
        }
      }
    }
  }
}

TEST(DataLoaderShard, ARankWithoutExamplesGetsAnEmptyBatch) {
  RangeDataset dataset(9);  // batches of 2 x 4: 8, then 1 example for rank 0 and none for rank 1
  DataLoader rank1(dataset, options(4, 1, 2));
  const auto batches = epoch(rank1, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].first.size(), 4u);
  EXPECT_TRUE(batches[1].first.empty());
  EXPECT_EQ(batches[1].second, 1u);
}

TEST(DataLoaderShard, RejectsARankOutsideTheWorld) {
  RangeDataset dataset(4);
  EXPECT_THROW(DataLoader(dataset, options(2, 2, 2)), BadInput);
}

}  // namespace
}  // namespace hezar
