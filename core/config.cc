#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/file_util.h"
#include "core/registry.h"
#include "core/strings.h"

namespace hezar {

// ---- DecodeContext --------------------------------------------------------------------------------

DecodeContext DecodeContext::child(const std::string& key) const {
  return {file, path.empty() ? key : path + "." + key};
}

std::string DecodeContext::where(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return "--set";
  return file + ":" + std::to_string(mark.line + 1);
}

// ---- AnyConfig ------------------------------------------------------------------------------------

AnyConfig::AnyConfig(const AnyConfig& other)
    : family_(other.family_), value_(other.value_ ? other.value_->clone() : nullptr) {}

AnyConfig& AnyConfig::operator=(const AnyConfig& other) {
  if (this != &other) {
    family_ = other.family_;
    value_ = other.value_ ? other.value_->clone() : nullptr;
  }
  return *this;
}

// ---- parsing ---------------------------------------------------------------------------------------

YAML::Node yaml_parse(const std::string& text, const std::string& source_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw BadInput(detail::concat("malformed YAML in ", source_name, ":", e.mark.line + 1, ":",
                                  e.mark.column + 1, ": ", e.msg));
  }
}

YAML::Node yaml_load_file(const std::string& path) {
  HEZAR_CHECK_INPUT(std::filesystem::is_regular_file(path), "config file '", path,
                    "' does not exist or is not a file");
  return yaml_parse(file_read(path), path);
}

// ---- decoding --------------------------------------------------------------------------------------

namespace {

struct FieldSlot {
  std::string key;
  void* field;
  const FieldOps* ops;
};

class SlotCollector : public FieldVisitor {
 public:
  std::vector<FieldSlot> slots;
  void on_field(const char* key, void* field, const FieldOps& ops, const char*) override {
    slots.push_back({key, field, &ops});
  }
};

std::vector<FieldSlot> collect_slots(Config& config) {
  SlotCollector collector;
  config.visit(collector);
  return collector.slots;
}

std::string section_name(const DecodeContext& ctx, const Config& config) {
  if (!ctx.path.empty()) return ctx.path;
  return *config.name() ? std::string(config.name()) : std::string("the top level");
}

void check_identity(const Config& config, const std::string& key, const YAML::Node& value,
                    const DecodeContext& ctx) {
  const std::string expected = key == "name" ? config.name() : config.config_type();
  const std::string got = value.IsScalar() ? value.Scalar() : "";
  HEZAR_CHECK_INPUT(got == expected, key, " '", got, "' in ", section_name(ctx, config), " (",
                    ctx.where(value), ") does not match the ", config.name(), " config (expected '",
                    expected, "')");
}

}  // namespace

void config_decode(Config& config, const YAML::Node& node, const DecodeContext& ctx) {
  if (!node.IsDefined() || node.IsNull()) return;  // an empty section keeps the defaults
  if (!node.IsMap()) config_detail::type_error(node, ctx, "a mapping");
  std::vector<FieldSlot> slots = collect_slots(config);
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (key == "name" || key == "config_type") {
      check_identity(config, key, it->second, ctx);
      continue;
    }
    auto slot = std::find_if(slots.begin(), slots.end(), [&](const FieldSlot& s) { return s.key == key; });
    if (slot == slots.end()) {
      std::vector<std::string> names;
      for (const auto& s : slots) names.push_back(s.key);
      throw BadInput(detail::concat("unknown key '", key, "' in ", section_name(ctx, config), " (",
                                    ctx.where(it->first), ")", did_you_mean(key, names)));
    }
    slot->ops->decode(it->second, slot->field, ctx.child(key));
  }
}

std::unique_ptr<Config> config_decode_any(const std::string& family, const YAML::Node& node,
                                          const DecodeContext& ctx) {
  const std::string where = ctx.path.empty() ? family : ctx.path;
  HEZAR_CHECK_INPUT(node.IsDefined() && node.IsMap(), where, " config (", ctx.where(node),
                    ") must be a mapping with a 'name' key");
  const YAML::Node name = node["name"];
  HEZAR_CHECK_INPUT(name.IsDefined() && name.IsScalar(), where, " config (", ctx.where(node),
                    ") has no 'name'; run 'hezar list ", family, "s' for the valid names");
  const ConfigEntry* entry = ConfigRegistry::find(family, name.Scalar());
  if (entry == nullptr) {
    std::vector<std::string> names;
    for (const auto* e : ConfigRegistry::list(family)) names.push_back(e->name);
    throw BadInput(detail::concat("unknown ", family, " '", name.Scalar(), "' in ", where, " (",
                                  ctx.where(name), ")", did_you_mean(name.Scalar(), names),
                                  "; valid: ", join(names, ", ")));
  }
  std::unique_ptr<Config> config = entry->make_config();
  config_decode(*config, node, ctx);
  return config;
}

