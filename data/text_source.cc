#include "data/text_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/file_util.h"
#include "core/strings.h"
#include "data/csv.h"

namespace fs = std::filesystem;

namespace hezar {

void TextDatasetConfig::visit_source(FieldVisitor& v, const char* formats, bool with_columns) {
  v("path", path, "a folder with <split>.<ext> files, or one data file");
  v("format", format, formats);
  v("train_split", train_split, "split used for training");
  v("eval_split", eval_split, "split used for evaluation");
  v("eval_fraction", eval_fraction, "one data file: hold out this fraction (0-1) as the eval split");
  v("split_seed", split_seed, "seed of the eval_fraction hold-out");
  if (with_columns) v("columns", columns, "column names of a CSV/TSV without a header row");
}

void TextDatasetConfig::visit_limits(FieldVisitor& v) {
  v("max_length", max_length, "maximum tokens per example (longer ones are truncated, with a warning)");
  v("max_size", max_size, "keep only this many examples (or this fraction, if below 1)");
}

std::string text_format_of(const std::string& file) {
  std::string ext = fs::path(file).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ext == ".csv") return "csv";
  if (ext == ".tsv") return "tsv";
  if (ext == ".jsonl" || ext == ".json" || ext == ".ndjson") return "jsonl";
  if (ext == ".conll") return "conll";
  return "txt";
}

namespace {

std::vector<TextRecord> read_delimited(const std::string& file, char delimiter,
                                       const std::optional<std::vector<std::string>>& columns) {
  const bool named = columns.has_value();
  CsvTable table = csv_read(file, delimiter, !named);
  const std::vector<std::string>& names = named ? *columns : table.header;
  if (named && !table.rows.empty())
    HEZAR_CHECK_INPUT(table.rows[0].size() == names.size(), file, ":", table.row_lines[0], ": dataset.columns names ",
                      names.size(), " columns but the rows have ", table.rows[0].size(), " fields");
  std::vector<TextRecord> out(table.rows.size());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    nlohmann::json fields = nlohmann::json::object();
    for (size_t c = 0; c < names.size(); ++c) fields[names[c]] = std::move(table.rows[r][c]);
    out[r] = {std::move(fields), file + ":" + std::to_string(table.row_lines[r])};
  }
  return out;
}

}  // namespace

void for_each_line(const std::string& text, const std::function<void(const std::string&, size_t)>& fn) {
  size_t pos = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0, number = 1;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string::npos) end = text.size();
    fn(text.substr(pos, end - pos), number++);
    if (end < text.size() && text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ++end;
    pos = end + 1;
  }
}

namespace {

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r\n") == std::string::npos; }

std::vector<TextRecord> read_json_array(const std::string& file, const std::string& text) {
  nlohmann::json array;
  try {
    array = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw BadInput(detail::concat(file, ": not valid JSON (", e.what(), ")"));
  }
  HEZAR_CHECK_INPUT(array.is_array(), file, ": expected JSON lines or one array of objects");
  std::vector<TextRecord> out;
  for (size_t i = 0; i < array.size(); ++i) {
    const std::string where = file + ": record " + std::to_string(i + 1);
    HEZAR_CHECK_INPUT(array[i].is_object(), where, ": expected a JSON object");
    out.push_back({std::move(array[i]), where});
  }
  return out;
}

std::vector<TextRecord> read_jsonl(const std::string& file) {
  const std::string text = file_read(file);
  const size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first != std::string::npos && text[first] == '[') return read_json_array(file, text);
  std::vector<TextRecord> out;
  for_each_line(text, [&](const std::string& line, size_t number) {
    if (is_blank(line)) return;
    const std::string where = file + ":" + std::to_string(number);
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw BadInput(detail::concat(where, ": not valid JSON (", e.what(), ")"));
    }
    HEZAR_CHECK_INPUT(value.is_object(), where, ": expected a JSON object per line, got ", value.type_name());
    out.push_back({std::move(value), where});
  });
  return out;
}

std::vector<TextRecord> read_lines(const std::string& file, const std::string& field) {
  std::vector<TextRecord> out;
  for_each_line(file_read(file), [&](const std::string& line, size_t number) {
    if (!is_blank(line)) out.push_back({nlohmann::json{{field, line}}, file + ":" + std::to_string(number)});
  });
  return out;
}

}  // namespace

std::vector<TextRecord> text_records_read(const std::string& file, const std::string& format,
                                          const std::optional<std::vector<std::string>>& columns,
                                          const std::string& line_field) {
  const std::string f = format == "auto" ? text_format_of(file) : format;
  if (f == "csv") return read_delimited(file, ',', columns);
  if (f == "tsv") return read_delimited(file, '\t', columns);
  if (f == "jsonl") return read_jsonl(file);
  if (f == "txt") return read_lines(file, line_field);
  throw BadInput(detail::concat("dataset.format '", f, "' cannot be read from ", file));
}

std::vector<size_t> seeded_permutation(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return order;
}

namespace {

const char* kSplitExtensions[] = {".csv", ".tsv", ".jsonl", ".json", ".txt", ".conll"};

bool has_parquet(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".parquet") return true;
  return false;
}

