// TensorBoardWriter against readers that share no code with it:
//  * framing: a Python 3 stdlib script (run with /usr/bin/python3) splits the file into records and checks
//    both masked CRC-32Cs with its own bit-by-bit CRC-32C;
//  * payloads: Debian's protoc (protobuf-compiler) decodes every record as tensorboard.Event, using the
//    message and field definitions of TensorBoard's own event.proto / summary.proto, and re-encodes its
//    decoded text, which must give back our exact bytes (canonical proto3, no unknown fields).
// Neither TensorBoard nor TensorFlow is packaged in Debian, so their EventAccumulator cannot be run here.
#include "trainer/tensorboard.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;

// Messages and field numbers copied from tensorflow/tensorboard: tensorboard/compat/proto/event.proto and
// tensorboard/compat/proto/summary.proto (only the members this writer can produce, plus their oneof
// siblings of simple types, so a wrong field number decodes as the wrong member instead of passing).
constexpr const char* kEventProto = R"proto(
syntax = "proto3";

package tensorboard;

message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
    }
  }
  repeated Value value = 1;
}

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    bytes meta_graph_def = 9;
  }
}
)proto";

// Splits a TFRecord file: argv[1] the file, argv[2] the directory for rec_NNN.bin payloads. Checks every
// length and data CRC with a bitwise CRC-32C of its own and prints "records N".
constexpr const char* kSplitRecords = R"py(
import os, struct, sys

def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF

def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF

assert crc32c(b"123456789") == 0xE3069283, hex(crc32c(b"123456789"))
blob = open(sys.argv[1], "rb").read()
pos = count = 0
while pos < len(blob):
    if pos + 12 > len(blob):
        sys.exit("truncated header at %d" % pos)
    header = blob[pos:pos + 8]
    (length,) = struct.unpack("<Q", header)
    (length_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
    if length_crc != masked(header):
        sys.exit("record %d: bad length crc %08x, want %08x" % (count, length_crc, masked(header)))
    end = pos + 12 + length
    if end + 4 > len(blob):
        sys.exit("record %d: truncated data" % count)
    data = blob[pos + 12:end]
    (data_crc,) = struct.unpack("<I", blob[end:end + 4])
    if data_crc != masked(data):
        sys.exit("record %d: bad data crc %08x, want %08x" % (count, data_crc, masked(data)))
    with open(os.path.join(sys.argv[2], "rec_%03d.bin" % count), "wb") as out:
        out.write(data)
    pos = end + 4
    count += 1
print("records %d" % count)
)py";

std::string scratch_dir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / ("tensorboard_test_" + name);
  fs::remove_all(dir);
  return dir.string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

struct CommandResult {
  int exit_code;
  std::string output;  // stdout, or stdout + stderr when stdout is not redirected by the caller
};

// Runs `command` in the shell; stdout goes to `stdout_path` (or a log that is returned), stderr to a log.
CommandResult run(const std::string& command, const std::string& log_dir, const std::string& stdout_path = "") {
  const std::string out = stdout_path.empty() ? log_dir + "/cmd.out" : stdout_path;
  const std::string err = log_dir + "/cmd.err";
  const int status = std::system((command + " > '" + out + "' 2> '" + err + "'").c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::string text = stdout_path.empty() ? read_bytes(out) : "";
  return {code, text + read_bytes(err)};
}

// The fields of one Event that protoc --decode printed.
struct DecodedEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  int summary_values = 0;
  std::string tag;
  double simple_value = 0;
  bool has_simple_value = false;
  std::vector<std::string> unexpected;  // lines we did not recognise (unknown fields, other members)
};

std::string unquote(const std::string& s) {
  return s.size() >= 2 && s.front() == '"' && s.back() == '"' ? s.substr(1, s.size() - 2) : s;
}

DecodedEvent parse_decoded(const std::string& text) {
  DecodedEvent event;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t first = line.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (line == "summary {" || line == "}") continue;
    if (line == "value {") {
      ++event.summary_values;
      continue;
    }
    const size_t colon = line.find(": ");
    const std::string key = line.substr(0, colon);
    const std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
    if (key == "wall_time") {
      event.wall_time = std::strtod(value.c_str(), nullptr);
    } else if (key == "step") {
      event.step = std::strtoll(value.c_str(), nullptr, 10);
    } else if (key == "file_version") {
      event.file_version = unquote(value);
    } else if (key == "tag") {
      event.tag = unquote(value);
    } else if (key == "simple_value") {
      event.simple_value = std::strtod(value.c_str(), nullptr);
      event.has_simple_value = true;
    } else {
      event.unexpected.push_back(line);
    }
  }
  return event;
}

