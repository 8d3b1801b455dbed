// Older tokenizer files converted to tokenizer.json form (as transformers' slow->fast converters):
//   vocab.txt                          -> BERT WordPiece (lowercasing BertNormalizer, [CLS] $A [SEP])
//   vocab.json + merges.txt            -> byte-level BPE (GPT-2: ByteLevel post-processor; RoBERTa when
//   (or encoder.json + vocab.bpe)         <s>/</s> are in the vocab)
//   SentencePiece *.model              -> Unigram or BPE with Precompiled + Metaspace (T5 layout: `$A </s>`
//                                         when </s> exists)
#pragma once

#include <memory>
#include <string>

#include "preprocessors/tokenizers/tokenizer.h"

namespace hezar::tok {

std::string wordpiece_json_from_vocab_txt(const std::string& vocab_txt_path, bool lowercase = true);
std::string bpe_json_from_files(const std::string& vocab_json_path, const std::string& merges_path);
std::string sentencepiece_json_from_model(const std::string& model_path);

// A file: vocab.txt, vocab.json/encoder.json (merges beside it), *.model.
std::shared_ptr<Tokenizer> convert_legacy_file(const std::string& path);
// A folder holding one of the above.
std::shared_ptr<Tokenizer> convert_legacy_folder(const std::string& dir);

}  // namespace hezar::tok
