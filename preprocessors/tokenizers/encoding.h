// Encoding: the output of a tokenizer for one input (HF tokenizers' Encoding), with truncation,
// pair merging and padding.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hezar::tok {

using Offsets = std::pair<uint32_t, uint32_t>;

enum class Direction { Left, Right };

struct Encoding {
  std::vector<uint32_t> ids;
  std::vector<uint32_t> type_ids;
  std::vector<std::string> tokens;
  std::vector<int64_t> words;  // -1 = none
  std::vector<Offsets> offsets;
  std::vector<uint32_t> special_tokens_mask;
  std::vector<uint32_t> attention_mask;
  std::vector<Encoding> overflowing;
  std::map<size_t, std::pair<size_t, size_t>> sequence_ranges;

  size_t size() const { return ids.size(); }
  void reserve(size_t n);
  void push(uint32_t id, uint32_t type_id, std::string token, int64_t word, Offsets off, uint32_t special);
  // Sequence id of each token (-1 for specials / unknown), from sequence_ranges.
  std::vector<int64_t> sequence_ids() const;
  void set_sequence_id(size_t id);
  void set_type_ids(uint32_t type_id);
  Encoding range(size_t start, size_t stop) const;

  void truncate(size_t max_len, size_t stride, Direction direction);
  void merge_with(Encoding pair, bool growing_offsets);
  void pad(size_t target, uint32_t pad_id, uint32_t pad_type_id, const std::string& pad_token,
           Direction direction);
  static Encoding merge(std::vector<Encoding> encodings, bool growing_offsets);
};

enum class TruncationStrategy { LongestFirst, OnlyFirst, OnlySecond };

struct TruncationParams {
  size_t max_length = 512;
  size_t stride = 0;
  TruncationStrategy strategy = TruncationStrategy::LongestFirst;
  Direction direction = Direction::Right;
};

struct PaddingParams {
  bool fixed = false;           // false = BatchLongest
  size_t fixed_length = 0;
  size_t pad_to_multiple_of = 0;  // 0 = none
  Direction direction = Direction::Right;
  uint32_t pad_id = 0;
  uint32_t pad_type_id = 0;
  std::string pad_token = "[PAD]";
};

void truncate_encodings(Encoding& a, Encoding* b, const TruncationParams& p);
void pad_encodings(std::vector<Encoding>& encodings, const PaddingParams& p);

}  // namespace hezar::tok
