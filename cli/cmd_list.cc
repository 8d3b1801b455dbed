#include <cstdio>

#include "cli/commands.h"
#include "core/registry.h"
#include "core/strings.h"

namespace hezar::cli {

namespace {
void print_family(const std::string& family) {
  auto entries = ConfigRegistry::list(family);
  size_t width = 4;
  for (const auto* e : entries) width = std::max(width, e->name.size());
  std::printf("%ss:\n", family.c_str());
  for (const auto* e : entries)
    std::printf("  %-*s  %s\n", static_cast<int>(width), e->name.c_str(), e->description.c_str());
}
}  // namespace

void add_list_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List registered models, preprocessors, datasets, metrics, ...");
  static std::string what;
  cmd->add_option("what", what, "models | preprocessors | datasets | metrics (default: all)");
  cmd->callback([] {
    std::vector<std::string> families = ConfigRegistry::families();
    if (what.empty()) {
      for (size_t i = 0; i < families.size(); ++i) {
        if (i) std::printf("\n");
        print_family(families[i]);
      }
      return;
    }
    std::string family = ends_with(what, "s") ? what.substr(0, what.size() - 1) : what;
    if (ConfigRegistry::list(family).empty()) {
      std::vector<std::string> plural;
      for (const auto& f : families) plural.push_back(f + "s");
      throw BadInput(detail::concat("nothing to list under '", what, "'", did_you_mean(what, plural),
                                    "; valid: ", join(plural, ", ")));
    }
    print_family(family);
  });
}

}  // namespace hezar::cli
