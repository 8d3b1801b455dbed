#include "core/safetensors.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "tests/core/tensor_io_test_util.h"

namespace hezar {
namespace {

using test::read_bytes;
using test::tmp_path;
using test::write_bytes;

std::string le64(uint64_t v) {
  std::string out(8, '\0');
  std::memcpy(&out[0], &v, 8);
  return out;
}

// A raw file: 8-byte length, header text, data bytes.
std::string st_file(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

template <class T>
std::string raw(std::initializer_list<T> values) {
  return std::string(reinterpret_cast<const char*>(values.begin()), values.size() * sizeof(T));
}

void expect_bad_input(const std::string& path, const std::string& fragment) {
  try {
    safetensors_load(path);
    ADD_FAILURE() << path << " loaded, expected an error containing: " << fragment;
  } catch (const BadInput& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << "message should name the file: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TensorDict every_dtype() {
  at::manual_seed(0);
  at::Tensor base = at::arange(12, at::kFloat).reshape({3, 4});
  return {
      {"bool", at::tensor({1, 0, 1}).to(at::kBool)},
      {"u8", at::tensor({0, 7, 255}, at::kByte)},
      {"i8", at::tensor({-128, 0, 127}, at::kChar)},
      {"i16", at::tensor({-32768, 1, 32767}, at::kShort)},
      {"i32", at::tensor({INT32_MIN, 0, INT32_MAX}, at::kInt)},
      {"i64", at::tensor({INT64_MIN, int64_t{1} << 40, INT64_MAX}, at::kLong)},
      {"f16", at::randn({2, 3}).to(at::kHalf)},
      {"bf16", at::randn({3, 2}).to(at::kBFloat16)},
      {"f32", at::randn({4})},
      {"f64", at::randn({2, 2}, at::kDouble)},
      {"c64", at::randn({3}, at::kComplexFloat)},
      {"scalar", at::scalar_tensor(3.5)},
      {"empty", at::zeros({0, 3})},
      {"transposed", base.t()},
  };
}

TEST(Safetensors, RoundTripsEveryDtype) {
  TensorDict tensors = every_dtype();
  std::string path = tmp_path("every_dtype.safetensors");
  safetensors_save(path, tensors, {{"format", "pt"}, {"note", "ünïcode"}});
  std::map<std::string, std::string> metadata;
  TensorDict loaded = safetensors_load(path, &metadata);
  EXPECT_EQ(metadata, (std::map<std::string, std::string>{{"format", "pt"}, {"note", "ünïcode"}}));
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [name, expected] : tensors) {
    const at::Tensor* got = tensor_dict_find(loaded, name);
    ASSERT_NE(got, nullptr) << name;
    EXPECT_EQ(got->scalar_type(), expected.scalar_type()) << name;
    EXPECT_EQ(got->sizes(), expected.sizes()) << name;
    EXPECT_TRUE(at::equal(*got, expected)) << name;
  }
  EXPECT_EQ(tensor_dict_find(loaded, "scalar")->dim(), 0);
  EXPECT_EQ(tensor_dict_find(loaded, "empty")->numel(), 0);
}

TEST(Safetensors, WritesSortedPaddedHeader) {
  TensorDict tensors = {{"b", at::tensor({1.f, 2.f})},
                        {"a", at::tensor({3.f})},
                        {"c", at::tensor({int64_t{-1}})},
                        {"d", at::tensor({1, 2, 3}, at::kByte)},
                        {"e", at::tensor({1.f}).to(at::kBFloat16)}};
  std::string path = tmp_path("layout.safetensors");
  safetensors_save(path, tensors);
  std::string header =
      R"({"__metadata__":{"format":"pt"},"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},)"
      R"("e":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]},)"
      R"("d":{"dtype":"U8","shape":[3],"data_offsets":[22,25]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string data = raw<int64_t>({-1}) + raw<float>({3.f}) + raw<float>({1.f, 2.f}) + std::string("\x80\x3f", 2) +
                     std::string("\x01\x02\x03", 3);
  EXPECT_EQ(read_bytes(path), st_file(header, data));
  // Reading keeps header order, which for our own files is the storage order.
  TensorDict loaded = safetensors_load(path);
  std::vector<std::string> names;
  for (const auto& entry : loaded) names.push_back(entry.first);
  EXPECT_EQ(names, (std::vector<std::string>{"c", "a", "b", "e", "d"}));
}

TEST(Safetensors, EmptyDictIsSpecBytes) {
  std::string path = tmp_path("empty.safetensors");
  safetensors_save(path, {}, {});
  EXPECT_EQ(read_bytes(path), std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
  EXPECT_TRUE(safetensors_load(path).empty());
}

TEST(Safetensors, RejectsEveryInvalidLayout) {
  const std::string f32x2 = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string eight(8, 'x');
  struct Case {
    const char* name;
    std::string bytes;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {"too_small", "abc", "too small for a safetensors header"},
      {"too_large", le64(100000001) + "{}", "is too large"},
      {"past_end", le64(100) + "{}", "runs past the end of the file"},
      {"not_utf8", st_file("{\"a\xff\":1}", ""), "not valid UTF-8"},
      {"overlong_utf8", st_file("{\"\xc0\xaf\":1}", ""), "not valid UTF-8"},
      {"not_json", st_file("{not json}", ""), "not valid JSON"},
      {"not_object", st_file("[]", ""), "not a JSON object"},
      {"deep_nesting", st_file(std::string(300000, '[') + std::string(300000, ']'), ""), "not a JSON object"},
      {"unknown_dtype", st_file(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", eight),
       "unknown dtype 'F33'"},
      {"negative_dim", st_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight),
       "not a non-negative integer"},
      {"float_offset", st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}})", eight),
       "not a non-negative integer"},
      {"offsets_arity", st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", eight),
       "no 'data_offsets' pair"},
      {"no_shape", st_file(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", eight), "no 'shape' array"},
      {"gap", st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", std::string(12, 'x')),
       "tensor 'b' data_offsets [8, 12] leave a gap or overlap"},
      {"overlap", st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, 'x')),
       "tensor 'b' data_offsets [4, 12] leave a gap or overlap"},
      {"late_start", st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight),
       "leave a gap or overlap (expected to begin at 0)"},
      {"reversed", st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                           R"("b":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", "xxxx"),
       "tensor 'b' data_offsets [4, 0] leave a gap or overlap"},
      {"size_mismatch", st_file(R"({"a.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})",
                                std::string(12, 'x')),
       "tensor 'a.weight' data_offsets [0, 12] do not match dtype F32 and shape [2, 2] (expected 16 bytes)"},
      {"overflow", st_file(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", eight),
       "overflows"},
      {"sub_byte", st_file(R"({"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", "xx"),
       "does not fill a whole number of bytes"},
      {"trailing", st_file(f32x2, eight + "!"), "(truncated or trailing bytes)"},
      {"truncated", st_file(f32x2, "xxxx"), "(truncated or trailing bytes)"},
      {"duplicate", st_file(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                            R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", "xx"),
       "duplicate key 'a'"},
      {"metadata_not_string", st_file(R"({"__metadata__":{"n":1}})", ""), "value of 'n' is not a string"},
      {"metadata_not_object", st_file(R"({"__metadata__":"x"})", ""), "__metadata__ must be an object"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_bad_input(write_bytes(std::string(c.name) + ".safetensors", c.bytes), c.fragment);
  }
  expect_bad_input(tmp_path("does_not_exist.safetensors"), "cannot read");
}

TEST(Safetensors, TruncatedSavedFileIsRejected) {
  std::string path = tmp_path("to_truncate.safetensors");
  safetensors_save(path, every_dtype());
  std::string bytes = read_bytes(path);
  for (size_t keep : {size_t{4}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(keep);
    std::string cut = write_bytes("truncated.safetensors", bytes.substr(0, keep));
    EXPECT_THROW(safetensors_load(cut), BadInput);
  }
}

TEST(Safetensors, NamesDtypesLibTorchLacks) {
  for (const char* dtype : {"F8_E4M3", "F8_E5M2", "U16", "U32", "U64"}) {
    std::string header = std::string(R"({"w":{"dtype":")") + dtype + R"(","shape":[1],"data_offsets":[0,)";
    int bytes = dtype[0] == 'F' ? 1 : dtype[1] == '1' ? 2 : dtype[1] == '3' ? 4 : 8;
    header += std::to_string(bytes) + "]}}";
    std::string path = write_bytes("unsupported.safetensors", st_file(header, std::string(bytes, 'x')));
    expect_bad_input(path, std::string("dtype ") + dtype + " of tensor 'w' is not supported by LibTorch 1.13");
  }
}

TEST(Safetensors, AcceptsWhitespaceUnknownKeysAndMisalignedData) {
  // Other writers may pad with whitespace on either side, add keys, and leave the data unaligned.
  std::string header = " \n\t" R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}})" "\r\n";
  ASSERT_NE(header.size() % 4, 0u);
  std::string path = write_bytes("misaligned.safetensors", st_file(header, raw<float>({1.5f, -2.f})));
  TensorDict loaded = safetensors_load(path);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_TRUE(at::equal(loaded[0].second, at::tensor({1.5f, -2.f})));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(loaded[0].second.data_ptr()) % 4, 0u);
}

