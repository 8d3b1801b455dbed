// Data-parallel training across processes with torch.distributed's c10d: a TCPStore (rank 0 serves it)
// for rendezvous and ProcessGroupGloo for collectives (CPU; this LibTorch build has no NCCL or MPI).
//
// One process per rank, as torchrun: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT in the
// environment (`hezar train --nproc-per-node N` sets them for its children). Every collective here turns
// c10d/Gloo failures (a peer that died, a timeout, a port in use) into one-line hezar errors naming this
// rank; the timeout (HEZAR_DIST_TIMEOUT seconds, default 60) bounds how long survivors wait for a peer
// that hangs. A peer that dies is noticed at once on its closed connection.
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace c10d {
class ProcessGroup;
class Store;
class Work;
}  // namespace c10d

namespace torch::autograd {
struct Node;
}

namespace hezar {

struct DistributedEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// The torchrun variables of this process; nullopt when WORLD_SIZE is not set. Malformed values are BadInput.
std::optional<DistributedEnv> distributed_env();

// True when `host` names this machine's loopback ("127.x.y.z", "localhost", "::1").
bool is_loopback(const std::string& host);

// BadInput "port P on HOST is already in use ..." when a listening socket cannot be bound there.
void check_port_free(const std::string& host, int port);
// A port the OS considers free now (bind to port 0).
int pick_free_port(const std::string& host);

class Distributed {
 public:
  // Joins the group (blocking until every rank has joined or the timeout passes) and makes it the
  // process's group, returned by get() from then on.
  static Distributed& init(const DistributedEnv& env);
  // The process's group, or nullptr in a single-process run.
  static Distributed* get();

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  bool is_main() const { return env_.rank == 0; }

  // Rank 0's values into `tensors` on every rank (in place).
  void broadcast(std::vector<at::Tensor> tensors, const char* what);
  // Element-wise sum over ranks, in place.
  void all_reduce_sum(at::Tensor& tensor, const char* what);
  // The same, started in the background: wait(work, what) before reading `tensor`. Collectives run in
  // the order they are started, which must be the same on every rank.
  c10::intrusive_ptr<c10d::Work> all_reduce_sum_async(at::Tensor& tensor, const char* what);
  // Every rank's `values` (of any length), concatenated in rank order, on every rank.
  std::vector<int64_t> all_gather(const std::vector<int64_t>& values, const char* what);
  void barrier(const char* what);

  // Throws RuntimeFailure "rank R: WHAT failed: CAUSE".
  [[noreturn]] void fail(const char* what, const std::string& cause) const;
  // Waits for `work`; a failure becomes fail(what, its first line).
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what);

  c10d::ProcessGroup& group() { return *group_; }

  ~Distributed();

 private:
  explicit Distributed(const DistributedEnv& env);
  DistributedEnv env_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
};

// The first line of an exception's message, without c10's backtrace.
std::string exception_line(const std::exception& e);

// Gradient all-reduce as DistributedDataParallel does it: parameters are grouped into buckets (in
// reverse order, the order backward produces their gradients: a 1 MB first bucket, then up to
// `bucket_bytes`); a hook on each parameter's gradient accumulator marks it ready, and a bucket whose
// gradients are all ready (and all earlier buckets launched) is flattened and all-reduced
// asynchronously while backward goes on. finish() launches what is left (unused parameters, a rank
// without examples), waits, and writes the mean over ranks into every .grad.
//
// With gradient accumulation only the step's last backward communicates (set_sync(true) before it,
// set_sync(false) before the others: DDP's no_sync), so the result is the mean over ranks of each
// rank's accumulated gradient.
class GradientSync {
 public:
  GradientSync(Distributed& dist, std::vector<at::Tensor> params, size_t bucket_bytes = 25u << 20);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  void set_sync(bool sync);
  void finish();

  size_t num_buckets() const { return buckets_.size(); }
  size_t bytes_per_step() const { return bytes_; }
  // Totals over finish() calls: steps, seconds blocked waiting for all-reduces, seconds from the first
  // launch to the end of the wait (communication time seen by the step).
  int64_t steps() const { return steps_; }
  double wait_seconds() const { return wait_seconds_; }
  double comm_seconds() const { return comm_seconds_; }

  void mark_ready(size_t param_index);  // called by the accumulator hooks

 private:
  struct Bucket {
    std::vector<size_t> params;
    at::Tensor flat;
    size_t ready = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  void launch(size_t bucket);

  Distributed& dist_;
  std::vector<at::Tensor> params_;
  std::vector<size_t> bucket_of_, offset_of_;
  std::vector<Bucket> buckets_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::vector<uintptr_t> hook_keys_;
  std::vector<bool> ready_;
  size_t next_launch_ = 0, bytes_ = 0;
  bool sync_ = false;
  std::chrono::steady_clock::time_point first_launch_;
  bool launched_any_ = false;
  int64_t steps_ = 0;
  double wait_seconds_ = 0, comm_seconds_ = 0;
};

}  // namespace hezar
