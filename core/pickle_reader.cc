// torch_load: a restricted unpickler for data.pkl. It implements the opcodes torch.save emits (protocol 2,
// plus the few protocol-4 framing/memo opcodes) and resolves only allow-listed globals to built-in
// behaviour, like PyTorch's weights_only loader, so a malicious file can describe data but never run code.
#include <caffe2/serialize/inline_container.h>
#include <c10/util/Exception.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/torch_pickle.h"
#include "core/torch_storage_types.h"

namespace hezar {
namespace {

enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Storage, Tensor };

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// Shared pointers give Python's reference semantics: a memoized list or dict that is filled later is the
// same object wherever it was referenced.
struct Value {
  explicit Value(Kind k) : kind(k) {}
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  // Releases nested containers iteratively: a hostile pickle can nest lists a million deep, and the
  // default recursive destruction would overflow the stack.
  ~Value() {
    std::vector<ValuePtr> pending;
    move_children_to(pending);
    while (!pending.empty()) {
      ValuePtr v = std::move(pending.back());
      pending.pop_back();
      if (v && v.use_count() == 1) v->move_children_to(pending);
    }
  }
  void move_children_to(std::vector<ValuePtr>& out) {
    for (auto& item : items) out.push_back(std::move(item));
    for (auto& [key, value] : dict) {
      out.push_back(std::move(key));
      out.push_back(std::move(value));
    }
    items.clear();
    dict.clear();
  }

  Kind kind;
  int64_t i = 0;                                     // Int, Bool
  double f = 0;                                      // Float
  std::string s;                                     // String, Bytes, Global ("module.name")
  std::vector<ValuePtr> items;                       // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;   // Dict, in insertion order
  std::unordered_map<std::string, size_t> str_keys;  // Dict: position of each string key
  at::Tensor tensor;                                 // Tensor; Storage: the whole storage, 1-D
};

const char* kind_name(Kind k) {
  static const char* names[] = {"None", "bool", "int", "float", "str", "bytes", "tuple", "list", "dict",
                                "global", "storage", "tensor"};
  return names[static_cast<int>(k)];
}

ValuePtr make(Kind k) { return std::make_shared<Value>(k); }

bool is_allowed_global(const std::string& name) {
  static const std::set<std::string> allowed = {
      "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
      "torch._utils._rebuild_parameter_with_state", "torch.Size"};
  at::ScalarType unused;
  return allowed.count(name) ||
         (name.rfind("torch.", 0) == 0 && detail::torch_storage_dtype(name.substr(6), &unused));
}

// Loads storage `key` as a flat tensor of `numel` elements of `type` (cached by the caller).
using StorageLoader = std::function<at::Tensor(const std::string& key, at::ScalarType type, int64_t numel)>;

class Unpickler {
 public:
  Unpickler(const std::string& path, const char* data, size_t size, StorageLoader load_storage)
      : path_(path), data_(data), size_(size), load_storage_(std::move(load_storage)) {}

  ValuePtr run() {
    while (true) {
      uint8_t op = read_u8();
      if (op == '.') return pop();
      HEZAR_CHECK_INPUT(step_data(op) || step_container(op) || step_object(op), path_,
                        ": data.pkl uses unsupported pickle opcode ", int(op), " at byte ", pos_ - 1,
                        " (only tensors and state dicts can be loaded)");
    }
  }

 private:
  [[noreturn]] void corrupt(const std::string& what) const {
    throw BadInput(detail::concat(path_, ": corrupt data.pkl: ", what, " at byte ", pos_));
  }