// Address range of the mapping of `path` in this process, or {0, 0}.
std::pair<uintptr_t, uintptr_t> mapped_range(const std::string& file) {
  char resolved[PATH_MAX];
  std::string path = realpath(file.c_str(), resolved) ? resolved : file;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() > path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0) {
      uintptr_t begin = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
      uintptr_t end = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
      return {begin, end};
    }
  }
  return {0, 0};
}

TEST(Safetensors, TensorsAreZeroCopyViewsThatOutliveTheDict) {
  std::string path = tmp_path("mapped.safetensors");
  safetensors_save(path, {{"a", at::arange(1000, at::kFloat)}, {"b", at::arange(10, at::kLong)}});
  at::Tensor kept;
  {
    TensorDict loaded = safetensors_load(path);
    auto [begin, end] = mapped_range(path);
    ASSERT_NE(begin, 0u) << "file is not mapped";
    for (const auto& [name, t] : loaded) {
      auto ptr = reinterpret_cast<uintptr_t>(t.data_ptr());
      EXPECT_TRUE(ptr >= begin && ptr + t.nbytes() <= end) << name << " is not inside the mapping";
      EXPECT_FALSE(t.storage().resizable()) << name;
    }
    kept = loaded[1].second;  // "a" (F32) sorts after "b" (I64)
  }
  EXPECT_NE(mapped_range(path).first, 0u) << "mapping must live while a tensor uses it";
  EXPECT_TRUE(at::equal(kept, at::arange(1000, at::kFloat)));
  kept = at::Tensor();
  EXPECT_EQ(mapped_range(path).first, 0u) << "mapping must go away with the last tensor";
}

