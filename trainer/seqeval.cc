#include "trainer/seqeval.h"

#include <map>
#include <set>

#include "core/error.h"

namespace hezar {
namespace {

struct Tag {
  char prefix;       // B, I, E, S, O, ...
  std::string type;  // "" -> "_" as seqeval
};

Tag tag_split(const std::string& chunk, bool suffix) {
  if (chunk.empty()) return {'O', "_"};
  if (suffix) {
    const size_t dash = chunk.rfind('-');
    std::string type = dash == std::string::npos ? "" : chunk.substr(0, dash);
    return {chunk.back(), type.empty() ? "_" : type};
  }
  std::string rest = chunk.substr(1);
  const size_t dash = rest.find('-');
  std::string type = dash == std::string::npos ? rest : rest.substr(dash + 1);
  return {chunk[0], type.empty() ? "_" : type};
}

// conlleval's chunk boundaries, as seqeval's end_of_chunk / start_of_chunk.
bool chunk_ends(char prev, char tag, const std::string& prev_type, const std::string& type) {
  if (prev == 'E' || prev == 'S') return true;
  if ((prev == 'B' || prev == 'I') && (tag == 'B' || tag == 'S' || tag == 'O')) return true;
  return prev != 'O' && prev != '.' && prev_type != type;
}

bool chunk_starts(char prev, char tag, const std::string& prev_type, const std::string& type) {
  if (tag == 'B' || tag == 'S') return true;
  if ((prev == 'E' || prev == 'S' || prev == 'O') && (tag == 'E' || tag == 'I')) return true;
  return tag != 'O' && tag != '.' && prev_type != type;
}

std::vector<SeqChunk> lenient_chunks(const std::vector<std::string>& tags, bool suffix) {
  std::vector<SeqChunk> chunks;
  char prev = 'O';
  std::string prev_type;
  size_t begin = 0;
  for (size_t i = 0; i <= tags.size(); ++i) {
    const Tag t = i < tags.size() ? tag_split(tags[i], suffix) : Tag{'O', "_"};
    if (chunk_ends(prev, t.prefix, prev_type, t.type)) chunks.emplace_back(prev_type, begin, i - 1);
    if (chunk_starts(prev, t.prefix, prev_type, t.type)) begin = i;
    prev = t.prefix;
    prev_type = t.type;
  }
  return chunks;
}

// Strict IOB2 / IOB1: only well-formed chunks count; tokens of ill-formed ones belong to no chunk.
std::vector<SeqChunk> strict_chunks(const std::vector<std::string>& tags, bool suffix, SeqevalMode mode) {
  std::vector<SeqChunk> chunks;
  bool open = false;
  std::string type;
  size_t begin = 0;
  auto close = [&](size_t end) {
    if (open) chunks.emplace_back(type, begin, end);
    open = false;
  };
  for (size_t i = 0; i < tags.size(); ++i) {
    const Tag t = tag_split(tags[i], suffix);
    const bool same = open && t.type == type;
    bool starts = false, continues = false;
    if (mode == SeqevalMode::kStrictIob2) {
      starts = t.prefix == 'B';
      continues = t.prefix == 'I' && same;
    } else {  // IOB1: I-X continues an X chunk or starts one; B-X starts one only right after an X chunk
      starts = (t.prefix == 'I' && !same) || (t.prefix == 'B' && same);
      continues = t.prefix == 'I' && same;
    }
    if (continues) continue;
    close(i - 1);
    if (starts) {
      open = true;
      type = t.type;
      begin = i;
    }
  }
  close(tags.size() - 1);
  return chunks;
}

double ratio(size_t numerator, size_t denominator, double zero_division) {
  return denominator == 0 ? zero_division : static_cast<double>(numerator) / static_cast<double>(denominator);
}

}  // namespace

std::vector<SeqChunk> seqeval_chunks(const std::vector<std::string>& tags, bool suffix, SeqevalMode mode) {
  return mode == SeqevalMode::kLenient ? lenient_chunks(tags, suffix) : strict_chunks(tags, suffix, mode);
}

SeqevalScores seqeval_score(const std::vector<std::vector<std::string>>& y_true,
                            const std::vector<std::vector<std::string>>& y_pred, bool suffix, SeqevalMode mode,
                            double zero_division) {
  HEZAR_CHECK_INPUT(y_true.size() == y_pred.size(), "seqeval: ", y_true.size(), " true sequences but ",
                    y_pred.size(), " predicted");
  size_t tokens = 0, correct_tokens = 0, true_chunks = 0, pred_chunks = 0, correct_chunks = 0;
  for (size_t s = 0; s < y_true.size(); ++s) {
    const auto& t = y_true[s];
    const auto& p = y_pred[s];
    HEZAR_CHECK_INPUT(t.size() == p.size(), "seqeval: sequence ", s, " has ", t.size(), " true tags but ", p.size(),
                      " predicted");
    tokens += t.size();
    for (size_t i = 0; i < t.size(); ++i) correct_tokens += t[i] == p[i];
    const auto true_set = seqeval_chunks(t, suffix, mode), pred_set = seqeval_chunks(p, suffix, mode);
    const std::set<SeqChunk> truth(true_set.begin(), true_set.end());
    true_chunks += truth.size();
    std::set<SeqChunk> predicted(pred_set.begin(), pred_set.end());
    pred_chunks += predicted.size();
    for (const auto& chunk : predicted) correct_chunks += truth.count(chunk);
  }
  HEZAR_CHECK_INPUT(tokens > 0, "seqeval: no tags to score (empty evaluation set)");
  SeqevalScores s;
  s.accuracy = static_cast<double>(correct_tokens) / static_cast<double>(tokens);
  s.precision = ratio(correct_chunks, pred_chunks, zero_division);
  s.recall = ratio(correct_chunks, true_chunks, zero_division);
  s.f1 = ratio(2 * correct_chunks, pred_chunks + true_chunks, zero_division);
  return s;
}

bool seqeval_is_iob_schema(const std::vector<std::string>& labels) {
  for (const auto& label : labels) {
    if (label == "O") continue;
    if (label.size() < 3 || label[1] != '-' || std::string("BIESLU").find(label[0]) == std::string::npos) return false;
  }
  return true;
}

}  // namespace hezar
