#include "data/text_classification/text_classification.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "core/error.h"

namespace hezar {

HEZAR_REGISTER_DATASET("text_classification", TextClassificationDataset, TextClassificationDatasetConfig,
                       "Texts with a class label each, from CSV, TSV or JSONL");

namespace {
std::vector<TextRecord> read_file(const TextClassificationDatasetConfig& c, const std::string& file) {
  const std::string format = c.format == "auto" ? text_format_of(file) : c.format;
  HEZAR_CHECK_INPUT(format == "csv" || format == "tsv" || format == "jsonl", "text_classification dataset reads "
                    "csv, tsv or jsonl files, but '", file, "' is read as ", format,
                    " (set dataset.format to csv, tsv or jsonl)");
  return text_records_read(file, format, c.columns);
}
}  // namespace

TextClassificationDataset::TextClassificationDataset(const TextClassificationDatasetConfig& config,
                                                     const std::string& split, const PreprocessorSet& preprocessors)
    : config_(config), tokenizer_(dataset_tokenizer(preprocessors, "text_classification dataset")) {
  who_ = "text_classification dataset (split '" + split + "')";
  const bool derive = config_.id2label.empty();
  TextSplit data = text_split_load(
      config_, split, [&](const std::string& file) { return read_file(config_, file); }, derive);
  if (derive) {  // over every split, so train and eval get the same ids
    std::vector<std::string> names;
    for (const auto& r : data.all)
      names.push_back(strip_whitespace(record_text(r, config_.label_field, "label_field")));
    config_.id2label = labels_from_names(names);
  }
  const LabelIndex labels(config_.id2label);
  size_t empty = 0;
  std::string first_empty;
  for (const auto& r : data.records) {
    std::string text = strip_whitespace(record_text(r, config_.text_field, "text_field"));
    const int64_t label = labels.id(strip_whitespace(record_text(r, config_.label_field, "label_field")), r.where,
                                    "label");
    if (text.empty()) {  // nothing to classify; one warning for all of them
      if (empty++ == 0) first_empty = r.where;
      continue;
    }
    texts_.push_back(std::move(text));
    labels_.push_back(label);
    where_.push_back(r.where);
  }
  if (empty > 0) spdlog::warn("{}: skipped {} example(s) with an empty text (first: {})", who_, empty, first_empty);
  HEZAR_CHECK_INPUT(!texts_.empty(), "text_classification dataset: split '", split, "' of '", config_.path,
                    "' has no examples with text");
  const size_t keep = max_size_resolve(config_.max_size, texts_.size(), "dataset");
  texts_.resize(keep);
  labels_.resize(keep);
  where_.resize(keep);
}

TensorMap TextClassificationDataset::encode(const std::vector<size_t>& indices, bool pad) const {
  truncation_.check_texts(*tokenizer_, texts_, config_.max_length, where_, who_);
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
  texts.reserve(indices.size());
  for (size_t i : indices) {
    HEZAR_CHECK(i < texts_.size(), "dataset index ", i, " out of range ", texts_.size());
    texts.push_back(texts_[i]);
    labels.push_back(labels_[i]);
  }
  TokenizeOptions opts = dataset_tokenize_options(config_.max_length, pad);
  if (indices.size() == 1) opts.threads = 1;  // no pool for one text
  TensorMap batch = encodings_to_tensors(tokenizer_->encode(texts, opts));
  batch["labels"] = at::tensor(labels, at::kLong);
  return batch;
}

TensorMap TextClassificationDataset::get(size_t index) const { return batch_row(encode({index}, false), 0); }

TensorMap TextClassificationDataset::get_batch(const std::vector<size_t>& indices) const {
  return encode(indices, true);
}

TensorMap TextClassificationDataset::collate(const std::vector<TensorMap>& examples) const {
  return collate_padded(examples, tokenizer_->pad_token_id().value_or(0));
}

}  // namespace hezar
