#include "preprocessors/tokenizers/tokenizer.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "preprocessors/tokenizers/added_vocabulary.h"
#include "preprocessors/tokenizers/components.h"
#include "preprocessors/tokenizers/tokenizer_impl.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;

PreTokenizedString Tokenizer::tokenize_splits(std::string_view text, const TruncationParams* truncation,
                                              uint32_t type_id) const {
  const Impl& m = *impl_;
  std::u32string chars = utf8_decode(text);
  PreTokenizedString p = m.added.extract_and_normalize(m.normalizer.get(), chars);
  if (m.pre_tokenizer) m.pre_tokenizer->pre_tokenize(p);
  const bool limited = truncation && !(truncation->strategy == TruncationStrategy::OnlySecond && type_id == 0);
  if (!limited) {
    for (Split& s : p.splits)
      if (!s.has_tokens) m.model->tokenize(s.normalized.get(), s.tokens);
    return p;
  }
  // Splits already holding tokens (added tokens) count but never end the walk; a newly tokenized one can.
  const size_t n = p.splits.size();
  const bool from_left = truncation->direction == Direction::Left;  // keep the tail
  size_t total = 0, kept = 0;
  for (size_t k = 0; k < n; ++k) {
    Split& s = p.splits[from_left ? n - 1 - k : k];
    kept = k + 1;
    if (s.has_tokens) {
      total += s.tokens.size();
      continue;
    }
    m.model->tokenize(s.normalized.get(), s.tokens);
    total += s.tokens.size();
    if (total >= truncation->max_length) break;
  }
  if (from_left) p.splits.erase(p.splits.begin(), p.splits.begin() + static_cast<std::ptrdiff_t>(n - kept));
  else p.splits.resize(kept);
  return p;
}

Encoding Tokenizer::encode_sequence(std::string_view text, uint32_t type_id, const TruncationParams* truncation) const {
  PreTokenizedString p = tokenize_splits(text, truncation, type_id);
  Encoding e;
  size_t total = 0;
  for (const Split& s : p.splits) total += s.tokens.size();
  e.reserve(total);  // once: reserving per split made long texts quadratic
  for (size_t idx = 0; idx < p.splits.size(); ++idx) {
    Split& s = p.splits[idx];
    for (Token& t : s.tokens) {
      Span o = s.normalized.convert(t.start, t.end);
      e.push(t.id, type_id, std::move(t.value), static_cast<int64_t>(idx), {o.start, o.end}, 0);
    }
  }
  return e;
}

void Tokenizer::append_word(std::string_view text, uint32_t type_id, int64_t word, Encoding& e,
                            const TruncationParams* truncation) const {
  PreTokenizedString p = tokenize_splits(text, truncation, type_id);
  for (Split& s : p.splits)
    for (Token& t : s.tokens) {
      Span o = s.normalized.convert(t.start, t.end);
      e.push(t.id, type_id, std::move(t.value), word, {o.start, o.end}, 0);
    }
}

Encoding Tokenizer::encode_words_sequence(const std::vector<std::string>& words, uint32_t type_id,
                                          const TruncationParams* truncation) const {
  Encoding e;
  e.reserve(words.size() * 2);  // a guess; push grows geometrically beyond it
  // HF limits each word on its own (one do_tokenize per pre-split word).
  for (size_t i = 0; i < words.size(); ++i) append_word(words[i], type_id, static_cast<int64_t>(i), e, truncation);
  return e;
}

Encoding Tokenizer::post_process(Encoding a, std::optional<Encoding> b, bool add_special,
                                 const TruncationParams* truncation) const {
  const Impl& m = *impl_;
  if (truncation) {
    TruncationParams t = *truncation;
    size_t n_added = m.post_processor ? m.post_processor->added_tokens(b.has_value()) : 0;
    if (add_special && n_added > 0) {
      HEZAR_CHECK_INPUT(t.max_length >= n_added, "truncation max_length (", t.max_length,
                        ") is smaller than the number of special tokens (", n_added, ")");
      t.max_length -= n_added;
    }
    truncate_encodings(a, b ? &*b : nullptr, t);
  }
  std::vector<Encoding> encs;
  encs.push_back(std::move(a));
  if (b) encs.push_back(std::move(*b));
  return m.post_processor ? m.post_processor->process(std::move(encs), add_special)
                          : default_process(std::move(encs));
}

namespace {
Encoding pad_one(Encoding e, const std::optional<PaddingParams>& padding) {
  if (!padding) return e;
  std::vector<Encoding> one;
  one.push_back(std::move(e));
  pad_encodings(one, *padding);
  return std::move(one[0]);
}
}  // namespace

