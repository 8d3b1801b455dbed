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
  // Remote files matching these globs (huggingface_hub's upload_folder delete_patterns, matched as
  // --include) are deleted in the same commit, except .gitattributes and the files being pushed.
  std::vector<std::string> delete_patterns;
};

struct PushResult {
  std::string commit;   // the new commit, or the current head when nothing changed
  std::string commit_url, pr_url;
  size_t uploaded = 0, unchanged = 0, lfs_files = 0, deleted = 0;
  bool created_branch = false;
};

// The files of `dir` to push, relative paths. A trained Hezar output (model_config.yaml at the top)
// pushes what Hezar's Model.push_to_hub does: the config, the weights and preprocessor/; any other
// folder pushes every file except .git/ and .cache/huggingface/.
std::vector<std::string> push_file_list(const std::string& dir);

// Like `huggingface-cli upload --revision B`: unless a pull request is asked for, a branch B that does not
// exist yet is created from the default branch before anything is uploaded.
PushResult push_folder(const std::string& dir, const RepoRef& repo, const PushOptions& options);

}  // namespace hezar::hub
