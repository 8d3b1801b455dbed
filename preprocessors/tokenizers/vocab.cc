#include "preprocessors/tokenizers/vocab.h"

namespace hezar::tok {

uint64_t Vocab::hash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h ^ (h >> 29);
}

void Vocab::grow() {
  size_t cap = table_.empty() ? 64 : table_.size() * 2;
  table_.assign(cap, -1);
  for (size_t k = 0; k < keys_.size(); ++k) {
    size_t i = hash(keys_[k]) & (cap - 1);
    while (table_[i] >= 0) i = (i + 1) & (cap - 1);
    table_[i] = static_cast<int32_t>(k);
  }
}

const uint32_t* Vocab::find(std::string_view token) const {
  if (table_.empty()) return nullptr;
  size_t mask = table_.size() - 1;
  size_t i = hash(token) & mask;
  while (table_[i] >= 0) {
    if (keys_[static_cast<size_t>(table_[i])] == token) return &key_ids_[static_cast<size_t>(table_[i])];
    i = (i + 1) & mask;
  }
  return nullptr;
}

void Vocab::add(const std::string& token, uint32_t id) {
  if (const uint32_t* existing = find(token)) {
    const_cast<uint32_t&>(*existing) = id;
  } else {
    if ((keys_.size() + 1) * 2 > table_.size()) {
      keys_.push_back(token);
      key_ids_.push_back(id);
      grow();
    } else {
      keys_.push_back(token);
      key_ids_.push_back(id);
      size_t mask = table_.size() - 1;
      size_t i = hash(token) & mask;
      while (table_[i] >= 0) i = (i + 1) & mask;
      table_[i] = static_cast<int32_t>(keys_.size() - 1);
    }
    ++count_;
  }
  if (id >= by_id_.size()) {
    by_id_.resize(id + 1);
    has_id_.resize(id + 1, false);
  }
  by_id_[id] = token;
  has_id_[id] = true;
}

std::unordered_map<std::string, uint32_t> Vocab::to_map() const {
  std::unordered_map<std::string, uint32_t> m;
  for (size_t k = 0; k < keys_.size(); ++k) m[keys_[k]] = key_ids_[k];
  return m;
}

}  // namespace hezar::tok
