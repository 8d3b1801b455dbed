// Reading and writing `torch.save` files (a zip archive holding data.pkl plus one record per storage)
// without Python: a restricted unpickler that only understands state dicts of tensors, and a pickler that
// writes what Python's torch.load (1.13) reads back as an OrderedDict.
#pragma once

#include <string>

#include "core/tensor_dict.h"

namespace hezar {

// Loads `torch.save(state_dict)` output (OrderedDict or plain dict of tensors). Only allow-listed globals
// are accepted, nothing is ever executed; tensors that share a storage in the file share memory here.
// Throws BadInput naming the file for corrupt, legacy (non-zip) or disallowed content.
TensorDict torch_load(const std::string& path);

// Writes `tensors` as a torch zip archive, atomically. Tensors sharing a storage are stored once, with
// their offsets and strides, as Python's torch.save does.
void torch_save(const std::string& path, const TensorDict& tensors);

}  // namespace hezar
