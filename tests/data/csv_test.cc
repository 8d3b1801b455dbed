#include "data/csv.h"

#include <gtest/gtest.h>

#include "tests/testing/bad_input.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/file_util.h"

namespace hezar {
namespace {

using Row = std::vector<std::string>;

using testing::bad_input_message;

TEST(Csv, PlainTableWithHeader) {
  const CsvTable t = csv_parse("text,label\nhello,1\nworld,0\n", ',', true, "train.csv");
  EXPECT_EQ(t.header, (Row{"text", "label"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1], (Row{"world", "0"}));
  EXPECT_EQ(t.row_lines, (std::vector<size_t>{2, 3}));
}

TEST(Csv, QuotedFieldsWithDelimitersQuotesAndNewlines) {
  const std::string text = "text,label\n\"a, b\",1\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\n\"\",4\nlast,5";
  const CsvTable t = csv_parse(text, ',', true, "q.csv");
  ASSERT_EQ(t.rows.size(), 5u);
  EXPECT_EQ(t.rows[0], (Row{"a, b", "1"}));
  EXPECT_EQ(t.rows[1], (Row{"say \"hi\"", "2"}));
  EXPECT_EQ(t.rows[2], (Row{"two\nlines", "3"}));
  EXPECT_EQ(t.rows[3], (Row{"", "4"}));
  EXPECT_EQ(t.rows[4], (Row{"last", "5"}));
  // The embedded newline pushes every later row down one line.
  EXPECT_EQ(t.row_lines, (std::vector<size_t>{2, 3, 4, 6, 7}));
}

TEST(Csv, CrlfBomAndBlankLines) {
  const std::string text = "\xEF\xBB\xBFid;name\r\n1;\"x\r\ny\"\r\n\r\n2;z\r\n\r\n";
  const CsvTable t = csv_parse(text, ';', true, "w.csv");
  EXPECT_EQ(t.header, (Row{"id", "name"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (Row{"1", "x\r\ny"}));
  EXPECT_EQ(t.rows[1], (Row{"2", "z"}));
  EXPECT_EQ(t.row_lines, (std::vector<size_t>{2, 5}));
}

TEST(Csv, EmptyFieldsAndTrailingDelimiter) {
  const CsvTable t = csv_parse("a,b,c\n,,\n1,2,\n", ',', true, "e.csv");
  EXPECT_EQ(t.rows[0], (Row{"", "", ""}));
  EXPECT_EQ(t.rows[1], (Row{"1", "2", ""}));
  const CsvTable no_newline = csv_parse("a,b\n1,", ',', true, "e.csv");
  EXPECT_EQ(no_newline.rows[0], (Row{"1", ""}));
}

TEST(Csv, WithoutHeaderTheFirstRowSetsTheWidth) {
  const CsvTable t = csv_parse("1,2\n3,4\n", ',', false, "n.csv");
  EXPECT_TRUE(t.header.empty());
  EXPECT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(bad_input_message([] { csv_parse("1,2\n3\n", ',', false, "n.csv"); }),
            "n.csv:2: expected 2 fields, got 1");
}

TEST(Csv, WrongFieldCountNamesTheLine) {
  std::string text = "text,label\n";
  for (int i = 2; i < 17; ++i) text += "row" + std::to_string(i) + ",0\n";
  text += "a,b,c\n";
  EXPECT_EQ(bad_input_message([&] { csv_parse(text, ',', true, "train.csv"); }),
            "train.csv:17: expected 2 fields, got 3");
}

TEST(Csv, UnterminatedQuoteNamesTheLineItOpensOn) {
  const std::string message = bad_input_message([] { csv_parse("a,b\n1,2\n3,\"oops\n4,5\n", ',', true, "u.csv"); });
  EXPECT_EQ(message.rfind("u.csv:3: unterminated quoted field", 0), 0u) << message;
}

TEST(Csv, TextAfterClosingQuoteIsBadInput) {
  const std::string message = bad_input_message([] { csv_parse("a,b\n\"x\"y,1\n", ',', true, "c.csv"); });
  EXPECT_EQ(message.rfind("c.csv:2: unexpected 'y' after a closing quote", 0), 0u) << message;
}

TEST(Csv, EmptyFileNeedsAHeader) {
  EXPECT_THROW(csv_parse("", ',', true, "empty.csv"), BadInput);
  EXPECT_THROW(csv_parse("\xEF\xBB\xBF\n\n", ',', true, "empty.csv"), BadInput);
  EXPECT_TRUE(csv_parse("", ',', false, "empty.csv").rows.empty());
  EXPECT_THROW(csv_parse("a\n", '"', true, "q.csv"), BadInput);
}

TEST(Csv, ReadFromFileAndLookUpColumns) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/data.csv";
  file_write_atomic(path, "text\tlabel\nhi\t1\n");
  const CsvTable t = csv_read(path, '\t');
  EXPECT_EQ(csv_column(t, "label", path), 1);
  EXPECT_EQ(csv_column(t, "text", path), 0);
  EXPECT_EQ(bad_input_message([&] { csv_column(t, "labels", path); }),
            path + ": no column 'labels'; the columns are 'text', 'label'");
  EXPECT_THROW(csv_read(path + ".missing"), BadInput);
  const CsvTable no_header = csv_parse("1\n", ',', false, "n.csv");
  EXPECT_THROW(csv_column(no_header, "x", "n.csv"), BadInput);
}

}  // namespace
}  // namespace hezar
