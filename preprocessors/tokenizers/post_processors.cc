// Post-processors (HF processors/): TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel
// and Sequence.
#include <map>
#include <memory>

#include "preprocessors/tokenizers/byte_level.h"
#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/json_util.h"

namespace hezar::tok {

Encoding PostProcessor::process(std::vector<Encoding> encodings, bool add_special_tokens) const {
  return Encoding::merge(process_encodings(std::move(encodings), add_special_tokens), false);
}

Encoding default_process(std::vector<Encoding> encodings) {
  if (encodings.size() == 1) return std::move(encodings[0]);
  Encoding out;
  for (size_t i = 0; i < encodings.size(); ++i) {
    encodings[i].set_sequence_id(i);
    out.merge_with(std::move(encodings[i]), false);
  }
  return out;
}

namespace {

Encoding special_encoding(const std::vector<uint32_t>& ids, const std::vector<std::string>& tokens,
                          uint32_t type_id) {
  Encoding e;
  for (size_t i = 0; i < ids.size(); ++i) e.push(ids[i], type_id, tokens[i], -1, {0, 0}, 1);
  return e;
}

struct Piece {
  bool is_sequence;
  std::string id;  // "A"/"B" or the special token name
  uint32_t type_id;
};

struct SpecialToken {
  std::vector<uint32_t> ids;
  std::vector<std::string> tokens;
};

class TemplateProcessing : public PostProcessor {
 public:
  TemplateProcessing(const Json& j, const std::string& path) {
    const Json& st = json_object(j, "special_tokens", path);
    for (auto it = st.begin(); it != st.end(); ++it) {
      std::string p = path + ".special_tokens." + it.key();
      SpecialToken t;
      const Json& ids = json_array(it.value(), "ids", p);
      const Json& toks = json_array(it.value(), "tokens", p);
      if (ids.size() != toks.size()) json_fail(p, "ids and tokens must have the same length");
      for (const auto& x : ids) {
        if (!x.is_number_integer()) json_fail(p + ".ids", "expected integers");
        t.ids.push_back(x.get<uint32_t>());
      }
      for (const auto& x : toks) {
        if (!x.is_string()) json_fail(p + ".tokens", "expected strings");
        t.tokens.push_back(x.get<std::string>());
      }
      specials_[json_string(it.value(), "id", p)] = std::move(t);
    }
    single_ = parse_template(json_array(j, "single", path), path + ".single");
    pair_ = parse_template(json_array(j, "pair", path), path + ".pair");
  }

  size_t added_tokens(bool is_pair) const override {
    size_t n = 0;
    for (const Piece& p : is_pair ? pair_ : single_)
      if (!p.is_sequence) n += specials_.at(p.id).ids.size();
    return n;
  }

  std::vector<Encoding> process_encodings(std::vector<Encoding> encs, bool add_special) const override {
    const std::vector<Piece>& tpl = encs.size() == 2 ? pair_ : single_;
    std::vector<Encoding> out;
    for (const Piece& p : tpl) {
      if (p.is_sequence) {
        size_t i = p.id == "A" ? 0 : 1;
        if (i >= encs.size()) continue;
        Encoding e = encs[i];
        e.set_type_ids(p.type_id);
        e.set_sequence_id(i);
        out.push_back(std::move(e));
      } else if (add_special) {
        const SpecialToken& t = specials_.at(p.id);
        out.push_back(special_encoding(t.ids, t.tokens, p.type_id));
      }
    }
    return out;
  }

