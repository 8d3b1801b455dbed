// BPE model (HF models/bpe): merges by rank with a priority queue, continuing_subword_prefix,
// end_of_word_suffix, byte_fallback, fuse_unk, ignore_merges; a sharded word cache.
#include <array>
#include <cstdio>
#include <memory>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "preprocessors/tokenizers/json_util.h"
#include "preprocessors/tokenizers/models_internal.h"
#include "preprocessors/tokenizers/unicode.h"

namespace hezar::tok {

namespace {

// (left id, right id) -> (rank, merged id): open addressing, power-of-two table, multiplicative hash.
// Merge lookups dominate BPE encoding; std::unordered_map's modulo and node chasing cost ~3x more.
class PairMap {
 public:
  using Value = std::pair<uint32_t, uint32_t>;
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    keys_.assign(cap, kEmpty);
    vals_.assign(cap, {0, 0});
    mask_ = cap - 1;
  }
  // Keeps the first value of a key (as std::unordered_map::emplace did).
  void emplace(uint64_t key, Value v) {
    if (keys_.empty() || (size_ + 1) * 2 > keys_.size()) grow();
    size_t i = slot(key);
    if (keys_[i] == key) return;
    keys_[i] = key;
    vals_[i] = v;
    ++size_;
  }
  const Value* find(uint64_t key) const {
    if (keys_.empty()) return nullptr;
    size_t i = slot(key);
    return keys_[i] == key ? &vals_[i] : nullptr;
  }

 private:
  static constexpr uint64_t kEmpty = ~0ull;  // ids are < 2^32 - 1, so never a real key
  size_t slot(uint64_t key) const {
    size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask_;
    while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask_;
    return i;
  }
  void grow() {
    std::vector<uint64_t> k = std::move(keys_);
    std::vector<Value> v = std::move(vals_);
    reserve(std::max<size_t>(16, k.size()));
    size_ = 0;
    for (size_t i = 0; i < k.size(); ++i)
      if (k[i] != kEmpty) emplace(k[i], v[i]);
  }
  std::vector<uint64_t> keys_;
  std::vector<Value> vals_;
  size_t mask_ = 0, size_ = 0;
};

struct Symbol {
  uint32_t id;
  uint32_t start, end;  // chars
  int prev, next;
};

struct CachedToken {
  uint32_t id, start, end;
};

class Bpe : public VocabModel {
 public:
  Bpe(const Json& j, const std::string& path) {
    vocab_from_json(json_object(j, "vocab", path), path + ".vocab", vocab_);
    unk_ = json_opt_string(j, "unk_token", path);
    prefix_ = json_opt_string(j, "continuing_subword_prefix", path).value_or("");
    suffix_ = json_opt_string(j, "end_of_word_suffix", path).value_or("");
    fuse_unk_ = json_bool(j, "fuse_unk", path, false);
    byte_fallback_ = json_bool(j, "byte_fallback", path, false);
    ignore_merges_ = json_bool(j, "ignore_merges", path, false);
    if (const Json* d = json_get(j, "dropout"); d && !d->is_null()) {
      double p = json_double(j, "dropout", path);
      if (p < 0 || p > 1) json_fail(path + ".dropout", "must be in [0, 1]");
      // Dropout only applies to training-time sampling; encoding here is deterministic (p ignored
      // when 0, rejected otherwise).
      if (p > 0) json_fail(path + ".dropout", "BPE dropout > 0 not supported");
    }
    load_merges(json_array(j, "merges", path), path + ".merges");
    build_char_table();
  }

  void tokenize(const std::u32string& text, std::vector<Token>& out) const override {
    if (text.empty()) return;
    std::string key = utf8_encode(text);
    Shard& shard = shards_[std::hash<std::string>()(key) % kShards];
    {
      std::lock_guard<std::mutex> lock(shard.mu);
      auto it = shard.map.find(key);
      if (it != shard.map.end()) {
        for (const auto& t : it->second) out.push_back({t.id, *vocab_.token(t.id), t.start, t.end});
        return;
      }
    }
    std::vector<CachedToken> toks;
    if (ignore_merges_) {
      if (const uint32_t* id = vocab_.find(key)) toks.push_back({*id, 0, static_cast<uint32_t>(text.size())});
    }
    if (toks.empty()) merge_word(text, toks);
    for (const auto& t : toks) out.push_back({t.id, *vocab_.token(t.id), t.start, t.end});
    if (key.size() < 256) {
      std::lock_guard<std::mutex> lock(shard.mu);
      if (shard.map.size() < kShardCapacity) shard.map.emplace(std::move(key), std::move(toks));
    }
  }

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kShardCapacity = 10000 / kShards + 1;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<CachedToken>> map;
  };

  static uint64_t pair_key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

  uint32_t need_id(const std::string& tok, const std::string& path) const {
    const uint32_t* id = vocab_.find(tok);
    if (!id) json_fail(path, "merge token '" + tok + "' is not in the vocabulary");
    return *id;
  }

  void load_merges(const Json& arr, const std::string& path) {
    merges_.reserve(arr.size());
    for (size_t i = 0; i < arr.size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      std::string a, b;
      const Json& m = arr[i];
      if (m.is_string()) {
        std::string s = m.get<std::string>();
        size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
          json_fail(p, "expected \"left right\", got '" + s + "'");
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        a = m[0].get<std::string>();
        b = m[1].get<std::string>();
      } else {
        json_fail(p, "expected a pair of strings");
      }
      uint32_t ia = need_id(a, p), ib = need_id(b, p);
      std::string merged = a + (b.size() >= prefix_.size() && b.compare(0, prefix_.size(), prefix_) == 0
                                    ? b.substr(prefix_.size()) : b);
      uint32_t im = need_id(merged, p);
      merges_.emplace(pair_key(ia, ib), std::make_pair(static_cast<uint32_t>(i), im));
    }
  }

