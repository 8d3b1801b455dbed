#include "hub/hub-dataset.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "hub/hub-cache.h"
#include "hub/hub-env.h"
#include "hub/hub.h"

namespace fs = std::filesystem;

namespace hezar::hub {

namespace {

struct DataFiles {
  std::map<std::string, std::vector<fs::path>> splits;  // split -> files, in name order
  std::vector<std::string> parquet;
  fs::path folder;  // where the split files live (relative paths in them start here)
};

std::string extension_of(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// "train.csv" -> train, "data/test-00000-of-00001.jsonl" -> test (the Hub's shard naming).
std::string split_of(const fs::path& p) {
  const std::string stem = p.stem().string();
  return stem.substr(0, stem.find('-'));
}

DataFiles find_data_files(const fs::path& snapshot) {
  DataFiles found;
  for (auto it = fs::recursive_directory_iterator(snapshot); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    const std::string ext = extension_of(it->path());
    const std::string rel = it->path().lexically_relative(snapshot).generic_string();
    if (ext == ".parquet") found.parquet.push_back(rel);
    if (ext != ".csv" && ext != ".tsv" && ext != ".jsonl") continue;
    if (found.folder.empty()) found.folder = it->path().parent_path();
    if (it->path().parent_path() == found.folder) found.splits[split_of(it->path())].push_back(it->path());
  }
  for (auto& [split, files] : found.splits) std::sort(files.begin(), files.end());
  return found;
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// One shard as CSV rows; `header` is filled from the first shard and checked against the others.
std::string shard_to_csv(const fs::path& file, std::vector<std::string>& header, bool first) {
  const std::string text = file_read(file.string());
  const std::string ext = extension_of(file);
  std::istringstream in(text);
  std::string out, line;
  size_t line_no = 0;
  bool file_header_done = false;
  if (ext == ".csv") {
    const size_t body = text.find('\n');
    return first ? text : (body == std::string::npos ? "" : text.substr(body + 1));
  }
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    if (ext == ".tsv") {
      std::istringstream cells(line);
      for (std::string cell; std::getline(cells, cell, '\t');) fields.push_back(cell);
      if (!file_header_done) {  // every TSV shard starts with the header
        file_header_done = true;
        if (header.empty()) header = fields;
        HEZAR_CHECK_INPUT(fields == header, file.string(), ": its header differs from the first shard's");
        continue;
      }
    } else {
      nlohmann::json row = nlohmann::json::parse(line, nullptr, false);
      HEZAR_CHECK_INPUT(!row.is_discarded() && row.is_object(), file.string(), ":", line_no, ": not a JSON object");
      if (header.empty())
        for (const auto& [key, value] : row.items()) header.push_back(key);
      for (const auto& key : header) {
        const auto& v = row.contains(key) ? row[key] : nlohmann::json();
        fields.push_back(v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump());
      }
    }
    HEZAR_CHECK_INPUT(fields.size() == header.size(), file.string(), ":", line_no, ": ", fields.size(),
                      " fields, expected ", header.size());
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(fields[i]);
    out += "\n";
  }
  return out;
}

std::string convert(const RepoRef& repo, const std::string& commit, const DataFiles& data) {
  const fs::path dir = fs::path(hub_cache_root()) / "hezar-datasets" / repo_folder_name(repo.repo_id, repo.type) / commit;
  if (fs::exists(dir / ".complete")) return dir.string();
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(data.folder)) {  // relative paths in the rows resolve here too
    const fs::path link = dir / entry.path().filename();
    if (!fs::exists(fs::symlink_status(link))) fs::create_symlink(entry.path(), link);
  }
  for (const auto& [split, files] : data.splits) {
    std::vector<std::string> header;
    std::string csv;
    for (size_t i = 0; i < files.size(); ++i) csv += shard_to_csv(files[i], header, i == 0);
    if (!header.empty()) {
      std::string head;
      for (size_t i = 0; i < header.size(); ++i) head += (i ? "," : "") + csv_field(header[i]);
      csv = head + "\n" + csv;
    }
    const fs::path target = dir / (split + ".csv");
    fs::remove(target);  // may be a link to the repo's own file of that name
    file_write_atomic(target.string(), csv);
  }
  file_write_atomic((dir / ".complete").string(), commit);
  return dir.string();
}

}  // namespace

std::string hub_resolve_dataset_path(const std::string& path_or_repo_id) {
  if (!looks_like_repo_id(path_or_repo_id)) return path_or_repo_id;
  const std::string snapshot = hub_resolve_dir(path_or_repo_id, RepoType::kDataset);
  RepoRef repo{path_or_repo_id.substr(0, path_or_repo_id.find('@')), RepoType::kDataset, ""};
  const DataFiles data = find_data_files(snapshot);
  if (data.splits.empty()) {
    HEZAR_CHECK_INPUT(data.parquet.empty(), repo.describe(), " stores its data as Parquet (", data.parquet.front(),
                      (data.parquet.size() > 1 ? ", ..." : ""),
                      "): Parquet is not supported yet; use a dataset repo with CSV, JSONL or TSV files");
    throw BadInput(repo.describe() + " has no CSV, JSONL or TSV data files (in " + snapshot + ")");
  }
  bool plain_csv = data.folder == fs::path(snapshot);
  for (const auto& [split, files] : data.splits)
    plain_csv &= files.size() == 1 && files[0].filename() == split + ".csv";
  if (plain_csv) return snapshot;
  const std::string converted = convert(repo, fs::path(snapshot).filename().string(), data);
  spdlog::info("{}: using {} (splits: {})", repo.describe(), converted, data.splits.size());
  return converted;
}

}  // namespace hezar::hub
