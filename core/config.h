// Typed configs that round-trip to YAML.
//
// Every module (model, preprocessor, dataset, metric, trainer) has a config struct derived from Config.
// A config lists its fields once, in `visit`, and that single list drives YAML decoding (with strict
// unknown-key and type checks), YAML encoding (stable field order, unset optionals skipped), `--set`
// overrides and `hezar config show`.
//
// Precedence: command-line overrides > config file > defaults (the struct's initialisers). Overrides
// are applied to the parsed YAML tree before decoding, so one decoder validates both.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>


namespace hezar {

class Config;

// Where the YAML being decoded came from: a file path (for "file:line" in errors) and the dotted key
// path of the value being decoded ("trainer", "model.id2label").
struct DecodeContext {
  std::string file;
  std::string path;
  DecodeContext child(const std::string& key) const;
  // "config.yaml:12" for nodes read from a file, "--set" for nodes made by an override.
  std::string where(const YAML::Node& node) const;
};

// How to decode, encode and test one C++ field type. One static instance per type (see field_ops<T>).
struct FieldOps {
  const char* type_name;
  void (*decode)(const YAML::Node& node, void* field, const DecodeContext& ctx);
  void (*emit)(YAML::Emitter& out, const void* field);
  bool (*is_set)(const void* field);
};

template <class T>
const FieldOps& field_ops();

class FieldVisitor {
 public:
  virtual ~FieldVisitor() = default;
  template <class T>
  void operator()(const char* key, T& field, const char* help = "") {
    on_field(key, &field, field_ops<T>(), help);
  }
  virtual void on_field(const char* key, void* field, const FieldOps& ops, const char* help) = 0;
};

class Config {
 public:
  virtual ~Config() = default;
  // Registry name (`name:` in YAML) and family (`config_type:`): class-level constants, as in Hezar.
  virtual const char* name() const = 0;
  virtual const char* config_type() const = 0;
  virtual std::unique_ptr<Config> clone() const = 0;
  // Lists every field except name/config_type, in the order they are written to YAML.
  virtual void visit(FieldVisitor& v) = 0;
};

// Declares name(), config_type() and clone() for a config class.
#define HEZAR_CONFIG(Class, NAME, TYPE)                                     \
  const char* name() const override { return NAME; }                       \
  const char* config_type() const override { return TYPE; }                \
  std::unique_ptr<::hezar::Config> clone() const override {                \
    return std::make_unique<Class>(*this);                                  \
  }

// A nested config whose concrete class is chosen by its `name` from the registry of `family`
// ("model", "preprocessor", ...). Copies are deep.
class AnyConfig {
 public:
  explicit AnyConfig(std::string family) : family_(std::move(family)) {}
  AnyConfig(std::string family, std::unique_ptr<Config> value)
      : family_(std::move(family)), value_(std::move(value)) {}
  AnyConfig(const AnyConfig& other);
  AnyConfig& operator=(const AnyConfig& other);
  AnyConfig(AnyConfig&&) = default;
  AnyConfig& operator=(AnyConfig&&) = default;

  const std::string& family() const { return family_; }
  bool has_value() const { return value_ != nullptr; }
  Config* get() const { return value_.get(); }
  Config& operator*() const { return *value_; }
  Config* operator->() const { return value_.get(); }
  void reset(std::unique_ptr<Config> value) { value_ = std::move(value); }

