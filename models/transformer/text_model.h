// The base of the BERT/RoBERTa/DistilBERT models: Hezar's four text tasks (backbone, text
// classification, sequence labeling, mask filling) share preprocessing through the model's tokenizer,
// post-processing into Hezar's predict outputs, the loss, and the mapping of foreign state-dict keys
// (Hugging Face checkpoints, backbones loaded into task models).
#pragma once

#include <string>
#include <vector>

#include "models/model.h"
#include "models/transformer/bert_encoder.h"

namespace hezar {

class TextTokenizer;

// num_labels, or len(id2label) when it is 0; BadInput when both are unset (as Hezar).
int resolve_num_labels(int num_labels, const std::map<int, std::string>& id2label, const std::string& who);

enum class TextTask { kBackbone, kTextClassification, kSequenceLabeling, kMaskFilling };

struct TextModelSpec {
  TextTask kind = TextTask::kBackbone;
  std::string task;            // Hezar's task name ("text_classification", ...)
  std::string base_prefix;     // the backbone's attribute: "bert", "roberta", "distilbert"
  std::string wrapper_prefix;  // "bert_mask_filling." for Hezar's mask-filling wrappers, else ""
  int64_t max_length = 512;    // tokens the model accepts (truncation length for predict)
  std::vector<std::string> prediction_skip_tokens;  // sequence labeling: tokens left out of predictions
};

class TextModel : public Model {
 public:
  TextModel(const Config& config, TextModelSpec spec) : Model(config), spec_(std::move(spec)) {}

  std::string task() const override { return spec_.task; }
  const TextModelSpec& spec() const { return spec_; }
  // Cross entropy over logits [..., C] and labels [...], ignoring label -100 (padding, sub-words).
  at::Tensor compute_loss(const TensorMap& outputs, const at::Tensor& labels) override;
  TensorMap preprocess(const std::vector<std::string>& inputs) const override;
  nlohmann::json post_process(const TensorMap& outputs, const PredictOptions& options) const override;
  std::string map_foreign_key(const std::string& key, const std::set<std::string>& own) const override;

 protected:
  // Puts "last_hidden_state" (unless only its first token was computed: text classification, as transformers'
  // SequenceClassifierOutput has none) and, with output_hidden_states, every hidden state ("hidden_states.0"..N)
  // into `out`.
  static void add_hidden_states(TensorMap& out, const transformer::EncoderOutput& encoder);
  // Passes the tokenizer outputs post_process needs ("token_ids", "offsets_mapping") through forward.
  static void pass_through(TensorMap& out, const TensorMap& inputs);
  // Masked-LM heads in training and evaluation: when `inputs` has per-token "labels", only the labelled
  // positions (labels != -100, ~15%) need vocabulary logits, so the head runs on those rows of `hidden`
  // ([N, H], row-major order) and out["labels"] gets their labels [N] (see Model::compute_loss). Without
  // labels (predict) `hidden` is returned whole.
  static at::Tensor labelled_positions(const TensorMap& inputs, const at::Tensor& hidden, TensorMap& out);

 private:
  const TextTokenizer& tokenizer() const;
  nlohmann::json post_process_sequence_labeling(const TensorMap& outputs, const PredictOptions& options) const;
  nlohmann::json post_process_mask_filling(const TensorMap& outputs, const PredictOptions& options) const;

  TextModelSpec spec_;
  // Tokens of the last preprocess() call (for sequence-labeling output); predict() runs them in order.
  mutable std::vector<std::vector<std::string>> last_tokens_;
};

}  // namespace hezar
