// tokenizer.json loading and saving (HF tokenizer/serialization.rs).
#include <fstream>
#include <sstream>

#include "core/file_util.h"
#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/tokenizer_impl.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

namespace {

Direction direction_from_json(const Json& j, const char* key, const std::string& path) {
  std::string d = json_string(j, key, path, std::string("Right"));
  if (d == "Right") return Direction::Right;
  if (d == "Left") return Direction::Left;
  json_fail(path + "." + key, "expected Right or Left, got '" + d + "'");
}

TruncationParams truncation_from_json(const Json& j, const std::string& path) {
  TruncationParams t;
  t.direction = direction_from_json(j, "direction", path);
  int64_t max_length = json_int(j, "max_length", path, 512);
  int64_t stride = json_int(j, "stride", path, 0);
  if (max_length < 0 || stride < 0) json_fail(path, "max_length and stride must be >= 0");
  t.max_length = static_cast<size_t>(max_length);
  t.stride = static_cast<size_t>(stride);
  std::string s = json_string(j, "strategy", path, std::string("LongestFirst"));
  if (s == "LongestFirst") t.strategy = TruncationStrategy::LongestFirst;
  else if (s == "OnlyFirst") t.strategy = TruncationStrategy::OnlyFirst;
  else if (s == "OnlySecond") t.strategy = TruncationStrategy::OnlySecond;
  else json_fail(path + ".strategy", "'" + s + "' not supported");
  return t;
}

PaddingParams padding_from_json(const Json& j, const std::string& path) {
  PaddingParams p;
  const Json* st = json_get(j, "strategy");
  if (st && st->is_object() && st->contains("Fixed")) {
    p.fixed = true;
    p.fixed_length = (*st)["Fixed"].get<size_t>();
  } else if (st && !(st->is_string() && st->get<std::string>() == "BatchLongest")) {
    json_fail(path + ".strategy", "expected \"BatchLongest\" or {\"Fixed\": n}");
  }
  p.direction = direction_from_json(j, "direction", path);
  if (const Json* m = json_get(j, "pad_to_multiple_of"); m && !m->is_null())
    p.pad_to_multiple_of = static_cast<size_t>(json_int(j, "pad_to_multiple_of", path));
  p.pad_id = static_cast<uint32_t>(json_int(j, "pad_id", path, 0));
  p.pad_type_id = static_cast<uint32_t>(json_int(j, "pad_type_id", path, 0));
  p.pad_token = json_string(j, "pad_token", path, std::string("[PAD]"));
  return p;
}

Json truncation_to_json(const TruncationParams& t) {
  const char* strategies[] = {"LongestFirst", "OnlyFirst", "OnlySecond"};
  return Json{{"direction", t.direction == Direction::Left ? "Left" : "Right"},
              {"max_length", t.max_length},
              {"strategy", strategies[static_cast<int>(t.strategy)]},
              {"stride", t.stride}};
}

Json padding_to_json(const PaddingParams& p) {
  Json j;
  j["strategy"] = p.fixed ? Json{{"Fixed", p.fixed_length}} : Json("BatchLongest");
  j["direction"] = p.direction == Direction::Left ? "Left" : "Right";
  j["pad_to_multiple_of"] = p.pad_to_multiple_of ? Json(p.pad_to_multiple_of) : Json(nullptr);
  j["pad_id"] = p.pad_id;
  j["pad_type_id"] = p.pad_type_id;
  j["pad_token"] = p.pad_token;
  return j;
}

template <class T, class F>
std::unique_ptr<T> optional_component(const Json& root, const char* key, F make) {
  const Json* v = json_get(root, key);
  if (!v || v->is_null()) return nullptr;
  return make(*v, std::string(key));
}

}  // namespace