void throw_config_mismatch(const Config& config, const char* expected_name) {
  throw BadInput(detail::concat("expected a '", expected_name, "' config but got '", config.name(), "'"));
}

// ---- encoding --------------------------------------------------------------------------------------

void config_emit(YAML::Emitter& out, const Config& config) {
  Config& mutable_config = const_cast<Config&>(config);  // visit() is shared with decoding
  out << YAML::BeginMap;
  if (*config.name()) out << YAML::Key << "name" << YAML::Value << config.name();
  if (*config.config_type()) out << YAML::Key << "config_type" << YAML::Value << config.config_type();
  for (const FieldSlot& slot : collect_slots(mutable_config)) {
    if (!slot.ops->is_set(slot.field)) continue;
    out << YAML::Key << slot.key << YAML::Value;
    slot.ops->emit(out, slot.field);
  }
  out << YAML::EndMap;
}

std::string config_to_yaml(const Config& config) {
  YAML::Emitter out;
  config_emit(out, config);
  return std::string(out.c_str()) + "\n";
}

YAML::Node config_to_node(const Config& config) { return YAML::Load(config_to_yaml(config)); }

void config_save(const Config& config, const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  file_write_atomic(path, config_to_yaml(config));
}

std::unique_ptr<Config> config_load(const std::string& path, const std::string& family) {
  return config_decode_any(family, yaml_load_file(path), DecodeContext{path, ""});
}

namespace {
std::string node_text(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(unset)";
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

void node_diff(const YAML::Node& a, const YAML::Node& b, const std::string& prefix, std::vector<std::string>& out) {
  if (a.IsDefined() && b.IsDefined() && a.IsMap() && b.IsMap()) {  // a missing key's node is invalid
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it->first.Scalar());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it->first.Scalar());
    for (const auto& key : keys) node_diff(a[key], b[key], prefix.empty() ? key : prefix + "." + key, out);
    return;
  }
  const std::string ta = node_text(a), tb = node_text(b);
  if (ta != tb) out.push_back(prefix + ": " + ta + " -> " + tb);
}
}  // namespace

std::vector<std::string> config_diff(const Config& a, const Config& b) {
  std::vector<std::string> out;
  node_diff(config_to_node(a), config_to_node(b), "", out);
  return out;
}

std::vector<std::string> config_field_names(Config& config) {
  std::vector<std::string> names;
  for (const auto& slot : collect_slots(config)) names.push_back(slot.key);
  return names;
}

// ---- overrides -------------------------------------------------------------------------------------

namespace {
// A copy of `node` built programmatically, so it carries no source marks and errors about it say
// "--set" instead of a line of the override's own one-line text.
YAML::Node without_marks(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return YAML::Node(node.Scalar());
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : node) out.push_back(without_marks(item));
      return out;
    }
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      for (auto it = node.begin(); it != node.end(); ++it) out[it->first.Scalar()] = without_marks(it->second);
      return out;
    }
    default: return YAML::Node(YAML::NodeType::Null);
  }
}
}  // namespace

void yaml_apply_override(YAML::Node& root, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  HEZAR_CHECK_INPUT(eq != std::string::npos && eq > 0, "override '", assignment,
                    "' must look like section.key=value (e.g. trainer.batch_size=16)");
  const std::vector<std::string> keys = split(assignment.substr(0, eq), '.');
  for (const auto& key : keys)
    HEZAR_CHECK_INPUT(!key.empty(), "override '", assignment, "' has an empty key");
  YAML::Node value = without_marks(yaml_parse(assignment.substr(eq + 1), "--set " + assignment));
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node current = root;
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    YAML::Node next = current[keys[i]];
    if (!next.IsMap()) {
      current[keys[i]] = YAML::Node(YAML::NodeType::Map);
      next = current[keys[i]];
    }
    current.reset(next);
  }
  current[keys.back()] = value;
}

std::unique_ptr<Config> config_with_overrides(const Config& config,
                                              const std::vector<std::string>& overrides) {
  std::unique_ptr<Config> out = config.clone();
  if (overrides.empty()) return out;
  YAML::Node node = config_to_node(config);
  for (const auto& o : overrides) yaml_apply_override(node, o);
  config_decode(*out, node, DecodeContext{"--set", ""});
  return out;
}

// ---- scalar codecs --------------------------------------------------------------------------------

