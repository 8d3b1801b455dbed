#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "cli/commands.h"
#include "core/error.h"
#include "trainer/distributed.h"
#include "trainer/train_job.h"

extern char** environ;

namespace hezar::cli {

namespace {

struct LaunchOptions {
  int nproc_per_node = 0, nnodes = 1, node_rank = 0, master_port = 0;
  std::string master_addr;
};

// The options only the launcher reads; its children get every other argument unchanged.
const std::vector<std::string> kLauncherOptions = {"--nproc-per-node", "--nnodes", "--node-rank", "--master-addr",
                                                   "--master-port"};

std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == '\0') {
      args.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  HEZAR_CHECK(!args.empty(), "cannot read this process's arguments from /proc/self/cmdline");
  return args;
}

std::vector<std::string> child_arguments() {
  std::vector<std::string> in = own_arguments(), out;
  for (size_t i = 0; i < in.size(); ++i) {
    bool skip = false;
    for (const auto& option : kLauncherOptions) {
      if (in[i] == option) {
        skip = true;
        ++i;  // and its value
      } else if (in[i].rfind(option + "=", 0) == 0) {
        skip = true;
      }
      if (skip) break;
    }
    if (!skip) out.push_back(in[i]);
  }
  return out;
}

std::atomic<int> g_launcher_signal{0};
extern "C" void on_launcher_signal(int signal) { g_launcher_signal = signal; }

std::string describe(int status) {
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return detail::concat("was killed by signal ", signal, " (", strsignal(signal), ")");
  }
  const int code = WEXITSTATUS(status);
  if (code > 128 && code < 128 + 32)  // a rank that stopped on SIGINT/SIGTERM after saving (see Trainer)
    return detail::concat("stopped on signal ", code - 128, " (exit code ", code, ")");
  return detail::concat("failed with exit code ", code);
}

