#include "trainer/training_log.h"

#include <filesystem>
#include <sstream>

#include "core/file_util.h"
#include "core/strings.h"

namespace hezar {

TrainingLog::TrainingLog(const std::string& dir, const std::vector<std::string>& eval_keys)
    : dir_(dir), path_(dir + "/training_logs.csv"), eval_keys_(eval_keys), tensorboard_(dir) {
  std::filesystem::create_directories(dir_);
  remove_stale_temps(dir_);
  std::vector<std::string> header = {"step", "epoch", "train.loss", "train.lr"};
  for (const auto& key : eval_keys_) header.push_back("evaluation." + key);
  const std::string header_line = join(header, ",") + "\n";
  if (std::filesystem::is_regular_file(path_)) text_ = file_read(path_);
  if (!starts_with(text_, header_line)) text_ = header_line;  // a new run, or columns changed
}

void TrainingLog::add(int64_t step, int epoch, double loss, double lr, const std::map<std::string, double>& eval) {
  std::ostringstream row;
  row.precision(8);
  row << step << "," << epoch << "," << loss << "," << lr;
  for (const auto& key : eval_keys_) {
    row << ",";
    if (auto it = eval.find(key); it != eval.end()) row << it->second;
  }
  text_ += row.str() + "\n";
  file_write_atomic(path_, text_);
  tensorboard_.add_scalar("train.loss", loss, step);
  tensorboard_.add_scalar("train.lr", lr, step);
  for (const auto& [key, value] : eval) tensorboard_.add_scalar("evaluation." + key, value, step);
}

}  // namespace hezar