 private:
  std::string family_;
  std::unique_ptr<Config> value_;
};

// One or more nested configs of `family`: YAML accepts a single mapping or a list of mappings.
struct AnyConfigList {
  explicit AnyConfigList(std::string family_name) : family(std::move(family_name)) {}
  std::string family;
  std::vector<AnyConfig> items;
};

// ---- YAML <-> Config --------------------------------------------------------------------------

// Parses a YAML file; malformed YAML or a missing file is BadInput naming file and line.
YAML::Node yaml_load_file(const std::string& path);
YAML::Node yaml_parse(const std::string& text, const std::string& source_name);

// Decodes `node` (a map) into `config`. Unknown keys, wrong types and a `name`/`config_type` that does
// not match the class are BadInput: "unknown key 'lerning_rate' in trainer (config.yaml:12); did you
// mean 'learning_rate'?".
void config_decode(Config& config, const YAML::Node& node, const DecodeContext& ctx);

// Decodes a config of `family` whose class is picked by the `name` key through the config registry.
std::unique_ptr<Config> config_decode_any(const std::string& family, const YAML::Node& node,
                                          const DecodeContext& ctx);

// Emits `name`, `config_type`, then every set field in visit order.
void config_emit(YAML::Emitter& out, const Config& config);
std::string config_to_yaml(const Config& config);
YAML::Node config_to_node(const Config& config);

// Writes the YAML atomically; creates parent directories.
void config_save(const Config& config, const std::string& path);
// Loads a config file of `family`, picking the class by `name` (Hezar's Config.load).
std::unique_ptr<Config> config_load(const std::string& path, const std::string& family);

// Applies one "a.b.c=value" override to a YAML tree (value parsed as YAML, so it is typed by the
// decoder afterwards). Malformed assignments are BadInput.
void yaml_apply_override(YAML::Node& root, const std::string& assignment);

// Returns a copy of `config` with overrides ("key=value", keys relative to the config) applied.
std::unique_ptr<Config> config_with_overrides(const Config& config,
                                              const std::vector<std::string>& overrides);

// Keys whose values differ between two configs, as "key: a -> b" lines (dotted keys, both YAML forms).
std::vector<std::string> config_diff(const Config& a, const Config& b);

// Names of the fields of `config` (for suggestions and docs).
std::vector<std::string> config_field_names(Config& config);

[[noreturn]] void throw_config_mismatch(const Config& config, const char* expected_name);

// Casts to the concrete config class, with a clear error naming both classes if it is another one.
template <class T>
const T& config_cast(const Config& config) {
  auto* typed = dynamic_cast<const T*>(&config);
  if (typed == nullptr) throw_config_mismatch(config, T().name());
  return *typed;
}

// The field `key` of `config` if it exists with C++ type T, else nullptr. Lets generic code reach
// fields many configs share by convention (id2label, train_split) without a common base class.
template <class T>
T* config_find_field(Config& config, const char* key);

// ---- field codecs -------------------------------------------------------------------------------

namespace config_detail {
[[noreturn]] void type_error(const YAML::Node& node, const DecodeContext& ctx, const char* expected);
bool node_is_null(const YAML::Node& node);

void decode_value(const YAML::Node& n, bool& v, const DecodeContext& c);
void decode_value(const YAML::Node& n, int& v, const DecodeContext& c);
void decode_value(const YAML::Node& n, int64_t& v, const DecodeContext& c);
void decode_value(const YAML::Node& n, double& v, const DecodeContext& c);
void decode_value(const YAML::Node& n, std::string& v, const DecodeContext& c);
void decode_value(const YAML::Node& n, AnyConfig& v, const DecodeContext& c);
void decode_value(const YAML::Node& n, AnyConfigList& v, const DecodeContext& c);
void emit_value(YAML::Emitter& out, bool v);
void emit_value(YAML::Emitter& out, int v);
void emit_value(YAML::Emitter& out, int64_t v);
void emit_value(YAML::Emitter& out, double v);
void emit_value(YAML::Emitter& out, const std::string& v);
void emit_value(YAML::Emitter& out, const AnyConfig& v);
void emit_value(YAML::Emitter& out, const AnyConfigList& v);


// Declared first so the container codecs can nest in any order (optional<vector<...>>, map<K, vector>).
template <class T>
void decode_value(const YAML::Node& n, std::optional<T>& v, const DecodeContext& c);
template <class T>
void decode_value(const YAML::Node& n, std::vector<T>& v, const DecodeContext& c);
template <class K, class V>
void decode_value(const YAML::Node& n, std::map<K, V>& v, const DecodeContext& c);
template <class T>
void emit_value(YAML::Emitter& out, const std::optional<T>& v);
template <class T>
void emit_value(YAML::Emitter& out, const std::vector<T>& v);
template <class K, class V>
void emit_value(YAML::Emitter& out, const std::map<K, V>& v);
template <class T, std::enable_if_t<std::is_base_of_v<Config, T>, int> = 0>
void decode_value(const YAML::Node& n, T& v, const DecodeContext& c);
template <class T, std::enable_if_t<std::is_base_of_v<Config, T>, int> = 0>
void emit_value(YAML::Emitter& out, const T& v);

template <class T>
void decode_value(const YAML::Node& n, std::optional<T>& v, const DecodeContext& c) {
  if (node_is_null(n)) {
    v.reset();
    return;
  }
  T value{};
  decode_value(n, value, c);
  v = std::move(value);
}

template <class T>
void decode_value(const YAML::Node& n, std::vector<T>& v, const DecodeContext& c) {
  if (!n.IsSequence()) type_error(n, c, "a list");
  std::vector<T> out(n.size());
  for (size_t i = 0; i < n.size(); ++i) decode_value(n[i], out[i], c.child(std::to_string(i)));
  v = std::move(out);
}

template <class K, class V>
void decode_value(const YAML::Node& n, std::map<K, V>& v, const DecodeContext& c) {
  if (!node_is_null(n) && !n.IsMap()) type_error(n, c, "a mapping");
  std::map<K, V> out;
  if (!node_is_null(n)) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      K key{};
      decode_value(it->first, key, c);
      decode_value(it->second, out[key], c.child(it->first.Scalar()));
    }
  }
  v = std::move(out);
}

