// Whisper's tokenizer extras on top of a byte-level BPE tokenizer.json (Hezar's whisper_bpe_tokenizer,
// HF transformers' WhisperTokenizer):
//  - timestamp tokens: every id after <|notimestamps|> is a timestamp, (id - first) x time_precision
//    seconds (<|0.00|> .. <|30.00|> in 0.02 s steps), whether or not the tokenizer.json lists them;
//  - decode: skip_special_tokens drops special tokens, strips a <|startofprev|> prompt (up to
//    <|startoftranscript|>) and, by default, the timestamps; otherwise timestamps are rendered
//    "<|x.xx|>" as HF's decode_with_timestamps does (a later window's timestamps, after they restart
//    from 0, are shifted by the segments before it). Text spelling a timestamp ("<|1.00|>") is removed
//    in both cases, as HF's timestamp filter does;
//  - offsets: HF's _compute_offsets, one {text, (start, end)} per timestamped segment;
//  - prefix tokens: <|startoftranscript|> [<|lang|>] [<|transcribe|>|<|translate|>] [<|notimestamps|>]
//    from language / task / predict_timestamps (HF prefix_tokens), and Hezar's set_prefix_tokens
//    post-processor (prefix $A <|endoftext|>).
// Differences from HF transformers: its plain decode() filters timestamps out even without
// skip_special_tokens (pass timestamps=false for that); Hezar's own decode keeps them, like ours.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "preprocessors/text_tokenizer.h"
#include "preprocessors/tokenizers/tokenizer.h"

namespace hezar {

// Whisper's languages in token order (code, name), and the code of a code, name or alias, any case
// ("fa", "Persian", "castilian" -> "es"); BadInput listing the choices otherwise.
const std::vector<std::pair<std::string, std::string>>& whisper_languages();
std::string whisper_language_code(const std::string& language);

struct WhisperOffset {
  std::string text;
  double start = 0, end = 0;  // seconds
};

struct WhisperDecodeOptions {
  bool skip_special_tokens = false;
  std::optional<bool> timestamps;  // render <|x.xx|>; default: !skip_special_tokens
  double time_precision = 0.02;
  int segment_size = 1500;  // timestamp positions per 30 s window (HF segment_size)
};

class WhisperDecoding {
 public:
  // The tokenizer must know <|startoftranscript|>, <|translate|>, <|transcribe|> and <|notimestamps|>.
  explicit WhisperDecoding(std::shared_ptr<const tok::Tokenizer> tokenizer);

  uint32_t timestamp_begin() const { return timestamp_begin_; }
  bool is_timestamp(uint32_t id) const { return id >= timestamp_begin_; }

  std::string decode(const std::vector<uint32_t>& ids, const WhisperDecodeOptions& o = {}) const;
  std::vector<WhisperOffset> offsets(const std::vector<uint32_t>& ids, double time_precision = 0.02,
                                     int segment_size = 1500) const;
  std::vector<uint32_t> prefix_tokens(const std::optional<std::string>& language,
                                      const std::optional<std::string>& task, bool predict_timestamps) const;
  // A copy of the tokenizer whose post-processor wraps sequences as `prefix $A <|endoftext|>` (pairs:
  // `prefix $A $B:1 <|endoftext|>:1`), as Hezar's set_prefix_tokens.
  std::shared_ptr<tok::Tokenizer> with_prefix(const std::vector<uint32_t>& prefix,
                                              const std::string& eos_token = "<|endoftext|>") const;

 private:
  std::string decode_run(const std::vector<uint32_t>& ids, bool skip_special) const;
  std::vector<uint32_t> strip_prompt(const std::vector<uint32_t>& ids) const;
  uint32_t id_of(const std::string& token) const;

  std::shared_ptr<const tok::Tokenizer> tok_;
  uint32_t sot_, translate_, transcribe_, notimestamps_, timestamp_begin_;
  std::optional<uint32_t> startofprev_;
};

// The prefix of a whisper_bpe_tokenizer from its config's language, task and predict_timestamps.
std::vector<uint32_t> whisper_prefix_tokens(const TextTokenizer& tokenizer);

}  // namespace hezar
