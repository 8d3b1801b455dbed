// Streams one file from the Hub into a resumable temp file, checks its size and hash, and renames it
// into place: a fault leaves either the complete file or a `.incomplete` temp that the next run resumes.
#pragma once

#include <string>

#include "hub/hub-hash.h"  // the digest helpers, for the callers of this header
#include "hub/hub-types.h"

namespace hezar::hub {

struct BlobSource {
  std::string url;          // resolve URL (token sent) or a cross-host location (no token)
  bool send_token = true;
  std::string etag;         // 64 hex: sha256 checked; 40 hex: git blob sha1 checked
  long long size = -1;      // expected size; -1 if unknown
};

// GETs `source` into `incomplete` (appending to what is already there with a Range request; restarts if
// the server ignores Range), resuming after dropped connections (5 consecutive failures at most),
// verifies size and hash, then fsyncs and renames to `dest`. On a size or hash mismatch the temp file is
// removed and RuntimeFailure thrown; on a network failure it is kept for the next run.
void fetch_blob(const RepoRef& repo, const std::string& filename, const BlobSource& source,
                const std::string& incomplete, const std::string& dest);

}  // namespace hezar::hub
