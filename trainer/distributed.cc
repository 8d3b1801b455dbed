#include "trainer/distributed.h"

#include <arpa/inet.h>
#include <c10/util/Exception.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO  // libtorch_cpu is built with it; the header hides the class otherwise
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace hezar {

namespace {
Distributed* g_group = nullptr;

int env_int(const char* name, int fallback, int min) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  HEZAR_CHECK_INPUT(end && *end == '\0' && parsed >= min && parsed <= 1 << 30, "environment variable ", name,
                    "='", value, "' is not an integer >= ", min);
  return static_cast<int>(parsed);
}

std::chrono::milliseconds timeout() {
  return std::chrono::milliseconds(1000LL * env_int("HEZAR_DIST_TIMEOUT", 60, 1));
}

// A socket bound to host:port (host "" = any address), or -1 with errno set.
int bind_socket(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as TCPStore: TIME_WAIT does not block
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  if (!host.empty() && host != "localhost" && inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    address.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 1) != 0) {
    const int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}
}  // namespace

std::string exception_line(const std::exception& e) {
  std::string text;
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) text = c10_error->what_without_backtrace();
  else text = e.what();
  std::string line = text.substr(0, text.find('\n'));
  // Gloo prefixes its messages with "[/path/to/file.cc:123] ".
  if (line.size() > 1 && line[0] == '[') {
    const size_t close = line.find("] ");
    if (close != std::string::npos && line.find(".cc:") < close) line = line.substr(close + 2);
  }
  return line;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void check_port_free(const std::string& host, int port) {
  HEZAR_CHECK_INPUT(port >= 1 && port <= 65535, "--master-port must be in 1..65535, got ", port);
  // The store listens on every address (as TCPStore does), so probe the wildcard address.
  const int fd = bind_socket("", port);
  if (fd >= 0) {
    close(fd);
    return;
  }
  const int error = errno;
  HEZAR_CHECK_INPUT(false, "port ", port, " on ", host, " is already in use (", std::strerror(error),
                    "); pass another --master-port, or omit it to pick a free one");
}

int pick_free_port(const std::string& host) {
  const int fd = bind_socket(is_loopback(host) ? "127.0.0.1" : "", 0);
  HEZAR_CHECK(fd >= 0, "cannot find a free port for the rendezvous: ", std::strerror(errno));
  sockaddr_in address{};
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::optional<DistributedEnv> distributed_env() {
  if (!std::getenv("WORLD_SIZE")) return std::nullopt;
  DistributedEnv env;
  env.world_size = env_int("WORLD_SIZE", 1, 1);
  env.rank = env_int("RANK", 0, 0);
  env.local_rank = env_int("LOCAL_RANK", env.rank, 0);
  HEZAR_CHECK_INPUT(env.rank < env.world_size, "environment: RANK=", env.rank, " is not below WORLD_SIZE=",
                    env.world_size);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) env.master_addr = addr;
  env.master_port = env_int("MASTER_PORT", 29500, 1);
  HEZAR_CHECK_INPUT(env.master_port <= 65535, "environment: MASTER_PORT=", env.master_port, " is not a port");
  return env;
}

Distributed::Distributed(const DistributedEnv& env) : env_(env) {
  // c10d logs connection retries as warnings while peers start; keep stderr to hezar's own lines.
  if (spdlog::get_level() > spdlog::level::debug) {
    FLAGS_caffe2_log_level = 3;
    FLAGS_minloglevel = 3;  // glog, c10's logging backend in Debian's build
  }
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = env.rank == 0;
  options.numWorkers = env.world_size;
  options.waitWorkers = false;  // the process group's rendezvous waits for everyone
  options.timeout = timeout();
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    store_ = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  } catch (const std::exception& e) {
    const std::string cause = exception_line(e);
    if (env.rank == 0 && cause.find("ddress already in use") != std::string::npos)
      throw BadInput(detail::concat("rank 0: port ", env.master_port, " on ", env.master_addr,
                                    " is already in use; pass another --master-port (or MASTER_PORT)"));
    fail(env.rank == 0 ? "starting the rendezvous store" : "connecting to the rendezvous store",
         where + ": " + cause);
  }
  try {
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout());
    gloo_options->devices.push_back(is_loopback(env.master_addr)
                                        ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                    : std::getenv("GLOO_SOCKET_IFNAME")
                                        ? c10d::ProcessGroupGloo::createDeviceForInterface(std::getenv("GLOO_SOCKET_IFNAME"))
                                        : c10d::ProcessGroupGloo::createDefaultDevice());
    gloo_options->threads = 1;  // one collective runs at a time; 2-core machines have no core to spare
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, env.rank, env.world_size, gloo_options);
  } catch (const std::exception& e) {
    fail("joining the process group", where + ": " + exception_line(e));
  }
}

