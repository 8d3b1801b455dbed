// Reading tokenizer.json fields with errors that name the JSON path and the component type.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace hezar::tok {

using Json = nlohmann::json;

[[noreturn]] void json_fail(const std::string& path, const std::string& what);
// The object's "type" (required); `family` is used in messages ("model").
std::string json_type(const Json& j, const std::string& path);
[[noreturn]] void json_unsupported(const std::string& path, const std::string& type);

const Json* json_get(const Json& j, const char* key);  // nullptr if absent
bool json_bool(const Json& j, const char* key, const std::string& path, std::optional<bool> def = {});
std::string json_string(const Json& j, const char* key, const std::string& path,
                        std::optional<std::string> def = {});
std::optional<std::string> json_opt_string(const Json& j, const char* key, const std::string& path);
int64_t json_int(const Json& j, const char* key, const std::string& path, std::optional<int64_t> def = {});
double json_double(const Json& j, const char* key, const std::string& path, std::optional<double> def = {});
const Json& json_array(const Json& j, const char* key, const std::string& path);
const Json& json_object(const Json& j, const char* key, const std::string& path);
char32_t json_char(const Json& j, const char* key, const std::string& path);

}  // namespace hezar::tok
