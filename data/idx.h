// IDX tensor files, the format of MNIST and Fashion-MNIST: magic 00 00 <type> <ndims>, then ndims
// big-endian u32 dims, then the values big-endian in row-major order. Files are often gzipped.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace hezar {

// Reads a plain or gzipped (detected by the 1f 8b magic) IDX file into a CPU tensor with the file's
// dims and dtype (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), values in
// host byte order. Throws BadInput naming the file for a bad magic, unknown type, corrupt or truncated
// data, or bytes left over after the data.
at::Tensor idx_read(const std::string& path);

// The same for bytes already in memory; `source_name` only names them in errors.
at::Tensor idx_parse(const std::string& bytes, const std::string& source_name);

}  // namespace hezar
