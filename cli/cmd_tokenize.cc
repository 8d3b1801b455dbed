// `hezar tokenize TOKENIZER TEXT...`: tokens, ids and offsets (code points) of each text, as text or
// JSON lines. TOKENIZER is a tokenizer.json, a model or preprocessor folder, or an older format
// (vocab.txt, vocab.json + merges.txt, SentencePiece .model).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "hub/hub.h"
#include "preprocessors/text_tokenizer.h"
#include "preprocessors/tokenizers/tokenizer.h"

namespace hezar::cli {

namespace {

struct TokenizeArgs {
  std::string tokenizer;
  std::vector<std::string> texts;
  std::string pair;
  bool json = false, no_special = false;
  int max_length = 0;
};

nlohmann::json encoding_json(const std::string& text, const tok::Encoding& e) {
  nlohmann::json j;
  j["text"] = text;
  j["ids"] = e.ids;
  j["tokens"] = e.tokens;
  nlohmann::json offs = nlohmann::json::array();
  for (auto [a, b] : e.offsets) offs.push_back({a, b});
  j["offsets"] = offs;
  j["attention_mask"] = e.attention_mask;
  j["type_ids"] = e.type_ids;
  j["special_tokens_mask"] = e.special_tokens_mask;
  nlohmann::json words = nlohmann::json::array();
  for (int64_t w : e.words) words.push_back(w < 0 ? nlohmann::json(nullptr) : nlohmann::json(w));
  j["word_ids"] = words;
  return j;
}

void print_text(const std::string& text, const tok::Encoding& e) {
  std::printf("text: %s\n", text.c_str());
  std::string line = "tokens:";
  for (const auto& t : e.tokens) line += " " + nlohmann::json(t).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::printf("%s\nids:", line.c_str());
  for (uint32_t id : e.ids) std::printf(" %u", id);
  std::printf("\noffsets:");
  for (auto [a, b] : e.offsets) std::printf(" (%u,%u)", a, b);
  std::printf("\n\n");
}

void run(const TokenizeArgs& args) {
  std::shared_ptr<tok::Tokenizer> t = load_any_tokenizer(hub::hub_resolve_model_dir(args.tokenizer));  // or a Hub id
  if (args.max_length > 0) {
    tok::TruncationParams tp;
    tp.max_length = static_cast<size_t>(args.max_length);
    t->set_truncation(tp);
  }
  std::vector<std::string> texts = args.texts;
  if (texts.empty() || (texts.size() == 1 && texts[0] == "-")) {
    texts.clear();
    std::string line;
    while (std::getline(std::cin, line)) texts.push_back(line);
  }
  for (const auto& text : texts) {
    tok::Encoding e = args.pair.empty() ? t->encode(text, !args.no_special)
                                        : t->encode_pair(text, args.pair, !args.no_special);
    if (args.json) {
      std::printf("%s\n", encoding_json(text, e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      print_text(text, e);
    }
  }
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  static TokenizeArgs args;
  auto* cmd = app.add_subcommand("tokenize", "Tokenize text with a tokenizer.json / model folder / vocab file");
  cmd->add_option("tokenizer", args.tokenizer, "tokenizer.json, model or preprocessor folder, vocab.txt, "
                                                "vocab.json (+ merges.txt) or SentencePiece .model")
      ->required();
  cmd->add_option("texts", args.texts, "texts to tokenize (none or '-' reads stdin lines)");
  cmd->add_option("--pair", args.pair, "second sequence: encode each text as a pair with it");
  cmd->add_option("--max-length", args.max_length, "truncate to this many tokens (specials included)");
  cmd->add_flag("--no-special", args.no_special, "do not add special tokens");
  cmd->add_flag("--json", args.json, "one JSON object per text: ids, tokens, offsets, masks, word_ids");
  cmd->callback([] { run(args); });
}

}  // namespace hezar::cli
