// The `torch.<Name>Storage` classes that torch.save names in its pickles, shared by the reader (to map a
// class to a dtype) and the writer (to name a dtype's class). Internal to core/torch_pickle.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <utility>

namespace hezar {
namespace detail {

constexpr std::pair<const char*, at::ScalarType> kTorchStorageClasses[] = {
    {"FloatStorage", at::kFloat},   {"DoubleStorage", at::kDouble},
    {"HalfStorage", at::kHalf},     {"BFloat16Storage", at::kBFloat16},
    {"LongStorage", at::kLong},     {"IntStorage", at::kInt},
    {"ShortStorage", at::kShort},   {"CharStorage", at::kChar},
    {"ByteStorage", at::kByte},     {"BoolStorage", at::kBool},
    {"ComplexFloatStorage", at::kComplexFloat}, {"ComplexDoubleStorage", at::kComplexDouble},
};

// Class name (without the "torch." module) for a dtype, or nullptr if torch.save has none.
inline const char* torch_storage_class(at::ScalarType type) {
  for (const auto& entry : kTorchStorageClasses) {
    if (entry.second == type) return entry.first;
  }
  return nullptr;
}

// Dtype for a class name (without the "torch." module); false if it is not a storage class.
inline bool torch_storage_dtype(const std::string& name, at::ScalarType* type) {
  for (const auto& entry : kTorchStorageClasses) {
    if (name == entry.first) {
      *type = entry.second;
      return true;
    }
  }
  return false;
}

}  // namespace detail
}  // namespace hezar
