#include "data/sequence_labeling/sequence_labeling.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/strings.h"

namespace hezar {

HEZAR_REGISTER_DATASET("sequence_labeling", SequenceLabelingDataset, SequenceLabelingDatasetConfig,
                       "Words with a tag each (POS, NER), from CoNLL columns, JSONL or word/TAG lines");

namespace {
const char* kLinesKey = "_lines";  // CoNLL records: the line of each token, for precise errors

std::vector<std::string> whitespace_split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string piece; in >> piece;) out.push_back(piece);
  return out;
}

bool is_docstart(const std::vector<std::string>& columns) {
  return !columns.empty() && columns[0] == "-DOCSTART-";
}
}  // namespace

std::vector<TextRecord> conll_read(const std::string& file, const std::string& tokens_field,
                                   const std::string& tags_field) {
  std::vector<TextRecord> out;
  nlohmann::json tokens = nlohmann::json::array(), tags = nlohmann::json::array(), lines = nlohmann::json::array();
  size_t start = 0;
  auto finish = [&] {
    if (!tokens.empty())
      out.push_back({nlohmann::json{{tokens_field, tokens}, {tags_field, tags}, {kLinesKey, lines}},
                     file + ":" + std::to_string(start)});
    tokens = nlohmann::json::array(), tags = nlohmann::json::array(), lines = nlohmann::json::array();
  };
  for_each_line(file_read(file), [&](const std::string& line, size_t number) {
    const std::vector<std::string> columns = whitespace_split(line);
    if (columns.empty()) return finish();
    if (is_docstart(columns)) return;
    HEZAR_CHECK_INPUT(columns.size() >= 2, file, ":", number, ": a CoNLL line needs a token and its tag (at least "
                      "2 columns), got '", line, "'");
    if (tokens.empty()) start = number;
    tokens.push_back(columns.front());
    tags.push_back(columns.back());
    lines.push_back(number);
  });
  finish();
  return out;
}

std::vector<TextRecord> word_tag_read(const std::string& file, const std::string& tokens_field,
                                      const std::string& tags_field) {
  std::vector<TextRecord> out;
  for_each_line(file_read(file), [&](const std::string& line, size_t number) {
    const std::vector<std::string> pieces = whitespace_split(line);
    if (pieces.empty()) return;
    nlohmann::json tokens = nlohmann::json::array(), tags = nlohmann::json::array();
    for (const std::string& piece : pieces) {
      const size_t slash = piece.rfind('/');
      HEZAR_CHECK_INPUT(slash != std::string::npos && slash > 0 && slash + 1 < piece.size(), file, ":", number,
                        ": '", piece, "' is not word/TAG (dataset.format word_tag)");
      tokens.push_back(piece.substr(0, slash));
      tags.push_back(piece.substr(slash + 1));
    }
    out.push_back({nlohmann::json{{tokens_field, tokens}, {tags_field, tags}}, file + ":" + std::to_string(number)});
  });
  return out;
}

std::string sentence_format_sniff(const std::string& file) {
  // word/TAG lines have a "/" inside every piece; CoNLL lines have a tag column without one.
  size_t looked = 0;
  bool all_slashed = true;
  for_each_line(file_read(file), [&](const std::string& line, size_t) {
    const std::vector<std::string> pieces = whitespace_split(line);
    if (looked >= 5 || pieces.empty() || is_docstart(pieces)) return;
    ++looked;
    for (const auto& p : pieces) {
      const size_t slash = p.rfind('/');
      all_slashed = all_slashed && slash != std::string::npos && slash > 0 && slash + 1 < p.size();
    }
  });
  return looked > 0 && all_slashed ? "word_tag" : "conll";
}

