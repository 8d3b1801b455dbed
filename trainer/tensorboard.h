// TensorBoard event files for training logs, written without TensorFlow or protobuf: the same files
// torch.utils.tensorboard.SummaryWriter makes, so `tensorboard --logdir` shows hezar runs unchanged.
//
// File: log_dir/events.out.tfevents.<unix seconds, 10 digits>.<hostname>.<pid>.<counter>, the name
// TensorBoard's own EventFileWriter uses (tensorboard/summary/writer/event_file_writer.py); its loader
// reads any file whose name contains "tfevents".
//
// Format: TFRecord framing (tensorboard/summary/writer/record_writer.py) around serialized
// tensorboard.Event protos (tensorboard/compat/proto/event.proto, summary.proto); the first record
// is Event{wall_time, file_version: "brain.Event:2"}, then one Event per scalar.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hezar {

// Appends scalars to a new event file. Each scalar is one write(2) of a whole record, so a process
// that is killed leaves only whole records behind. Not thread-safe: guard shared use with a lock.
class TensorBoardWriter {
 public:
  // Creates `log_dir` (and parents) if needed and a new event file in it, starting with the
  // file_version record. Throws RuntimeFailure naming the path if either cannot be created.
  explicit TensorBoardWriter(const std::string& log_dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // Appends Event{wall_time, step, Summary{Value{tag, simple_value}}}. `value` is stored as a float32
  // (TensorBoard's simple_value). A negative wall_time (the default) means now, in Unix seconds.
  // Throws BadInput for an empty tag, RuntimeFailure naming the file if the write fails.
  void add_scalar(const std::string& tag, double value, int64_t step, double wall_time = -1);

  // Forces written records to stable storage (fsync); records are already visible to readers and
  // survive the process dying without it.
  void flush();

  // The event file's full path.
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& payload);

  std::string path_;
  int fd_ = -1;
};

namespace tensorboard_detail {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78); crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t size);

// TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t size);

// One TFRecord: uint64 LE length, uint32 LE masked CRC of those 8 bytes, payload, uint32 LE masked
// CRC of the payload.
std::string frame_record(const std::string& payload);

// Serialized tensorboard.Event protos (proto3 canonical: zero wall_time/step are omitted).
std::string encode_file_version_event(double wall_time);
std::string encode_scalar_event(const std::string& tag, float value, int64_t step, double wall_time);

}  // namespace tensorboard_detail

}  // namespace hezar