std::shared_ptr<Tokenizer> Tokenizer::from_json_string(const std::string& text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw BadInput(source + ": not valid JSON: " + e.what());
  }
  try {
    if (!root.is_object()) json_fail("$", "expected a JSON object");
    if (const Json* v = json_get(root, "version"); v && !(v->is_string() && v->get<std::string>() == "1.0"))
      json_fail("version", "expected \"1.0\"");
    std::shared_ptr<Tokenizer> t(new Tokenizer());
    Impl& m = *t->impl_;
    m.normalizer = optional_component<Normalizer>(root, "normalizer", normalizer_from_json);
    m.pre_tokenizer = optional_component<PreTokenizer>(root, "pre_tokenizer", pre_tokenizer_from_json);
    m.post_processor = optional_component<PostProcessor>(root, "post_processor", post_processor_from_json);
    m.decoder = optional_component<Decoder>(root, "decoder", decoder_from_json);
    m.model = model_from_json(json_object(root, "model", "$"), "model");
    if (const Json* tr = json_get(root, "truncation"); tr && !tr->is_null())
      t->truncation_ = truncation_from_json(*tr, "truncation");
    if (const Json* pd = json_get(root, "padding"); pd && !pd->is_null())
      t->padding_ = padding_from_json(*pd, "padding");
    std::vector<AddedToken> added;
    if (const Json* at = json_get(root, "added_tokens"); at && !at->is_null()) {
      if (!at->is_array()) json_fail("added_tokens", "expected an array");
      for (size_t i = 0; i < at->size(); ++i) {
        const Json& x = (*at)[i];
        std::string p = "added_tokens[" + std::to_string(i) + "]";
        if (!x.is_object()) json_fail(p, "expected an object");
        AddedToken a;
        a.content = json_string(x, "content", p);
        a.single_word = json_bool(x, "single_word", p, false);
        a.lstrip = json_bool(x, "lstrip", p, false);
        a.rstrip = json_bool(x, "rstrip", p, false);
        a.special = json_bool(x, "special", p, false);
        a.normalized = json_bool(x, "normalized", p, !a.special);
        added.push_back(std::move(a));
      }
    }
    m.added.add_tokens(added, *m.model, m.normalizer.get());
    m.source = std::move(root);
    return t;
  } catch (const BadInput& e) {
    std::string msg = e.what();
    if (msg.rfind("tokenizer.json: ", 0) == 0 && source != "tokenizer.json")
      msg = source + ": " + msg.substr(16);
    throw BadInput(msg);
  }
}

std::shared_ptr<Tokenizer> Tokenizer::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HEZAR_CHECK_INPUT(in.good(), "cannot open tokenizer file '", path, "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json_string(ss.str(), path);
}

std::string Tokenizer::to_json_string() const {
  Json j = impl_->source;
  j["truncation"] = truncation_ ? truncation_to_json(*truncation_) : Json(nullptr);
  j["padding"] = padding_ ? padding_to_json(*padding_) : Json(nullptr);
  Json added = Json::array();
  for (const auto& [id, t] : impl_->added.tokens())
    added.push_back(Json{{"id", id}, {"content", t.content}, {"single_word", t.single_word},
                         {"lstrip", t.lstrip}, {"rstrip", t.rstrip}, {"normalized", t.normalized},
                         {"special", t.special}});
  j["added_tokens"] = added;
  return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

void Tokenizer::save(const std::string& path) const { file_write_atomic(path, to_json_string()); }

}  // namespace hezar::tok

namespace hezar::tok {

std::vector<std::string> Tokenizer::pre_tokenize_words(std::string_view text) const {
  const Impl& m = *impl_;
  PreTokenizedString p = m.added.extract_and_normalize(m.normalizer.get(), utf8_decode(text));
  if (m.pre_tokenizer) m.pre_tokenizer->pre_tokenize(p);
  std::vector<std::string> out;
  out.reserve(p.splits.size());
  for (const Split& s : p.splits) out.push_back(utf8_encode(s.normalized.get()));
  return out;
}

std::shared_ptr<Tokenizer> Tokenizer::with_trained_model(const std::string& model_json,
                                                         const std::vector<std::string>& special) const {
  Json j = Json::parse(to_json_string());
  j["model"] = Json::parse(model_json);
  auto t = from_json_string(j.dump(), "trained tokenizer");
  std::vector<AddedToken> add;
  for (const auto& s : special) {
    AddedToken a;
    a.content = s;
    a.special = true;
    a.normalized = false;  // HF AddedToken::from(s, special=true)
    add.push_back(a);
  }
  t->add_tokens(add);
  return t;
}

std::string Tokenizer::model_json() const {
  const Json* m = json_get(impl_->source, "model");
  return m ? m->dump() : "null";
}

}  // namespace hezar::tok
