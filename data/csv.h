// An RFC 4180 CSV reader that remembers where each row came from, so dataset errors can point at the
// exact line of the file.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace hezar {

struct CsvTable {
  std::vector<std::string> header;  // empty when read with has_header = false
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> row_lines;  // 1-based line where each row starts, for error messages
};

// Parses CSV text: fields may be quoted, with delimiters, newlines (kept as written) and doubled quotes
// inside; rows end with LF, CRLF or CR; a UTF-8 BOM is stripped; blank lines (including a trailing
// one) are skipped, as pandas does. Every row must have as many fields as the header (or, without a
// header, as the first row). Throws BadInput "<source_name>:<line>: <problem>" for a wrong field count,
// an unterminated quote, text after a closing quote, or a missing header.
CsvTable csv_parse(const std::string& text, char delimiter, bool has_header, const std::string& source_name);

// file_read + csv_parse, naming the file in errors.
CsvTable csv_read(const std::string& path, char delimiter = ',', bool has_header = true);

// Index of the header column `name`; throws BadInput listing the available columns if there is none.
int csv_column(const CsvTable& table, const std::string& name, const std::string& source_name);

}  // namespace hezar
