#include "models/transformer/text_model.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/error.h"
#include "models/classification.h"
#include "preprocessors/text_normalizer.h"
#include "preprocessors/text_tokenizer.h"

namespace hezar {

namespace {
// The code points [start, end) of UTF-8 `text` (tokenizer offsets are in code points).
std::string utf8_slice(const std::string& text, uint32_t start, uint32_t end) {
  size_t byte = 0, cp = 0, from = std::string::npos;
  while (byte <= text.size()) {
    if (cp == start && from == std::string::npos) from = byte;
    if (cp == end || byte == text.size()) break;
    unsigned char c = static_cast<unsigned char>(text[byte]);
    byte += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++cp;
  }
  if (from == std::string::npos) return "";
  return text.substr(from, std::min(byte, text.size()) - from);
}
}  // namespace

int resolve_num_labels(int num_labels, const std::map<int, std::string>& id2label, const std::string& who) {
  HEZAR_CHECK_INPUT(num_labels > 0 || !id2label.empty(), who,
                    ": both `num_labels` and `id2label` are unset; set at least one of them");
  HEZAR_CHECK_INPUT(num_labels == 0 || id2label.empty() || num_labels == static_cast<int>(id2label.size()), who,
                    ": num_labels (", num_labels, ") does not match id2label (", id2label.size(), " labels)");
  return num_labels > 0 ? num_labels : static_cast<int>(id2label.size());
}

void TextModel::add_hidden_states(TensorMap& out, const transformer::EncoderOutput& encoder) {
  for (size_t i = 0; i < encoder.hidden_states.size(); ++i)
    out["hidden_states." + std::to_string(i)] = encoder.hidden_states[i];
  if (!encoder.first_token_only) out["last_hidden_state"] = encoder.last_hidden_state;
}

void TextModel::pass_through(TensorMap& out, const TensorMap& inputs) {
  for (const char* key : {"token_ids", "input_ids", "offsets_mapping", "attention_mask", "special_tokens_mask"}) {
    auto it = inputs.find(key);
    if (it != inputs.end()) out[std::string("input.") + key] = it->second;
  }
}

at::Tensor TextModel::compute_loss(const TensorMap& outputs, const at::Tensor& labels) {
  const at::Tensor& logits = tensor_at(outputs, "logits", spec_.base_prefix.c_str());
  auto selected = outputs.find("labels");  // the head scored only the labelled positions
  const at::Tensor& targets = selected != outputs.end() ? selected->second : labels;
  return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}).to(at::kLong),
                                /*weight=*/{}, at::Reduction::Mean, /*ignore_index=*/-100);
}

at::Tensor TextModel::labelled_positions(const TensorMap& inputs, const at::Tensor& hidden, TensorMap& out) {
  auto it = inputs.find("labels");
  if (it == inputs.end() || it->second.dim() != 2) return hidden;
  const at::Tensor keep = it->second.ne(-100);
  out["labels"] = it->second.masked_select(keep);
  return hidden.masked_select(keep.unsqueeze(-1)).view({-1, hidden.size(-1)});
}

std::string TextModel::map_foreign_key(const std::string& key, const std::set<std::string>& own) const {
  // Legacy buffers of older transformers versions (Hezar's skip_keys_on_load).
  for (const char* legacy : {"embeddings.position_ids", "embeddings.token_type_ids"})
    if (key.size() >= std::string(legacy).size() && key.compare(key.size() - std::string(legacy).size(),
                                                                std::string::npos, legacy) == 0)
      return "";
  std::string k = key;
  // Another model's Hezar wrapper ("bert_mask_filling.bert.x" loaded into bert_text_classification).
  const std::string mask_wrapper = spec_.base_prefix + "_mask_filling.";
  if (k.rfind(mask_wrapper, 0) == 0 && !own.count(k)) k = k.substr(mask_wrapper.size());
  // Candidates: as is, inside our wrapper, and a bare backbone key (HF *Model checkpoints, Hezar's
  // `model.` prefix of old versions) under the backbone prefix.
  std::vector<std::string> candidates = {k, spec_.wrapper_prefix + k,
                                         spec_.wrapper_prefix + spec_.base_prefix + "." + k};
  if (k.rfind("model.", 0) == 0)
    candidates.push_back(spec_.wrapper_prefix + spec_.base_prefix + "." + k.substr(6));
  for (const auto& c : candidates)
    if (own.count(c)) return c;
  return key;
}

const TextTokenizer& TextModel::tokenizer() const {
  return *preprocessors().get<TextTokenizer>("tokenizer", config().name());
}

