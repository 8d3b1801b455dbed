// Batches a Dataset in a seeded, resumable order, assembling batches on worker threads ahead of use.
//
// The order of an epoch depends only on (seed, epoch), so a run resumed at batch k of an epoch sees the
// same remaining batches as an uninterrupted run. Batches come out in order whatever the worker count.
//
// Distributed sharding (world_size > 1): batch i of an epoch is the global batch of batch_size x
// world_size examples at [i*B*W, (i+1)*B*W) of the (seed, epoch) order, split in rank order; rank r gets
// its B examples at [i*B*W + r*B, i*B*W + (r+1)*B). So W processes x batch B see exactly the batches of
// 1 process x batch B*W, every rank has the same number of batches (resume starts every rank at the same
// global batch), and nothing is dropped: a short last global batch of n examples is split as evenly as
// possible (the first n % W ranks get one more), and a rank left with no example gets an empty TensorMap.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/dataset.h"

namespace hezar {

struct DataLoaderOptions {
  size_t batch_size = 1;
  bool shuffle = true;
  uint64_t seed = 42;
  size_t num_workers = 0;  // 0 = build batches on the calling thread
  bool drop_last = false;
  size_t rank = 0, world_size = 1;  // this process's shard of each global batch
};

class DataLoader {
 public:
  DataLoader(const Dataset& dataset, DataLoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Global batches per epoch (the same on every rank).
  size_t num_batches() const;
  // Starts `epoch`, skipping its first `start_batch` batches (for resuming); tells the dataset the epoch
  // (Dataset::set_epoch) before any batch of it is built.
  void start_epoch(int64_t epoch, size_t start_batch = 0);
  // The next batch of the epoch, or nullopt at its end. Errors from workers are rethrown here.
  std::optional<TensorMap> next();
  // Examples in the global batch last returned by next() (all ranks' shards together).
  size_t last_global_batch_size() const { return last_global_size_; }
  // Examples of global batch `batch_index`: [begin, end) in the epoch order, and this rank's part of it.
  std::pair<size_t, size_t> global_range(size_t batch_index) const;
  std::pair<size_t, size_t> shard_range(size_t batch_index) const;

  // The sample order of an epoch (exposed for tests and distributed sharding).
  std::vector<size_t> epoch_order(int64_t epoch) const;

 private:
  TensorMap make_batch(size_t batch_index) const;
  void stop_workers();
  void worker_loop();

  const Dataset& dataset_;
  DataLoaderOptions options_;
  std::vector<size_t> order_;
  size_t next_batch_ = 0;     // next batch handed to the caller
  size_t next_claim_ = 0;     // next batch a worker will build
  size_t end_batch_ = 0;
  size_t last_global_size_ = 0;
  std::map<size_t, TensorMap> ready_;
  std::exception_ptr error_;  // of batch error_batch_, the earliest failing one
  size_t error_batch_ = 0;
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
};

}  // namespace hezar
