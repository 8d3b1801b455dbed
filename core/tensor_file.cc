#include "core/tensor_file.h"

#include "core/error.h"
#include "core/safetensors.h"
#include "core/torch_pickle.h"

namespace hezar {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TensorDict tensor_file_load(const std::string& path) {
  if (ends_with(path, ".safetensors")) return safetensors_load(path);
  if (ends_with(path, ".safetensors.index.json")) return safetensors_load_sharded(path);
  return torch_load(path);
}

void tensor_file_save(const std::string& path, const TensorDict& tensors) {
  HEZAR_CHECK_INPUT(!ends_with(path, ".json"), path,
                    ": cannot save weights as JSON; use a .safetensors, .pt, .bin or .pth file name");
  if (ends_with(path, ".safetensors")) return safetensors_save(path, tensors);
  torch_save(path, tensors);
}

}  // namespace hezar
