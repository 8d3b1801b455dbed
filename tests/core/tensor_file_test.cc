#include "core/tensor_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/safetensors.h"
#include "tests/core/tensor_io_test_util.h"

namespace hezar {
namespace {

using test::read_bytes;
using test::tmp_path;

TensorDict sample() {
  return {{"w", at::arange(6, at::kFloat).reshape({2, 3})}, {"n", at::scalar_tensor(3, at::kLong)}};
}

void expect_same(const TensorDict& got, const TensorDict& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [name, tensor] : expected) {
    const at::Tensor* found = tensor_dict_find(got, name);
    ASSERT_NE(found, nullptr) << name;
    EXPECT_EQ(found->scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(at::equal(*found, tensor)) << name;
  }
}

TEST(TensorFile, DispatchesOnTheFileName) {
  for (const char* name : {"m.safetensors", "m.pt", "m.bin", "m.pth"}) {
    SCOPED_TRACE(name);
    std::string path = tmp_path(name);
    tensor_file_save(path, sample());
    bool zip = read_bytes(path).rfind("PK\x03\x04", 0) == 0;
    EXPECT_EQ(zip, std::string(name) != "m.safetensors");
    expect_same(tensor_file_load(path), sample());
  }
}

TEST(TensorFile, LoadsShardIndexAndConvertsBetweenFormats) {
  safetensors_save(tmp_path("s-00001-of-00001.safetensors"), sample());
  std::string index = tmp_path("s.safetensors.index.json");
  std::ofstream(index) << R"({"metadata":{},"weight_map":{"w":"s-00001-of-00001.safetensors",)"
                       << R"("n":"s-00001-of-00001.safetensors"}})";
  TensorDict mapped = tensor_file_load(index);
  expect_same(mapped, sample());
  // Tensors viewing a safetensors mapping can be written straight to a torch archive.
  tensor_file_save(tmp_path("converted.pt"), mapped);
  expect_same(tensor_file_load(tmp_path("converted.pt")), sample());
}

TEST(TensorFile, RefusesToSaveJson) {
  EXPECT_THROW(tensor_file_save(tmp_path("x.safetensors.index.json"), sample()), BadInput);
}

}  // namespace
}  // namespace hezar