  const char* take(uint64_t n) {
    if (n > size_ - pos_) corrupt("truncated pickle");
    const char* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint8_t read_u8() { return static_cast<uint8_t>(*take(1)); }
  uint64_t read_le(int n) {
    const char* p = take(n);
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(p[k]);
    return v;
  }
  std::string read_string(uint64_t n) { return std::string(take(n), n); }
  std::string read_line() {
    const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
    if (!nl) corrupt("unterminated GLOBAL");
    std::string line(data_ + pos_, static_cast<const char*>(nl));
    pos_ += line.size() + 1;
    return line;
  }

  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop() {
    size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() <= floor) corrupt("stack underflow");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  ValuePtr& top() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) corrupt("stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) corrupt("missing MARK");
    std::vector<ValuePtr> items(stack_.begin() + marks_.back(), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  ValuePtr expect(ValuePtr v, Kind k, const char* what) {
    if (v->kind != k) corrupt(detail::concat(what, " must be of type ", kind_name(k), ", not ", kind_name(v->kind)));
    return v;
  }

  ValuePtr int_value(int64_t i) {
    ValuePtr v = make(Kind::Int);
    v->i = i;
    return v;
  }
  ValuePtr string_value(Kind k, std::string s) {
    ValuePtr v = make(k);
    v->s = std::move(s);
    return v;
  }
  ValuePtr tuple_value(std::vector<ValuePtr> items) {
    ValuePtr v = make(Kind::Tuple);
    v->items = std::move(items);
    return v;
  }

  // LONG1: little-endian two's complement of n bytes.
  int64_t read_long1() {
    uint8_t n = read_u8();
    if (n > 8) corrupt("integer wider than 64 bits");
    if (n == 0) return 0;
    uint64_t v = read_le(n);
    if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    return static_cast<int64_t>(v);
  }
  double read_binfloat() {
    uint64_t bits = 0;
    const char* p = take(8);
    for (int k = 0; k < 8; ++k) bits = (bits << 8) | static_cast<uint8_t>(p[k]);  // big-endian
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }

  bool step_data(uint8_t op) {
    switch (op) {
      case 0x80: if (read_u8() > 5) corrupt("unknown pickle protocol"); return true;  // PROTO
      case 0x95: read_le(8); return true;  // FRAME: a length hint only
      case 'N': push(make(Kind::None)); return true;
      case 0x88: case 0x89: push(make(Kind::Bool)); stack_.back()->i = op == 0x88; return true;
      case 'J': push(int_value(static_cast<int32_t>(read_le(4)))); return true;  // BININT
      case 'K': push(int_value(read_le(1))); return true;                        // BININT1
      case 'M': push(int_value(read_le(2))); return true;                        // BININT2
      case 0x8a: push(int_value(read_long1())); return true;                     // LONG1
      case 'G': push(make(Kind::Float)); stack_.back()->f = read_binfloat(); return true;
      case 'X': push(string_value(Kind::String, read_string(read_le(4)))); return true;  // BINUNICODE
      case 0x8c: push(string_value(Kind::String, read_string(read_le(1)))); return true;
      case 0x8d: push(string_value(Kind::String, read_string(read_le(8)))); return true;
      case 'B': push(string_value(Kind::Bytes, read_string(read_le(4)))); return true;  // BINBYTES
      case 'C': push(string_value(Kind::Bytes, read_string(read_le(1)))); return true;
      default: return false;
    }
  }

  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) corrupt(detail::concat("memo entry ", index, " read before it was written"));
    push(it->second);
  }

  void set_item(Value& dict, ValuePtr key, ValuePtr value) {
    if (key->kind == Kind::String) {
      auto it = dict.str_keys.find(key->s);
      if (it != dict.str_keys.end()) {
        dict.dict[it->second].second = std::move(value);  // Python dicts keep the last value
        return;
      }
      dict.str_keys[key->s] = dict.dict.size();
    }
    dict.dict.emplace_back(std::move(key), std::move(value));
  }

  bool step_container(uint8_t op) {
    switch (op) {
      case '(': marks_.push_back(stack_.size()); return true;  // MARK
      case '}': push(make(Kind::Dict)); return true;
      case ']': push(make(Kind::List)); return true;
      case ')': push(tuple_value({})); return true;
      case 't': push(tuple_value(pop_mark())); return true;
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        std::vector<ValuePtr> items(op - 0x84);
        for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
        push(tuple_value(std::move(items)));
        return true;
      }
      case 'q': memo_put(read_le(1)); return true;  // BINPUT
      case 'r': memo_put(read_le(4)); return true;  // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); return true;  // MEMOIZE
      case 'h': memo_get(read_le(1)); return true;  // BINGET
      case 'j': memo_get(read_le(4)); return true;  // LONG_BINGET
      case 'a': { ValuePtr v = pop(); expect(top(), Kind::List, "APPEND target")->items.push_back(v); return true; }
      case 'e': {  // APPENDS
        std::vector<ValuePtr> items = pop_mark();
        auto& list = expect(top(), Kind::List, "APPENDS target")->items;
        list.insert(list.end(), items.begin(), items.end());
        return true;
      }
      case 's': {  // SETITEM
        ValuePtr value = pop(), key = pop();
        set_item(*expect(top(), Kind::Dict, "SETITEM target"), key, value);
        return true;
      }
      case 'u': {  // SETITEMS
        std::vector<ValuePtr> items = pop_mark();
        if (items.size() % 2) corrupt("SETITEMS with an odd number of items");
        Value& dict = *expect(top(), Kind::Dict, "SETITEMS target");
        for (size_t k = 0; k < items.size(); k += 2) set_item(dict, items[k], items[k + 1]);
        return true;
      }
      default: return false;
    }
  }

