#include "core/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/file_util.h"

// The format is little-endian and tensors are handed out as raw views, so a big-endian host would need
// byte swapping that this code does not do.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

namespace hezar {
namespace {

using Json = nlohmann::ordered_json;  // ordered: tensors come back in header order

constexpr uint64_t kMaxHeaderSize = 100000000;  // the reference reader's MAX_HEADER_SIZE

struct DtypeInfo {
  const char* name;
  int bits;
  bool supported;  // LibTorch 1.13 has a matching scalar type
  at::ScalarType torch;
};

// In the reference implementation's enum order: the writer sorts by this rank (descending), so the order
// must match it exactly for byte-identical files.
const std::vector<DtypeInfo>& dtype_table() {
  static const std::vector<DtypeInfo> table = {
      {"BOOL", 8, true, at::kBool},          {"F4", 4, false, at::kByte},
      {"F6_E2M3", 6, false, at::kByte},      {"F6_E3M2", 6, false, at::kByte},
      {"U8", 8, true, at::kByte},            {"I8", 8, true, at::kChar},
      {"F8_E5M2", 8, false, at::kByte},      {"F8_E4M3", 8, false, at::kByte},
      {"F8_E8M0", 8, false, at::kByte},      {"F8_E4M3FNUZ", 8, false, at::kByte},
      {"F8_E5M2FNUZ", 8, false, at::kByte},  {"I16", 16, true, at::kShort},
      {"U16", 16, false, at::kByte},         {"F16", 16, true, at::kHalf},
      {"BF16", 16, true, at::kBFloat16},     {"I32", 32, true, at::kInt},
      {"U32", 32, false, at::kByte},         {"F32", 32, true, at::kFloat},
      {"C64", 64, true, at::kComplexFloat},  {"F64", 64, true, at::kDouble},
      {"I64", 64, true, at::kLong},          {"U64", 64, false, at::kByte},
  };
  return table;
}

const DtypeInfo* dtype_by_name(const std::string& name) {
  for (const auto& info : dtype_table()) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

// Index into dtype_table(), or -1 when safetensors has no dtype for this scalar type.
int dtype_rank(at::ScalarType type) {
  const auto& table = dtype_table();
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].supported && table[i].torch == type) return static_cast<int>(i);
  }
  return -1;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// A private, writable mapping: pages are shared with the page cache until someone writes to a tensor,
// which then gets a private copy instead of a SIGSEGV (LibTorch has no read-only tensors).
class Mapping {
 public:
  Mapping(void* data, size_t size) : data_(static_cast<uint8_t*>(data)), size_(size) {}
  ~Mapping() { ::munmap(data_, size_); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_;
  size_t size_;
};

std::shared_ptr<Mapping> map_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  HEZAR_CHECK_INPUT(fd >= 0, "cannot read '", path, "': ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw BadInput(detail::concat("cannot read '", path, "': not a regular file"));
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw BadInput(detail::concat(path, ": file is ", size,
                                  " bytes, too small for a safetensors header (at least 8 bytes)"));
  }
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  HEZAR_CHECK(data != MAP_FAILED, "cannot map '", path, "': ", std::strerror(err));
  return std::make_shared<Mapping>(data, size);
}

bool is_valid_utf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static const uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Parses the header, rejecting duplicate keys at any depth (JSON libraries silently keep one of them,
// which would let two readers of the same file disagree).
Json parse_header(const std::string& path, const uint8_t* p, size_t n) {
  HEZAR_CHECK_INPUT(is_valid_utf8(p, n), path, ": safetensors header is not valid UTF-8");
  std::vector<std::set<std::string>> keys_per_object;
  Json::parser_callback_t reject_duplicates = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) keys_per_object.emplace_back();
    if (event == Json::parse_event_t::object_end) keys_per_object.pop_back();
    if (event == Json::parse_event_t::key) {
      const auto& key = parsed.get_ref<const std::string&>();
      HEZAR_CHECK_INPUT(keys_per_object.back().insert(key).second, path,
                        ": safetensors header has duplicate key '", key, "'");
    }
    return true;
  };
  const char* text = reinterpret_cast<const char*>(p);
  try {
    Json header = Json::parse(text, text + n, reject_duplicates);
    HEZAR_CHECK_INPUT(header.is_object(), path, ": safetensors header is not a JSON object");
    return header;
  } catch (const Json::exception& e) {
    throw BadInput(detail::concat(path, ": safetensors header is not valid JSON (", e.what(), ")"));
  }
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const Json& value) {
  HEZAR_CHECK_INPUT(value.is_object(), path, ": __metadata__ must be an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& item : value.items()) {
    HEZAR_CHECK_INPUT(item.value().is_string(), path, ": __metadata__ value of '", item.key(),
                      "' is not a string");
    out[item.key()] = item.value().get<std::string>();
  }
  return out;
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

uint64_t as_unsigned(const std::string& path, const std::string& name, const char* field, const Json& v) {
  HEZAR_CHECK_INPUT(v.is_number_unsigned(), path, ": tensor '", name, "' has a ", field,
                    " value that is not a non-negative integer");
  return v.get<uint64_t>();
}

Entry parse_entry(const std::string& path, const std::string& name, const Json& v) {
  HEZAR_CHECK_INPUT(v.is_object(), path, ": tensor '", name, "' entry is not a JSON object");
  auto dtype = v.find("dtype");
  auto shape = v.find("shape");
  auto offsets = v.find("data_offsets");
  HEZAR_CHECK_INPUT(dtype != v.end() && dtype->is_string(), path, ": tensor '", name,
                    "' has no string 'dtype'");
  HEZAR_CHECK_INPUT(shape != v.end() && shape->is_array(), path, ": tensor '", name,
                    "' has no 'shape' array");
  HEZAR_CHECK_INPUT(offsets != v.end() && offsets->is_array() && offsets->size() == 2, path,
                    ": tensor '", name, "' has no 'data_offsets' pair");
  Entry entry{name, dtype_by_name(dtype->get<std::string>()), {}, 0, 0};
  HEZAR_CHECK_INPUT(entry.dtype, path, ": tensor '", name, "' has unknown dtype '",
                    dtype->get<std::string>(), "'");
  for (const auto& dim : *shape) {
    uint64_t d = as_unsigned(path, name, "shape", dim);
    HEZAR_CHECK_INPUT(d <= static_cast<uint64_t>(INT64_MAX), path, ": tensor '", name, "' dimension ", d,
                      " is too large");
    entry.shape.push_back(static_cast<int64_t>(d));
  }
  entry.begin = as_unsigned(path, name, "data_offsets", (*offsets)[0]);
  entry.end = as_unsigned(path, name, "data_offsets", (*offsets)[1]);
  return entry;
}

// Rule 5-6 of the format: sorted by offsets, entries tile the data buffer with no gap, overlap or alias,
// and each entry's byte count is exactly what its dtype and shape need. Returns the end of the last one.
uint64_t validate_layout(const std::string& path, std::vector<const Entry*> sorted) {
  std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    return std::make_pair(a->begin, a->end) < std::make_pair(b->begin, b->end);
  });
  uint64_t expected_begin = 0;
  for (const Entry* e : sorted) {
    HEZAR_CHECK_INPUT(e->begin == expected_begin && e->end >= e->begin, path, ": tensor '", e->name,
                      "' data_offsets [", e->begin, ", ", e->end, "] leave a gap or overlap (expected to begin at ",
                      expected_begin, ")");
    uint64_t nbits = static_cast<uint64_t>(e->dtype->bits);
    for (int64_t d : e->shape) {
      HEZAR_CHECK_INPUT(!__builtin_mul_overflow(nbits, static_cast<uint64_t>(d), &nbits), path, ": tensor '",
                        e->name, "' shape ", shape_str(e->shape), " overflows");
    }
    HEZAR_CHECK_INPUT(nbits % 8 == 0, path, ": tensor '", e->name, "' of dtype ", e->dtype->name, " and shape ",
                      shape_str(e->shape), " does not fill a whole number of bytes");
    HEZAR_CHECK_INPUT(e->end - e->begin == nbits / 8, path, ": tensor '", e->name, "' data_offsets [", e->begin,
                      ", ", e->end, "] do not match dtype ", e->dtype->name, " and shape ", shape_str(e->shape),
                      " (expected ", nbits / 8, " bytes)");
    expected_begin = e->end;
  }
  return expected_begin;
}