namespace {
std::vector<TextRecord> read_file(const SequenceLabelingDatasetConfig& c, const std::string& file) {
  std::string format = c.format;
  if (format == "auto") {
    format = text_format_of(file);
    if (format != "conll" && format != "jsonl" && format != "csv" && format != "tsv")
      format = sentence_format_sniff(file);
  }
  // CSV/TSV cells hold the lists as JSON arrays (as the Hub dataset conversion writes JSONL shards).
  if (format == "csv" || format == "tsv") return text_records_read(file, format, std::nullopt);
  if (format == "conll") return conll_read(file, c.tokens_field, c.tags_field);
  if (format == "word_tag") return word_tag_read(file, c.tokens_field, c.tags_field);
  if (format == "jsonl") return text_records_read(file, "jsonl", std::nullopt);
  throw BadInput(detail::concat("sequence_labeling dataset: dataset.format '", format,
                                "' is not one of auto, conll, jsonl, word_tag, csv, tsv"));
}

std::string value_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A list field: a JSON list, or (from CSV/TSV) a cell holding one.
nlohmann::json list_field(const TextRecord& r, const std::string& name, const char* config_key) {
  const nlohmann::json& v = record_field(r, name, config_key);
  if (!v.is_string()) return v;
  return nlohmann::json::parse(v.get<std::string>(), nullptr, /*allow_exceptions=*/false);
}

// The words and tag names of a record, checked.
void sentence_of(const TextRecord& r, const SequenceLabelingDatasetConfig& c, std::vector<std::string>* words,
                 std::vector<std::string>* tags) {
  const nlohmann::json w = list_field(r, c.tokens_field, "tokens_field");
  const nlohmann::json t = list_field(r, c.tags_field, "tags_field");
  HEZAR_CHECK_INPUT(w.is_array() && t.is_array(), r.where, ": '", c.tokens_field, "' and '", c.tags_field,
                    "' must be lists of words and of their tags (JSON arrays in CSV/TSV cells)");
  HEZAR_CHECK_INPUT(w.size() == t.size(), r.where, ": ", w.size(), " words but ", t.size(), " tags");
  for (size_t i = 0; i < w.size(); ++i) {
    HEZAR_CHECK_INPUT(w[i].is_string() || w[i].is_number(), r.where, ": word ", i + 1, " is not a string");
    HEZAR_CHECK_INPUT(t[i].is_string() || t[i].is_number(), r.where, ": tag ", i + 1, " is not a string or number");
    words->push_back(value_text(w[i]));
    tags->push_back(value_text(t[i]));
  }
}

std::string word_where(const TextRecord& r, size_t i) {
  auto lines = r.fields.find(kLinesKey);
  if (lines != r.fields.end() && i < lines->size())
    return r.where.substr(0, r.where.rfind(':')) + ":" + std::to_string((*lines)[i].get<size_t>());
  return r.where + " (word " + std::to_string(i + 1) + ")";
}
}  // namespace

SequenceLabelingDataset::SequenceLabelingDataset(const SequenceLabelingDatasetConfig& config,
                                                 const std::string& split, const PreprocessorSet& preprocessors)
    : config_(config), tokenizer_(dataset_tokenizer(preprocessors, "sequence_labeling dataset")) {
  who_ = "sequence_labeling dataset (split '" + split + "')";
  const bool derive = config_.id2label.empty();
  TextSplit data = text_split_load(
      config_, split, [&](const std::string& file) { return read_file(config_, file); }, derive);
  if (derive) {  // over every split, so train and eval get the same ids
    std::vector<std::string> names, words;
    for (const auto& r : data.all) sentence_of(r, config_, &words, &names);
    config_.id2label = labels_from_names(names);
  }
  add_sentences(data.records);
  HEZAR_CHECK_INPUT(!words_.empty(), "sequence_labeling dataset: split '", split, "' of '", config_.path,
                    "' has no sentences with words");
  const size_t keep = max_size_resolve(config_.max_size, words_.size(), "dataset");
  words_.resize(keep);
  tags_.resize(keep);
  where_.resize(keep);
}

