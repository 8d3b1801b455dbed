// Unigram EM training, step for step as HF's UnigramTrainer::do_train (see unigram_trainer.h). Kept HF
// quirks, because they decide which pieces survive:
//  - pruning's "loss" uses log(sum + freq * (number of pieces - 1)) where sentencepiece uses the number
//    of alternatives of the piece;
//  - a piece whose best segmentation is not itself is kept when it still appears in a Viterbi path;
//  - the final cut takes pieces in model order (not by score), then sorts by score.
// Parallel steps work on fixed slices of the words and are summed in slice order, so results do not
// depend on the thread count.
#include "preprocessors/tokenizers/unigram_trainer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "preprocessors/tokenizers/unicode.h"
#include "preprocessors/tokenizers/unigram_lattice.h"

namespace hezar::tok {

namespace {

using unigram::Lattice;
using PieceModel = unigram::Model;  // hezar::tok::Model is the tokenizer model
using unigram::Pieces;
using Sentences = std::vector<UnigramSentence>;

constexpr size_t kSlices = 8;

// fn(slice, begin, end) over kSlices fixed slices of [0, n), on up to `threads` threads.
template <class F>
void for_slices(size_t n, size_t threads, F fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t s; (s = next++) < kSlices;) fn(s, n * s / kSlices, n * (s + 1) / kSlices);
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::min(threads, kSlices); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

std::vector<double> sum_slices(std::vector<std::vector<double>>& parts, size_t size) {
  std::vector<double> out(size, 0.0);
  for (auto& p : parts)
    for (size_t i = 0; i < p.size(); ++i) out[i] += p[i];
  return out;
}

// E step: expected piece counts under the current model (HF run_e_step).
std::vector<double> e_step(const PieceModel& model, const Sentences& sentences, size_t threads) {
  std::vector<std::vector<double>> parts(kSlices);
  std::atomic<bool> nan{false};
  for_slices(sentences.size(), threads, [&](size_t s, size_t b, size_t e) {
    parts[s].assign(model.size(), 0.0);
    Lattice lat;
    for (size_t i = b; i < e; ++i) {
      model.populate(sentences[i].first, lat);
      if (std::isnan(lat.marginal(static_cast<double>(sentences[i].second), parts[s]))) nan = true;
    }
  });
  HEZAR_CHECK(!nan, "Unigram training: the likelihood is NaN (a pre-tokenized word may be too long)");
  return sum_slices(parts, model.size());
}

// M step with HF's Bayesian (digamma) update; pieces expected less than 0.5 times are dropped.
Pieces m_step(const Pieces& pieces, const std::vector<double>& expected) {
  Pieces out;
  out.push_back({pieces[0].first, std::numeric_limits<double>::quiet_NaN()});
  double sum = 0;
  for (size_t i = 1; i < pieces.size(); ++i) {
    if (expected[i] < 0.5) continue;
    out.push_back({pieces[i].first, expected[i]});
    sum += expected[i];
  }
  const double logsum = unigram::digamma(sum);
  for (size_t i = 1; i < out.size(); ++i) out[i].second = unigram::digamma(out[i].second) - logsum;
  return out;
}

struct Alternatives {
  std::vector<char> always_keep;
  std::vector<std::vector<uint32_t>> ids;  // the second-best segmentation of pieces the model prefers whole
};

// HF's nbest(2) on each piece alone: the best path is the piece itself or a split of it.
Alternatives alternatives_of(const PieceModel& model, const Pieces& pieces, size_t threads) {
  Alternatives a{std::vector<char>(pieces.size(), 1), std::vector<std::vector<uint32_t>>(pieces.size())};
  a.always_keep[0] = 0;
  for_slices(pieces.size(), threads, [&](size_t, size_t b, size_t e) {
    Lattice lat;
    for (size_t id = std::max<size_t>(b, 1); id < e; ++id) {
      const std::u32string& text = pieces[id].first;
      model.populate(text, lat);
      uint32_t whole = lat.begin[0];
      while (lat.nodes[whole].len != text.size()) ++whole;
      std::vector<uint32_t> alt = lat.viterbi(whole);
      if (alt.empty()) continue;  // the piece is the only segmentation
      double alt_score = 0;
      for (uint32_t k : alt) alt_score += lat.nodes[k].score;
      if (alt_score > pieces[id].second) {
        a.always_keep[id] = 0;
        continue;
      }
      for (uint32_t k : alt) a.ids[id].push_back(lat.nodes[k].id);
    }
  });
  return a;
}

// Viterbi counts of every piece over the corpus, and the total word count.
std::vector<double> viterbi_counts(const PieceModel& model, const Sentences& sentences, size_t threads, double& vsum) {
  std::vector<std::vector<double>> parts(kSlices);
  for_slices(sentences.size(), threads, [&](size_t s, size_t b, size_t e) {
    parts[s].assign(model.size(), 0.0);
    Lattice lat;
    for (size_t i = b; i < e; ++i) {
      model.populate(sentences[i].first, lat);
      for (uint32_t k : lat.viterbi()) parts[s][lat.nodes[k].id] += static_cast<double>(sentences[i].second);
    }
  });
  vsum = 0;
  for (const auto& s : sentences) vsum += static_cast<double>(s.second);
  return sum_slices(parts, model.size());
}

// HF prune_sentence_pieces: keeps the pieces without alternatives, then the ones whose removal costs
// the most likelihood, down to max(1.1 x vocab_size, shrinking_factor x size).
Pieces prune(const PieceModel& model, const Pieces& pieces, const Sentences& sentences,
             const UnigramTrainerOptions& o) {
  Alternatives alt = alternatives_of(model, pieces, o.threads);
  double vsum = 0;
  std::vector<double> freq = viterbi_counts(model, sentences, o.threads, vsum);
  double sum = 0;
  for (double f : freq) sum += f;
  const double logsum = std::log(sum);
  const double n_pieces = static_cast<double>(pieces.size());
  Pieces out{pieces[0]};
  std::vector<std::pair<size_t, double>> candidates;
  for (size_t id = 1; id < pieces.size(); ++id) {
    if (freq[id] == 0.0 && !alt.always_keep[id]) continue;  // never used: safe to drop
    if (alt.ids[id].empty()) {
      out.push_back(pieces[id]);
      continue;
    }
    if (freq[id] == 0.0) continue;
    double f = freq[id] / vsum;
    double logprob_sp = std::log(freq[id]) - logsum;
    double logsum_alt = std::log(sum + freq[id] * (n_pieces - 1));  // HF quirk, see the file comment
    double logprob_alt = 0;
    for (uint32_t n : alt.ids[id]) logprob_alt += std::log(freq[n] + freq[id]) - logsum_alt;
    candidates.push_back({id, f * (logprob_sp - logprob_alt)});
  }
  size_t desired = o.vocab_size * 11 / 10;
  size_t pruned = std::max(desired, static_cast<size_t>(n_pieces * o.shrinking_factor));
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [id, loss] : candidates) {
    if (out.size() == pruned) break;
    out.push_back(pieces[id]);
  }
  return out;
}

struct SpecialLayout {
  std::optional<uint32_t> unk_id;
  bool add_unk = false;
  size_t count() const { return add_unk ? 1 : 0; }
};

SpecialLayout special_layout(const UnigramTrainerOptions& o) {
  SpecialLayout l;
  if (!o.unk_token) return l;
  auto it = std::find(o.special_tokens.begin(), o.special_tokens.end(), *o.unk_token);
  if (it != o.special_tokens.end()) {
    l.unk_id = static_cast<uint32_t>(it - o.special_tokens.begin());
  } else {
    l.unk_id = 0;  // HF puts an unk token that is not a special token first
    l.add_unk = true;
  }
  return l;
}

// HF finalize: every required character (its score, or min_score plus a growing penalty when the model
// dropped it), then pieces in model order up to vocab_size, sorted by score; special tokens first.
UnigramTrainResult finalize(const PieceModel& model, const Pieces& pieces, const std::vector<char32_t>& required,
                            const UnigramTrainerOptions& o) {
  SpecialLayout layout = special_layout(o);
  const size_t target = o.vocab_size - o.special_tokens.size() - layout.count();
  std::unordered_map<std::u32string, double> existing;
  for (size_t i = 1; i < pieces.size(); ++i) existing.emplace(pieces[i].first, pieces[i].second);
  std::unordered_set<std::u32string> inserted;
  for (const auto& s : o.special_tokens) inserted.insert(utf8_decode(s));  // no duplicates of special tokens
  if (o.unk_token) inserted.insert(utf8_decode(*o.unk_token));
  Pieces kept;
  double penalty = 0.0;
  for (char32_t c : required) {
    std::u32string s(1, c);
    if (inserted.count(s)) continue;  // a one-character special token
    auto it = existing.find(s);
    if (it != existing.end()) {
      kept.push_back({s, it->second});
    } else {
      kept.push_back({s, model.min_score() + penalty});
      penalty += 0.0001;
    }
    inserted.insert(s);
  }
  for (size_t i = 1; i < pieces.size() && kept.size() < target; ++i)
    if (inserted.insert(pieces[i].first).second)
      kept.push_back({pieces[i].first, std::isnan(pieces[i].second) ? 0.0 : pieces[i].second});
  std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.second > b.second; });

  UnigramTrainResult r;
  r.unk_id = layout.unk_id;
  if (layout.add_unk) r.vocab.push_back({*o.unk_token, 0.0});
  for (const auto& s : o.special_tokens) r.vocab.push_back({s, 0.0});
  for (const auto& [s, score] : kept) r.vocab.push_back({utf8_encode(s), score});
  return r;
}

}  // namespace

