// Pieces the text datasets share on the model side: the tokenizer they use, tensors from encodings, the
// padding collator, label sets, and the once-per-dataset truncation warning.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor_map.h"
#include "preprocessors/preprocessor.h"
#include "preprocessors/text_tokenizer.h"

namespace hezar {

// The first TextTokenizer among the preprocessors; BadInput naming `who` when there is none. It may
// still be untrained: datasets tokenize lazily, so the training job can train it on training_texts().
std::shared_ptr<TextTokenizer> dataset_tokenizer(const PreprocessorSet& preprocessors, const std::string& who);

// Tokenizer options of the datasets: special tokens, truncation to max_length (if set), and padding to
// the longest when `pad`.
TokenizeOptions dataset_tokenize_options(const std::optional<int>& max_length, bool pad);

// "token_ids", "attention_mask", "token_type_ids" as int64 [N, L] from encodings of equal length.
TensorMap encodings_to_tensors(const std::vector<tok::Encoding>& encodings);

// Row `i` of every tensor of a batch (an example as get() returns it).
TensorMap batch_row(const TensorMap& batch, int64_t i);

// Batches examples whose tensors are scalars (stacked) or 1-D (padded to the longest, then stacked):
// token_ids with `pad_token_id`, attention_mask and token_type_ids with 0, special_tokens_mask with 1,
// labels with `label_pad` (-100: ignored by the loss), anything else with 0.
TensorMap collate_padded(const std::vector<TensorMap>& examples, int64_t pad_token_id, int64_t label_pad = -100);

// Class names by id, sorted: numerically when every name is an integer ("-1" < "1" < "10"), else by
// bytes. Used when the config's id2label is empty.
std::map<int, std::string> labels_from_names(const std::vector<std::string>& names);

// Label name -> id through id2label.
class LabelIndex {
 public:
  explicit LabelIndex(const std::map<int, std::string>& id2label);
  // BadInput "<where>: <what> 'x' is not one of the labels in dataset.id2label ('a', 'b', ...)" when unknown.
  int64_t id(const std::string& name, const std::string& where, const char* what) const;
  const int64_t* find(const std::string& name) const;

 private:
  std::map<std::string, int64_t> ids_;
  std::string listing_;
};

// Warns once per dataset how many examples are longer than max_length tokens (and so truncated). The
// count covers the whole dataset and is taken the first time a batch is made, because the tokenizer
// may be trained after the dataset is built.
class TruncationWarning {
 public:
  // `encode(begin, end)`: the untruncated encodings of examples [begin, end) (called in chunks).
  // `where(i)`: example i's location. No-op after the first successful call or without max_length.
  void check(size_t num_examples, const std::optional<int>& max_length,
             const std::function<std::vector<tok::Encoding>(size_t, size_t)>& encode,
             const std::function<std::string(size_t)>& where, const std::string& who) const;
  // check() for datasets of plain texts, tokenized by `tokenizer` without truncation.
  void check_texts(const TextTokenizer& tokenizer, const std::vector<std::string>& texts,
                   const std::optional<int>& max_length, const std::vector<std::string>& where,
                   const std::string& who) const;
  // Examples found longer than max_length (after check ran).
  size_t truncated() const { return truncated_; }

 private:
  mutable std::mutex mutex_;
  mutable std::atomic<bool> done_{false};
  mutable size_t truncated_ = 0;
};

}  // namespace hezar