at::Tensor make_view(const std::string& path, const std::shared_ptr<Mapping>& mapping, uint8_t* data_start,
                     const Entry& e) {
  HEZAR_CHECK_INPUT(e.dtype->supported, path, ": dtype ", e.dtype->name, " of tensor '", e.name,
                    "' is not supported by LibTorch 1.13");
  auto options = at::TensorOptions().dtype(e.dtype->torch);
  uint8_t* ptr = data_start + e.begin;
  // Files from other writers may leave tensors misaligned; vectorized kernels expect natural alignment,
  // so such tensors are copied instead of viewed.
  if (reinterpret_cast<uintptr_t>(ptr) % (e.dtype->bits / 8) != 0) {
    at::Tensor copy = at::empty(e.shape, options);
    std::memcpy(copy.data_ptr(), ptr, e.end - e.begin);
    return copy;
  }
  return at::from_blob(ptr, e.shape, [mapping](void*) {}, options);
}

}  // namespace

TensorDict safetensors_load(const std::string& path, std::map<std::string, std::string>* metadata) {
  std::shared_ptr<Mapping> mapping = map_file(path);
  uint64_t n = 0;
  std::memcpy(&n, mapping->data(), 8);
  HEZAR_CHECK_INPUT(n <= kMaxHeaderSize, path, ": safetensors header length ", n,
                    " is too large (limit 100000000 bytes)");
  HEZAR_CHECK_INPUT(8 + n <= mapping->size(), path, ": safetensors header length ", n,
                    " runs past the end of the file (", mapping->size(), " bytes)");
  Json header = parse_header(path, mapping->data() + 8, n);

  std::vector<Entry> entries;
  for (const auto& item : header.items()) {
    if (item.key() == "__metadata__") {
      auto parsed = parse_metadata(path, item.value());
      if (metadata) *metadata = std::move(parsed);
    } else {
      entries.push_back(parse_entry(path, item.key(), item.value()));
    }
  }
  std::vector<const Entry*> pointers;
  for (const auto& e : entries) pointers.push_back(&e);
  uint64_t data_end = validate_layout(path, pointers);
  HEZAR_CHECK_INPUT(8 + n + data_end == mapping->size(), path, ": file is ", mapping->size(),
                    " bytes but its header describes ", 8 + n + data_end, " (truncated or trailing bytes)");

  TensorDict out;
  for (const auto& e : entries) out.emplace_back(e.name, make_view(path, mapping, mapping->data() + 8 + n, e));
  return out;
}

