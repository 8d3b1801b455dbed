#include "trainer/tensorboard.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace hezar {

namespace tensorboard_detail {
namespace {

std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    table[i] = crc;
  }
  return table;
}

// --- protobuf wire format (https://protobuf.dev/programming-guides/encoding/) ---
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_key(std::string& out, uint32_t field, WireType type) { put_varint(out, (uint64_t{field} << 3) | type); }

template <class T>
void put_little_endian(std::string& out, T bits) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

void put_double(std::string& out, uint32_t field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed64);
  put_little_endian(out, bits);
}

void put_float(std::string& out, uint32_t field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed32);
  put_little_endian(out, bits);
}

// int64 is encoded as the varint of its two's-complement uint64 (negative steps take 10 bytes).
void put_int64(std::string& out, uint32_t field, int64_t value) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(value));
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// Field numbers from tensorflow/tensorboard: tensorboard/compat/proto/event.proto and summary.proto
// (identical to tensorflow/tensorflow: tensorflow/core/util/event.proto and
// tensorflow/core/framework/summary.proto):
//   message Event { double wall_time = 1; int64 step = 2;
//                   oneof what { string file_version = 3; ...; Summary summary = 5; ... } }
//   message Summary { message Value { string tag = 1; oneof value { float simple_value = 2; ... } }
//                     repeated Value value = 1; }
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5;
constexpr uint32_t kSummaryValue = 1;
constexpr uint32_t kValueTag = 1, kValueSimpleValue = 2;

// Event's leading fields; proto3 leaves zero-valued scalars out, as protobuf's own serializer does.
std::string event_header(double wall_time, int64_t step) {
  std::string out;
  if (wall_time != 0.0) put_double(out, kEventWallTime, wall_time);
  if (step != 0) put_int64(out, kEventStep, step);
  return out;
}

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  static const std::array<uint32_t, 256> table = make_crc32c_table();
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

std::string frame_record(const std::string& payload) {
  std::string out;
  out.reserve(payload.size() + 16);
  put_little_endian(out, static_cast<uint64_t>(payload.size()));
  put_little_endian(out, masked_crc32c(out.data(), 8));
  out += payload;
  put_little_endian(out, masked_crc32c(payload.data(), payload.size()));
  return out;
}

std::string encode_file_version_event(double wall_time) {
  std::string out = event_header(wall_time, 0);
  put_bytes(out, kEventFileVersion, "brain.Event:2");
  return out;
}

std::string encode_scalar_event(const std::string& tag, float value, int64_t step, double wall_time) {
  std::string summary_value;
  put_bytes(summary_value, kValueTag, tag);
  put_float(summary_value, kValueSimpleValue, value);  // a oneof member: written even when 0
  std::string summary;
  put_bytes(summary, kSummaryValue, summary_value);
  std::string out = event_header(wall_time, step);
  put_bytes(out, kEventSummary, summary);
  return out;
}

}  // namespace tensorboard_detail

namespace {

double now_seconds() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

TensorBoardWriter::TensorBoardWriter(const std::string& log_dir) {
  HEZAR_CHECK_INPUT(!log_dir.empty(), "TensorBoard log directory is empty: set a directory for the event files");
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  HEZAR_CHECK(!ec && std::filesystem::is_directory(log_dir), "cannot create TensorBoard log directory '", log_dir,
              "': ", ec ? ec.message() : "not a directory");

  // %010d.<host>.<pid>.<counter>, as tensorboard's EventFileWriter names its files; the counter and
  // O_EXCL keep two writers in one process and second from sharing a file.
  static std::atomic<unsigned> counter{0};
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%010lld", static_cast<long long>(now_seconds()));
  path_ = (std::filesystem::path(log_dir) / ("events.out.tfevents." + std::string(seconds) + "." + host_name() +
                                             "." + std::to_string(::getpid()) + "." + std::to_string(counter++)))
              .string();

  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  HEZAR_CHECK(fd_ >= 0, "cannot create TensorBoard event file '", path_, "': ", std::strerror(errno));
  try {
    write_record(tensorboard_detail::encode_file_version_event(now_seconds()));
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

TensorBoardWriter::~TensorBoardWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step, double wall_time) {
  HEZAR_CHECK_INPUT(!tag.empty(), "TensorBoard scalar tag is empty (step ", step, "): give every scalar a name");
  if (wall_time < 0) wall_time = now_seconds();
  write_record(tensorboard_detail::encode_scalar_event(tag, static_cast<float>(value), step, wall_time));
}

void TensorBoardWriter::flush() {
  HEZAR_CHECK(::fsync(fd_) == 0, "cannot flush TensorBoard event file '", path_, "': ", std::strerror(errno));
}

// One write(2) per whole record (looping only on a short write), straight to the kernel: nothing sits
// in a user-space buffer, so a crash of this process cannot cut a record in half.
void TensorBoardWriter::write_record(const std::string& payload) {
  const std::string record = tensorboard_detail::frame_record(payload);
  size_t done = 0;
  while (done < record.size()) {
    ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    HEZAR_CHECK(n > 0, "cannot write TensorBoard event file '", path_, "': ",
                n < 0 ? std::strerror(errno) : "nothing written (disk full?)");
    done += static_cast<size_t>(n);
  }
}

}  // namespace hezar
