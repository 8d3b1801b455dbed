#include "data/data_loader.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.h"

namespace hezar {

DataLoader::DataLoader(const Dataset& dataset, DataLoaderOptions options)
    : dataset_(dataset), options_(options) {
  HEZAR_CHECK_INPUT(options_.batch_size > 0, "batch_size must be positive");
  HEZAR_CHECK_INPUT(options_.world_size > 0 && options_.rank < options_.world_size, "data loader rank ",
                    options_.rank, " is not below world size ", options_.world_size);
}

DataLoader::~DataLoader() { stop_workers(); }

size_t DataLoader::num_batches() const {
  const size_t n = dataset_.size(), b = options_.batch_size * options_.world_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<size_t> DataLoader::epoch_order(int64_t epoch) const {
  std::vector<size_t> order(dataset_.size());
  std::iota(order.begin(), order.end(), 0);
  if (!options_.shuffle) return order;
  // Our own Fisher-Yates over mt19937_64: std::shuffle's result differs between standard libraries.
  std::mt19937_64 rng(options_.seed * 1000003ULL + static_cast<uint64_t>(epoch));
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return order;
}

std::pair<size_t, size_t> DataLoader::global_range(size_t batch_index) const {
  const size_t global = options_.batch_size * options_.world_size;
  const size_t begin = batch_index * global;
  return {begin, std::min(dataset_.size(), begin + global)};
}

std::pair<size_t, size_t> DataLoader::shard_range(size_t batch_index) const {
  const auto [begin, end] = global_range(batch_index);
  const size_t n = end - begin, w = options_.world_size, r = options_.rank;
  // Full batches: B each. A short last batch: n / W each, one more for the first n % W ranks.
  const size_t base = n / w, extra = n % w;
  const size_t start = begin + r * base + std::min(r, extra);
  return {start, start + base + (r < extra ? 1 : 0)};
}

TensorMap DataLoader::make_batch(size_t batch_index) const {
  const auto [begin, end] = shard_range(batch_index);
  if (begin == end) return {};  // a short last global batch left this rank nothing
  return dataset_.get_batch(std::vector<size_t>(order_.begin() + begin, order_.begin() + end));
}

void DataLoader::start_epoch(int64_t epoch, size_t start_batch) {
  stop_workers();
  dataset_.set_epoch(epoch);
  order_ = epoch_order(epoch);
  end_batch_ = num_batches();
  next_batch_ = next_claim_ = std::min(start_batch, end_batch_);
  ready_.clear();
  error_ = nullptr;
  stopping_ = false;
  for (size_t i = 0; i < options_.num_workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void DataLoader::worker_loop() {
  const size_t prefetch = 2 * options_.num_workers;
  while (true) {
    size_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || next_claim_ >= end_batch_ || next_claim_ < next_batch_ + prefetch; });
      if (stopping_ || next_claim_ >= end_batch_) return;
      index = next_claim_++;
    }
    TensorMap batch;
    std::exception_ptr error;
    try {
      batch = make_batch(index);
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (error && (!error_ || index < error_batch_)) {
      error_ = error;
      error_batch_ = index;
    }
    ready_[index] = std::move(batch);
    cv_.notify_all();
  }
}

std::optional<TensorMap> DataLoader::next() {
  if (next_batch_ >= end_batch_) return std::nullopt;
  {
    const auto [begin, end] = global_range(next_batch_);
    last_global_size_ = end - begin;
  }
  if (workers_.empty()) return make_batch(next_batch_++);
  std::unique_lock<std::mutex> lock(mutex_);
  // A failed batch is marked ready too, so earlier good batches are delivered before its error.
  cv_.wait(lock, [&] { return ready_.count(next_batch_) > 0; });
  if (error_ && error_batch_ == next_batch_) {
    std::exception_ptr error = error_;
    lock.unlock();
    stop_workers();
    std::rethrow_exception(error);
  }
  TensorMap batch = std::move(ready_[next_batch_]);
  ready_.erase(next_batch_++);
  cv_.notify_all();
  return batch;
}

void DataLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

}  // namespace hezar