namespace config_detail {

void type_error(const YAML::Node& node, const DecodeContext& ctx, const char* expected) {
  std::string got = node.IsScalar() ? "'" + node.Scalar() + "'"
                    : node.IsSequence() ? std::string("a list")
                    : node.IsMap() ? std::string("a mapping")
                                   : std::string("nothing");
  throw BadInput(detail::concat(ctx.path, " (", ctx.where(node), "): expected ", expected, ", got ", got));
}

bool node_is_null(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

namespace {
template <class Int>
void decode_integer(const YAML::Node& n, Int& v, const DecodeContext& c) {
  if (!n.IsScalar()) type_error(n, c, "an integer");
  const std::string& s = n.Scalar();
  const char* begin = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || begin == s.data() + s.size())
    type_error(n, c, "an integer");
}

// Shortest text that reads back as the same double, always with a '.' so PyYAML (used by Hezar's
// OmegaConf) also reads it as a float.
std::string double_repr(double v) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  char buf[64];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  if (s.find_first_of(".n") != std::string::npos) return s;
  size_t e = s.find('e');
  return e == std::string::npos ? s + ".0" : s.substr(0, e) + ".0" + s.substr(e);
}

// True when a plain scalar with this text would be read back as something other than a string.
bool needs_quotes(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return true;
  YAML::Node probe;
  try {
    probe = YAML::Load(s);
  } catch (const YAML::Exception&) {
    return true;
  }
  if (!probe.IsScalar() || probe.Scalar() != s) return true;
  static const char* kSpecial[] = {"true", "false", "yes", "no", "on", "off", "null", "~",
                                   "True", "False", "Yes", "No", "On", "Off", "Null", "NULL",
                                   "TRUE", "FALSE", "YES", "NO", "ON", "OFF"};
  for (const char* word : kSpecial)
    if (s == word) return true;
  char* end = nullptr;
  errno = 0;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}
}  // namespace

void decode_value(const YAML::Node& n, bool& v, const DecodeContext& c) {
  if (!n.IsScalar()) type_error(n, c, "a boolean (true/false)");
  try {
    v = n.as<bool>();
  } catch (const YAML::Exception&) {
    type_error(n, c, "a boolean (true/false)");
  }
}

void decode_value(const YAML::Node& n, int& v, const DecodeContext& c) { decode_integer(n, v, c); }
void decode_value(const YAML::Node& n, int64_t& v, const DecodeContext& c) { decode_integer(n, v, c); }

void decode_value(const YAML::Node& n, double& v, const DecodeContext& c) {
  if (!n.IsScalar()) type_error(n, c, "a number");
  const std::string& s = n.Scalar();
  if (s == ".inf" || s == "+.inf") { v = INFINITY; return; }
  if (s == "-.inf") { v = -INFINITY; return; }
  if (s == ".nan") { v = NAN; return; }
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) type_error(n, c, "a number");
}

void decode_value(const YAML::Node& n, std::string& v, const DecodeContext& c) {
  if (!n.IsScalar()) type_error(n, c, "a string");
  v = n.Scalar();
}

void decode_value(const YAML::Node& n, AnyConfig& v, const DecodeContext& c) {
  if (node_is_null(n)) {
    v.reset(nullptr);
    return;
  }
  v.reset(config_decode_any(v.family(), n, c));
}

void decode_value(const YAML::Node& n, AnyConfigList& v, const DecodeContext& c) {
  v.items.clear();
  if (node_is_null(n)) return;
  if (n.IsMap()) {
    v.items.emplace_back(v.family, config_decode_any(v.family, n, c));
    return;
  }
  if (!n.IsSequence()) type_error(n, c, "a mapping or a list of mappings");
  for (size_t i = 0; i < n.size(); ++i)
    v.items.emplace_back(v.family, config_decode_any(v.family, n[i], c.child(std::to_string(i))));
}

void emit_value(YAML::Emitter& out, bool v) { out << (v ? "true" : "false"); }
void emit_value(YAML::Emitter& out, int v) { out << v; }
void emit_value(YAML::Emitter& out, int64_t v) { out << v; }
void emit_value(YAML::Emitter& out, double v) { out << double_repr(v); }
void emit_value(YAML::Emitter& out, const std::string& v) {
  if (needs_quotes(v)) out << YAML::DoubleQuoted;
  out << v;
}
void emit_value(YAML::Emitter& out, const AnyConfig& v) {
  if (v.has_value()) config_emit(out, *v); else out << YAML::Null;
}
void emit_value(YAML::Emitter& out, const AnyConfigList& v) {
  if (v.items.size() == 1) {
    emit_value(out, v.items[0]);
    return;
  }
  out << YAML::BeginSeq;
  for (const auto& item : v.items) emit_value(out, item);
  out << YAML::EndSeq;
}

}  // namespace config_detail
}  // namespace hezar