Encoding Tokenizer::encode(std::string_view text, bool add_special) const {
  const TruncationParams* t = truncation_ ? &*truncation_ : nullptr;
  return pad_one(post_process(encode_sequence(text, 0, t), std::nullopt, add_special, t), padding_);
}

Encoding Tokenizer::encode_words(const std::vector<std::string>& words, bool add_special) const {
  const TruncationParams* t = truncation_ ? &*truncation_ : nullptr;
  return pad_one(post_process(encode_words_sequence(words, 0, t), std::nullopt, add_special, t), padding_);
}

Encoding Tokenizer::encode_pair(std::string_view a, std::string_view b, bool add_special) const {
  const TruncationParams* t = truncation_ ? &*truncation_ : nullptr;
  return pad_one(post_process(encode_sequence(a, 0, t), encode_sequence(b, 1, t), add_special, t), padding_);
}

namespace {
template <class F>
void parallel_for(size_t n, size_t threads, F fn) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, n);
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex mu;
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      try {
        for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        next = n;
      }
    });
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}
}  // namespace

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts, bool add_special,
                                              size_t threads) const {
  return encode_batch_with(texts, add_special, threads, truncation_, padding_);
}

std::vector<Encoding> Tokenizer::encode_batch_with(const std::vector<std::string>& texts, bool add_special,
                                                   size_t threads, const std::optional<TruncationParams>& trunc,
                                                   const std::optional<PaddingParams>& padding) const {
  std::vector<Encoding> out(texts.size());
  const TruncationParams* t = trunc ? &*trunc : nullptr;
  parallel_for(texts.size(), threads, [&](size_t i) {
    out[i] = post_process(encode_sequence(texts[i], 0, t), std::nullopt, add_special, t);
  });
  if (padding) pad_encodings(out, *padding);
  return out;
}

std::vector<Encoding> Tokenizer::encode_words_batch_with(const std::vector<std::vector<std::string>>& batch,
                                                         bool add_special, size_t threads,
                                                         const std::optional<TruncationParams>& trunc,
                                                         const std::optional<PaddingParams>& padding) const {
  std::vector<Encoding> out(batch.size());
  const TruncationParams* t = trunc ? &*trunc : nullptr;
  parallel_for(batch.size(), threads, [&](size_t i) {
    out[i] = post_process(encode_words_sequence(batch[i], 0, t), std::nullopt, add_special, t);
  });
  if (padding) pad_encodings(out, *padding);
  return out;
}

std::vector<Encoding> Tokenizer::encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                    bool add_special, size_t threads) const {
  std::vector<Encoding> out(pairs.size());
  const TruncationParams* t = truncation_ ? &*truncation_ : nullptr;
  parallel_for(pairs.size(), threads, [&](size_t i) {
    out[i] = post_process(encode_sequence(pairs[i].first, 0, t), encode_sequence(pairs[i].second, 1, t),
                          add_special, t);
  });
  if (padding_) pad_encodings(out, *padding_);
  return out;
}

std::string Tokenizer::decode(const std::vector<uint32_t>& ids, bool skip_special) const {
  const Impl& m = *impl_;
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (uint32_t id : ids) {
    std::optional<std::string> t;
    if (const std::string* a = m.added.id_to_token(id)) t = *a;
    else t = m.model->id_to_token(id);
    if (!t) continue;
    if (skip_special && m.added.is_special(*t)) continue;
    tokens.push_back(std::move(*t));
  }
  if (m.decoder) return m.decoder->decode(std::move(tokens));
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += ' ';
    out += tokens[i];
  }
  return out;
}

std::optional<uint32_t> Tokenizer::token_to_id(const std::string& token) const {
  if (auto id = impl_->added.token_to_id(token)) return id;
  return impl_->model->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(uint32_t id) const {
  if (const std::string* a = impl_->added.id_to_token(id)) return *a;
  return impl_->model->id_to_token(id);
}

size_t Tokenizer::vocab_size(bool with_added) const {
  if (!with_added) return impl_->model->vocab_size();
  return vocab(true).size();
}

std::unordered_map<std::string, uint32_t> Tokenizer::vocab(bool with_added) const {
  auto v = impl_->model->vocab();
  if (with_added)
    for (const auto& [id, t] : impl_->added.tokens()) v[t.content] = id;
  return v;
}

bool Tokenizer::is_special_token(const std::string& token) const { return impl_->added.is_special(token); }

void Tokenizer::add_tokens(const std::vector<AddedToken>& tokens) {
  impl_->added.add_tokens(tokens, *impl_->model, impl_->normalizer.get());
}

size_t Tokenizer::num_special_tokens_to_add(bool is_pair) const {
  return impl_->post_processor ? impl_->post_processor->added_tokens(is_pair) : 0;
}

}  // namespace hezar::tok