Distributed::~Distributed() {
  if (g_group == this) g_group = nullptr;
}

Distributed& Distributed::init(const DistributedEnv& env) {
  static std::unique_ptr<Distributed> instance;
  HEZAR_CHECK(!instance, "the process group is already initialised");
  instance.reset(new Distributed(env));
  g_group = instance.get();
  spdlog::debug("rank {}/{} joined the process group at {}:{}", env.rank, env.world_size, env.master_addr,
                env.master_port);
  return *instance;
}

Distributed* Distributed::get() { return g_group; }

void Distributed::fail(const char* what, const std::string& cause) const {
  std::string hint;
  if (cause.find("Connection closed by peer") != std::string::npos ||
      cause.find("Connection reset") != std::string::npos || cause.find("Broken pipe") != std::string::npos)
    hint = " (another rank exited; its error says why)";
  else if (cause.find("imed out") != std::string::npos || cause.find("imeout") != std::string::npos)
    hint = " (another rank stopped responding; raise HEZAR_DIST_TIMEOUT if it is just slow)";
  throw RuntimeFailure(detail::concat("rank ", env_.rank, ": ", what, " failed: ", cause, hint));
}

void Distributed::wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    fail(what, exception_line(e));
  }
}

void Distributed::broadcast(std::vector<at::Tensor> tensors, const char* what) {
  for (auto& tensor : tensors) {
    std::vector<at::Tensor> one{tensor};
    c10::intrusive_ptr<c10d::Work> work;
    try {
      work = group_->broadcast(one);
    } catch (const std::exception& e) {
      fail(what, exception_line(e));
    }
    wait(work, what);
  }
}

c10::intrusive_ptr<c10d::Work> Distributed::all_reduce_sum_async(at::Tensor& tensor, const char* what) {
  std::vector<at::Tensor> one{tensor};
  try {
    return group_->allreduce(one);
  } catch (const std::exception& e) {
    fail(what, exception_line(e));
  }
}

void Distributed::all_reduce_sum(at::Tensor& tensor, const char* what) { wait(all_reduce_sum_async(tensor, what), what); }

std::vector<int64_t> Distributed::all_gather(const std::vector<int64_t>& values, const char* what) {
  const int world = env_.world_size;
  auto gather = [&](const at::Tensor& input) {
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int r = 0; r < world; ++r) outputs[0].push_back(at::empty_like(input));
    std::vector<at::Tensor> inputs{input};
    c10::intrusive_ptr<c10d::Work> work;
    try {
      work = group_->allgather(outputs, inputs);
    } catch (const std::exception& e) {
      fail(what, exception_line(e));
    }
    wait(work, what);
    return outputs[0];
  };
  // Sizes first, then every rank's values padded to the longest.
  const auto sizes = gather(at::full({1}, static_cast<int64_t>(values.size()), at::kLong));
  int64_t longest = 0;
  for (const auto& s : sizes) longest = std::max(longest, s.item<int64_t>());
  at::Tensor padded = at::zeros({std::max<int64_t>(longest, 1)}, at::kLong);
  std::copy(values.begin(), values.end(), padded.data_ptr<int64_t>());
  const auto parts = gather(padded);
  std::vector<int64_t> all;
  for (int r = 0; r < world; ++r) {
    const int64_t n = sizes[r].item<int64_t>();
    const int64_t* data = parts[r].data_ptr<int64_t>();
    all.insert(all.end(), data, data + n);
  }
  return all;
}

void Distributed::barrier(const char* what) {
  c10::intrusive_ptr<c10d::Work> work;
  try {
    work = group_->barrier();
  } catch (const std::exception& e) {
    fail(what, exception_line(e));
  }
  wait(work, what);
}

// ---- GradientSync ----

namespace {
struct ReadyHook : torch::autograd::FunctionPostHook {
  ReadyHook(GradientSync* sync, size_t index) : sync(sync), index(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    sync->mark_ready(index);
    return outputs;
  }
  GradientSync* sync;
  size_t index;
};
}  // namespace

