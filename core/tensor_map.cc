#include "core/tensor_map.h"

#include "core/error.h"

namespace hezar {

const at::Tensor& tensor_at(const TensorMap& map, const std::string& key, const char* who) {
  auto it = map.find(key);
  if (it == map.end()) {
    std::string keys;
    for (const auto& [name, tensor] : map) keys += (keys.empty() ? "" : ", ") + name;
    throw RuntimeFailure(detail::concat(who, " needs '", key, "' but got {", keys, "}"));
  }
  return it->second;
}

}  // namespace hezar
