// The small value types of the Hub client.
#pragma once

#include <string>
#include <vector>

namespace hezar::hub {

enum class RepoType { kModel, kDataset, kSpace };

RepoType parse_repo_type(const std::string& name);  // "model", "dataset", "space"; BadInput otherwise
std::string repo_type_name(RepoType type);          // "model", ...
std::string repo_type_url_prefix(RepoType type);    // "", "datasets/", "spaces/"

struct RepoRef {
  std::string repo_id;
  RepoType type = RepoType::kModel;
  std::string revision = "main";
  std::string describe() const;  // "model 'org/name'"
};

struct PullOptions {
  std::vector<std::string> include, exclude;  // globs, as huggingface_hub's allow/ignore patterns
  std::string local_dir;                      // "": the shared cache; else plain files in this folder
};

}  // namespace hezar::hub
