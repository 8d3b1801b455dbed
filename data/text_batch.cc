#include "data/text_batch.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/error.h"

namespace hezar {

std::shared_ptr<TextTokenizer> dataset_tokenizer(const PreprocessorSet& preprocessors, const std::string& who) {
  auto tokenizer = preprocessors.find<TextTokenizer>();
  HEZAR_CHECK_INPUT(tokenizer != nullptr, who,
                    " needs a tokenizer, but no tokenizer preprocessor is configured (add one under `preprocessor:`,"
                    " e.g. {name: wordpiece_tokenizer} to train one on the data, or load a model folder with "
                    "preprocessor/tokenizer.json)");
  return tokenizer;
}

TokenizeOptions dataset_tokenize_options(const std::optional<int>& max_length, bool pad) {
  TokenizeOptions opts;
  if (max_length) {
    HEZAR_CHECK_INPUT(*max_length > 0, "dataset.max_length must be positive, got ", *max_length);
    opts.truncation = true;
    opts.max_length = *max_length;
  }
  if (pad) opts.padding = "longest";
  return opts;
}

TensorMap encodings_to_tensors(const std::vector<tok::Encoding>& encodings) {
  const auto n = static_cast<int64_t>(encodings.size());
  const auto len = static_cast<int64_t>(encodings.empty() ? 0 : encodings[0].size());
  at::Tensor ids = at::empty({n, len}, at::kLong), mask = at::empty({n, len}, at::kLong),
             types = at::empty({n, len}, at::kLong);
  int64_t *id = ids.data_ptr<int64_t>(), *m = mask.data_ptr<int64_t>(), *t = types.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const tok::Encoding& e = encodings[i];
    HEZAR_CHECK(static_cast<int64_t>(e.size()) == len, "encodings_to_tensors: unpadded batch");
    for (int64_t j = 0; j < len; ++j) {
      id[i * len + j] = e.ids[j];
      m[i * len + j] = e.attention_mask[j];
      t[i * len + j] = e.type_ids[j];
    }
  }
  return {{"token_ids", ids}, {"attention_mask", mask}, {"token_type_ids", types}};
}

TensorMap batch_row(const TensorMap& batch, int64_t i) {
  TensorMap out;
  for (const auto& [key, value] : batch) out[key] = value[i];
  return out;
}

namespace {
int64_t pad_value(const std::string& key, int64_t pad_token_id, int64_t label_pad) {
  if (key == "token_ids" || key == "input_ids") return pad_token_id;
  if (key == "special_tokens_mask") return 1;
  if (key == "labels") return label_pad;
  return 0;
}
}  // namespace

TensorMap collate_padded(const std::vector<TensorMap>& examples, int64_t pad_token_id, int64_t label_pad) {
  HEZAR_CHECK(!examples.empty(), "collate: empty batch");
  TensorMap batch;
  for (const auto& [key, first] : examples.front()) {
    std::vector<at::Tensor> parts;
    parts.reserve(examples.size());
    for (const auto& example : examples) parts.push_back(tensor_at(example, key, "collate"));
    if (first.dim() == 0) {
      batch[key] = at::stack(parts);
      continue;
    }
    HEZAR_CHECK(first.dim() == 1, "collate: '", key, "' has ", first.dim(), " dimensions; expected 0 or 1");
    int64_t longest = 0;
    for (const auto& p : parts) longest = std::max(longest, p.size(0));
    at::Tensor out = at::full({static_cast<int64_t>(parts.size()), longest}, pad_value(key, pad_token_id, label_pad),
                              first.options());
    for (size_t i = 0; i < parts.size(); ++i)
      out[static_cast<int64_t>(i)].narrow(0, 0, parts[i].size(0)).copy_(parts[i]);
    batch[key] = out;
  }
  return batch;
}

namespace {
bool is_integer(const std::string& s) {
  size_t i = (s.size() > 1 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size() || s.size() - i > 18) return false;
  return std::all_of(s.begin() + i, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::map<int, std::string> labels_from_names(const std::vector<std::string>& names) {
  std::set<std::string> unique(names.begin(), names.end());
  std::vector<std::string> sorted(unique.begin(), unique.end());
  if (std::all_of(sorted.begin(), sorted.end(), is_integer))
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); });
  std::map<int, std::string> out;
  for (size_t i = 0; i < sorted.size(); ++i) out[static_cast<int>(i)] = sorted[i];
  return out;
}

LabelIndex::LabelIndex(const std::map<int, std::string>& id2label) {
  size_t listed = 0;
  for (const auto& [id, name] : id2label) {
    HEZAR_CHECK_INPUT(id >= 0, "dataset.id2label: id ", id, " ('", name, "') must be 0 or more");
    ids_[name] = id;
    if (listed++ < 30) listing_ += (listing_.empty() ? "'" : ", '") + name + "'";
  }
  if (listed > 30) listing_ += ", ... (" + std::to_string(listed) + " labels)";
}

const int64_t* LabelIndex::find(const std::string& name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? nullptr : &it->second;
}

int64_t LabelIndex::id(const std::string& name, const std::string& where, const char* what) const {
  const int64_t* found = find(name);
  HEZAR_CHECK_INPUT(found != nullptr, where, ": ", what, " '", name,
                    "' is not one of the labels in dataset.id2label (", listing_, ")");
  return *found;
}

void TruncationWarning::check_texts(const TextTokenizer& tokenizer, const std::vector<std::string>& texts,
                                    const std::optional<int>& max_length, const std::vector<std::string>& where,
                                    const std::string& who) const {
  check(
      texts.size(), max_length,
      [&](size_t begin, size_t end) {
        return tokenizer.encode(std::vector<std::string>(texts.begin() + begin, texts.begin() + end),
                                dataset_tokenize_options(std::nullopt, false));
      },
      [&](size_t i) { return where[i]; }, who);
}

void TruncationWarning::check(size_t num_examples, const std::optional<int>& max_length,
                              const std::function<std::vector<tok::Encoding>(size_t, size_t)>& encode,
                              const std::function<std::string(size_t)>& where, const std::string& who) const {
  if (done_ || !max_length) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (done_) return;
  const auto limit = static_cast<size_t>(*max_length);
  size_t count = 0, first = 0, first_length = 0;
  constexpr size_t kChunk = 4096;  // bounds the memory of the counting pass
  for (size_t begin = 0; begin < num_examples; begin += kChunk) {
    const std::vector<tok::Encoding> encodings = encode(begin, std::min(num_examples, begin + kChunk));
    for (size_t k = 0; k < encodings.size(); ++k)
      if (encodings[k].size() > limit && count++ == 0) {
        first = begin + k;
        first_length = encodings[k].size();
      }
  }
  truncated_ = count;
  done_ = true;
  if (count > 0)
    spdlog::warn("{}: {} of {} examples are longer than max_length={} tokens and are truncated (the first is {}, "
                 "{} tokens); raise dataset.max_length to keep them whole",
                 who, count, num_examples, limit, where(first), first_length);
}

}  // namespace hezar
