#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/file_util.h"

namespace hezar {
namespace {

struct IdxType {
  at::ScalarType dtype;
  size_t element_size;
};

bool idx_type(uint8_t code, IdxType* out) {
  switch (code) {
    case 0x08: *out = {at::kByte, 1}; return true;
    case 0x09: *out = {at::kChar, 1}; return true;
    case 0x0B: *out = {at::kShort, 2}; return true;
    case 0x0C: *out = {at::kInt, 4}; return true;
    case 0x0D: *out = {at::kFloat, 4}; return true;
    case 0x0E: *out = {at::kDouble, 8}; return true;
    default: return false;
  }
}

std::string hex_byte(uint8_t b) {
  static const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

bool is_gzip(const std::string& bytes, size_t at) {
  return bytes.size() >= at + 2 && static_cast<uint8_t>(bytes[at]) == 0x1f && static_cast<uint8_t>(bytes[at + 1]) == 0x8b;
}

// zlib counts in uInt, so inputs over 4 GiB are fed in pieces.
uInt feed_size(size_t remaining) { return static_cast<uInt>(std::min<size_t>(remaining, std::numeric_limits<uInt>::max())); }

// Inflates one gzip member starting at `*pos` into `out`, advancing `*pos` past it.
void gunzip_member(const std::string& in, size_t* pos, std::string* out, const std::string& where) {
  z_stream zs{};
  HEZAR_CHECK(inflateInit2(&zs, 15 + 16) == Z_OK, where, "cannot initialize zlib");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + *pos));
  const size_t available = in.size() - *pos;
  size_t fed = zs.avail_in = feed_size(available);
  std::vector<char> chunk(1 << 16);
  for (;;) {
    if (zs.avail_in == 0 && fed < available) fed += zs.avail_in = feed_size(available - fed);
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out->append(chunk.data(), chunk.size() - zs.avail_out);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    // With fresh output space, Z_BUF_ERROR means zlib wants input that is not there.
    const bool truncated = rc == Z_BUF_ERROR && zs.avail_in == 0 && fed == available;
    const std::string reason = truncated ? "the gzip data is truncated"
                               : std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : zError(rc));
    inflateEnd(&zs);
    throw BadInput(where + reason);
  }
  *pos += fed - zs.avail_in;
  inflateEnd(&zs);
}

// Decompresses every concatenated gzip member, as gzip(1) does; anything else after them is an error.
std::string gunzip(const std::string& in, const std::string& where) {
  std::string out;
  // The trailer's ISIZE (little-endian) is the last member's size mod 2^32: a good hint for one-member
  // files, capped by deflate's best ratio so a forged trailer cannot reserve absurd memory.
  if (in.size() >= 18) {
    const auto* p = reinterpret_cast<const uint8_t*>(in.data() + in.size() - 4);
    const size_t hint = uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
    out.reserve(std::min(hint, in.size() * 1032));
  }
  size_t pos = 0;
  do {
    gunzip_member(in, &pos, &out, where);
  } while (is_gzip(in, pos));
  HEZAR_CHECK_INPUT(pos == in.size(), where, in.size() - pos, " bytes of garbage after the gzip data");
  return out;
}

void to_host_order(void* data, size_t count, size_t element_size) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  char* p = static_cast<char*>(data);
  for (size_t i = 0; i < count; ++i, p += element_size) std::reverse(p, p + element_size);
#else
  (void)data, (void)count, (void)element_size;
#endif
}

uint32_t read_be32(const std::string& bytes, size_t at) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

at::Tensor idx_parse(const std::string& raw, const std::string& source_name) {
  const std::string where = "idx file '" + source_name + "': ";
  std::string inflated;
  if (is_gzip(raw, 0)) inflated = gunzip(raw, where);
  const std::string& bytes = is_gzip(raw, 0) ? inflated : raw;  // no copy of plain files
  HEZAR_CHECK_INPUT(bytes.size() >= 4, where, "too short for an IDX header (", bytes.size(), " bytes)");
  const auto* head = reinterpret_cast<const uint8_t*>(bytes.data());
  HEZAR_CHECK_INPUT(head[0] == 0 && head[1] == 0, where, "bad magic ", hex_byte(head[0]), " ", hex_byte(head[1]),
                    " (an IDX file starts with 0x00 0x00)");
  IdxType type{};
  HEZAR_CHECK_INPUT(idx_type(head[2], &type), where, "unknown data type ", hex_byte(head[2]),
                    " (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)");
  const size_t ndims = head[3];
  const size_t data_start = 4 + 4 * ndims;
  HEZAR_CHECK_INPUT(bytes.size() >= data_start, where, "truncated header: ", ndims, " dims need ", data_start,
                    " bytes, the file has ", bytes.size());
  std::vector<int64_t> dims(ndims);
  const size_t data_bytes = bytes.size() - data_start;
  size_t count = 1;
  bool too_big = false;
  for (size_t i = 0; i < ndims; ++i) {
    dims[i] = read_be32(bytes, 4 + 4 * i);
    // Compare against what the file can hold instead of multiplying blindly, which could overflow.
    if (dims[i] != 0 && count > data_bytes / type.element_size / static_cast<size_t>(dims[i])) too_big = true;
    count *= static_cast<size_t>(dims[i]);
  }
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) {
    too_big = false;
    count = 0;
  }
  const size_t expected = count * type.element_size;
  HEZAR_CHECK_INPUT(!too_big && expected <= data_bytes, where, "truncated data: the dims ", at::IntArrayRef(dims),
                    " need more than the ", data_bytes, " bytes present");
  HEZAR_CHECK_INPUT(expected == data_bytes, where, "the dims ", at::IntArrayRef(dims), " need ", expected,
                    " bytes of data but the file has ", data_bytes, " (", data_bytes - expected, " extra bytes)");
  at::Tensor out = at::empty(dims, type.dtype);
  if (expected > 0) std::memcpy(out.data_ptr(), bytes.data() + data_start, expected);
  if (type.element_size > 1) to_host_order(out.data_ptr(), count, type.element_size);
  return out;
}

at::Tensor idx_read(const std::string& path) { return idx_parse(file_read(path), path); }

}  // namespace hezar