namespace {

// Shard names come from a downloaded file: keep them inside the checkpoint folder.
void check_shard_name(const std::string& index_path, const std::string& file) {
  bool escapes = file.empty() || file[0] == '/' || file == ".." || file.rfind("../", 0) == 0 ||
                 file.find("/../") != std::string::npos ||
                 (file.size() >= 3 && file.compare(file.size() - 3, 3, "/..") == 0);
  HEZAR_CHECK_INPUT(!escapes, index_path, ": shard file name '", file, "' must be a path inside the checkpoint folder");
}

Json read_index(const std::string& index_path) {
  std::string text = file_read(index_path);
  Json index;
  try {
    index = Json::parse(text);
  } catch (const Json::exception& e) {
    throw BadInput(detail::concat(index_path, ": not valid JSON (", e.what(), ")"));
  }
  HEZAR_CHECK_INPUT(index.is_object() && index.contains("weight_map") && index["weight_map"].is_object(),
                    index_path, ": missing the 'weight_map' object of a sharded checkpoint index");
  return index;
}

}  // namespace

TensorDict safetensors_load_sharded(const std::string& index_json_path) {
  Json index = read_index(index_json_path);
  size_t slash = index_json_path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : index_json_path.substr(0, slash + 1);

  std::unordered_map<std::string, std::unordered_map<std::string, at::Tensor>> shards;
  TensorDict out;
  for (const auto& item : index["weight_map"].items()) {
    HEZAR_CHECK_INPUT(item.value().is_string(), index_json_path, ": weight_map entry of '", item.key(),
                      "' is not a file name");
    std::string file = item.value().get<std::string>();
    check_shard_name(index_json_path, file);
    auto shard = shards.find(file);
    if (shard == shards.end()) {
      struct stat st {};
      HEZAR_CHECK_INPUT(::stat((dir + file).c_str(), &st) == 0, index_json_path, ": shard '", file,
                        "' (listed for tensor '", item.key(), "') does not exist");
      std::unordered_map<std::string, at::Tensor> by_name;
      for (auto& entry : safetensors_load(dir + file)) by_name.emplace(entry.first, std::move(entry.second));
      shard = shards.emplace(file, std::move(by_name)).first;
    }
    auto tensor = shard->second.find(item.key());
    HEZAR_CHECK_INPUT(tensor != shard->second.end(), index_json_path, ": tensor '", item.key(),
                      "' is listed in weight_map but missing from shard '", file, "'");
    out.emplace_back(item.key(), tensor->second);
  }
  return out;
}

