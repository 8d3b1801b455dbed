// Training Hezar tokenizers from text files (`hezar tokenizer train`): builds the untrained tokenizer of
// each Hezar tokenizer type (its build()), optionally puts a text/persian normalizer in front, and runs
// the trainer Hezar's train() configures, with the config's vocab_size/min_frequency/limit_alphabet/
// initial_alphabet/special tokens.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "preprocessors/text_normalizer.h"
#include "preprocessors/text_tokenizer.h"

namespace hezar {

// The untrained tokenizer.json of a Hezar tokenizer config (with `normalizer_json` prepended to its
// normalizer when not "null").
std::string untrained_tokenizer_json(const TokenizerConfigBase& config, const std::string& normalizer_json);

// Trains on `files` (UTF-8 text, one sequence per line). Returns the trained TextTokenizer whose
// config has vocab_size set to the real size. WordPiece/BPE reproduce HF's trainers exactly; Unigram
// follows HF's UnigramTrainer (preprocessors/tokenizers/unigram_trainer.h).
std::shared_ptr<TextTokenizer> train_text_tokenizer(const TokenizerConfigBase& config,
                                                    const std::vector<std::string>& files,
                                                    const TextNormalizer* normalizer = nullptr);

}  // namespace hezar