void SequenceLabelingDataset::add_sentences(const std::vector<TextRecord>& records) {
  const LabelIndex labels(config_.id2label);
  continuation_.clear();
  for (const auto& [id, name] : config_.id2label) {
    const bool begins = config_.is_iob_schema && starts_with(name, "B-");
    const int64_t* inside = begins ? labels.find("I-" + name.substr(2)) : nullptr;
    continuation_.resize(std::max<size_t>(continuation_.size(), static_cast<size_t>(id) + 1));
    continuation_[id] = inside ? *inside : id;
  }
  size_t empty = 0;
  for (const auto& r : records) {
    std::vector<std::string> words, names;
    sentence_of(r, config_, &words, &names);
    if (words.empty()) {
      ++empty;
      continue;
    }
    std::vector<int64_t> ids;
    for (size_t i = 0; i < names.size(); ++i) ids.push_back(labels.id(names[i], word_where(r, i), "tag"));
    words_.push_back(std::move(words));
    tags_.push_back(std::move(ids));
    where_.push_back(r.where);
  }
  if (empty > 0) spdlog::warn("{}: skipped {} sentence(s) without words", who_, empty);
}

std::vector<std::string> SequenceLabelingDataset::training_texts() const {
  std::vector<std::string> out;
  out.reserve(words_.size());
  for (const auto& words : words_) out.push_back(join(words, " "));
  return out;
}

std::vector<int64_t> SequenceLabelingDataset::align_labels(const tok::Encoding& e, size_t index) const {
  const std::vector<int64_t>& tags = tags_[index];
  std::vector<int64_t> out(e.size(), config_.ignore_index);
  int64_t previous = -1;
  for (size_t j = 0; j < e.size(); ++j) {
    const int64_t w = e.words[j];
    if (w < 0) {  // special token or padding
      previous = -1;
      continue;
    }
    HEZAR_CHECK(static_cast<size_t>(w) < tags.size(), "word id ", w, " beyond the sentence's ", tags.size(), " words");
    if (w != previous) out[j] = tags[w];
    else if (config_.label_all_tokens) out[j] = continuation_[tags[w]];
    previous = w;
  }
  return out;
}

TensorMap SequenceLabelingDataset::encode(const std::vector<size_t>& indices, bool pad) const {
  truncation_.check(
      words_.size(), config_.max_length,
      [&](size_t begin, size_t end) {
        return tokenizer_->encode_words(
            std::vector<std::vector<std::string>>(words_.begin() + begin, words_.begin() + end),
            dataset_tokenize_options(std::nullopt, false));
      },
      [&](size_t i) { return where_[i]; }, who_);
  std::vector<std::vector<std::string>> batch;
  batch.reserve(indices.size());
  for (size_t i : indices) {
    HEZAR_CHECK(i < words_.size(), "dataset index ", i, " out of range ", words_.size());
    batch.push_back(words_[i]);
  }
  TokenizeOptions opts = dataset_tokenize_options(config_.max_length, pad);
  if (indices.size() == 1) opts.threads = 1;  // no pool for one sentence
  const std::vector<tok::Encoding> encodings = tokenizer_->encode_words(batch, opts);
  TensorMap out = encodings_to_tensors(encodings);
  const int64_t len = out["token_ids"].size(1);
  at::Tensor labels = at::empty({static_cast<int64_t>(indices.size()), len}, at::kLong);
  for (size_t k = 0; k < indices.size(); ++k) {
    const std::vector<int64_t> row = align_labels(encodings[k], indices[k]);
    std::copy(row.begin(), row.end(), labels.data_ptr<int64_t>() + k * len);
  }
  out["labels"] = labels;
  return out;
}

TensorMap SequenceLabelingDataset::get(size_t index) const { return batch_row(encode({index}, false), 0); }

TensorMap SequenceLabelingDataset::get_batch(const std::vector<size_t>& indices) const {
  return encode(indices, true);
}

TensorMap SequenceLabelingDataset::collate(const std::vector<TensorMap>& examples) const {
  return collate_padded(examples, tokenizer_->pad_token_id().value_or(0), config_.ignore_index);
}

}  // namespace hezar