// Every record of an event file, framing checked by Python and payload decoded by protoc.
struct ReadBack {
  std::vector<std::string> payloads;
  std::vector<DecodedEvent> events;
};

ReadBack read_with_independent_tools(const std::string& event_file, const std::string& work) {
  ReadBack result;
  fs::create_directories(work);
  write_bytes(work + "/split_records.py", kSplitRecords);
  write_bytes(work + "/tb_event.proto", kEventProto);

  CommandResult split = run("/usr/bin/python3 '" + work + "/split_records.py' '" + event_file + "' '" + work + "'", work);
  EXPECT_EQ(split.exit_code, 0) << split.output;
  int count = -1;
  if (std::sscanf(split.output.c_str(), "records %d", &count) != 1) {
    ADD_FAILURE() << "splitter output: " << split.output;
    return result;
  }

  const std::string protoc = "/usr/bin/protoc -I'" + work + "' '" + work + "/tb_event.proto' ";
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/rec_%03d", i);
    const std::string rec = work + name + ".bin";
    const std::string payload = read_bytes(rec);

    CommandResult decoded = run(protoc + "--decode=tensorboard.Event < '" + rec + "'", work);
    EXPECT_EQ(decoded.exit_code, 0) << "record " << i << ": " << decoded.output
                                    << " (is protobuf-compiler installed? scripts/install-deps.sh)";
    write_bytes(work + name + ".txt", decoded.output);

    // protoc's own encoding of what it decoded must be our bytes: canonical field order and defaults.
    CommandResult encoded = run(protoc + "--encode=tensorboard.Event < '" + work + name + ".txt'", work,
                                work + name + ".reencoded");
    EXPECT_EQ(encoded.exit_code, 0) << "record " << i << ": " << encoded.output;
    EXPECT_EQ(read_bytes(work + name + ".reencoded"), payload) << "record " << i << " decoded as\n" << decoded.output;

    result.payloads.push_back(payload);
    result.events.push_back(parse_decoded(decoded.output));
  }
  return result;
}

double now_seconds() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

std::string host_name() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

struct Scalar {
  std::string tag;
  double value;
  int64_t step;
  double wall_time;
};

