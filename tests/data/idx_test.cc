#include "data/idx.h"

#include <gtest/gtest.h>

#include "tests/testing/bad_input.h"
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/file_util.h"

namespace hezar {
namespace {

std::string tmp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

void append_be(std::string* out, const void* value, size_t size) {
  const char* p = static_cast<const char*>(value);
  for (size_t i = 0; i < size; ++i) out->push_back(p[size - 1 - i]);  // tests run on little-endian hosts
}

// An IDX file with the given type code, dims and values, written the way MNIST's tools write them.
template <class T>
std::string idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::vector<T>& values) {
  std::string out = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) append_be(&out, &d, 4);
  for (const T& v : values) append_be(&out, &v, sizeof(T));
  return out;
}

// Writes `bytes` gzipped, one gzip member per part (gzip(1) concatenates members the same way).
void write_gzip(const std::string& path, const std::vector<std::string>& parts) {
  std::remove(path.c_str());
  for (const std::string& part : parts) {
    gzFile f = gzopen(path.c_str(), "ab");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, part.data(), static_cast<unsigned>(part.size())), static_cast<int>(part.size()));
    ASSERT_EQ(gzclose(f), Z_OK);
  }
}

using testing::bad_input_message;

TEST(Idx, Uint8RoundTripPlainAndGzipped) {
  const std::vector<uint8_t> values = {0, 1, 2, 127, 128, 255};
  const std::string bytes = idx_bytes<uint8_t>(0x08, {2, 3}, values);
  const std::string plain = tmp_path("u8.idx");
  file_write_atomic(plain, bytes);
  const std::string gz = tmp_path("u8.idx.gz");
  write_gzip(gz, {bytes});
  for (const std::string& path : {plain, gz}) {
    const at::Tensor t = idx_read(path);
    EXPECT_EQ(t.scalar_type(), at::kByte) << path;
    ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 3})) << path;
    EXPECT_TRUE(t.flatten().equal(at::tensor(std::vector<int64_t>(values.begin(), values.end())).to(at::kByte)));
  }
}

TEST(Idx, MultiByteTypesAreConvertedToHostOrder) {
  const auto i16 = idx_parse(idx_bytes<int16_t>(0x0B, {3}, {-2, 300, 32767}), "i16");
  EXPECT_EQ(i16.scalar_type(), at::kShort);
  EXPECT_EQ(i16[0].item<int16_t>(), -2);
  EXPECT_EQ(i16[1].item<int16_t>(), 300);
  EXPECT_EQ(i16[2].item<int16_t>(), 32767);
  const auto i32 = idx_parse(idx_bytes<int32_t>(0x0C, {1, 2}, {-70000, 123456789}), "i32");
  EXPECT_EQ(i32.scalar_type(), at::kInt);
  EXPECT_EQ(i32[0][1].item<int32_t>(), 123456789);
  EXPECT_EQ(i32[0][0].item<int32_t>(), -70000);
  const auto f32 = idx_parse(idx_bytes<float>(0x0D, {2}, {1.5f, -0.25f}), "f32");
  EXPECT_EQ(f32.scalar_type(), at::kFloat);
  EXPECT_EQ(f32[1].item<float>(), -0.25f);
  const auto f64 = idx_parse(idx_bytes<double>(0x0E, {1}, {3.141592653589793}), "f64");
  EXPECT_EQ(f64.scalar_type(), at::kDouble);
  EXPECT_EQ(f64[0].item<double>(), 3.141592653589793);
  const auto i8 = idx_parse(idx_bytes<int8_t>(0x09, {2}, {-128, 5}), "i8");
  EXPECT_EQ(i8.scalar_type(), at::kChar);
  EXPECT_EQ(i8[0].item<int8_t>(), -128);
}

TEST(Idx, ConcatenatedGzipMembersAreRead) {
  const std::string bytes = idx_bytes<int32_t>(0x0C, {4}, {1, 2, 3, 4});
  const std::string path = tmp_path("multi.idx.gz");
  write_gzip(path, {bytes.substr(0, 7), bytes.substr(7)});
  const at::Tensor t = idx_read(path);
  EXPECT_TRUE(t.equal(at::tensor({1, 2, 3, 4}, at::kInt)));
}

