#include "hub/hub-fetch.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "hub/hub-api.h"
#include "hub/hub-env.h"
#include "hub/hub-hash.h"

namespace hezar::hub {

namespace {

// The temp file, written in 1 MiB batches: curl delivers at most 16 KiB per callback
// (CURL_MAX_WRITE_SIZE), and a write(2) per 16 KiB costs more than copying into a batch. `hashing`
// follows what has reached the file. `have` counts the bytes received (in the file or in `pending`).
struct Sink {
  static constexpr size_t kBatch = 1 << 20;
  std::FILE* file = nullptr;
  long long have = 0;
  FileHashFollower* hashing = nullptr;
  std::string path;
  std::vector<char> pending;

  void append(const char* data, size_t n) {
    if (pending.capacity() < kBatch) pending.reserve(kBatch);
    pending.insert(pending.end(), data, data + n);
    have += static_cast<long long>(n);
    if (pending.size() >= kBatch) flush();
  }
  void flush() {
    if (pending.empty()) return;
    const size_t n = pending.size(), written = std::fwrite(pending.data(), 1, n, file);
    pending.clear();  // dropped even when the write fails: the file's size stays the truth for a resume
    HEZAR_CHECK(written == n, "cannot write '", path, "': ", std::strerror(errno));
    hashing->written(have);
  }
  void truncate() {
    pending.clear();
    hashing->restart();  // before the bytes it may be reading disappear
    std::fflush(file);
    HEZAR_CHECK(::ftruncate(::fileno(file), 0) == 0, "cannot truncate '", path, "': ", std::strerror(errno));
    std::fseek(file, 0, SEEK_SET);
    have = 0;
  }
};

bool retryable_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

void finish(Sink& sink, const BlobSource& source, const std::string& dest, const std::string& where) {
  auto fail = [&](const std::string& what) {
    std::fclose(sink.file);
    std::remove(sink.path.c_str());
    throw RuntimeFailure(what + " for " + where + "; the partial file was removed, nothing was cached; retry");
  };
  if (source.size >= 0 && sink.have != source.size)
    fail("size mismatch: received " + std::to_string(sink.have) + " bytes, the Hub announced " +
         std::to_string(source.size));
  if (sink.hashing->enabled()) {
    std::string got;
    try {
      got = sink.hashing->hex(sink.have);  // waits for the hashing thread to catch up
    } catch (const RuntimeFailure& e) {
      fail(e.what());
    }
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
  FileHashFollower& hashing;
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
      sink.append(data, n);
      if (n > 0) failures = 0;  // progress: the resume budget starts again
      return true;
    };
    return request;
  }

  // Sleeps before the next attempt, or throws once 5 consecutive attempts failed (keeping the temp file).
  void network_failure(const NetworkError& e) {
    sink.flush();  // what arrived is kept for the Range request (or the next run)
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
    sink.flush();
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
  std::FILE* file = std::fopen(incomplete.c_str(), "ab");
  HEZAR_CHECK(file != nullptr, "cannot write '", incomplete, "': ", std::strerror(errno));
  std::setvbuf(file, nullptr, _IONBF, 0);  // Sink writes whole batches
  FileHashFollower hashing(incomplete, source.etag, source.size);
  BlobDownload d{repo, filename, source, repo.describe() + " file '" + filename + "'", hashing,
                 Sink{file, 0, &hashing, incomplete}};
  std::fseek(file, 0, SEEK_END);
  d.sink.have = std::ftell(file);
  if (d.sink.have > 0 && source.size >= 0 && d.sink.have > source.size) d.sink.truncate();
  if (d.sink.have > 0) {  // resume across runs: the kept bytes are hashed while the rest arrives
    hashing.written(d.sink.have);
    spdlog::info("resuming {} at byte {}", filename, d.sink.have);
  }
  for (bool done = false; !done;) {
    try {
      try {
        done = d.handle(http_send(d.request()));
      } catch (const NetworkError& e) {
        d.network_failure(e);  // closes the file when it gives up, keeping it for the next run
      }
    } catch (const RuntimeFailure&) {
      if (d.sink.file) {  // thrown while writing (too many bytes, disk error): the temp file is not trusted
        std::fclose(d.sink.file);
        std::remove(incomplete.c_str());
      }
      throw;
    }
  }
  finish(d.sink, source, dest, d.where);
}

}  // namespace hezar::hub