  void push_global(const std::string& module, const std::string& name) {
    std::string full = module + "." + name;
    HEZAR_CHECK_INPUT(is_allowed_global(full), path_, ": pickle global '", full,
                      "' is not allowed (only tensors and state dicts can be loaded)");
    push(string_value(Kind::Global, full));
  }

  bool step_object(uint8_t op) {
    switch (op) {
      case 'c': {  // GLOBAL
        std::string module = read_line();
        push_global(module, read_line());
        return true;
      }
      case 0x93: {  // STACK_GLOBAL
        ValuePtr name = expect(pop(), Kind::String, "STACK_GLOBAL name");
        push_global(expect(pop(), Kind::String, "STACK_GLOBAL module")->s, name->s);
        return true;
      }
      case 'R': case 0x81: {  // REDUCE, NEWOBJ: callable(*args) / cls.__new__(cls, *args)
        ValuePtr args = expect(pop(), Kind::Tuple, "call arguments");
        push(call(*expect(pop(), Kind::Global, "called object"), args->items));
        return true;
      }
      case 'b': {  // BUILD: object state such as OrderedDict._metadata, which a state dict does not need
        pop();
        Kind target = top()->kind;
        if (target != Kind::Dict && target != Kind::Tensor) {
          corrupt(detail::concat("BUILD on type ", kind_name(target)));
        }
        return true;
      }
      case 'Q': push(persistent_load(pop())); return true;  // BINPERSID
      default: return false;
    }
  }

  ValuePtr call(const Value& callable, const std::vector<ValuePtr>& args) {
    const std::string& name = callable.s;
    if (name == "collections.OrderedDict") {
      if (!args.empty()) corrupt("OrderedDict called with arguments");
      return make(Kind::Dict);
    }
    if (name == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(args);
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (args.empty()) corrupt("_rebuild_parameter without data");
      return expect(args[0], Kind::Tensor, "parameter data");
    }
    if (name == "torch.Size") {
      if (args.size() != 1) corrupt("torch.Size takes one tuple");
      return tuple_value(expect(args[0], Kind::Tuple, "torch.Size argument")->items);
    }
    corrupt(detail::concat("'", name, "' cannot be called"));
  }

  // ('storage', torch.<X>Storage, key, location, numel): storages live in data/<key> records; the
  // location (e.g. cuda:0) is ignored because everything is loaded on the CPU.
  ValuePtr persistent_load(const ValuePtr& pid) {
    const auto& f = expect(pid, Kind::Tuple, "persistent id")->items;
    if (f.size() != 5 || f[0]->kind != Kind::String || f[0]->s != "storage") corrupt("unknown persistent id");
    at::ScalarType type;
    const std::string& cls = expect(f[1], Kind::Global, "storage type")->s;
    if (cls.rfind("torch.", 0) != 0 || !detail::torch_storage_dtype(cls.substr(6), &type)) {
      corrupt(detail::concat("'", cls, "' is not a storage type"));
    }
    int64_t numel = expect(f[4], Kind::Int, "storage size")->i;
    if (numel < 0) corrupt("negative storage size");
    ValuePtr storage = make(Kind::Storage);
    storage->tensor = load_storage_(expect(f[2], Kind::String, "storage key")->s, type, numel);
    return storage;
  }

  std::vector<int64_t> int_tuple(const ValuePtr& v, const char* what) {
    std::vector<int64_t> out;
    for (const auto& item : expect(v, Kind::Tuple, what)->items) {
      out.push_back(expect(item, Kind::Int, what)->i);
      if (out.back() < 0) corrupt(detail::concat("negative value in ", what));
    }
    return out;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]):
  // a strided view on the storage, so tensors sharing a storage share memory.
  ValuePtr rebuild_tensor(const std::vector<ValuePtr>& args) {
    if (args.size() != 6 && args.size() != 7) corrupt("_rebuild_tensor_v2 needs 6 or 7 arguments");
    const at::Tensor& storage = expect(args[0], Kind::Storage, "tensor storage")->tensor;
    int64_t offset = expect(args[1], Kind::Int, "storage offset")->i;
    std::vector<int64_t> sizes = int_tuple(args[2], "tensor size"), strides = int_tuple(args[3], "tensor stride");
    if (sizes.size() != strides.size()) corrupt("tensor size and stride differ in length");
    // Elements the view needs in its storage: one past the last index it touches (nothing if empty).
    int64_t numel = 1, end = offset;
    bool overflow = offset < 0;
    for (int64_t size : sizes) overflow |= __builtin_mul_overflow(numel, size, &numel);
    for (size_t d = 0; d < sizes.size() && numel > 0; ++d) {
      int64_t span = 0;
      overflow |= __builtin_mul_overflow(sizes[d] - 1, strides[d], &span) || __builtin_add_overflow(end, span, &end);
    }
    if (numel > 0) ++end;
    HEZAR_CHECK_INPUT(!overflow && end <= storage.numel(), path_, ": a tensor of size ", at::IntArrayRef(sizes),
                      " needs ", end, " elements but its storage has ", storage.numel());
    ValuePtr tensor = make(Kind::Tensor);
    tensor->tensor = storage.as_strided(sizes, strides, offset);
    return tensor;
  }

  const std::string& path_;
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
  StorageLoader load_storage_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
};

