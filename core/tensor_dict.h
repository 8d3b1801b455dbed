// The in-memory form of a weights file: named tensors in file order (state_dict order for torch files,
// header order for safetensors), so a load/save round trip keeps the order users see in Python.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

namespace hezar {

using TensorDict = std::vector<std::pair<std::string, at::Tensor>>;

// Linear search: dicts hold at most a few thousand entries and are searched rarely.
inline const at::Tensor* tensor_dict_find(const TensorDict& dict, const std::string& name) {
  for (const auto& entry : dict) {
    if (entry.first == name) return &entry.second;
  }
  return nullptr;
}

}  // namespace hezar
