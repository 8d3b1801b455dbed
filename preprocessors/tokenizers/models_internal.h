#pragma once

#include <memory>
#include <string>

#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/vocab.h"

namespace hezar::tok {

// Reads {"token": id, ...} into `vocab`.
void vocab_from_json(const Json& j, const std::string& path, Vocab& vocab);
std::unique_ptr<Model> make_wordpiece(const Json& j, const std::string& path);
std::unique_ptr<Model> make_wordlevel(const Json& j, const std::string& path);
std::unique_ptr<Model> make_bpe(const Json& j, const std::string& path);
std::unique_ptr<Model> make_unigram(const Json& j, const std::string& path);

// Vocab-based model base: token_to_id/id_to_token/vocab over a Vocab.
class VocabModel : public Model {
 public:
  std::optional<uint32_t> token_to_id(const std::string& t) const override { return vocab_.get(t); }
  std::optional<std::string> id_to_token(uint32_t id) const override {
    const std::string* t = vocab_.token(id);
    return t ? std::optional<std::string>(*t) : std::nullopt;
  }
  size_t vocab_size() const override { return vocab_.size(); }
  std::unordered_map<std::string, uint32_t> vocab() const override { return vocab_.to_map(); }

 protected:
  Vocab vocab_;
};

}  // namespace hezar::tok
