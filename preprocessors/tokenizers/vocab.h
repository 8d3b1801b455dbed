// Vocabulary: token string <-> id with string_view lookups (open addressing, no allocation per query).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hezar::tok {

class Vocab {
 public:
  void add(const std::string& token, uint32_t id);
  const uint32_t* find(std::string_view token) const;
  std::optional<uint32_t> get(std::string_view token) const {
    const uint32_t* p = find(token);
    return p ? std::optional<uint32_t>(*p) : std::nullopt;
  }
  // Token of `id`, or nullptr.
  const std::string* token(uint32_t id) const {
    return id < by_id_.size() && has_id_[id] ? &by_id_[id] : nullptr;
  }
  size_t size() const { return count_; }
  std::unordered_map<std::string, uint32_t> to_map() const;

 private:
  static uint64_t hash(std::string_view s);
  void grow();
  struct Slot {
    uint32_t id = 0;
    int32_t entry = -1;  // index into by_id_ keys list
  };
  std::vector<std::string> keys_;
  std::vector<uint32_t> key_ids_;
  std::vector<int32_t> table_;
  std::vector<std::string> by_id_;
  std::vector<bool> has_id_;
  size_t count_ = 0;
};

}  // namespace hezar::tok
