// Hub commands: pull, push, login, logout, whoami.
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "hub/hub-auth.h"
#include "hub/hub-cache.h"
#include "hub/hub-env.h"
#include "hub/hub-upload.h"
#include "hub/hub.h"

namespace hezar::cli {

namespace {
void add_pull(CLI::App& app) {
  auto* cmd = app.add_subcommand("pull", "Download a model or dataset repo from the Hugging Face Hub into the cache");
  static std::string repo_id, revision = "main", repo_type = "model", local_dir;
  static std::vector<std::string> include, exclude, files;
  static bool quiet = false;
  cmd->add_option("repo_id", repo_id, "Hub repo id, e.g. hezarai/bert-fa-sentiment-dksf")->required();
  cmd->add_option("files", files, "only these files (as hf_hub_download: one path printed per file)");
  cmd->add_option("--revision", revision, "branch, tag or commit")->capture_default_str();
  cmd->add_option("--repo-type", repo_type, "model or dataset")->capture_default_str();
  cmd->add_option("--include", include, "only files matching this glob (repeatable; '*' matches '/' too)");
  cmd->add_option("--exclude", exclude, "skip files matching this glob (repeatable)");
  cmd->add_option("--local-dir", local_dir, "plain files in this folder instead of the shared cache");
  cmd->add_flag("--quiet", quiet, "print only the snapshot path");
  cmd->callback([] {
    if (quiet && spdlog::get_level() == spdlog::level::info) spdlog::set_level(spdlog::level::warn);
    hub::RepoRef repo;
    repo.repo_id = repo_id;
    repo.type = hub::parse_repo_type(repo_type);
    repo.revision = revision;
    HEZAR_CHECK_INPUT(!revision.empty(), "--revision must not be empty");
    if (!files.empty()) {
      HEZAR_CHECK_INPUT(include.empty() && exclude.empty() && local_dir.empty(),
                        "give either FILES or --include/--exclude/--local-dir, not both");
      for (const auto& file : files) std::printf("%s\n", hub::hub_download_file(repo, file).c_str());
      return;
    }
    hub::PullOptions options{include, exclude, local_dir};
    const std::string path = hub::snapshot_download(repo, options);
    if (!quiet) std::fprintf(stderr, "pulled %s (%s) to:\n", repo.describe().c_str(), revision.c_str());
    std::printf("%s\n", path.c_str());
  });
}

void add_push(CLI::App& app) {
  auto* cmd = app.add_subcommand("push", "Upload a folder (a trained model output, or any files) to a Hub repo");
  static std::string local_dir, repo_id, message, revision = "main", repo_type = "model";
  static bool private_repo = false, create_pr = false;
  static std::vector<std::string> delete_patterns;
  cmd->add_option("local_dir", local_dir, "folder to push (a model output pushes its config, weights and preprocessor/)")
      ->required();
  cmd->add_option("repo_id", repo_id, "Hub repo id, e.g. my-user/my-model (created if missing)")->required();
  cmd->add_flag("--private", private_repo, "create the repo as private");
  cmd->add_option("--message", message, "commit message (default: \"Upload folder using hezar\")");
  cmd->add_option("--revision", revision, "branch to commit to (created from the default branch if missing)")
      ->capture_default_str();
  cmd->add_option("--repo-type", repo_type, "model or dataset")->capture_default_str();
  cmd->add_flag("--create-pr", create_pr, "open a pull request instead of committing to the branch");
  cmd->add_option("--delete", delete_patterns,
                  "delete remote files matching this glob in the same commit (repeatable; never .gitattributes "
                  "or pushed files; as huggingface_hub's delete_patterns)");
  cmd->callback([] {
    hub::RepoRef repo{repo_id, hub::parse_repo_type(repo_type), revision};
    hub::repo_folder_name(repo_id, repo.type);  // validates the id before any request
    hub::PushOptions options{private_repo, message, create_pr, delete_patterns};
    hub::PushResult result = hub::push_folder(local_dir, repo, options);
    if (result.created_branch)
      std::fprintf(stderr, "created branch '%s' in %s\n", revision.c_str(), repo.describe().c_str());
    if (result.uploaded == 0 && result.deleted == 0) {
      std::fprintf(stderr, "nothing changed: %s is up to date\n", repo.describe().c_str());
    } else {
      std::fprintf(stderr, "pushed %zu files (%zu via LFS, %zu unchanged), deleted %zu, to %s\n", result.uploaded,
                   result.lfs_files, result.unchanged, result.deleted, repo.describe().c_str());
    }
    std::printf("%s\n", !result.pr_url.empty() ? result.pr_url.c_str()
                         : !result.commit_url.empty() ? result.commit_url.c_str() : result.commit.c_str());
  });
}

std::string read_token_from_stdin() {
  const bool tty = ::isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::fprintf(stderr, "Hub access token (input hidden): ");
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet_echo = saved;
    quiet_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet_echo);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  return hub::clean_token_input(line);
}

void add_auth(CLI::App& app) {
  auto* login = app.add_subcommand("login", "Store a Hub access token (read from stdin, or prompted) where huggingface_hub keeps it");
  login->callback([] {
    const std::string token = read_token_from_stdin();
    const std::string name = hub::whoami(token);
    const std::string path = hub::store_token(token);
    std::fprintf(stderr, "logged in to %s as %s; token saved to %s\n", hub::hub_endpoint().c_str(), name.c_str(),
                 path.c_str());
  });
  auto* logout = app.add_subcommand("logout", "Remove the stored Hub token");
  logout->callback([] {
    const bool removed = hub::delete_token();
    std::fprintf(stderr, "%s %s\n", removed ? "removed" : "no token stored at", hub::token_path().c_str());
    if (!hub::env_or_empty("HF_TOKEN").empty())
      std::fprintf(stderr, "note: HF_TOKEN is set in the environment and is still used\n");
  });
  auto* who = app.add_subcommand("whoami", "Print the Hub account of the current token");
  who->callback([] { std::printf("%s\n", hub::whoami(hub::hub_token(true)).c_str()); });
}
}  // namespace

void add_hub_commands(CLI::App& app) {
  add_pull(app);
  add_push(app);
  add_auth(app);
}

}  // namespace hezar::cli