TensorMap TextModel::preprocess(const std::vector<std::string>& raw_inputs) const {
  const TextTokenizer& tok = tokenizer();
  // Hezar applies the optional text_normalizer before tokenizing; offsets then refer to the normalized text.
  const auto normalizer = preprocessors().find<TextNormalizer>();
  const std::vector<std::string> inputs = normalizer ? (*normalizer)(raw_inputs) : raw_inputs;
  for (size_t i = 0; i < inputs.size(); ++i)
    HEZAR_CHECK_INPUT(inputs[i].find_first_not_of(" \t\r\n") != std::string::npos, config().name(), ": input ",
                      i + 1, " is empty; give it some text");
  if (spec_.kind == TextTask::kMaskFilling) {
    const auto* cfg = dynamic_cast<const TokenizerConfigBase*>(&tok.config());
    const std::string mask = cfg && cfg->mask_token ? *cfg->mask_token : "[MASK]";
    for (const auto& text : inputs)
      HEZAR_CHECK_INPUT(text.find(mask) != std::string::npos, config().name(), ": the input must have a `", mask,
                        "` token: '", text, "'");
  }
  TokenizeOptions opts;
  opts.padding = "longest";  // Hezar pads only for sequence labeling; a batch of texts needs it everywhere
  opts.truncation = true;
  opts.max_length = static_cast<int>(spec_.max_length);
  std::vector<tok::Encoding> encodings = tok.encode(inputs, opts);
  for (size_t i = 0; i < encodings.size(); ++i)
    if (!encodings[i].overflowing.empty())
      spdlog::warn("{}: input {} is longer than {} tokens; the rest is cut off", config().name(), i + 1,
                   spec_.max_length);
  const auto n = static_cast<int64_t>(encodings.size());
  const auto len = static_cast<int64_t>(encodings.empty() ? 0 : encodings[0].size());
  TensorMap out;
  at::Tensor ids = at::empty({n, len}, at::kLong), mask = at::empty({n, len}, at::kLong),
             types = at::empty({n, len}, at::kLong), offsets = at::empty({n, len, 2}, at::kLong),
             special = at::empty({n, len}, at::kLong);
  auto id = ids.accessor<int64_t, 2>(), m = mask.accessor<int64_t, 2>(), t = types.accessor<int64_t, 2>();
  auto sp = special.accessor<int64_t, 2>();
  auto o = offsets.accessor<int64_t, 3>();
  last_tokens_.assign(encodings.size(), {});
  // Hezar rebuilds byte-level BPE tokens from the text under their offsets (issue #190); others keep them.
  const bool tokens_from_text = std::string(tok.config().name()) == "bpe_tokenizer";
  for (int64_t i = 0; i < n; ++i) {
    const tok::Encoding& e = encodings[i];
    for (int64_t j = 0; j < len; ++j) {
      id[i][j] = e.ids[j];
      m[i][j] = e.attention_mask[j];
      t[i][j] = e.type_ids[j];
      sp[i][j] = e.special_tokens_mask[j];
      o[i][j][0] = e.offsets[j].first;
      o[i][j][1] = e.offsets[j].second;
      const bool from_text = tokens_from_text && e.special_tokens_mask[j] == 0;
      std::string token = from_text ? utf8_slice(inputs[i], e.offsets[j].first, e.offsets[j].second) : e.tokens[j];
      last_tokens_[i].push_back(token.empty() ? e.tokens[j] : token);
    }
  }
  out["token_ids"] = ids;
  out["attention_mask"] = mask;
  out["token_type_ids"] = types;
  out["offsets_mapping"] = offsets;
  out["special_tokens_mask"] = special;
  return out;
}

