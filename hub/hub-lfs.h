// Local files to push (hashes, sample, upload mode) and the Git LFS batch upload (basic and multipart
// transfers to presigned URLs, then verify).
#pragma once

#include <string>
#include <vector>

#include "hub/hub-types.h"

namespace hezar::hub {

struct LocalFile {
  std::string path;       // relative, '/'-separated
  long long size = 0;
  std::string sha256, git_sha1, sample;  // sample: the first 512 bytes
  bool lfs = false, unchanged = false, ignored = false;
};

LocalFile describe_local_file(const std::string& dir, const std::string& path);

// Uploads the content of LFS files the server does not have yet (256 objects per batch call).
void upload_lfs(const RepoRef& repo, const std::string& token, bool create_pr, const std::vector<const LocalFile*>& files,
                const std::string& dir);

}  // namespace hezar::hub
