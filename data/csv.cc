#include "data/csv.h"

#include "core/error.h"
#include "core/file_util.h"

namespace hezar {
namespace {

std::string printable(char c) {
  if (c == '\t') return "\\t";
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u != 0x7f) return std::string(1, c);
  static const char* digits = "0123456789abcdef";
  return std::string("\\x") + digits[u >> 4] + digits[u & 15];
}

class CsvParser {
 public:
  CsvParser(const std::string& text, char delimiter, const std::string& source_name)
      : text_(text), delimiter_(delimiter), source_(source_name) {
    // A BOM from Windows editors would otherwise end up in the first header name.
    if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
  }

  // Reads the next record into `fields` (left empty for a blank line) and the line it starts on.
  // Returns false at the end of the text.
  bool next(std::vector<std::string>* fields, size_t* start_line) {
    fields->clear();
    if (pos_ >= text_.size()) return false;
    *start_line = line_;
    if (at_line_end()) {
      skip_line_end();
      return true;
    }
    for (;;) {
      std::string field;
      if (text_[pos_] == '"') {
        read_quoted(&field);
      } else {
        read_unquoted(&field);
      }
      fields->push_back(std::move(field));
      if (pos_ >= text_.size()) return true;
      if (at_line_end()) {
        skip_line_end();
        return true;
      }
      ++pos_;  // the delimiter; a field (possibly empty) always follows it
      if (pos_ >= text_.size()) {
        fields->emplace_back();
        return true;
      }
    }
  }

  const std::string& source() const { return source_; }

 private:
  bool at_line_end() const { return text_[pos_] == '\n' || text_[pos_] == '\r'; }

  void skip_line_end() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  void read_unquoted(std::string* field) {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != delimiter_ && !at_line_end()) ++pos_;
    field->assign(text_, start, pos_ - start);
  }

  void read_quoted(std::string* field) {
    const size_t open_line = line_;
    ++pos_;
    for (;;) {
      HEZAR_CHECK_INPUT(pos_ < text_.size(), source_, ":", open_line,
                        ": unterminated quoted field (the quote opened on this line is never closed)");
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field->push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      // Count a CRLF once: only its LF, or a lone CR.
      if (c == '\n' || (c == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n'))) ++line_;
      field->push_back(c);
      ++pos_;
    }
    HEZAR_CHECK_INPUT(pos_ >= text_.size() || text_[pos_] == delimiter_ || at_line_end(), source_, ":", line_,
                      ": unexpected '", printable(text_[pos_]),
                      "' after a closing quote (a quote inside a quoted field must be doubled)");
  }

  const std::string& text_;
  const char delimiter_;
  const std::string source_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

}  // namespace

CsvTable csv_parse(const std::string& text, char delimiter, bool has_header, const std::string& source_name) {
  HEZAR_CHECK_INPUT(delimiter != '"' && delimiter != '\n' && delimiter != '\r', source_name,
                    ": the CSV delimiter cannot be a quote or a line break");
  CsvParser parser(text, delimiter, source_name);
  CsvTable table;
  std::vector<std::string> fields;
  size_t line = 0;
  size_t expected = 0;  // 0 until the header or first row fixes the width
  while (parser.next(&fields, &line)) {
    if (fields.empty()) continue;
    if (expected == 0) {
      expected = fields.size();
      if (has_header) {
        table.header = std::move(fields);
        continue;
      }
    }
    HEZAR_CHECK_INPUT(fields.size() == expected, source_name, ":", line, ": expected ", expected, " fields, got ",
                      fields.size());
    table.rows.push_back(std::move(fields));
    table.row_lines.push_back(line);
  }
  HEZAR_CHECK_INPUT(!has_header || expected != 0, source_name, ": the CSV file is empty, expected a header row");
  return table;
}

CsvTable csv_read(const std::string& path, char delimiter, bool has_header) {
  return csv_parse(file_read(path), delimiter, has_header, path);
}

int csv_column(const CsvTable& table, const std::string& name, const std::string& source_name) {
  HEZAR_CHECK_INPUT(!table.header.empty(), source_name, ": cannot look up column '", name,
                    "' because the CSV was read without a header row");
  std::string available;
  for (size_t i = 0; i < table.header.size(); ++i) {
    if (table.header[i] == name) return static_cast<int>(i);
    available += (i ? ", '" : "'") + table.header[i] + "'";
  }
  throw BadInput(source_name + ": no column '" + name + "'; the columns are " + available);
}

}  // namespace hezar