TEST(TensorBoardCrc32c, KnownVectors) {
  using tensorboard_detail::crc32c;
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the CRC catalogue's check value for CRC-32C
  EXPECT_EQ(crc32c("", 0), 0u);
  // RFC 3720 (iSCSI) appendix B.4: 32 bytes of zeros, of 0xFF, ascending and descending.
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0'), down(32, '\0');
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<char>(i);
    down[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(crc32c(up.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(crc32c(down.data(), 32), 0x113FDB5Cu);
  EXPECT_EQ(tensorboard_detail::masked_crc32c("", 0), 0xA282EAD8u);
}

TEST(TensorBoardWriter, FileNamedLikeSummaryWriter) {
  const std::string dir = scratch_dir("name") + "/runs/exp1";  // parents are created too
  const double before = now_seconds();
  TensorBoardWriter writer(dir);
  const double after = now_seconds();

  const fs::path path(writer.path());
  EXPECT_EQ(path.parent_path(), fs::path(dir));
  ASSERT_TRUE(fs::is_regular_file(path));
  // events.out.tfevents.%010d.<hostname>.<pid>.<counter>, as tensorboard's EventFileWriter names files.
  const std::string name = path.filename().string();
  const std::string prefix = "events.out.tfevents.";
  ASSERT_EQ(name.rfind(prefix, 0), 0u) << name;
  const std::string seconds = name.substr(prefix.size(), 10);
  ASSERT_EQ(seconds.find_first_not_of("0123456789"), std::string::npos) << name;
  EXPECT_GE(std::stoll(seconds), static_cast<long long>(before));
  EXPECT_LE(std::stoll(seconds), static_cast<long long>(after));
  const std::string rest = name.substr(prefix.size() + 10);
  const std::string host_pid = "." + host_name() + "." + std::to_string(::getpid()) + ".";
  ASSERT_EQ(rest.rfind(host_pid, 0), 0u) << name;
  const std::string counter = rest.substr(host_pid.size());
  EXPECT_FALSE(counter.empty());
  EXPECT_EQ(counter.find_first_not_of("0123456789"), std::string::npos) << name;

  // A second writer in the same directory and second gets a file of its own.
  TensorBoardWriter second(dir);
  EXPECT_NE(second.path(), writer.path());
  EXPECT_NE(second.path().find("tfevents"), std::string::npos);
}

TEST(TensorBoardWriter, ScalarsDecodeWithTensorBoardProtoViaProtoc) {
  const std::string dir = scratch_dir("scalars");
  const double w = 1700000000.25;
  const std::vector<Scalar> scalars = {
      {"train.loss", 0.75, 1, w + 1},           {"train.lr", 1e-3, 1, w + 1},
      {"train.loss", 0.5, 2, w + 2},            {"train.lr", 5e-4, 2, w + 2},
      {"train.loss", 0.3125, 300, w + 3},       {"train.lr", 2.5e-4, 300, w + 3},
      {"evaluation.accuracy", 0.8125, 300, w + 3.5},
      {"evaluation.accuracy", 0.0, int64_t{1} << 40, w + 4},  // zero value, 6-byte varint step
      {"evaluation.accuracy", 1.0, 0, w + 5},                  // step 0 is proto3's default: omitted
  };

  std::string path;
  const double before = now_seconds();
  {
    TensorBoardWriter writer(dir);
    path = writer.path();
    for (const Scalar& s : scalars) writer.add_scalar(s.tag, s.value, s.step, s.wall_time);
    writer.add_scalar("train.loss", 0.25, 301);  // wall time: now
    writer.flush();
  }
  const double after = now_seconds();

  ReadBack back = read_with_independent_tools(path, dir + "_read");
  ASSERT_EQ(back.events.size(), scalars.size() + 2);

  const DecodedEvent& first = back.events[0];
  EXPECT_EQ(first.file_version, "brain.Event:2");
  EXPECT_EQ(first.step, 0);
  EXPECT_EQ(first.summary_values, 0);
  EXPECT_GE(first.wall_time, before - 1e-3);
  EXPECT_LE(first.wall_time, after + 1e-3);
  EXPECT_TRUE(first.unexpected.empty()) << first.unexpected[0];

  for (size_t i = 0; i < scalars.size(); ++i) {
    const DecodedEvent& e = back.events[i + 1];
    SCOPED_TRACE("scalar " + std::to_string(i) + " " + scalars[i].tag);
    EXPECT_EQ(e.tag, scalars[i].tag);
    EXPECT_EQ(e.step, scalars[i].step);
    EXPECT_EQ(e.wall_time, scalars[i].wall_time);
    ASSERT_TRUE(e.has_simple_value);
    EXPECT_EQ(static_cast<float>(e.simple_value), static_cast<float>(scalars[i].value));
    EXPECT_EQ(e.summary_values, 1);
    EXPECT_TRUE(e.file_version.empty());
    EXPECT_TRUE(e.unexpected.empty()) << e.unexpected[0];
  }
  const DecodedEvent& last = back.events.back();
  EXPECT_EQ(last.tag, "train.loss");
  EXPECT_EQ(last.step, 301);
  EXPECT_FLOAT_EQ(static_cast<float>(last.simple_value), 0.25f);
  EXPECT_GE(last.wall_time, before - 1e-3);
  EXPECT_LE(last.wall_time, after + 1e-3);

  // The decoded text itself, for one record, exactly as protoc prints it.
  EXPECT_EQ(read_bytes(dir + "_read/rec_001.txt"),
            "wall_time: 1700000001.25\nstep: 1\nsummary {\n  value {\n    tag: \"train.loss\"\n"
            "    simple_value: 0.75\n  }\n}\n");
}

TEST(TensorBoardWriter, RecordsAreOnDiskBeforeFlushOrClose) {
  const std::string dir = scratch_dir("unflushed");
  TensorBoardWriter writer(dir);
  writer.add_scalar("train.loss", 1.5, 7, 1700000000.0);
  // Still open and never flushed: a reader (or a killed process) already sees two whole records.
  ReadBack back = read_with_independent_tools(writer.path(), dir + "_read");
  ASSERT_EQ(back.events.size(), 2u);
  EXPECT_EQ(back.events[1].tag, "train.loss");
  EXPECT_EQ(back.events[1].step, 7);
  EXPECT_EQ(back.events[1].simple_value, 1.5);

  writer.add_scalar("train.loss", 1.25, 8, 1700000001.0);
  back = read_with_independent_tools(writer.path(), dir + "_read2");
  ASSERT_EQ(back.events.size(), 3u);
  EXPECT_EQ(back.events[2].step, 8);
}

TEST(TensorBoardWriter, ErrorsNameThePath) {
  const std::string dir = scratch_dir("errors");
  fs::create_directories(dir);
  const std::string not_a_dir = dir + "/plain_file";
  write_bytes(not_a_dir, "x");
  try {
    TensorBoardWriter writer(not_a_dir);
    ADD_FAILURE() << "expected RuntimeFailure";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find(not_a_dir), std::string::npos) << e.what();
  }

  TensorBoardWriter writer(dir);
  EXPECT_THROW(writer.add_scalar("", 1.0, 1), BadInput);
  EXPECT_THROW(TensorBoardWriter(""), BadInput);
}

}  // namespace
}  // namespace hezar
