// The Hugging Face Hub client: pulls repos into the huggingface_hub cache layout (shared with Python),
// resolves them offline, and turns a Hub id given where a local folder is expected into that folder.
#pragma once

#include <string>

#include "hub/hub-types.h"

namespace hezar::hub {

// Downloads the selected files of a repo revision into the cache (or options.local_dir) and returns the
// snapshot folder. Offline (HF_HUB_OFFLINE) or when the Hub cannot be reached, resolves the revision from
// refs/ and snapshots/ instead, refusing a snapshot the tree cache shows to be incomplete.
std::string snapshot_download(const RepoRef& repo, const PullOptions& options = {});

// One file (HEAD metadata, then the blob), as hf_hub_download; returns its path in the snapshot.
std::string hub_download_file(const RepoRef& repo, const std::string& filename);

// True for strings shaped like a Hub repo id ("name" or "namespace/name", optionally "@revision") that
// are not an existing local path.
bool looks_like_repo_id(const std::string& text);

// A local folder as is; else a Hub id ("org/name" or "org/name@revision") pulled (or resolved from the
// cache) and its snapshot folder returned. `type` is the repo type to use for ids.
std::string hub_resolve_dir(const std::string& path_or_repo_id, RepoType type);
std::string hub_resolve_model_dir(const std::string& path_or_repo_id);

}  // namespace hezar::hub