  void merge_word(const std::u32string& w, std::vector<CachedToken>& toks) const {
    std::vector<Symbol> syms;
    syms.reserve(w.size());
    bool have_unk = false;
    CachedToken unk{0, 0, 0};
    std::string s;
    auto add = [&](uint32_t id, uint32_t a, uint32_t b) {
      int idx = static_cast<int>(syms.size());
      syms.push_back({id, a, b, idx - 1, idx + 1});
    };
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] < bmp_ids_.size() && bmp_ids_[w[i]] != kNoId) {  // fast path, see bmp_ids_
        if (have_unk) { add(unk.id, unk.start, unk.end); have_unk = false; }
        add(bmp_ids_[w[i]], static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1));
        continue;
      }
      s.clear();
      if (i > 0) s = prefix_;
      utf8_append(s, w[i]);
      if (i + 1 == w.size()) s += suffix_;
      auto a = static_cast<uint32_t>(i), b = static_cast<uint32_t>(i + 1);
      if (const uint32_t* id = vocab_.find(s)) {
        if (have_unk) { add(unk.id, unk.start, unk.end); have_unk = false; }
        add(*id, a, b);
        continue;
      }
      if (byte_fallback_ && try_byte_fallback(s, a, b, syms)) continue;
      if (!unk_) continue;
      const uint32_t* uid = vocab_.find(*unk_);
      HEZAR_CHECK_INPUT(uid != nullptr, "BPE: unk_token '", *unk_, "' is not in the vocabulary");
      if (have_unk && fuse_unk_) {
        unk.end = b;
      } else {
        if (have_unk) add(unk.id, unk.start, unk.end);
        unk = {*uid, a, b};
        have_unk = true;
      }
    }
    if (have_unk) add(unk.id, unk.start, unk.end);
    if (!syms.empty()) syms.back().next = -1;
    merge_all(syms);
    for (const Symbol& sym : syms) toks.push_back({sym.id, sym.start, sym.end});
  }

  bool try_byte_fallback(const std::string& s, uint32_t a, uint32_t b, std::vector<Symbol>& syms) const {
    std::vector<uint32_t> ids;
    char code[8];
    for (unsigned char c : s) {
      std::snprintf(code, sizeof(code), "<0x%02X>", c);
      const uint32_t* id = vocab_.find(code);
      if (!id) return false;
      ids.push_back(*id);
    }
    for (uint32_t id : ids) {
      int idx = static_cast<int>(syms.size());
      syms.push_back({id, a, b, idx - 1, idx + 1});
    }
    return true;
  }

  void merge_all(std::vector<Symbol>& syms) const {
    struct Item {
      uint32_t rank;
      int pos;
      uint32_t new_id;
      bool operator>(const Item& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    // A min-heap on (rank, pos) in a per-thread buffer: an allocation per word showed up in profiles.
    thread_local std::vector<Item> heap;
    heap.clear();
    auto push = [](const Item& it) { heap.push_back(it); std::push_heap(heap.begin(), heap.end(), std::greater<Item>()); };
    for (size_t i = 0; i + 1 < syms.size(); ++i) {
      if (auto* it = merges_.find(pair_key(syms[i].id, syms[i + 1].id)))
        push({it->first, static_cast<int>(i), it->second});
    }
    std::vector<bool> removed(syms.size(), false);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<Item>());
      Item top = heap.back();
      heap.pop_back();
      Symbol& cur = syms[static_cast<size_t>(top.pos)];
      if (removed[static_cast<size_t>(top.pos)] || cur.next == -1) continue;
      Symbol right = syms[static_cast<size_t>(cur.next)];
      auto* it = merges_.find(pair_key(cur.id, right.id));
      if (it == nullptr || it->second != top.new_id) continue;
      removed[static_cast<size_t>(cur.next)] = true;
      cur.id = top.new_id;
      cur.end = right.end;
      cur.next = right.next;
      if (right.next >= 0) syms[static_cast<size_t>(right.next)].prev = top.pos;
      if (cur.prev >= 0) {
        if (auto* p = merges_.find(pair_key(syms[static_cast<size_t>(cur.prev)].id, cur.id)))
          push({p->first, cur.prev, p->second});
      }
      if (cur.next >= 0) {
        if (auto* n = merges_.find(pair_key(cur.id, syms[static_cast<size_t>(cur.next)].id)))
          push({n->first, top.pos, n->second});
      }
    }
    size_t k = 0;
    for (size_t i = 0; i < syms.size(); ++i)
      if (!removed[i]) syms[k++] = syms[i];
    syms.resize(k);
  }

  // Ids of single-char tokens for chars in the BMP when there is no continuing-subword prefix or
  // end-of-word suffix (then a char's token never depends on its position): one array read instead
  // of building a string and hashing it, per char.
  void build_char_table() {
    if (!prefix_.empty() || !suffix_.empty()) return;
    bmp_ids_.assign(0x10000, kNoId);
    std::string s;
    for (char32_t c = 0; c < 0x10000; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      s.clear();
      utf8_append(s, c);
      if (const uint32_t* id = vocab_.find(s)) bmp_ids_[c] = *id;
    }
  }
  static constexpr uint32_t kNoId = ~0u;
  std::vector<uint32_t> bmp_ids_;

  std::optional<std::string> unk_;
  std::string prefix_, suffix_;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  PairMap merges_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace

std::unique_ptr<Model> make_bpe(const Json& j, const std::string& path) { return std::make_unique<Bpe>(j, path); }

}  // namespace hezar::tok