nlohmann::json TextModel::post_process(const TensorMap& outputs, const PredictOptions& options) const {
  switch (spec_.kind) {
    case TextTask::kTextClassification:
      return classification_top_k(tensor_at(outputs, "logits", config().name()), id2label(), options.top_k);
    case TextTask::kSequenceLabeling:
      return post_process_sequence_labeling(outputs, options);
    case TextTask::kMaskFilling:
      return post_process_mask_filling(outputs, options);
    case TextTask::kBackbone:
      break;
  }
  // Backbones: Hezar returns last_hidden_state (and hidden states); one entry per input here.
  const at::Tensor& last = tensor_at(outputs, "last_hidden_state", config().name());
  nlohmann::json out = nlohmann::json::array();
  at::Tensor cpu = last.to(at::kFloat).contiguous();
  for (int64_t i = 0; i < cpu.size(0); ++i) {
    at::Tensor row = cpu[i];
    std::vector<float> flat(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
    out.push_back({{"last_hidden_state", {{"shape", row.sizes().vec()}, {"data", flat}}}});
  }
  return out;
}

nlohmann::json TextModel::post_process_sequence_labeling(const TensorMap& outputs,
                                                         const PredictOptions& options) const {
  at::Tensor probs = at::softmax(tensor_at(outputs, "logits", config().name()).to(at::kFloat), 2);
  auto [scores, predictions] = probs.max(2);
  const auto labels = id2label();
  auto ids_it = outputs.find("input.token_ids");
  auto offsets_it = outputs.find("input.offsets_mapping");
  auto mask_it = outputs.find("input.attention_mask");
  auto special_it = outputs.find("input.special_tokens_mask");
  nlohmann::json out = nlohmann::json::array();
  for (int64_t i = 0; i < predictions.size(0); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (int64_t j = 0; j < predictions.size(1); ++j) {
      if (mask_it != outputs.end() && mask_it->second[i][j].item<int64_t>() == 0) continue;  // padding
      // Special tokens are never predictions, whatever prediction_skip_tokens lists (Hezar's RoBERTa
      // default is a typo, and a tokenizer may name its specials differently).
      if (special_it != outputs.end() && special_it->second[i][j].item<int64_t>() == 1) continue;
      std::string token;
      if (i < static_cast<int64_t>(last_tokens_.size()) && j < static_cast<int64_t>(last_tokens_[i].size()))
        token = last_tokens_[i][j];
      else if (ids_it != outputs.end() && preprocessors().find<TextTokenizer>())
        token = tokenizer().backend().id_to_token(ids_it->second[i][j].item<int64_t>()).value_or("");
      if (std::find(spec_.prediction_skip_tokens.begin(), spec_.prediction_skip_tokens.end(), token) !=
          spec_.prediction_skip_tokens.end())
        continue;
      const int label_id = static_cast<int>(predictions[i][j].item<int64_t>());
      auto label = labels.find(label_id);
      nlohmann::json item = {{"token", token},
                             {"label", label != labels.end() ? label->second : std::to_string(label_id)}};
      if (options.return_scores) item["score"] = scores[i][j].item<float>();
      if (options.return_offsets && offsets_it != outputs.end()) {
        item["start"] = offsets_it->second[i][j][0].item<int64_t>();
        item["end"] = offsets_it->second[i][j][1].item<int64_t>();
      }
      row.push_back(item);
    }
    out.push_back(row);
  }
  return out;
}

nlohmann::json TextModel::post_process_mask_filling(const TensorMap& outputs, const PredictOptions& options) const {
  HEZAR_CHECK_INPUT(options.top_k >= 1, "--top-k must be at least 1, got ", options.top_k);
  const TextTokenizer& tok = tokenizer();
  const auto* cfg = dynamic_cast<const TokenizerConfigBase*>(&tok.config());
  const std::string mask_token = cfg && cfg->mask_token ? *cfg->mask_token : "[MASK]";
  const auto mask_id = tok.backend().token_to_id(mask_token);
  HEZAR_CHECK_INPUT(mask_id.has_value(), config().name(), ": the tokenizer has no mask token '", mask_token, "'");
  const at::Tensor& logits = tensor_at(outputs, "logits", config().name());
  auto ids_it = outputs.find("input.token_ids");
  HEZAR_CHECK(ids_it != outputs.end(), config().name(), ": forward outputs lack the input token ids");
  at::Tensor ids = ids_it->second.to(at::kLong);
  nlohmann::json out = nlohmann::json::array();
  for (int64_t i = 0; i < ids.size(0); ++i) {
    at::Tensor positions = at::nonzero(ids[i].eq(static_cast<int64_t>(*mask_id))).flatten();
    HEZAR_CHECK_INPUT(positions.numel() == 1, config().name(), " fills exactly one `", mask_token,
                      "` per input; input ", i, " has ", positions.numel());
    const int64_t pos = positions[0].item<int64_t>();
    at::Tensor probs = at::softmax(logits[i][pos].to(at::kFloat), -1);
    auto [top_scores, top_ids] = probs.topk(std::min<int64_t>(options.top_k, probs.size(0)));
    std::vector<uint32_t> candidate(ids.size(1));
    for (int64_t j = 0; j < ids.size(1); ++j) candidate[j] = static_cast<uint32_t>(ids[i][j].item<int64_t>());
    nlohmann::json row = nlohmann::json::array();
    for (int64_t k = 0; k < top_ids.size(0); ++k) {
      const auto token_id = static_cast<uint32_t>(top_ids[k].item<int64_t>());
      candidate[pos] = token_id;
      std::string token = tok.decode({token_id}, true);
      token.erase(0, token.find_first_not_of(' '));
      token.erase(token.find_last_not_of(' ') + 1);
      row.push_back({{"token", token}, {"sequence", tok.decode(candidate, true)}, {"token_id", token_id},
                     {"score", top_scores[k].item<float>()}});
    }
    out.push_back(row);
  }
  return out;
}

}  // namespace hezar
