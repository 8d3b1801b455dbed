#include "preprocessors/tokenizers/json_util.h"

#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

void json_fail(const std::string& path, const std::string& what) {
  throw BadInput("tokenizer.json: " + path + ": " + what);
}

std::string json_type(const Json& j, const std::string& path) {
  if (!j.is_object()) json_fail(path, "expected an object");
  auto it = j.find("type");
  if (it == j.end()) json_fail(path + ".type", "missing component type");
  if (!it->is_string()) json_fail(path + ".type", "expected a string");
  return it->get<std::string>();
}

void json_unsupported(const std::string& path, const std::string& type) {
  throw BadInput("tokenizer.json: " + path + ".type '" + type + "' not supported");
}

const Json* json_get(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return nullptr;
  return &*it;
}

namespace {
const Json* need(const Json& j, const char* key, const std::string& path, bool has_default) {
  const Json* v = json_get(j, key);
  if (!v && !has_default) json_fail(path + "." + key, "missing field");
  return v;
}
}  // namespace

bool json_bool(const Json& j, const char* key, const std::string& path, std::optional<bool> def) {
  const Json* v = need(j, key, path, def.has_value());
  if (!v || (v->is_null() && def)) return *def;
  if (!v->is_boolean()) json_fail(path + "." + key, "expected a boolean");
  return v->get<bool>();
}

std::string json_string(const Json& j, const char* key, const std::string& path, std::optional<std::string> def) {
  const Json* v = need(j, key, path, def.has_value());
  if (!v || (v->is_null() && def)) return *def;
  if (!v->is_string()) json_fail(path + "." + key, "expected a string");
  return v->get<std::string>();
}

std::optional<std::string> json_opt_string(const Json& j, const char* key, const std::string& path) {
  const Json* v = json_get(j, key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) json_fail(path + "." + key, "expected a string or null");
  return v->get<std::string>();
}

int64_t json_int(const Json& j, const char* key, const std::string& path, std::optional<int64_t> def) {
  const Json* v = need(j, key, path, def.has_value());
  if (!v || (v->is_null() && def)) return *def;
  if (!v->is_number_integer()) json_fail(path + "." + key, "expected an integer");
  return v->get<int64_t>();
}

double json_double(const Json& j, const char* key, const std::string& path, std::optional<double> def) {
  const Json* v = need(j, key, path, def.has_value());
  if (!v || (v->is_null() && def)) return *def;
  if (!v->is_number()) json_fail(path + "." + key, "expected a number");
  return v->get<double>();
}

const Json& json_array(const Json& j, const char* key, const std::string& path) {
  const Json* v = need(j, key, path, false);
  if (!v->is_array()) json_fail(path + "." + key, "expected an array");
  return *v;
}

const Json& json_object(const Json& j, const char* key, const std::string& path) {
  const Json* v = need(j, key, path, false);
  if (!v->is_object()) json_fail(path + "." + key, "expected an object");
  return *v;
}

char32_t json_char(const Json& j, const char* key, const std::string& path) {
  std::string s = json_string(j, key, path);
  std::u32string u = utf8_decode(s);
  if (u.size() != 1) json_fail(path + "." + key, "expected exactly one character");
  return u[0];
}

}  // namespace hezar::tok
