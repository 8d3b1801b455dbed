// Pushing a folder to the Hub with the protocol huggingface_hub uses without hf_xet: create repo,
// preupload (the server decides regular vs LFS), LFS batch (basic or multipart, then verify), and one
// NDJSON commit with base64 regular files and LFS pointers.
#pragma once

#include <string>
#include <vector>

#include "hub/hub-types.h"

namespace hezar::hub {

struct PushOptions {
  bool private_repo = false;
  std::string message;  // "" -> "Upload folder using hezar"
  bool create_pr = false;
};

struct PushResult {
  std::string commit;   // the new commit, or the current head when nothing changed
  std::string commit_url, pr_url;
  size_t uploaded = 0, unchanged = 0, lfs_files = 0;
};

// The files of `dir` to push, relative paths. A trained Hezar output (model_config.yaml at the top)
// pushes what Hezar's Model.push_to_hub does: the config, the weights and preprocessor/; any other
// folder pushes every file except .git/ and .cache/huggingface/.
std::vector<std::string> push_file_list(const std::string& dir);

PushResult push_folder(const std::string& dir, const RepoRef& repo, const PushOptions& options);

}  // namespace hezar::hub
