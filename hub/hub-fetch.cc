#include "hub/hub-fetch.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "core/file_util.h"
#include "hub/hub-api.h"
#include "hub/hub-env.h"

namespace hezar::hub {

namespace {

std::string hex_of(const unsigned char* digest, unsigned size) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

// Incremental sha256 (LFS etag) or git blob sha1 (regular file etag) of a download, in the receiving
// thread (a worker thread was measured slower: the chunk copies cost more than the overlap gains).
class Hasher {
 public:
  Hasher(const std::string& etag, long long size) : etag_(etag), size_(size) { reset(); }
  bool enabled() const { return ctx_ != nullptr; }
  void reset() {
    ctx_.reset();
    const bool sha256 = etag_.size() == 64, sha1 = etag_.size() == 40 && size_ >= 0;
    if (!sha256 && !sha1) return;
    ctx_.reset(EVP_MD_CTX_new());
    EVP_DigestInit_ex(ctx_.get(), sha256 ? EVP_sha256() : EVP_sha1(), nullptr);
    if (sha1) {
      std::string prefix = "blob " + std::to_string(size_);
      EVP_DigestUpdate(ctx_.get(), prefix.c_str(), prefix.size() + 1);  // includes the NUL
    }
  }
  void update(const char* data, size_t n) {
    if (ctx_) EVP_DigestUpdate(ctx_.get(), data, n);
  }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &size);
    return hex_of(digest, size);
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::string etag_;
  long long size_;
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

struct Sink {
  std::FILE* file = nullptr;
  long long have = 0;
  Hasher* hasher = nullptr;
  std::string path;

  void truncate() {
    std::fflush(file);
    HEZAR_CHECK(::ftruncate(::fileno(file), 0) == 0, "cannot truncate '", path, "': ", std::strerror(errno));
    std::fseek(file, 0, SEEK_SET);
    have = 0;
    hasher->reset();
  }
};

// Feeds what is already in the temp file to the hasher (resume across runs).
void hash_existing(Sink& sink) {
  std::FILE* in = std::fopen(sink.path.c_str(), "rb");
  if (!in) return;
  std::vector<char> buffer(1 << 20);
  for (size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), in)) > 0;) sink.hasher->update(buffer.data(), n);
  std::fclose(in);
}

bool retryable_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

void finish(Sink& sink, Hasher& hasher, const BlobSource& source, const std::string& dest, const std::string& where) {
  auto fail = [&](const std::string& what) {
    std::fclose(sink.file);
    std::remove(sink.path.c_str());
    throw RuntimeFailure(what + " for " + where + "; the partial file was removed, nothing was cached; retry");
  };
  if (source.size >= 0 && sink.have != source.size)
    fail("size mismatch: received " + std::to_string(sink.have) + " bytes, the Hub announced " +
         std::to_string(source.size));
  if (hasher.enabled()) {
    std::string got = hasher.hex();
    if (got != source.etag) fail("checksum mismatch: content hashes to " + got + ", expected " + source.etag);
  }
  // The rename is what makes the blob appear, so a killed process never leaves a partial one. Like
  // huggingface_hub, no fsync by default (it would cap downloads at the disk's write speed);
  // HEZAR_HUB_FSYNC=1 adds one for power-loss durability.
  const bool durable = env_or_empty("HEZAR_HUB_FSYNC") == "1";
  HEZAR_CHECK(std::fflush(sink.file) == 0 && (!durable || ::fsync(::fileno(sink.file)) == 0), "cannot write '",
              sink.path, "': ", std::strerror(errno));
  std::fclose(sink.file);
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(sink.path.c_str(), 0666 & ~mask);
  if (std::rename(sink.path.c_str(), dest.c_str()) != 0) {
    const int err = errno;
    std::remove(sink.path.c_str());
    throw RuntimeFailure("cannot move the download to '" + dest + "': " + std::strerror(err));
  }
}

}  // namespace

namespace {

// One blob's download: its temp file, hash and retry state across attempts.
struct BlobDownload {
  const RepoRef& repo;
  const std::string& filename;
  const BlobSource& source;
  std::string where;
  Hasher hasher;
  Sink sink;
  int failures = 0;

