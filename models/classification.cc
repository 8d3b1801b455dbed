#include "models/classification.h"

#include "core/error.h"

namespace hezar {

nlohmann::json classification_top_k(const at::Tensor& logits, const std::map<int, std::string>& id2label,
                                    int top_k) {
  HEZAR_CHECK_INPUT(top_k >= 1, "--top-k must be at least 1, got ", top_k);
  const int64_t k = std::min<int64_t>(top_k, logits.size(1));
  auto [scores, ids] = at::softmax(logits.to(at::kFloat), 1).topk(k, 1);
  auto score = scores.accessor<float, 2>();
  auto id = ids.accessor<int64_t, 2>();
  nlohmann::json out = nlohmann::json::array();
  for (int64_t row = 0; row < logits.size(0); ++row) {
    nlohmann::json items = nlohmann::json::array();
    for (int64_t j = 0; j < k; ++j) {
      auto label = id2label.find(static_cast<int>(id[row][j]));
      items.push_back({{"label", label != id2label.end() ? label->second : std::to_string(id[row][j])},
                       {"score", score[row][j]}});
    }
    out.push_back(items);
  }
  return out;
}

}  // namespace hezar