template <class T, std::enable_if_t<std::is_base_of_v<Config, T>, int>>
void decode_value(const YAML::Node& n, T& v, const DecodeContext& c) {
  config_decode(v, n, c);
}

template <class T>
void emit_value(YAML::Emitter& out, const std::optional<T>& v) {
  if (v) emit_value(out, *v); else out << YAML::Null;
}

template <class T>
void emit_value(YAML::Emitter& out, const std::vector<T>& v) {
  if (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const auto& item : v) emit_value(out, item);
  out << YAML::EndSeq;
}

template <class K, class V>
void emit_value(YAML::Emitter& out, const std::map<K, V>& v) {
  if (v.empty()) out << YAML::Flow;
  out << YAML::BeginMap;
  for (const auto& [key, value] : v) {
    out << YAML::Key;
    emit_value(out, key);
    out << YAML::Value;
    emit_value(out, value);
  }
  out << YAML::EndMap;
}

template <class T, std::enable_if_t<std::is_base_of_v<Config, T>, int>>
void emit_value(YAML::Emitter& out, const T& v) {
  config_emit(out, v);
}

template <class T>
bool is_set(const T&) { return true; }
template <class T>
bool is_set(const std::optional<T>& v) { return v.has_value(); }
inline bool is_set(const AnyConfig& v) { return v.has_value(); }
inline bool is_set(const AnyConfigList& v) { return !v.items.empty(); }

template <class T> const char* type_name() { return "a mapping"; }
template <> inline const char* type_name<bool>() { return "a boolean"; }
template <> inline const char* type_name<int>() { return "an integer"; }
template <> inline const char* type_name<int64_t>() { return "an integer"; }
template <> inline const char* type_name<double>() { return "a number"; }
template <> inline const char* type_name<std::string>() { return "a string"; }
}  // namespace config_detail

template <class T>
const FieldOps& field_ops() {
  static const FieldOps ops{
      config_detail::type_name<T>(),
      [](const YAML::Node& n, void* f, const DecodeContext& c) {
        config_detail::decode_value(n, *static_cast<T*>(f), c);
      },
      [](YAML::Emitter& out, const void* f) { config_detail::emit_value(out, *static_cast<const T*>(f)); },
      [](const void* f) { return config_detail::is_set(*static_cast<const T*>(f)); }};
  return ops;
}

template <class T>
T* config_find_field(Config& config, const char* key) {
  struct Finder : FieldVisitor {
    const char* wanted;
    T* found = nullptr;
    void on_field(const char* k, void* f, const FieldOps& ops, const char*) override {
      if (std::string(k) == wanted && &ops == &field_ops<T>()) found = static_cast<T*>(f);
    }
  } finder;
  finder.wanted = key;
  config.visit(finder);
  return finder.found;
}

}  // namespace hezar
