#include "data/mask_filling/mask_filling.h"

#include <ATen/ATen.h>

#include <random>

#include "core/error.h"

namespace hezar {

HEZAR_REGISTER_DATASET("mask_filling", MaskFillingDataset, MaskFillingDatasetConfig,
                       "Texts for masked-LM training (BERT's 15% dynamic masking, 80/10/10)");

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A double in [0, 1) from 53 random bits (std::uniform_real_distribution differs between libraries).
double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::vector<TextRecord> read_file(const MaskFillingDatasetConfig& c, const std::string& file) {
  const std::string format = c.format == "auto" ? text_format_of(file) : c.format;
  HEZAR_CHECK_INPUT(format == "txt" || format == "csv" || format == "tsv" || format == "jsonl",
                    "mask_filling dataset reads txt, csv, tsv or jsonl files, but '", file, "' is read as ", format,
                    " (set dataset.format)");
  return text_records_read(file, format, c.columns, c.text_field);
}
}  // namespace

void mlm_mask(const tok::Encoding& e, uint64_t seed, int64_t epoch, uint64_t index, double probability,
              uint32_t mask_id, uint32_t vocab_size, int64_t* ids, int64_t* labels) {
  std::mt19937_64 rng(splitmix64(splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(epoch)) ^ index));
  std::vector<size_t> candidates, chosen;
  for (size_t j = 0; j < e.size(); ++j)
    if (e.special_tokens_mask[j] == 0 && e.attention_mask[j] == 1) candidates.push_back(j);
  for (size_t j : candidates)
    if (uniform(rng) < probability) chosen.push_back(j);
  if (chosen.empty() && !candidates.empty()) chosen.push_back(candidates[rng() % candidates.size()]);
  for (size_t j : chosen) {
    labels[j] = ids[j];
    const double r = uniform(rng);
    if (r < 0.8) ids[j] = mask_id;
    else if (r < 0.9) ids[j] = static_cast<int64_t>(rng() % vocab_size);
  }
}

MaskFillingDataset::MaskFillingDataset(const MaskFillingDatasetConfig& config, const std::string& split,
                                       const PreprocessorSet& preprocessors)
    : config_(config), tokenizer_(dataset_tokenizer(preprocessors, "mask_filling dataset")) {
  who_ = "mask_filling dataset (split '" + split + "')";
  HEZAR_CHECK_INPUT(config_.mlm_probability > 0 && config_.mlm_probability < 1,
                    "dataset.mlm_probability must be between 0 and 1, got ", config_.mlm_probability);
  const auto* tokenizer_config = dynamic_cast<const TokenizerConfigBase*>(&tokenizer_->config());
  mask_token_ = tokenizer_config && tokenizer_config->mask_token ? *tokenizer_config->mask_token : "[MASK]";
  TextSplit data = text_split_load(
      config_, split, [&](const std::string& file) { return read_file(config_, file); }, false);
  for (const auto& r : data.records) {
    std::string text = strip_whitespace(record_text(r, config_.text_field, "text_field"));
    if (text.empty()) continue;  // blank lines separate documents; nothing to learn from
    texts_.push_back(std::move(text));
    where_.push_back(r.where);
  }
  HEZAR_CHECK_INPUT(!texts_.empty(), "mask_filling dataset: split '", split, "' of '", config_.path,
                    "' has no texts");
  const size_t keep = max_size_resolve(config_.max_size, texts_.size(), "dataset");
  texts_.resize(keep);
  where_.resize(keep);
}

TensorMap MaskFillingDataset::encode(const std::vector<size_t>& indices, bool pad) const {
  const tok::Tokenizer& backend = tokenizer_->backend();
  const std::optional<uint32_t> mask_id = backend.token_to_id(mask_token_);
  HEZAR_CHECK_INPUT(mask_id.has_value(), "mask_filling dataset: the tokenizer has no mask token '", mask_token_,
                    "' (set mask_token in the tokenizer config to a token of its vocabulary)");
  const auto vocab_size = static_cast<uint32_t>(backend.vocab_size(true));
  truncation_.check_texts(*tokenizer_, texts_, config_.max_length, where_, who_);
  std::vector<std::string> texts;
  texts.reserve(indices.size());
  for (size_t i : indices) {
    HEZAR_CHECK(i < texts_.size(), "dataset index ", i, " out of range ", texts_.size());
    texts.push_back(texts_[i]);
  }
  TokenizeOptions opts = dataset_tokenize_options(config_.max_length, pad);
  if (indices.size() == 1) opts.threads = 1;  // no pool for one text
  const std::vector<tok::Encoding> encodings = tokenizer_->encode(texts, opts);
  TensorMap out = encodings_to_tensors(encodings);
  at::Tensor labels = at::full_like(out["token_ids"], -100);
  const int64_t len = labels.size(1);
  const int64_t epoch = epoch_;
  for (size_t k = 0; k < indices.size(); ++k)
    mlm_mask(encodings[k], static_cast<uint64_t>(config_.seed), epoch, indices[k], config_.mlm_probability, *mask_id,
             vocab_size, out["token_ids"].data_ptr<int64_t>() + k * len, labels.data_ptr<int64_t>() + k * len);
  out["labels"] = labels;
  return out;
}

TensorMap MaskFillingDataset::get(size_t index) const { return batch_row(encode({index}, false), 0); }

TensorMap MaskFillingDataset::get_batch(const std::vector<size_t>& indices) const { return encode(indices, true); }

TensorMap MaskFillingDataset::collate(const std::vector<TensorMap>& examples) const {
  return collate_padded(examples, tokenizer_->pad_token_id().value_or(0));
}

}  // namespace hezar
