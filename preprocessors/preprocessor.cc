#include "preprocessors/preprocessor.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace hezar {

std::shared_ptr<Preprocessor> preprocessor_build(const Config& config, const std::string& load_dir) {
  return PreprocessorRegistry::instance().build("preprocessor", config.name(), &config, {}, load_dir);
}

PreprocessorSet preprocessors_build(const AnyConfigList& configs) {
  PreprocessorSet set;
  for (const auto& item : configs.items) set.add(preprocessor_build(*item));
  return set;
}

void preprocessors_save(const PreprocessorSet& set, const std::string& dir) {
  fs::create_directories(dir);
  for (const auto& p : set.items()) p->save(dir);
}

PreprocessorSet preprocessors_load(const std::string& dir) {
  PreprocessorSet set;
  if (!fs::is_directory(dir)) return set;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::unique_ptr<Config> config = config_load(file.string(), "preprocessor");
    set.add(preprocessor_build(*config, dir));
  }
  return set;
}

}  // namespace hezar