TEST(Safetensors, WritingALoadedTensorDoesNotChangeTheFile) {
  std::string path = tmp_path("cow.safetensors");
  safetensors_save(path, {{"a", at::ones({4})}});
  std::string before = read_bytes(path);
  TensorDict loaded = safetensors_load(path);
  loaded[0].second.add_(1);
  EXPECT_TRUE(at::equal(loaded[0].second, at::full({4}, 2.f)));
  EXPECT_EQ(read_bytes(path), before);
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  }
  closedir(d);
  return out;
}

TEST(Safetensors, WriterRejectsBadInputAndLeavesNothingBehind) {
  std::string dir = tmp_path("writer_errors");
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  EXPECT_THROW(safetensors_save(dir + "/dup.safetensors", {{"a", at::ones({1})}, {"a", at::ones({1})}}), BadInput);
  EXPECT_THROW(safetensors_save(dir + "/meta.safetensors", {{"__metadata__", at::ones({1})}}), BadInput);
  EXPECT_THROW(safetensors_save(dir + "/c128.safetensors", {{"z", at::ones({1}, at::kComplexDouble)}}), BadInput);
  EXPECT_THROW(safetensors_save(dir + "/undef.safetensors", {{"u", at::Tensor()}}), BadInput);
  EXPECT_TRUE(files_in(dir).empty());
  EXPECT_THROW(safetensors_save(tmp_path("no_such_dir/x.safetensors"), {{"a", at::ones({1})}}), Error);
}

TEST(Safetensors, LoadsShardedCheckpointInWeightMapOrder) {
  std::string dir = tmp_path("sharded");
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  safetensors_save(dir + "/model-00001-of-00002.safetensors", {{"a", at::ones({2})}, {"b", at::zeros({3})}});
  safetensors_save(dir + "/model-00002-of-00002.safetensors", {{"c", at::arange(4, at::kLong)}});
  std::string index = dir + "/model.safetensors.index.json";
  std::ofstream(index) << R"({"metadata":{"total_size":52},"weight_map":{"c":"model-00002-of-00002.safetensors",)"
                       << R"("b":"model-00001-of-00002.safetensors","a":"model-00001-of-00002.safetensors"}})";
  TensorDict loaded = safetensors_load_sharded(index);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0].first, "c");
  EXPECT_EQ(loaded[1].first, "b");
  EXPECT_EQ(loaded[2].first, "a");
  EXPECT_TRUE(at::equal(loaded[0].second, at::arange(4, at::kLong)));
  EXPECT_TRUE(at::equal(loaded[2].second, at::ones({2})));
  // One mapping per shard: tensors of the same shard share its address range.
  auto [begin, end] = mapped_range(dir + "/model-00001-of-00002.safetensors");
  auto b_ptr = reinterpret_cast<uintptr_t>(loaded[1].second.data_ptr());
  EXPECT_TRUE(b_ptr >= begin && b_ptr < end);
}

TEST(Safetensors, ShardedIndexErrorsNameTheProblem) {
  std::string dir = tmp_path("sharded_bad");
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  safetensors_save(dir + "/shard.safetensors", {{"a", at::ones({2})}});
  auto expect_error = [&](const std::string& json, const std::string& fragment) {
    std::string index = dir + "/model.safetensors.index.json";
    std::ofstream(index) << json;
    try {
      safetensors_load_sharded(index);
      ADD_FAILURE() << "loaded " << json;
    } catch (const BadInput& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error(R"({"weight_map":{"a":"missing.safetensors"}})", "shard 'missing.safetensors'");
  expect_error(R"({"weight_map":{"zz":"shard.safetensors"}})",
               "tensor 'zz' is listed in weight_map but missing from shard 'shard.safetensors'");
  expect_error(R"({"weight_map":{"a":"../sharded/shard.safetensors"}})", "must be a path inside");
  expect_error(R"({"weight_map":)", "not valid JSON");
  expect_error(R"({"metadata":{}})", "missing the 'weight_map'");
  expect_error(R"({"weight_map":{"a":3}})", "is not a file name");
}

}  // namespace
}  // namespace hezar
