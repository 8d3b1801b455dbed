// Helpers shared by the tensor I/O tests: scratch files under $TEST_TMPDIR, running the system Python
// (Debian's python3-torch 1.13) and a JSON description of a TensorDict that Python can produce too.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/tensor_dict.h"

namespace hezar::test {

inline std::string tmp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string write_bytes(const std::string& name, const std::string& bytes) {
  std::string path = tmp_path(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

struct PythonResult {
  int exit_code;
  std::string output;  // stdout + stderr, for failure messages
};

// Runs `script` with the system interpreter (the PATH one has no torch) and the given arguments.
inline PythonResult run_python(const std::string& name, const std::string& script, const std::string& args) {
  std::string script_path = write_bytes(name + ".py", script);
  std::string log_path = tmp_path(name + ".log");
  std::string cmd = "/usr/bin/python3 " + script_path + " " + args + " > " + log_path + " 2>&1";
  int status = std::system(cmd.c_str());
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return {code, read_bytes(log_path)};
}

inline const char* python_dtype_name(at::ScalarType type) {
  static const std::map<at::ScalarType, const char*> names = {
      {at::kFloat, "torch.float32"}, {at::kDouble, "torch.float64"},  {at::kHalf, "torch.float16"},
      {at::kBFloat16, "torch.bfloat16"}, {at::kLong, "torch.int64"},  {at::kInt, "torch.int32"},
      {at::kShort, "torch.int16"},   {at::kChar, "torch.int8"},       {at::kByte, "torch.uint8"},
      {at::kBool, "torch.bool"},     {at::kComplexFloat, "torch.complex64"}};
  return names.at(type);
}

// Name, dtype, shape, strides, storage offset, which storage (numbered by first use; null when empty)
// and every value (complex as real/imag pairs). Must match kPythonDescribe below.
inline nlohmann::json describe(const TensorDict& dict) {
  nlohmann::json out = nlohmann::json::array();
  std::map<const void*, int> storage_ids;
  for (const auto& [name, t] : dict) {
    nlohmann::json storage = nullptr;
    if (t.storage().nbytes() > 0) {
      storage = storage_ids.emplace(t.storage().data(), static_cast<int>(storage_ids.size())).first->second;
    }
    nlohmann::json values = nlohmann::json::array();
    if (t.is_complex() || t.is_floating_point()) {
      at::Tensor flat = (t.is_complex() ? at::view_as_real(t) : t).flatten().to(at::kDouble).contiguous();
      for (int64_t i = 0; i < flat.numel(); ++i) values.push_back(flat.data_ptr<double>()[i]);
    } else {
      at::Tensor flat = t.flatten().to(at::kLong).contiguous();
      for (int64_t i = 0; i < flat.numel(); ++i) values.push_back(flat.data_ptr<int64_t>()[i]);
    }
    out.push_back({{"name", name}, {"dtype", python_dtype_name(t.scalar_type())}, {"shape", t.sizes().vec()},
                   {"stride", t.strides().vec()}, {"offset", t.storage_offset()}, {"storage", storage},
                   {"values", values}});
  }
  return out;
}

constexpr const char* kPythonDescribe = R"PY(
def describe(sd):
    out, ids = [], {}
    for name, t in sd.items():
        st = t.storage()
        storage = ids.setdefault(st.data_ptr(), len(ids)) if st.nbytes() > 0 else None
        if t.is_complex():
            values = torch.view_as_real(t).flatten().double().tolist()
        elif t.is_floating_point():
            values = t.flatten().double().tolist()
        else:
            values = t.flatten().long().tolist()
        out.append({"name": name, "dtype": str(t.dtype), "shape": list(t.shape), "stride": list(t.stride()),
                    "offset": t.storage_offset(), "storage": storage, "values": values})
    return out
)PY";

}  // namespace hezar::test