namespace {

struct Planned {
  const std::string* name;
  int rank;  // index into dtype_table()
  at::Tensor tensor;
};

std::vector<Planned> plan_tensors(const std::string& path, const TensorDict& tensors) {
  std::set<std::string> seen;
  std::vector<Planned> plan;
  for (const auto& [name, tensor] : tensors) {
    HEZAR_CHECK_INPUT(name != "__metadata__", path, ": '__metadata__' is reserved and cannot name a tensor");
    HEZAR_CHECK_INPUT(seen.insert(name).second, path, ": duplicate tensor name '", name, "'");
    HEZAR_CHECK_INPUT(tensor.defined() && tensor.layout() == at::kStrided && tensor.device().is_cpu(), path,
                      ": tensor '", name, "' must be a dense CPU tensor");
    int rank = dtype_rank(tensor.scalar_type());
    HEZAR_CHECK_INPUT(rank >= 0, path, ": tensor '", name, "' has dtype ", tensor.scalar_type(),
                      ", which safetensors cannot store");
    plan.push_back({&name, rank, tensor});
  }
  std::sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
    return a.rank != b.rank ? a.rank > b.rank : *a.name < *b.name;
  });
  return plan;
}

std::string build_header(const std::string& path, const std::vector<Planned>& plan,
                         const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& p : plan) {
    uint64_t nbytes = static_cast<uint64_t>(p.tensor.numel()) * p.tensor.element_size();
    header[*p.name] = {{"dtype", dtype_table()[p.rank].name},
                       {"shape", p.tensor.sizes().vec()},
                       {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps every tensor naturally aligned in a mapping
  HEZAR_CHECK_INPUT(text.size() <= kMaxHeaderSize, path, ": safetensors header would be ", text.size(),
                    " bytes (limit 100000000)");
  return text;
}

}  // namespace

void safetensors_save(const std::string& path, const TensorDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<Planned> plan = plan_tensors(path, tensors);
  std::string header = build_header(path, plan, metadata);
  std::string tmp = temp_path_for(path);
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    HEZAR_CHECK(out.good(), "cannot write '", path, "': ", std::strerror(errno));
    uint64_t n = header.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const auto& p : plan) {
      at::Tensor data = p.tensor.resolve_conj().resolve_neg().contiguous();
      if (data.nbytes() == 0) continue;  // empty tensors may have no buffer at all
      out.write(static_cast<const char*>(data.data_ptr()), static_cast<std::streamsize>(data.nbytes()));
    }
    out.flush();
    HEZAR_CHECK(out.good(), "cannot write '", path, "': disk full or I/O error");
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  file_commit(tmp, path);
}

}  // namespace hezar
