// Content hashes of Hub files: sha256 (LFS etags) and git blob sha1 (regular file etags), incrementally,
// and a hasher that follows a file while another thread appends to it, so that checking a download
// overlaps the transfer instead of adding to it.
#pragma once

#include <openssl/evp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace hezar::hub {

// sha256 when `etag` has 64 hex digits; git blob sha1 ("blob <size>\0" + content) when it has 40 and
// the size is known; otherwise disabled (updates are ignored).
class Hasher {
 public:
  Hasher(const std::string& etag, long long size);
  bool enabled() const { return ctx_ != nullptr; }
  void reset();
  void update(const char* data, size_t n);
  std::string hex();

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::string etag_;
  long long size_;
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// Hashes the file at `path` from its start while the caller appends to it: the caller reports how
// many bytes the file holds with written(), a worker thread reads them back (pread from the page cache)
// and hashes them. Bytes already in the file (a resumed download) are hashed the same way.
// Measured on a 512 MiB loopback download (2 cores): hashing in curl's write callback serialized
// ~0.3 s of sha256 with the transfer (0.82x curl); reading back on a worker overlaps it, and costs the
// receiving thread nothing (a queue of copied chunks would). mmap instead of pread measured within
// noise and could SIGBUS on a file truncated behind our back.
class FileHashFollower {
 public:
  FileHashFollower(std::string path, const std::string& etag, long long size);
  ~FileHashFollower();
  FileHashFollower(const FileHashFollower&) = delete;
  FileHashFollower& operator=(const FileHashFollower&) = delete;

  bool enabled() const { return hasher_.enabled(); }
  // The file now holds `total` bytes (it only grows between restarts).
  void written(long long total);
  // Stops hashing and forgets what was hashed; call before truncating the file, then written() again.
  void restart();
  // Waits until the first `total` bytes are hashed and returns the digest; throws RuntimeFailure when
  // the file could not be read back.
  std::string hex(long long total);

 private:
  void start();
  void stop();
  void run();

  std::string path_;
  Hasher hasher_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  long long written_ = 0, hashed_ = 0;
  bool waiting_ = false, draining_ = false;
  std::atomic<bool> stopping_{false};  // also read while hashing, to stop mid-batch
  std::string error_;
  std::thread worker_;
};

// Digest of a whole file / of bytes (hex).
std::string sha256_file_hex(const std::string& path);
std::string sha256_hex(const std::string& bytes);
std::string git_blob_sha1_hex(const std::string& bytes);

}  // namespace hezar::hub
