// Registries: one per module family ("model", "preprocessor", "dataset", "metric", ...).
//
// ConfigRegistry knows, for every family, which names exist, their descriptions and how to make their
// default config; core uses it to decode a nested config by `name` and `hezar list` prints it.
// Registry<Base, Args...> lives in the layer that owns the family (models/, data/, ...) and maps a name
// to a constructor `Base(const Config&, Args...)`. HEZAR_REGISTER fills both from one line.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace hezar {

struct ConfigEntry {
  std::string family;
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Config>()> make_config;
};

class ConfigRegistry {
 public:
  static void add(ConfigEntry entry);
  static const ConfigEntry* find(const std::string& family, const std::string& name);
  // Like find(), but an unknown name is BadInput listing the valid ones (and the closest one).
  static const ConfigEntry& get(const std::string& family, const std::string& name);
  static std::vector<const ConfigEntry*> list(const std::string& family);
  static std::vector<std::string> families();
};

template <class Base, class... Args>
class Registry {
 public:
  using Factory = std::function<std::shared_ptr<Base>(const Config&, Args...)>;

  static Registry& instance() {
    static Registry registry;
    return registry;
  }
  void add(const std::string& name, Factory factory) { factories_[name] = std::move(factory); }

  // Builds `name` from `config` (its default config when null) with overrides applied on top:
  // overrides > config > defaults, as Hezar's build_* functions.
  std::shared_ptr<Base> build(const std::string& family, const std::string& name, const Config* config,
                               const std::vector<std::string>& overrides, Args... args) const {
    const ConfigEntry& entry = ConfigRegistry::get(family, name);
    auto it = factories_.find(name);
    HEZAR_CHECK(it != factories_.end(), family, " '", name, "' has a config but no implementation");
    std::unique_ptr<Config> base = config ? config->clone() : entry.make_config();
    std::unique_ptr<Config> resolved = config_with_overrides(*base, overrides);
    HEZAR_CHECK_INPUT(std::string(resolved->name()) == name, "config '", resolved->name(),
                      "' cannot build ", family, " '", name, "'");
    return it->second(*resolved, args...);
  }

 private:
  std::map<std::string, Factory> factories_;
};

namespace registry_detail {
struct Registrar {
  explicit Registrar(std::function<void()> fn) { fn(); }
};
}  // namespace registry_detail

#define HEZAR_CONCAT_INNER(a, b) a##b
#define HEZAR_CONCAT(a, b) HEZAR_CONCAT_INNER(a, b)

// Registers a config class only (families without a module class, e.g. the trainer).
#define HEZAR_REGISTER_CONFIG(FAMILY, NAME, CONFIG, DESCRIPTION)                              \
  static ::hezar::registry_detail::Registrar HEZAR_CONCAT(hezar_config_registrar_, __LINE__)( \
      [] {                                                                                     \
        ::hezar::ConfigRegistry::add(                                                          \
            {FAMILY, NAME, DESCRIPTION, [] { return std::make_unique<CONFIG>(); }});           \
      })

// Registers NAME in FAMILY: config class CONFIG and module CLASS built as CLASS(const CONFIG&, args...)
// through REGISTRY (a Registry<Base, Args...> type).
#define HEZAR_REGISTER(REGISTRY, FAMILY, NAME, CLASS, CONFIG, DESCRIPTION)                     \
  HEZAR_REGISTER_CONFIG(FAMILY, NAME, CONFIG, DESCRIPTION);                                    \
  static ::hezar::registry_detail::Registrar HEZAR_CONCAT(hezar_module_registrar_, __LINE__)( \
      [] {                                                                                     \
        REGISTRY::instance().add(NAME, [](const ::hezar::Config& config, auto&&... args) {    \
          return std::make_shared<CLASS>(::hezar::config_cast<CONFIG>(config),                 \
                                         std::forward<decltype(args)>(args)...);               \
        });                                                                                    \
      })

}  // namespace hezar
