// Preprocessors: the objects that turn raw inputs (image paths, text) into model inputs, saved beside a
// model in `preprocessor/` (Hezar's layout: one `<kind>_config.yaml` per preprocessor plus its files).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/registry.h"

namespace hezar {

class Preprocessor {
 public:
  virtual ~Preprocessor() = default;
  virtual const Config& config() const = 0;
  // Writes this preprocessor's config (and any data files) into `dir`.
  virtual void save(const std::string& dir) const = 0;
};

// Constructor arguments: (config, dir it is loaded from or "" when built fresh).
using PreprocessorRegistry = Registry<Preprocessor, const std::string&>;

#define HEZAR_REGISTER_PREPROCESSOR(NAME, CLASS, CONFIG, DESCRIPTION) \
  HEZAR_REGISTER(::hezar::PreprocessorRegistry, "preprocessor", NAME, CLASS, CONFIG, DESCRIPTION)

// The preprocessors of one model, in order (Hezar's PreprocessorsContainer).
class PreprocessorSet {
 public:
  void add(std::shared_ptr<Preprocessor> p) { items_.push_back(std::move(p)); }
  bool empty() const { return items_.empty(); }
  const std::vector<std::shared_ptr<Preprocessor>>& items() const { return items_; }

  template <class T>
  std::shared_ptr<T> find() const {
    for (const auto& p : items_)
      if (auto typed = std::dynamic_pointer_cast<T>(p)) return typed;
    return nullptr;
  }
  // Like find(), but a missing preprocessor is BadInput naming who needs it.
  template <class T>
  std::shared_ptr<T> get(const char* kind, const std::string& who) const {
    auto p = find<T>();
    HEZAR_CHECK_INPUT(p != nullptr, who, " needs a ", kind, " but none is configured (add a `",
                      kind, "` entry under `preprocessor:` or a preprocessor/ folder)");
    return p;
  }

 private:
  std::vector<std::shared_ptr<Preprocessor>> items_;
};

std::shared_ptr<Preprocessor> preprocessor_build(const Config& config, const std::string& load_dir = "");
PreprocessorSet preprocessors_build(const AnyConfigList& configs);

// Saves every preprocessor into `dir` (created if needed).
void preprocessors_save(const PreprocessorSet& set, const std::string& dir);
// Loads every `*.yaml` in `dir` through the registry by its `name`; a missing dir gives an empty set.
PreprocessorSet preprocessors_load(const std::string& dir);

}  // namespace hezar
