#include "hub/hub-hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace hezar::hub {

namespace {

// Read-back granularity: small enough that what pread copies is still in the L2 cache when it is
// hashed. The worker wakes once this many unhashed bytes are waiting (or at the end), not per write.
constexpr size_t kChunk = 256 * 1024;
constexpr long long kWakeBatch = 1 << 20;

std::string hex_of(const unsigned char* digest, unsigned size) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace

Hasher::Hasher(const std::string& etag, long long size) : etag_(etag), size_(size) { reset(); }

void Hasher::reset() {
  ctx_.reset();
  const bool sha256 = etag_.size() == 64, sha1 = etag_.size() == 40 && size_ >= 0;
  if (!sha256 && !sha1) return;
  ctx_.reset(EVP_MD_CTX_new());
  HEZAR_CHECK(ctx_ != nullptr, "cannot allocate a hash context");
  EVP_DigestInit_ex(ctx_.get(), sha256 ? EVP_sha256() : EVP_sha1(), nullptr);
  if (sha1) {
    std::string prefix = "blob " + std::to_string(size_);
    EVP_DigestUpdate(ctx_.get(), prefix.c_str(), prefix.size() + 1);  // includes the NUL
  }
}

void Hasher::update(const char* data, size_t n) {
  if (ctx_) EVP_DigestUpdate(ctx_.get(), data, n);
}

std::string Hasher::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_DigestFinal_ex(ctx_.get(), digest, &size);
  return hex_of(digest, size);
}

FileHashFollower::FileHashFollower(std::string path, const std::string& etag, long long size)
    : path_(std::move(path)), hasher_(etag, size) {
  start();
}

FileHashFollower::~FileHashFollower() { stop(); }

void FileHashFollower::start() {
  if (enabled()) worker_ = std::thread([this] { run(); });
}

void FileHashFollower::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  stopping_ = false;
}

void FileHashFollower::restart() {
  stop();
  hasher_.reset();
  written_ = hashed_ = 0;
  draining_ = false;
  error_.clear();
  start();
}

void FileHashFollower::written(long long total) {
  std::lock_guard<std::mutex> lock(mutex_);
  written_ = total;
  if (waiting_ && written_ - hashed_ >= kWakeBatch) wake_.notify_one();
}

std::string FileHashFollower::hex(long long total) {
  if (!enabled()) return "";
  {
    std::unique_lock<std::mutex> lock(mutex_);
    written_ = total;
    draining_ = true;
    wake_.notify_one();
    done_.wait(lock, [&] { return hashed_ >= total || !error_.empty(); });
  }
  stop();
  if (!error_.empty()) throw RuntimeFailure(error_);
  return hasher_.hex();
}

// Hashes [hashed_, written_) whenever enough is waiting; the lock is never held while reading.
void FileHashFollower::run() {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  std::string error = fd < 0 ? "cannot read back '" + path_ + "' to hash it: " + std::strerror(errno) : "";
  std::vector<char> buffer(kChunk);
  while (error.empty()) {
    long long from = 0, to = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      waiting_ = true;
      wake_.wait(lock, [&] {
        return stopping_ || written_ - hashed_ >= kWakeBatch || (draining_ && written_ > hashed_);
      });
      waiting_ = false;
      if (stopping_) break;
      from = hashed_;
      to = written_;
    }
    while (from < to && !stopping_.load(std::memory_order_relaxed)) {
      const ssize_t n = ::pread(fd, buffer.data(), static_cast<size_t>(std::min<long long>(kChunk, to - from)), from);
      if (n <= 0) {
        error = "cannot read back '" + path_ + "' at byte " + std::to_string(from) + " to hash it: " +
                (n == 0 ? "the file is shorter than what was written" : std::strerror(errno));
        break;
      }
      hasher_.update(buffer.data(), static_cast<size_t>(n));
      from += n;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    hashed_ = from;
    done_.notify_all();
  }
  if (fd >= 0) ::close(fd);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!error.empty()) error_ = error;
  done_.notify_all();
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return hex_of(digest, size);
}

std::string sha256_file_hex(const std::string& path) {
  Hasher hasher(std::string(64, '0'), -1);
  std::FILE* in = std::fopen(path.c_str(), "rb");
  HEZAR_CHECK_INPUT(in != nullptr, "cannot read '", path, "': ", std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  for (size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), in)) > 0;) hasher.update(buffer.data(), n);
  std::fclose(in);
  return hasher.hex();
}

std::string git_blob_sha1_hex(const std::string& bytes) {
  Hasher hasher(std::string(40, '0'), static_cast<long long>(bytes.size()));
  hasher.update(bytes.data(), bytes.size());
  return hasher.hex();
}

}  // namespace hezar::hub