UnigramTrainResult train_unigram(const WordCounts& words, const UnigramTrainerOptions& o) {
  HEZAR_CHECK_INPUT(o.shrinking_factor > 0 && o.shrinking_factor < 1,
                    "Unigram training: shrinking_factor must be in (0, 1)");
  HEZAR_CHECK_INPUT(o.max_piece_length >= 1 && o.n_sub_iterations >= 1 && o.seed_size >= 1,
                    "Unigram training: max_piece_length, n_sub_iterations and seed_size must be >= 1");
  Sentences sentences;
  std::set<char32_t> chars(o.initial_alphabet.begin(), o.initial_alphabet.end());
  for (const auto& [w, n] : words) {
    if (w.empty()) continue;
    sentences.push_back({utf8_decode(w), n});
    chars.insert(sentences.back().first.begin(), sentences.back().first.end());
  }
  HEZAR_CHECK_INPUT(!sentences.empty(), "Unigram training: the training files contain no text");
  const std::vector<char32_t> required(chars.begin(), chars.end());
  const size_t specials = o.special_tokens.size() + special_layout(o).count();
  HEZAR_CHECK_INPUT(required.size() + specials <= o.vocab_size, "Unigram training: vocab_size ", o.vocab_size,
                    " is too small for the ", required.size(), " distinct characters of the corpus plus ", specials,
                    " special tokens; raise vocab_size to at least ", required.size() + specials);

  Pieces pieces{{U"<UNK>", std::numeric_limits<double>::quiet_NaN()}};
  for (auto& s : unigram_seed_pieces(sentences, o.max_piece_length, o.seed_size)) pieces.push_back(std::move(s));
  spdlog::debug("Unigram training: {} seed pieces on {} words", pieces.size(), sentences.size());
  const size_t desired = o.vocab_size * 11 / 10;
  auto model = std::make_unique<PieceModel>(pieces);
  for (;;) {
    for (unsigned it = 0; it < o.n_sub_iterations; ++it) {
      pieces = m_step(pieces, e_step(*model, sentences, o.threads));
      model = std::make_unique<PieceModel>(pieces);
    }
    spdlog::debug("Unigram training: EM round done, {} pieces", pieces.size());
    if (pieces.size() <= desired) break;
    pieces = prune(*model, pieces, sentences, o);
    model = std::make_unique<PieceModel>(pieces);
  }
  return finalize(*model, pieces, required, o);
}

std::shared_ptr<Tokenizer> train_unigram_tokenizer(const Tokenizer& base, const WordCounts& words,
                                                   const UnigramTrainerOptions& opts) {
  nlohmann::json m = nlohmann::json::parse(base.model_json());
  HEZAR_CHECK_INPUT(m.is_object() && m.value("type", "") == "Unigram",
                    "training: the tokenizer's model is not Unigram");
  UnigramTrainResult r = train_unigram(words, opts);
  nlohmann::json vocab = nlohmann::json::array();
  for (const auto& [piece, score] : r.vocab) vocab.push_back({piece, score});
  // HF replaces the whole model with the trained one (no byte fallback).
  nlohmann::json model{{"type", "Unigram"},
                       {"unk_id", r.unk_id ? nlohmann::json(*r.unk_id) : nlohmann::json()},
                       {"vocab", vocab},
                       {"byte_fallback", false}};
  return base.with_trained_model(model.dump(), opts.special_tokens);
}

}  // namespace hezar::tok
