// Where the text datasets get their records: the shared config fields, the split logic and the record
// formats.
//
// `path` is either a folder holding one file per split (`<split>.csv`, `.tsv`, `.jsonl`, `.json`, `.txt`,
// `.conll`), or one file. One file with `eval_fraction` is split by a seeded permutation (the same on
// every platform) into the eval split (that fraction) and the train split (the rest), each in the
// permuted order (so max_size keeps a random sample even of a file sorted by label); without it the
// whole file serves every split. Every record remembers its "file:line" for error messages.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"

namespace hezar {

// The config fields every text dataset shares (Hezar's DatasetConfig plus file-based splitting).
struct TextDatasetConfig : Config {
  std::string path;
  std::string format = "auto";
  std::string train_split = "train";
  std::string eval_split = "test";
  std::optional<double> eval_fraction;
  int64_t split_seed = 42;
  std::optional<std::vector<std::string>> columns;  // names the columns of a header-less CSV/TSV
  std::optional<int> max_length = 512;
  std::optional<double> max_size;

  // path, format, train_split, eval_split, eval_fraction, split_seed (+ columns when `with_columns`).
  void visit_source(FieldVisitor& v, const char* formats, bool with_columns);
  // max_length, max_size.
  void visit_limits(FieldVisitor& v);
};

struct TextRecord {
  nlohmann::json fields;  // an object: column -> string (CSV/TSV/text lines) or any JSON value (JSONL)
  std::string where;      // "file:line"
};

// The format of `file` from its extension: csv, tsv, jsonl (.jsonl, .json, .ndjson), conll, or txt.
std::string text_format_of(const std::string& file);

// Reads `file` as `format` (csv, tsv, jsonl, txt). CSV/TSV: the first row is the header unless
// `columns` names the columns (then every row is data). jsonl: one JSON object per non-blank line (a
// .json file holding one array of objects works too). txt: one record per non-blank line, under the key
// `line_field`. BadInput names file:line for malformed input.
std::vector<TextRecord> text_records_read(const std::string& file, const std::string& format,
                                          const std::optional<std::vector<std::string>>& columns,
                                          const std::string& line_field = "text");

// Reads one file into records (the dataset's choice of format and parser).
using TextFileReader = std::function<std::vector<TextRecord>(const std::string& file)>;

struct TextSplit {
  std::vector<TextRecord> records;  // of the requested split
  std::vector<TextRecord> all;      // every record of the data (both split files, or the whole file)
};

// The records of `split` from config.path (see the top of this file); `all` is filled only when
// `want_all` (for label sets that must be the same for train and eval). An empty split, a missing
// split file, a split name that a held-out single file does not have, or a folder of Parquet files is
// BadInput.
TextSplit text_split_load(const TextDatasetConfig& config, const std::string& split, const TextFileReader& read,
                          bool want_all);

// Indices [0, n) in a seeded random order that is identical on every platform (our own Fisher-Yates on
// mt19937_64; std::shuffle differs between standard libraries).
std::vector<size_t> seeded_permutation(size_t n, uint64_t seed);

// The field `name` of a record (`config_key` is the config field that named it, for the error message).
// Missing: BadInput "<file:line>: no field 'x' (dataset.text_field); the fields are ...; did you mean ...".
const nlohmann::json& record_field(const TextRecord& record, const std::string& name, const char* config_key);
// The field as text: strings as they are, numbers and booleans printed; null, lists and objects are BadInput.
std::string record_text(const TextRecord& record, const std::string& name, const char* config_key);

// Calls fn(line, 1-based line number) for each line of `text` (LF, CRLF or CR endings; a UTF-8 BOM
// stripped; no line after a final line break).
void for_each_line(const std::string& text, const std::function<void(const std::string&, size_t)>& fn);

// `text` without leading and trailing whitespace.
std::string strip_whitespace(const std::string& text);

}  // namespace hezar
