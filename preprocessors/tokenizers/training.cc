// Word counting from files and assembly of trained models into tokenizers (HF Tokenizer::train_from_files
// + each trainer's "transfer to model" step).
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "preprocessors/tokenizers/trainers.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

namespace {

using Json = nlohmann::json;

class Counter {
 public:
  void add(const Tokenizer& t, std::string_view line) {
    for (auto& w : t.pre_tokenize_words(line)) {
      auto [it, fresh] = index_.emplace(w, out_.size());
      if (fresh) out_.push_back({std::move(w), 0});
      ++out_[it->second].second;
    }
  }
  WordCounts take() { return std::move(out_); }

 private:
  std::unordered_map<std::string, size_t> index_;
  WordCounts out_;
};

Json vocab_json(const std::vector<std::string>& vocab) {
  Json v = Json::object();
  for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  return v;
}

Json base_model(const Tokenizer& base, const char* type) {
  Json m = Json::parse(base.model_json());
  HEZAR_CHECK_INPUT(m.is_object() && m.value("type", "") == type, "training: the tokenizer's model is not ", type);
  return m;
}

}  // namespace

WordCounts count_words_in_lines(const Tokenizer& t, const std::vector<std::string>& lines) {
  Counter c;
  for (const auto& l : lines) c.add(t, l);
  return c.take();
}

WordCounts count_words(const Tokenizer& t, const std::vector<std::string>& files) {
  Counter c;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    HEZAR_CHECK_INPUT(in.good(), "cannot open training file '", f, "'");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();
    size_t start = 0, line = 1;
    while (start < data.size()) {  // lines keep their "\n" (HF lines_with_ending)
      size_t end = data.find('\n', start);
      end = end == std::string::npos ? data.size() : end + 1;
      std::string_view l(data.data() + start, end - start);
      size_t bad = 0;
      HEZAR_CHECK_INPUT(utf8_valid(l, &bad), f, ":", line, ": invalid UTF-8 at byte ", bad,
                        " of the line (training files must be UTF-8)");
      c.add(t, l);
      start = end;
      ++line;
    }
  }
  return c.take();
}

std::shared_ptr<Tokenizer> train_bpe_tokenizer(const Tokenizer& base, const WordCounts& words,
                                               const BpeTrainerOptions& opts) {
  Json m = base_model(base, "BPE");
  BpeTrainResult r = train_bpe(words, opts);
  m["vocab"] = vocab_json(r.vocab);
  Json merges = Json::array();
  for (auto [a, b] : r.merges) merges.push_back({r.vocab[a], r.vocab[b]});
  m["merges"] = merges;
  m["continuing_subword_prefix"] = opts.continuing_subword_prefix ? Json(*opts.continuing_subword_prefix) : Json();
  m["end_of_word_suffix"] = opts.end_of_word_suffix ? Json(*opts.end_of_word_suffix) : Json();
  return base.with_trained_model(m.dump(), opts.special_tokens);
}

std::shared_ptr<Tokenizer> train_wordpiece_tokenizer(const Tokenizer& base, const WordCounts& words,
                                                     BpeTrainerOptions opts) {
  Json m = base_model(base, "WordPiece");
  if (!opts.continuing_subword_prefix) opts.continuing_subword_prefix = "##";
  BpeTrainResult r = train_bpe(words, opts);
  m["vocab"] = vocab_json(r.vocab);
  m["continuing_subword_prefix"] = *opts.continuing_subword_prefix;
  return base.with_trained_model(m.dump(), opts.special_tokens);
}

}  // namespace hezar::tok
