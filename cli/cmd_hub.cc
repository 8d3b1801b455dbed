// Hub commands: pull, push, login, logout, whoami.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "hub/hub.h"

namespace hezar::cli {

namespace {
void add_pull(CLI::App& app) {
  auto* cmd = app.add_subcommand("pull", "Download a model or dataset repo from the Hugging Face Hub into the cache");
  static std::string repo_id, revision = "main", repo_type = "model", local_dir;
  static std::vector<std::string> include, exclude;
  static bool quiet = false;
  cmd->add_option("repo_id", repo_id, "Hub repo id, e.g. hezarai/bert-fa-sentiment-dksf")->required();
  cmd->add_option("--revision", revision, "branch, tag or commit")->capture_default_str();
  cmd->add_option("--repo-type", repo_type, "model or dataset")->capture_default_str();
  cmd->add_option("--include", include, "only files matching this glob (repeatable; '*' matches '/' too)");
  cmd->add_option("--exclude", exclude, "skip files matching this glob (repeatable)");
  cmd->add_option("--local-dir", local_dir, "plain files in this folder instead of the shared cache");
  cmd->add_flag("--quiet", quiet, "print only the snapshot path");
  cmd->callback([] {
    if (quiet) spdlog::set_level(spdlog::level::warn);
    hub::RepoRef repo;
    repo.repo_id = repo_id;
    repo.type = hub::parse_repo_type(repo_type);
    repo.revision = revision;
    HEZAR_CHECK_INPUT(!revision.empty(), "--revision must not be empty");
    hub::PullOptions options{include, exclude, local_dir};
    const std::string path = hub::snapshot_download(repo, options);
    if (!quiet) std::fprintf(stderr, "pulled %s (%s) to:\n", repo.describe().c_str(), revision.c_str());
    std::printf("%s\n", path.c_str());
  });
}
}  // namespace

void add_hub_commands(CLI::App& app) {
  add_pull(app);
}

}  // namespace hezar::cli
