#include "core/registry.h"

#include <algorithm>

#include "core/strings.h"

namespace hezar {

namespace {
std::map<std::string, std::map<std::string, ConfigEntry>>& entries() {
  static std::map<std::string, std::map<std::string, ConfigEntry>> table;
  return table;
}
}  // namespace

void ConfigRegistry::add(ConfigEntry entry) {
  auto& family = entries()[entry.family];
  std::string name = entry.name;
  family[name] = std::move(entry);
}

const ConfigEntry* ConfigRegistry::find(const std::string& family, const std::string& name) {
  auto f = entries().find(family);
  if (f == entries().end()) return nullptr;
  auto e = f->second.find(name);
  return e == f->second.end() ? nullptr : &e->second;
}

const ConfigEntry& ConfigRegistry::get(const std::string& family, const std::string& name) {
  if (const ConfigEntry* entry = find(family, name)) return *entry;
  std::vector<std::string> names;
  for (const auto* e : list(family)) names.push_back(e->name);
  throw BadInput(detail::concat("unknown ", family, " '", name, "'", did_you_mean(name, names),
                                "; valid: ", join(names, ", ")));
}

std::vector<const ConfigEntry*> ConfigRegistry::list(const std::string& family) {
  std::vector<const ConfigEntry*> out;
  auto f = entries().find(family);
  if (f == entries().end()) return out;
  for (const auto& [name, entry] : f->second) out.push_back(&entry);
  return out;
}

std::vector<std::string> ConfigRegistry::families() {
  std::vector<std::string> out;
  for (const auto& [family, names] : entries()) out.push_back(family);
  return out;
}

}  // namespace hezar
