// Post-processing shared by every classifier head.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace hezar {

// logits [N, C] -> one list per row of the top_k {label, score} (softmax, best first), Hezar's
// `[[{label, score}, ...], ...]`. Labels come from id2label, or the class id when it has no name.
nlohmann::json classification_top_k(const at::Tensor& logits, const std::map<int, std::string>& id2label,
                                    int top_k);

}  // namespace hezar