// Runs N copies of this command as ranks node_rank*N .. node_rank*N+N-1 and waits for them. When one
// fails, the others are stopped (SIGTERM, then SIGKILL after a grace period) and the failure is reported.
int launch(const LaunchOptions& o) {
  const int world = o.nproc_per_node * o.nnodes;
  const std::vector<std::string> args = child_arguments();
  std::vector<std::string> base_env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (name != "RANK" && name != "WORLD_SIZE" && name != "LOCAL_RANK" && name != "LOCAL_WORLD_SIZE" &&
        name != "MASTER_ADDR" && name != "MASTER_PORT" && name != "GROUP_RANK")
      base_env.push_back(entry);
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  struct sigaction action {}, old_int {}, old_term {};
  action.sa_handler = on_launcher_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  spdlog::info("launching {} processes (ranks {}..{} of {}), rendezvous at {}:{}", o.nproc_per_node,
               o.node_rank * o.nproc_per_node, (o.node_rank + 1) * o.nproc_per_node - 1, world, o.master_addr,
               o.master_port);
  std::vector<pid_t> pids(o.nproc_per_node, -1);
  std::vector<int> statuses(o.nproc_per_node, 0);
  const pid_t launcher = getpid();
  for (int local = 0; local < o.nproc_per_node; ++local) {
    const int rank = o.node_rank * o.nproc_per_node + local;
    std::vector<std::string> env = base_env;
    env.push_back("RANK=" + std::to_string(rank));
    env.push_back("GROUP_RANK=" + std::to_string(o.node_rank));
    env.push_back("WORLD_SIZE=" + std::to_string(world));
    env.push_back("LOCAL_RANK=" + std::to_string(local));
    env.push_back("LOCAL_WORLD_SIZE=" + std::to_string(o.nproc_per_node));
    env.push_back("MASTER_ADDR=" + o.master_addr);
    env.push_back("MASTER_PORT=" + std::to_string(o.master_port));
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const pid_t pid = fork();
    HEZAR_CHECK(pid >= 0, "cannot start rank ", rank, ": fork failed: ", std::strerror(errno));
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphaned ranks if the launcher is killed
      if (getppid() != launcher) _exit(1);
      sigaction(SIGINT, &old_int, nullptr);
      sigaction(SIGTERM, &old_term, nullptr);
      execve("/proc/self/exe", argv.data(), envp.data());
      std::fprintf(stderr, "error: cannot start rank %d: %s\n", rank, std::strerror(errno));
      _exit(1);
    }
    pids[local] = pid;
  }

  int running = o.nproc_per_node, failed = -1, forwarded = 0;
  std::chrono::steady_clock::time_point kill_at{};
  while (running > 0) {
    if (const int signal = g_launcher_signal.exchange(0)) {  // Ctrl-C / SIGTERM: every rank checkpoints and stops
      forwarded = signal;
      for (int i = 0; i < o.nproc_per_node; ++i)
        if (pids[i] > 0) kill(pids[i], signal);
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (int i = 0; i < o.nproc_per_node; ++i) {
        if (pids[i] != pid) continue;
        pids[i] = -1;
        statuses[i] = status;
        --running;
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok && failed < 0 && !forwarded) {
          failed = i;
          for (int j = 0; j < o.nproc_per_node; ++j)
            if (pids[j] > 0) kill(pids[j], SIGTERM);
          kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        }
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (failed >= 0 && std::chrono::steady_clock::now() >= kill_at)
      for (int j = 0; j < o.nproc_per_node; ++j)
        if (pids[j] > 0) kill(pids[j], SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);

  if (failed >= 0) {
    const int rank = o.node_rank * o.nproc_per_node + failed;
    const int status = statuses[failed];
    const int code = WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : kExitRuntime;
    throw Error(detail::concat("rank ", rank, " ", describe(status), "; stopped the other ",
                               o.nproc_per_node - 1, " rank(s) of this node"), code);
  }
  if (forwarded) {
    for (int status : statuses)
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + forwarded;
  }
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a model from a YAML config (model, preprocessor, dataset, trainer)");
  static std::string config_path, output_dir;
  static std::vector<std::string> overrides;
  cmd->add_option("config", config_path, "training config YAML")->required();
  cmd->add_option("--set", overrides, "override a config value: section.key=value (repeatable)");
  cmd->add_option("--output-dir", output_dir, "where to write checkpoints, logs and the model");
  static bool resume = false;
  static std::string resume_from;
  cmd->add_flag("--resume", resume, "resume from the latest checkpoint in the output dir");
  cmd->add_option("--resume-from", resume_from, "resume from this checkpoint folder");
  static LaunchOptions launch_options;
  cmd->add_option("--nproc-per-node", launch_options.nproc_per_node,
                  "distributed data parallel: run N processes on this machine (Gloo over TCP)");
  cmd->add_option("--nnodes", launch_options.nnodes, "machines taking part (default 1)");
  cmd->add_option("--node-rank", launch_options.node_rank, "this machine's index, 0..nnodes-1 (default 0)");
  cmd->add_option("--master-addr", launch_options.master_addr,
                  "address of node 0, where rank 0 serves the rendezvous (default 127.0.0.1)");
  cmd->add_option("--master-port", launch_options.master_port,
                  "rendezvous port on node 0 (default: a free port, single node only)");
  cmd->callback([] {
    std::vector<std::string> all = overrides;
    if (!output_dir.empty()) all.push_back("trainer.output_dir=" + output_dir);
    if (resume) all.push_back("trainer.resume_from_checkpoint=true");
    if (!resume_from.empty()) all.push_back("trainer.resume_from_checkpoint=" + resume_from);
    TrainJobConfig job = train_job_load(config_path, all);  // config errors are reported once, here

    LaunchOptions o = launch_options;
    const bool distributed_options = o.nnodes != 1 || o.node_rank != 0 || !o.master_addr.empty() || o.master_port != 0;
    HEZAR_CHECK_INPUT(o.nproc_per_node > 0 || !distributed_options,
                      "--nnodes, --node-rank, --master-addr and --master-port need --nproc-per-node");
    if (o.nproc_per_node > 0) {
      HEZAR_CHECK_INPUT(o.nproc_per_node <= 1024, "--nproc-per-node must be 1..1024, got ", o.nproc_per_node);
      HEZAR_CHECK_INPUT(o.nnodes >= 1, "--nnodes must be at least 1, got ", o.nnodes);
      HEZAR_CHECK_INPUT(o.node_rank >= 0 && o.node_rank < o.nnodes, "--node-rank must be in 0..", o.nnodes - 1,
                        ", got ", o.node_rank);
      HEZAR_CHECK_INPUT(o.nnodes == 1 || (o.master_port != 0 && !o.master_addr.empty()),
                        "with --nnodes > 1, pass --master-addr and --master-port (the same on every node)");
      if (o.master_addr.empty()) o.master_addr = "127.0.0.1";
      if (o.node_rank == 0) {
        if (o.master_port == 0) o.master_port = pick_free_port(o.master_addr);
        else check_port_free(o.master_addr, o.master_port);
      }
      HEZAR_CHECK_INPUT(o.master_port >= 1 && o.master_port <= 65535, "--master-port must be in 1..65535, got ",
                        o.master_port);
      if (o.nproc_per_node * o.nnodes > 1) {
        const int code = launch(o);
        if (code != 0) throw Error(detail::concat("training stopped (exit code ", code, ")"), code);
        return;
      }
    }

    // A rank of a distributed run (our launcher's child, or torchrun's).
    Distributed* dist = nullptr;
    if (auto env = distributed_env(); env && env->world_size > 1) {
      if (env->rank != 0 && spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
      dist = &Distributed::init(*env);
    }
    try {
      auto results = train_job_run(job);
    } catch (const Error& e) {
      const std::string message = e.what();
      if (!dist || message.rfind("rank ", 0) == 0) throw;
      throw Error(detail::concat("rank ", dist->rank(), ": ", message), e.exit_code());
    }
    if (!dist || dist->is_main()) std::printf("%s\n", job.trainer.output_dir.c_str());
  });
}

}  // namespace hezar::cli
