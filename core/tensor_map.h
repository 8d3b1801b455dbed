// Named tensors passed between preprocessors, datasets, collators and models ("pixel_values",
// "labels", "logits", ...), like the dicts Hezar passes around.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>

namespace hezar {

using TensorMap = std::map<std::string, at::Tensor>;

// The tensor under `key`; a missing key is a RuntimeFailure naming what was there (a wiring bug,
// e.g. a dataset that does not produce what the model expects).
const at::Tensor& tensor_at(const TensorMap& map, const std::string& key, const char* who);

}  // namespace hezar
