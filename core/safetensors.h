// Reader and writer for the safetensors format (8-byte little-endian header length, JSON header, packed
// little-endian tensor data), following the reference Rust implementation's validation and layout rules.
#pragma once

#include <map>
#include <string>

#include "core/tensor_dict.h"

namespace hezar {

// Maps `path` read-only (copy-on-write) and returns zero-copy tensors in header order; the mapping stays
// alive as long as any returned tensor does. `metadata`, if given, receives the `__metadata__` map.
// Throws BadInput naming the file for any malformed or unsupported content.
TensorDict safetensors_load(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

// Loads a sharded checkpoint from its `*.safetensors.index.json` ({"metadata": {...}, "weight_map":
// {tensor: shard file}}); shards are resolved next to the index and each is mapped once. Tensors come
// back in weight_map order.
TensorDict safetensors_load_sharded(const std::string& index_json_path);

// Writes a spec-conformant file atomically: tensors sorted by dtype alignment (descending) then name,
// compact header padded with spaces to a multiple of 8. Non-contiguous tensors are written contiguous.
void safetensors_save(const std::string& path, const TensorDict& tensors,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace hezar