GradientSync::GradientSync(Distributed& dist, std::vector<at::Tensor> params, size_t bucket_bytes)
    : dist_(dist), params_(std::move(params)) {
  const size_t n = params_.size();
  bucket_of_.assign(n, 0);
  offset_of_.assign(n, 0);
  ready_.assign(n, false);
  size_t bucket_bytes_now = 0, limit = std::min<size_t>(bucket_bytes, 1u << 20);
  for (size_t k = n; k-- > 0;) {  // reverse: the order backward finishes gradients in
    const at::Tensor& p = params_[k];
    const size_t bytes = p.numel() * p.element_size();
    const bool new_bucket = buckets_.empty() || bucket_bytes_now + bytes > limit ||
                            params_[buckets_.back().params.front()].scalar_type() != p.scalar_type();
    if (new_bucket) {
      if (!buckets_.empty()) limit = bucket_bytes;
      buckets_.emplace_back();
      bucket_bytes_now = 0;
    }
    Bucket& bucket = buckets_.back();
    bucket_of_[k] = buckets_.size() - 1;
    offset_of_[k] = bucket_bytes_now / p.element_size();
    bucket.params.push_back(k);
    bucket_bytes_now += bytes;
    bytes_ += bytes;
  }
  for (auto& bucket : buckets_) {
    int64_t numel = 0;
    for (size_t k : bucket.params) numel += params_[k].numel();
    bucket.flat = at::zeros({numel}, params_[bucket.params.front()].options().requires_grad(false));
  }
  for (size_t k = 0; k < n; ++k) {
    auto accumulator = torch::autograd::impl::grad_accumulator(params_[k]);
    HEZAR_CHECK(accumulator, "parameter ", k, " does not require grad; cannot synchronise its gradient");
    hook_keys_.push_back(accumulator->add_post_hook(std::make_unique<ReadyHook>(this, k)));
    accumulators_.push_back(std::move(accumulator));
  }
}

GradientSync::~GradientSync() {
  for (size_t k = 0; k < accumulators_.size(); ++k) accumulators_[k]->del_post_hook(hook_keys_[k]);
}

void GradientSync::set_sync(bool sync) { sync_ = sync; }

void GradientSync::mark_ready(size_t k) {
  if (!sync_ || ready_[k]) return;
  ready_[k] = true;
  ++buckets_[bucket_of_[k]].ready;
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].ready == buckets_[next_launch_].params.size())
    launch(next_launch_++);
}

void GradientSync::launch(size_t b) {
  at::NoGradGuard no_grad;
  Bucket& bucket = buckets_[b];
  for (size_t k : bucket.params) {
    at::Tensor slice = bucket.flat.narrow(0, static_cast<int64_t>(offset_of_[k]), params_[k].numel());
    const at::Tensor& grad = params_[k].grad();
    if (grad.defined()) slice.copy_(grad.reshape({-1}));
    else slice.zero_();
  }
  if (!launched_any_) {
    first_launch_ = std::chrono::steady_clock::now();
    launched_any_ = true;
  }
  std::vector<at::Tensor> one{bucket.flat};
  try {
    bucket.work = dist_.group().allreduce(one);
  } catch (const std::exception& e) {
    dist_.fail("the gradient all-reduce", exception_line(e));
  }
}

void GradientSync::finish() {
  at::NoGradGuard no_grad;
  while (next_launch_ < buckets_.size()) launch(next_launch_++);  // unused parameters, no examples here
  const auto wait_start = std::chrono::steady_clock::now();
  for (auto& bucket : buckets_) {
    dist_.wait(bucket.work, "the gradient all-reduce");
    bucket.work.reset();
  }
  const auto end = std::chrono::steady_clock::now();
  wait_seconds_ += std::chrono::duration<double>(end - wait_start).count();
  comm_seconds_ += std::chrono::duration<double>(end - first_launch_).count();
  ++steps_;
  const double world = dist_.world_size();
  for (auto& bucket : buckets_) {
    bucket.flat.div_(world);
    for (size_t k : bucket.params) {
      at::Tensor mean = bucket.flat.narrow(0, static_cast<int64_t>(offset_of_[k]), params_[k].numel()).view_as(params_[k]);
      at::Tensor& grad = params_[k].mutable_grad();
      if (grad.defined()) grad.copy_(mean);
      else grad = mean.clone();
    }
    bucket.ready = 0;
  }
  std::fill(ready_.begin(), ready_.end(), false);
  next_launch_ = 0;
  launched_any_ = false;
  sync_ = false;
}

}  // namespace hezar