TEST(Idx, EmptyDimensionGivesAnEmptyTensor) {
  const at::Tensor t = idx_parse(idx_bytes<uint8_t>(0x08, {0, 28}, {}), "empty");
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{0, 28}));
}

TEST(Idx, TruncatedDataIsBadInputNamingTheFile) {
  std::string bytes = idx_bytes<uint8_t>(0x08, {2, 3}, {1, 2, 3, 4, 5, 6});
  bytes.pop_back();
  const std::string path = tmp_path("short.idx");
  file_write_atomic(path, bytes);
  const std::string message = bad_input_message([&] { idx_read(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  // Dims far beyond the data must not overflow into a "valid" size.
  const std::string huge = idx_bytes<float>(0x0D, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {1.0f});
  EXPECT_NE(bad_input_message([&] { idx_parse(huge, "huge"); }).find("truncated"), std::string::npos);
  EXPECT_THROW(idx_parse(std::string("\0\0\x08\x03\0\0", 6), "header"), BadInput);
  EXPECT_THROW(idx_parse(std::string("\0\0", 2), "tiny"), BadInput);
}

TEST(Idx, BadMagicUnknownTypeAndTrailingBytesAreBadInput) {
  std::string bytes = idx_bytes<uint8_t>(0x08, {2}, {1, 2});
  std::string bad_magic = bytes;
  bad_magic[0] = 1;
  EXPECT_NE(bad_input_message([&] { idx_parse(bad_magic, "m.idx"); }).find("idx file 'm.idx': bad magic"),
            std::string::npos);
  std::string bad_type = bytes;
  bad_type[2] = 0x0A;
  EXPECT_NE(bad_input_message([&] { idx_parse(bad_type, "t.idx"); }).find("unknown data type 0x0a"),
            std::string::npos);
  const std::string message = bad_input_message([&] { idx_parse(bytes + "xyz", "g.idx"); });
  EXPECT_NE(message.find("3 extra bytes"), std::string::npos) << message;
}

TEST(Idx, CorruptOrTruncatedGzipIsBadInput) {
  const std::string path = tmp_path("cut.idx.gz");
  write_gzip(path, {idx_bytes<uint8_t>(0x08, {64}, std::vector<uint8_t>(64, 7))});
  const std::string gz = file_read(path);
  std::string message = bad_input_message([&] { idx_parse(gz.substr(0, gz.size() - 6), "cut.gz"); });
  EXPECT_NE(message.find("idx file 'cut.gz': the gzip data is truncated"), std::string::npos) << message;
  std::string corrupt = gz;
  for (size_t i = 12; i < corrupt.size() - 8; ++i) corrupt[i] = static_cast<char>(0xff);
  message = bad_input_message([&] { idx_parse(corrupt, "bad.gz"); });
  EXPECT_NE(message.find("idx file 'bad.gz': "), std::string::npos) << message;
  message = bad_input_message([&] { idx_parse(gz + "junk", "junk.gz"); });
  EXPECT_NE(message.find("garbage after the gzip data"), std::string::npos) << message;
}

TEST(Idx, RealFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::ifstream(dir + "train-labels-idx1-ubyte.gz")) GTEST_SKIP() << dir << " is not installed";
  const at::Tensor train_images = idx_read(dir + "train-images-idx3-ubyte.gz");
  EXPECT_EQ(train_images.scalar_type(), at::kByte);
  EXPECT_EQ(train_images.sizes(), (std::vector<int64_t>{60000, 28, 28}));
  EXPECT_GT(train_images.to(at::kFloat).std().item<float>(), 10.0f);  // real pictures, not zeros
  const at::Tensor train_labels = idx_read(dir + "train-labels-idx1-ubyte.gz");
  EXPECT_EQ(train_labels.sizes(), (std::vector<int64_t>{60000}));
  EXPECT_TRUE(at::bincount(train_labels.to(at::kLong)).equal(at::full({10}, 6000, at::kLong)));
  const at::Tensor test_images = idx_read(dir + "t10k-images-idx3-ubyte.gz");
  EXPECT_EQ(test_images.sizes(), (std::vector<int64_t>{10000, 28, 28}));
  const at::Tensor test_labels = idx_read(dir + "t10k-labels-idx1-ubyte.gz");
  EXPECT_TRUE(at::bincount(test_labels.to(at::kLong)).equal(at::full({10}, 1000, at::kLong)));
}

}  // namespace
}  // namespace hezar
