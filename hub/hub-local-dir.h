// huggingface_hub's local_dir mode: plain files in a folder (no symlinks), with per-file metadata in
// <dir>/.cache/huggingface/download/<path>.metadata ("commit\netag\ntimestamp\n").
#pragma once

#include <string>

#include "hub/hub-cache.h"

namespace hezar::hub {

// Downloads `files` of `commit` into `dir`, skipping those whose metadata already has the same etag.
std::string download_to_local_dir(const RepoRef& repo, const std::string& commit, const TreeFiles& files,
                                  const std::string& dir);

}  // namespace hezar::hub