using caffe2::serialize::PyTorchStreamReader;

// Checks the file's signature first so legacy and non-torch files get a precise message.
std::unique_ptr<PyTorchStreamReader> open_archive(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HEZAR_CHECK_INPUT(in.good(), "cannot read '", path, "': ", std::strerror(errno));
  char magic[4] = {};
  in.read(magic, 4);
  HEZAR_CHECK_INPUT(static_cast<uint8_t>(magic[0]) != 0x80, path,
                    ": legacy (non-zip) torch.save format is not supported; re-save it with torch >= 1.6");
  HEZAR_CHECK_INPUT(in.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0, path,
                    ": not a torch.save zip archive");
  return std::make_unique<PyTorchStreamReader>(path);
}

// Caches storages by key so tensors that share one in the file share it in memory.
at::Tensor load_storage(const std::string& path, PyTorchStreamReader& reader,
                        std::unordered_map<std::string, at::Tensor>& cache, const std::string& key,
                        at::ScalarType type, int64_t numel) {
  auto cached = cache.find(key);
  if (cached != cache.end()) {
    HEZAR_CHECK_INPUT(cached->second.scalar_type() == type && cached->second.numel() == numel, path,
                      ": storage '", key, "' is referenced with two different dtypes or sizes");
    return cached->second;
  }
  std::string record = "data/" + key;
  HEZAR_CHECK_INPUT(reader.hasRecord(record), path, ": archive has no record '", record, "'");
  auto [data, nbytes] = reader.getRecord(record);
  uint64_t needed = 0;
  HEZAR_CHECK_INPUT(!__builtin_mul_overflow(static_cast<uint64_t>(numel), c10::elementSize(type), &needed) &&
                        needed <= nbytes,
                    path, ": record '", record, "' holds ", nbytes, " bytes but its storage needs ", needed);
  c10::Storage storage(c10::Storage::use_byte_size_t(), nbytes, std::move(data), nullptr, false);
  at::Tensor flat = at::empty({0}, at::TensorOptions().dtype(type)).set_(storage, 0, {numel}, {1});
  return cache.emplace(key, flat).first->second;
}

TensorDict to_tensor_dict(const std::string& path, const Value& root) {
  HEZAR_CHECK_INPUT(root.kind == Kind::Dict, path, ": data.pkl holds type ", kind_name(root.kind),
                    ", not a state dict of tensors");
  TensorDict out;
  for (const auto& [key, value] : root.dict) {
    HEZAR_CHECK_INPUT(key->kind == Kind::String, path, ": state dict key is of type ", kind_name(key->kind),
                      ", not a string");
    HEZAR_CHECK_INPUT(value->kind == Kind::Tensor, path, ": state dict entry '", key->s, "' is of type ",
                      kind_name(value->kind), ", not a tensor");
    out.emplace_back(key->s, value->tensor);
  }
  return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

TensorDict torch_load(const std::string& path) {
  try {
    std::unique_ptr<PyTorchStreamReader> reader = open_archive(path);
    HEZAR_CHECK_INPUT(reader->hasRecord("data.pkl"), path, ": archive has no data.pkl (not a torch.save file)");
    if (reader->hasRecord("byteorder")) {
      auto [order, size] = reader->getRecord("byteorder");
      HEZAR_CHECK_INPUT(std::string(static_cast<const char*>(order.get()), size) == "little", path,
                        ": big-endian torch files are not supported");
    }
    auto [pickle, pickle_size] = reader->getRecord("data.pkl");
    std::unordered_map<std::string, at::Tensor> storages;
    Unpickler unpickler(path, static_cast<const char*>(pickle.get()), pickle_size,
                        [&](const std::string& key, at::ScalarType type, int64_t numel) {
                          return load_storage(path, *reader, storages, key, type, numel);
                        });
    return to_tensor_dict(path, *unpickler.run());
  } catch (const c10::Error& e) {
    throw BadInput(detail::concat(path, ": not a readable torch.save archive (", first_line(e.what_without_backtrace()),
                                  ")"));
  }
}

}  // namespace hezar