// `dir/<split>.<ext>`: exactly one must exist.
std::string split_file(const TextDatasetConfig& c, const std::string& split) {
  std::vector<std::string> found;
  for (const char* ext : kSplitExtensions) {
    const fs::path candidate = fs::path(c.path) / (split + ext);
    if (fs::is_regular_file(candidate)) found.push_back(candidate.string());
  }
  HEZAR_CHECK_INPUT(found.size() <= 1, "dataset: both ", found[0], " and ", found[1], " exist for split '", split,
                    "'; keep one of them");
  if (!found.empty()) return found[0];
  HEZAR_CHECK_INPUT(!has_parquet(c.path), "dataset: '", c.path,
                    "' holds Parquet files: Parquet is not supported yet; convert to CSV/JSONL (e.g. with "
                    "pandas: pd.read_parquet(f).to_json(out, orient='records', lines=True, force_ascii=False))");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(c.path)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  throw BadInput(detail::concat("dataset: no file for split '", split, "' in '", c.path, "' (expected ", split,
                                ".csv, .tsv, .jsonl, .json, .txt or .conll; the folder has ",
                                names.empty() ? std::string("nothing") : join(names, ", "),
                                "); set dataset.train_split/eval_split to the file names"));
}

// The part of one file's records that is `split` under eval_fraction.
std::vector<TextRecord> held_out_part(const TextDatasetConfig& c, const std::string& split,
                                      const std::vector<TextRecord>& all) {
  const double f = *c.eval_fraction;
  HEZAR_CHECK_INPUT(f > 0 && f < 1, "dataset.eval_fraction must be between 0 and 1 (exclusive), got ", f);
  HEZAR_CHECK_INPUT(c.train_split != c.eval_split, "dataset.train_split and eval_split are both '", c.train_split,
                    "'; eval_fraction needs two split names");
  HEZAR_CHECK_INPUT(split == c.train_split || split == c.eval_split, "dataset: split '", split,
                    "' does not exist: '", c.path, "' is one file that eval_fraction splits into '", c.train_split,
                    "' and '", c.eval_split, "'");
  HEZAR_CHECK_INPUT(all.size() >= 2, "dataset: '", c.path, "' has ", all.size(),
                    " record(s); eval_fraction needs at least 2");
  const size_t n_eval = std::clamp<size_t>(static_cast<size_t>(f * all.size() + 0.5), 1, all.size() - 1);
  const std::vector<size_t> order = seeded_permutation(all.size(), static_cast<uint64_t>(c.split_seed));
  // Records stay in the permuted order, so max_size keeps a random sample even of a file sorted by label.
  const auto begin = split == c.eval_split ? order.begin() : order.begin() + n_eval;
  const auto end = split == c.eval_split ? order.begin() + n_eval : order.end();
  std::vector<TextRecord> out;
  out.reserve(end - begin);
  for (auto it = begin; it != end; ++it) out.push_back(all[*it]);
  return out;
}

TextSplit load_single_file(const TextDatasetConfig& c, const std::string& split, const TextFileReader& read) {
  TextSplit s;
  s.all = read(c.path);
  HEZAR_CHECK_INPUT(!s.all.empty(), "dataset: '", c.path, "' has no records (the file is empty)");
  if (c.eval_fraction) {
    s.records = held_out_part(c, split, s.all);
    return s;
  }
  if (split == c.eval_split && c.eval_split != c.train_split)
    spdlog::warn("dataset: '{}' is a single file and eval_fraction is not set, so split '{}' is the whole file: "
                 "train and eval are the same data (set dataset.eval_fraction to hold some out)",
                 c.path, split);
  s.records = s.all;
  return s;
}

}  // namespace

TextSplit text_split_load(const TextDatasetConfig& c, const std::string& split, const TextFileReader& read,
                          bool want_all) {
  HEZAR_CHECK_INPUT(!c.path.empty(), "dataset.path is not set");
  HEZAR_CHECK_INPUT(fs::exists(c.path), "dataset.path '", c.path, "' does not exist");
  if (!fs::is_directory(c.path)) {
    TextSplit s = load_single_file(c, split, read);
    if (!want_all) s.all.clear();
    return s;
  }
  HEZAR_CHECK_INPUT(!c.eval_fraction, "dataset.eval_fraction applies to a single data file, but '", c.path,
                    "' is a folder (it has one file per split); remove eval_fraction");
  TextSplit s;
  const std::string file = split_file(c, split);
  s.records = read(file);
  HEZAR_CHECK_INPUT(!s.records.empty(), "dataset: ", file, " has no records (the file is empty)");
  if (!want_all) return s;
  s.all = s.records;
  for (const std::string& other : {c.train_split, c.eval_split}) {
    if (other == split) continue;
    for (const char* ext : kSplitExtensions)
      if (fs::is_regular_file(fs::path(c.path) / (other + ext))) {
        for (auto& r : read(split_file(c, other))) s.all.push_back(std::move(r));
        break;
      }
  }
  return s;
}

const nlohmann::json& record_field(const TextRecord& record, const std::string& name, const char* config_key) {
  auto it = record.fields.find(name);
  if (it != record.fields.end()) return *it;
  std::vector<std::string> names;
  for (auto f = record.fields.begin(); f != record.fields.end(); ++f) names.push_back(f.key());
  const bool is_delimited =
      record.where.find(".csv:") != std::string::npos || record.where.find(".tsv:") != std::string::npos;
  throw BadInput(detail::concat(record.where, ": no field '", name, "' (dataset.", config_key, "); the fields are '",
                                join(names, "', '"), "'", did_you_mean(name, names),
                                is_delimited ? " (a CSV/TSV without a header row needs dataset.columns)" : ""));
}

std::string record_text(const TextRecord& record, const std::string& name, const char* config_key) {
  const nlohmann::json& v = record_field(record, name, config_key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  throw BadInput(detail::concat(record.where, ": field '", name, "' (dataset.", config_key,
                                ") must be a string, got ", v.type_name()));
}

std::string strip_whitespace(const std::string& text) {
  const char* space = " \t\r\n\f\v";
  const size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

}  // namespace hezar
