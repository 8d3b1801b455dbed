// torch_save: writes the same archive layout and protocol-2 pickle that Python's torch.save (1.13) writes
// for a state dict: data.pkl, one data/<key> record per storage, and the version record.
#include <caffe2/serialize/inline_container.h>
#include <c10/util/Exception.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/file_util.h"
#include "core/torch_pickle.h"
#include "core/torch_storage_types.h"

namespace hezar {
namespace {

// Emits pickle opcodes. No memo is written: it is optional for the reader, and every repeated object
// (globals, storage keys) is cheap to repeat.
class Pickler {
 public:
  void op(char c) { out_.push_back(c); }
  void global(const char* module, const char* name) {
    op('c');
    out_ += std::string(module) + "\n" + name + "\n";
  }
  void str(const std::string& s) {  // BINUNICODE
    op('X');
    le(s.size(), 4);
    out_ += s;
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      le(v, 1);
    } else if (v >= 0 && v < 65536) {
      op('M');
      le(v, 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      le(static_cast<uint32_t>(v), 4);
    } else {
      op('\x8a');  // LONG1, 8 bytes of two's complement
      le(8, 1);
      le(static_cast<uint64_t>(v), 8);
    }
  }
  void int_tuple(at::IntArrayRef values) {
    static const char kTupleN[] = {')', '\x85', '\x86', '\x87'};  // EMPTY_TUPLE, TUPLE1..3
    if (values.size() > 3) op('(');
    for (int64_t v : values) integer(v);
    op(values.size() > 3 ? 't' : kTupleN[values.size()]);
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
  }
  // _rebuild_tensor_v2((storage persistent id), storage_offset, size, stride, requires_grad, hooks).
  void tensor(const at::Tensor& t, const char* storage_class, const std::string& storage_key) {
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    op('(');
    str("storage");
    global("torch", storage_class);
    str(storage_key);
    str("cpu");
    integer(static_cast<int64_t>(t.storage().nbytes() / t.element_size()));
    op('t');
    op('Q');  // BINPERSID
    integer(t.storage_offset());
    int_tuple(t.sizes());
    int_tuple(t.strides());
    op('\x89');  // requires_grad=False
    empty_ordered_dict();  // backward_hooks
    op('t');
    op('R');
  }
  const std::string& bytes() const { return out_; }

 private:
  void le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k) out_.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  }
  std::string out_;
};

struct StorageRecord {
  std::string key;
  at::Tensor owner;  // keeps the storage alive and knows its dtype
};

struct Plan {
  std::string pickle;
  std::vector<StorageRecord> storages;
};

// One pass that validates everything and builds data.pkl, so nothing can fail once the archive writer
// exists (its destructor finalizes the archive and must not run into an error).
Plan plan_archive(const std::string& path, const TensorDict& tensors) {
  Plan plan;
  std::unordered_map<const c10::StorageImpl*, size_t> storage_index;
  std::set<std::string> names;
  Pickler p;
  p.op('\x80');
  p.op('\x02');
  p.empty_ordered_dict();
  if (!tensors.empty()) p.op('(');
  for (const auto& [name, original] : tensors) {
    HEZAR_CHECK_INPUT(names.insert(name).second, path, ": duplicate tensor name '", name, "'");
    HEZAR_CHECK_INPUT(original.defined() && original.layout() == at::kStrided && original.device().is_cpu(), path,
                      ": tensor '", name, "' must be a dense CPU tensor");
    // Conjugate/negative views store unresolved data; materialize them so the bytes mean what they show.
    at::Tensor t = original.resolve_conj().resolve_neg();
    const char* storage_class = detail::torch_storage_class(t.scalar_type());
    HEZAR_CHECK_INPUT(storage_class, path, ": tensor '", name, "' has dtype ", t.scalar_type(),
                      ", which torch.save files cannot hold");
    const c10::StorageImpl* impl = t.storage().unsafeGetStorageImpl();
    auto found = storage_index.emplace(impl, plan.storages.size());
    if (found.second) plan.storages.push_back({std::to_string(plan.storages.size()), t});
    HEZAR_CHECK_INPUT(plan.storages[found.first->second].owner.scalar_type() == t.scalar_type(), path, ": tensor '",
                      name, "' shares memory with another entry of a different dtype, which torch.save cannot store");
    p.str(name);
    p.tensor(t, storage_class, plan.storages[found.first->second].key);
  }
  if (!tensors.empty()) p.op('u');  // SETITEMS
  p.op('.');
  plan.pickle = p.bytes();
  return plan;
}

void write_archive(const std::string& path, const std::string& tmp, const Plan& plan) {
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  HEZAR_CHECK(out.good(), "cannot write '", path, "': ", std::strerror(errno));
  // Always report success to the archive writer: an error it saw would make it throw, and again from its
  // destructor. The stream state is checked once the archive is complete.
  auto sink = [&out](const void* data, size_t n) {
    if (out.good()) out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    return n;
  };
  try {
    caffe2::serialize::PyTorchStreamWriter writer(sink);
    writer.writeRecord("data.pkl", plan.pickle.data(), plan.pickle.size());
    static const char kNoData = 0;
    for (const auto& s : plan.storages) {
      const c10::Storage& storage = s.owner.storage();
      const void* data = storage.nbytes() ? storage.data() : &kNoData;
      writer.writeRecord("data/" + s.key, data, storage.nbytes());
    }
    writer.writeEndOfFile();
  } catch (const c10::Error& e) {
    throw RuntimeFailure(detail::concat("cannot write '", path, "': ", e.what_without_backtrace()));
  }
  out.flush();
  HEZAR_CHECK(out.good(), "cannot write '", path, "': disk full or I/O error");
}

}  // namespace

void torch_save(const std::string& path, const TensorDict& tensors) {
  Plan plan = plan_archive(path, tensors);
  std::string tmp = temp_path_for(path);
  try {
    write_archive(path, tmp, plan);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  file_commit(tmp, path);
}

}  // namespace hezar
