// One entry point for weights files, choosing the format from the file name.
#pragma once

#include <string>

#include "core/tensor_dict.h"

namespace hezar {

// `*.safetensors` -> safetensors, `*.safetensors.index.json` -> sharded safetensors, anything else
// (`.pt`, `.bin`, `.pth`) -> torch.save zip archive.
TensorDict tensor_file_load(const std::string& path);

// `*.safetensors` -> safetensors, `.json` -> BadInput (sharded writing is not supported), anything else
// -> torch.save zip archive.
void tensor_file_save(const std::string& path, const TensorDict& tensors);

}  // namespace hezar