  // A GET that resumes at what the temp file holds; a 200 to a Range request restarts the file.
  HttpRequest request() {
    HttpRequest request = hub_request("GET", source.url);
    if (!source.send_token) request.token.clear();
    request.max_redirects = 10;
    request.relative_redirects_only = false;  // on to the CDN, without the token
    const long long from = sink.have;
    if (from > 0) request.headers.emplace_back("Range", "bytes=" + std::to_string(from) + "-");
    request.on_head = [this, from](const HttpResponse& head) {
      if (from > 0 && head.status == 200) sink.truncate();  // Range ignored: start over
    };
    request.on_body = [this](const char* data, size_t n) {
      if (source.size >= 0 && sink.have + static_cast<long long>(n) > source.size)
        throw RuntimeFailure("size mismatch: the server sent more than the " + std::to_string(source.size) +
                             " bytes the Hub announced for " + where + "; nothing was cached; retry");
      HEZAR_CHECK(std::fwrite(data, 1, n, sink.file) == n, "cannot write '", sink.path, "': ", std::strerror(errno));
      hasher.update(data, n);
      sink.have += static_cast<long long>(n);
      if (n > 0) failures = 0;  // progress: the resume budget starts again
      return true;
    };
    return request;
  }

  // Sleeps before the next attempt, or throws once 5 consecutive attempts failed (keeping the temp file).
  void network_failure(const NetworkError& e) {
    std::fflush(sink.file);
    if (++failures > 5) {
      std::fclose(sink.file);
      sink.file = nullptr;
      throw RuntimeFailure(std::string(e.what()) + " (downloading " + where + ", " + std::to_string(sink.have) +
                           " bytes kept in the cache's .incomplete file; rerun to resume)");
    }
    spdlog::warn("hub: {}; resuming {} at byte {} in 1s", e.what(), filename, sink.have);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }

  // True when the response completed the file; false to try again; throws for errors.
  bool handle(const HttpResponse& response) {
    if (response.status == 416 && failures++ < 5) {
      sink.truncate();
      return false;
    }
    if (retryable_status(response.status) && failures++ < 5) {
      const double wait = retry_wait_seconds(response, failures - 1);
      spdlog::warn("hub: GET {} answered HTTP {}; retrying in {:.0f}s", filename, response.status, wait);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      return false;
    }
    if (response.status >= 300) {  // the temp file is kept: a later run resumes it
      std::fclose(sink.file);
      sink.file = nullptr;
      raise_for_status(response, repo, filename);
      throw RuntimeFailure("unexpected HTTP " + std::to_string(response.status) + " downloading " + where);
    }
    return true;
  }
};

}  // namespace

void fetch_blob(const RepoRef& repo, const std::string& filename, const BlobSource& source,
                const std::string& incomplete, const std::string& dest) {
  BlobDownload d{repo, filename, source, repo.describe() + " file '" + filename + "'", Hasher(source.etag, source.size),
                 Sink{std::fopen(incomplete.c_str(), "ab"), 0, nullptr, incomplete}};
  d.sink.hasher = &d.hasher;
  HEZAR_CHECK(d.sink.file != nullptr, "cannot write '", incomplete, "': ", std::strerror(errno));
  std::setvbuf(d.sink.file, nullptr, _IONBF, 0);  // curl hands over up to 512 KiB at a time: write it as is
  std::fseek(d.sink.file, 0, SEEK_END);
  d.sink.have = std::ftell(d.sink.file);
  if (d.sink.have > 0 && source.size >= 0 && d.sink.have > source.size) d.sink.truncate();
  if (d.sink.have > 0) {
    hash_existing(d.sink);
    spdlog::info("resuming {} at byte {}", filename, d.sink.have);
  }
  for (bool done = false; !done;) {
    try {
      done = d.handle(http_send(d.request()));
    } catch (const NetworkError& e) {
      d.network_failure(e);
    } catch (const RuntimeFailure&) {
      if (d.sink.file) {  // thrown while writing (too many bytes, disk error): the temp file is not trusted
        std::fclose(d.sink.file);
        std::remove(incomplete.c_str());
      }
      throw;
    }
  }
  finish(d.sink, d.hasher, source, dest, d.where);
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