 private:
  std::vector<Piece> parse_template(const Json& arr, const std::string& path) {
    std::vector<Piece> out;
    for (size_t i = 0; i < arr.size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      const Json& x = arr[i];
      if (!x.is_object()) json_fail(p, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      if (const Json* s = json_get(x, "Sequence")) {
        std::string id = json_string(*s, "id", p + ".Sequence");
        if (id != "A" && id != "B") json_fail(p + ".Sequence.id", "expected A or B");
        out.push_back({true, id, static_cast<uint32_t>(json_int(*s, "type_id", p + ".Sequence", 0))});
      } else if (const Json* t = json_get(x, "SpecialToken")) {
        std::string id = json_string(*t, "id", p + ".SpecialToken");
        if (!specials_.count(id)) json_fail(p + ".SpecialToken.id", "'" + id + "' is not in special_tokens");
        out.push_back({false, id, static_cast<uint32_t>(json_int(*t, "type_id", p + ".SpecialToken", 0))});
      } else {
        json_fail(p, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
    }
    return out;
  }

  std::map<std::string, SpecialToken> specials_;
  std::vector<Piece> single_, pair_;
};

std::pair<std::string, uint32_t> token_pair(const Json& j, const char* key, const std::string& path) {
  const Json& v = json_array(j, key, path);
  if (v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer())
    json_fail(path + "." + key, "expected [token, id]");
  return {v[0].get<std::string>(), v[1].get<uint32_t>()};
}

class BertProcessing : public PostProcessor {
 public:
  BertProcessing(const Json& j, const std::string& path)
      : sep_(token_pair(j, "sep", path)), cls_(token_pair(j, "cls", path)) {}
  size_t added_tokens(bool is_pair) const override { return is_pair ? 3 : 2; }
  std::vector<Encoding> process_encodings(std::vector<Encoding> encs, bool add_special) const override {
    if (!add_special) return encs;
    std::vector<Encoding> out;
    for (size_t i = 0; i < encs.size(); ++i) {
      uint32_t type = i == 0 ? 0 : 1;
      Encoding e;
      if (i == 0) e = special_encoding({cls_.second}, {cls_.first}, 0);
      Encoding body = encs[i];
      body.set_type_ids(type);
      body.sequence_ranges.clear();
      size_t start = e.size();
      e.merge_with(std::move(body), false);
      e.merge_with(special_encoding({sep_.second}, {sep_.first}, type), false);
      e.sequence_ranges.clear();
      e.sequence_ranges[i] = {start, e.size() - 1};
      out.push_back(std::move(e));
    }
    return out;
  }

 private:
  std::pair<std::string, uint32_t> sep_, cls_;
};

class RobertaProcessing : public PostProcessor {
 public:
  RobertaProcessing(const Json& j, const std::string& path)
      : sep_(token_pair(j, "sep", path)), cls_(token_pair(j, "cls", path)) {
    trim_offsets_ = json_bool(j, "trim_offsets", path, true);
    add_prefix_space_ = json_bool(j, "add_prefix_space", path, true);
  }
  size_t added_tokens(bool is_pair) const override { return is_pair ? 4 : 2; }
  std::vector<Encoding> process_encodings(std::vector<Encoding> encs, bool add_special) const override {
    if (trim_offsets_)
      for (auto& e : encs) {
        byte_level_process_offsets(e, add_prefix_space_);
        for (auto& o : e.overflowing) byte_level_process_offsets(o, add_prefix_space_);
      }
    for (auto& e : encs) e.set_type_ids(0);
    if (!add_special) return encs;
    std::vector<Encoding> out;
    for (size_t i = 0; i < encs.size(); ++i) {
      Encoding e = i == 0 ? special_encoding({cls_.second}, {cls_.first}, 0)
                          : special_encoding({sep_.second}, {sep_.first}, 0);
      Encoding body = encs[i];
      body.sequence_ranges.clear();
      e.merge_with(std::move(body), false);  // overflowing windows get the same special tokens
      e.merge_with(special_encoding({sep_.second}, {sep_.first}, 0), false);
      e.sequence_ranges.clear();
      e.sequence_ranges[i] = {1, e.size() - 1};
      out.push_back(std::move(e));
    }
    return out;
  }

 private:
  std::pair<std::string, uint32_t> sep_, cls_;
  bool trim_offsets_ = true, add_prefix_space_ = true;
};

class ByteLevelProcessing : public PostProcessor {
 public:
  bool trim_offsets = true, add_prefix_space = true;
  size_t added_tokens(bool) const override { return 0; }
  std::vector<Encoding> process_encodings(std::vector<Encoding> encs, bool) const override {
    if (trim_offsets)
      for (auto& e : encs) {
        byte_level_process_offsets(e, add_prefix_space);
        for (auto& o : e.overflowing) byte_level_process_offsets(o, add_prefix_space);
      }
    for (size_t i = 0; i < encs.size(); ++i) encs[i].set_sequence_id(i);
    return encs;
  }
};

class SequenceProcessing : public PostProcessor {
 public:
  std::vector<std::unique_ptr<PostProcessor>> items;
  size_t added_tokens(bool is_pair) const override {
    size_t n = 0;
    for (const auto& p : items) n += p->added_tokens(is_pair);
    return n;
  }
  std::vector<Encoding> process_encodings(std::vector<Encoding> encs, bool add_special) const override {
    for (const auto& p : items) encs = p->process_encodings(std::move(encs), add_special);
    return encs;
  }
};

}  // namespace

std::unique_ptr<PostProcessor> post_processor_from_json(const Json& j, const std::string& path) {
  std::string type = json_type(j, path);
  if (type == "TemplateProcessing") return std::make_unique<TemplateProcessing>(j, path);
  if (type == "BertProcessing") return std::make_unique<BertProcessing>(j, path);
  if (type == "RobertaProcessing") return std::make_unique<RobertaProcessing>(j, path);
  if (type == "ByteLevel") {
    auto p = std::make_unique<ByteLevelProcessing>();
    p->trim_offsets = json_bool(j, "trim_offsets", path, true);
    p->add_prefix_space = json_bool(j, "add_prefix_space", path, true);
    return p;
  }
  if (type == "Sequence") {
    auto p = std::make_unique<SequenceProcessing>();
    const Json& arr = json_array(j, "processors", path);
    for (size_t i = 0; i < arr.size(); ++i)
      p->items.push_back(post_processor_from_json(arr[i], path + ".processors[" + std::to_string(i) + "]"));
    return p;
  }
  json_unsupported(path, type);
}

}  // namespace hezar::tok
