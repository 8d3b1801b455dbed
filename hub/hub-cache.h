// The huggingface_hub cache layout, shared with Python processes:
//   <root>/CACHEDIR.TAG
//   <root>/.locks/<repo_folder>/<etag>.lock             flock()ed while a blob is being written
//   <root>/<repo_folder>/blobs/<etag>                   content, named by its normalised ETag
//   <root>/<repo_folder>/snapshots/<commit>/<path>      relative symlink to ../../blobs/<etag>
//   <root>/<repo_folder>/refs/<revision>                40-hex commit, no trailing newline
//   <root>/<repo_folder>/.no_exist/<commit>/<path>      empty marker: file absent at that commit
//   <root>/<repo_folder>/trees/<commit>.json            the file list of a commit (format_version 1)
#pragma once

#include <map>
#include <optional>
#include <string>

#include "hub/hub-types.h"

namespace hezar::hub {

// "models--org--name"; validates the repo id (BadInput with the rule it breaks).
std::string repo_folder_name(const std::string& repo_id, RepoType type);

// Refuses (RuntimeFailure: the server sent it) a repo path that is empty, absolute, has a '..' segment, a
// backslash, a NUL or a drive letter, so nothing can be written outside the snapshot folder.
void validate_relative_filename(const std::string& path);

bool is_commit_hash(const std::string& revision);  // ^[0-9a-f]{40}$

// One file's metadata in a tree listing.
struct TreeFile {
  long long size = 0;         // real size (LFS size for LFS files)
  std::string blob_id;        // git blob sha1 (of the pointer for LFS files)
  std::string lfs_sha256;     // "" for regular files
  std::string etag() const { return lfs_sha256.empty() ? blob_id : lfs_sha256; }
};
using TreeFiles = std::map<std::string, TreeFile>;

class RepoCache {
 public:
  RepoCache(const std::string& root, const std::string& repo_id, RepoType type);

  const std::string& root() const { return root_; }
  const std::string& folder() const { return folder_; }
  std::string blob_path(const std::string& etag) const;
  std::string incomplete_path(const std::string& etag) const;  // blobs/<etag>.incomplete (resumable)
  std::string lock_path(const std::string& etag) const;
  std::string snapshot_dir(const std::string& commit) const;
  std::string pointer_path(const std::string& commit, const std::string& filename) const;

  // The commit a revision points to: itself if it is a commit, else refs/<revision>.
  std::optional<std::string> resolve_revision(const std::string& revision) const;
  // Atomic write of refs/<revision> (skipped when unchanged or when revision is a commit).
  void write_ref(const std::string& revision, const std::string& commit) const;
  // snapshots/<commit>/<filename> -> relative path to blobs/<etag>, replacing what was there.
  void link_pointer(const std::string& commit, const std::string& filename, const std::string& etag) const;
  void mark_no_exist(const std::string& commit, const std::string& filename) const;
  void ensure_layout() const;  // blobs/, snapshots/, refs/, CACHEDIR.TAG

  void write_tree(const std::string& commit, const TreeFiles& files) const;
  std::optional<TreeFiles> read_tree(const std::string& commit) const;

 private:
  std::string root_, folder_, folder_name_;
};

// An exclusive flock() on a lock file (created 0664), as py-filelock takes it; released on destruction.
class FileLock {
 public:
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// HF_HUB_DISABLE_SYMLINKS is set: snapshot files are copies of their blobs instead of symlinks.
bool symlinks_disabled();

// A short random hex string for temp names.
std::string random_hex(int chars);

}  // namespace hezar::hub
