// torch_load / torch_save against real files from Debian's python3-torch 1.13 (run with /usr/bin/python3),
// plus handcrafted archives for every rejection path.
#include "core/torch_pickle.h"

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/error.h"
#include "tests/core/tensor_io_test_util.h"

namespace hezar {
namespace {

using namespace std::string_literals;
using nlohmann::json;
using test::describe;
using test::read_bytes;
using test::run_python;
using test::tmp_path;
using test::write_bytes;

const char* kFixtureScript = R"PY(
import collections, json, os, pickle, sys, zipfile
import torch

out = sys.argv[1]
torch.manual_seed(0)

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)
        self.bn = torch.nn.BatchNorm1d(3)
        self.emb = torch.nn.Embedding(5, 2)

net = Net()
net.bn(torch.randn(8, 3))  # moves the running stats and num_batches_tracked off their defaults
sd = net.state_dict()
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
sd["x.f16"] = torch.randn(3, 2).half()
sd["x.bf16"] = torch.randn(5).bfloat16()
sd["x.f64"] = torch.randn(2, 2, dtype=torch.float64)
sd["x.i32"] = torch.tensor([-5, 0, 2**31 - 1], dtype=torch.int32)
sd["x.i16"] = torch.tensor([-32768, 7], dtype=torch.int16)
sd["x.i8"] = torch.tensor([-128, 0, 127], dtype=torch.int8)
sd["x.u8"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
sd["x.bool"] = torch.tensor([True, False, True])
sd["x.c64"] = torch.tensor([1 + 2j, -3.5j], dtype=torch.complex64)
sd["x.i64"] = torch.tensor([2**40, -2**62, 2**63 - 1])
sd["view.t"] = base[1:, 2:].t()   # storage offset 8, strides (1, 6)
sd["view.row"] = base[2]          # same storage, offset 12
sd["scalar"] = torch.tensor(3.25)
sd["empty"] = torch.zeros(0, 3)
torch.save(sd, f"{out}/state_dict.pt")
torch.save(sd, f"{out}/state_dict_p4.pt", pickle_protocol=4)
json.dump(describe(sd), open(f"{out}/state_dict.json", "w"))

plain = {"b": torch.ones(2), "a": torch.nn.Parameter(torch.arange(3.0))}
torch.save(plain, f"{out}/plain_dict.pt")
json.dump(describe(plain), open(f"{out}/plain_dict.json", "w"))

torch.save(sd, f"{out}/legacy.pt", _use_new_zipfile_serialization=False)

class System:
    def __reduce__(self):
        return (os.system, (f"touch {out}/pwned_system",))

class Eval:
    def __reduce__(self):
        return (eval, (f"open('{out}/pwned_eval', 'w')",))

def torch_zip(name, obj):
    with zipfile.ZipFile(f"{out}/{name}.pt", "w") as z:
        z.writestr(f"{name}/data.pkl", pickle.dumps(obj, protocol=2))
        z.writestr(f"{name}/version", "3\n")

torch_zip("evil_system", collections.OrderedDict(w=System()))
torch_zip("evil_eval", {"w": Eval()})
)PY";

const char* kCheckScript = R"PY(
import collections, json, sys, zipfile
import torch

path, expected_path = sys.argv[1], sys.argv[2]
sd = torch.load(path)
if not isinstance(sd, collections.OrderedDict):
    sys.exit(f"loaded a {type(sd)}, not an OrderedDict")
names = [n.split("/", 1)[1] for n in zipfile.ZipFile(path).namelist()]
storages = [n for n in names if n.startswith("data/")]
if names != ["data.pkl"] + storages + ["version"]:
    sys.exit(f"unexpected records {names}")
expected = json.load(open(expected_path))
got = describe(sd)
for g, e in zip(got, expected):
    if g != e:
        print("got     ", g, "\nexpected", e)
if got != expected:
    sys.exit(f"{len(got)} entries loaded, {len(expected)} expected; see above")
print("identical")
)PY";

class TorchPickle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = tmp_path("torch_fixtures");
    ASSERT_EQ(std::system(("mkdir -p " + dir_).c_str()), 0);
    std::string script = std::string("import torch\n") + test::kPythonDescribe + kFixtureScript;
    auto result = run_python("make_fixtures", script, dir_);
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }
  static std::string fixture(const std::string& name) { return dir_ + "/" + name; }
  static std::string dir_;
};
std::string TorchPickle::dir_;

// Compares entry by entry so a failure shows which tensor differs.
void expect_same(const json& got, const json& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "entry " << i;
}

std::string expect_bad_input(const std::string& path, const std::string& fragment) {
  try {
    torch_load(path);
    ADD_FAILURE() << path << " loaded, expected an error containing: " << fragment;
  } catch (const BadInput& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_EQ(message.rfind(path, 0), 0u) << "message should start with the file: " << message;
    return message;
  }
  return "";
}

TEST_F(TorchPickle, LoadsRealStateDict) {
  for (const char* file : {"state_dict.pt", "state_dict_p4.pt"}) {
    SCOPED_TRACE(file);
    TensorDict loaded = torch_load(fixture(file));
    expect_same(describe(loaded), json::parse(read_bytes(fixture("state_dict.json"))));
    const at::Tensor* t = tensor_dict_find(loaded, "view.t");
    const at::Tensor* row = tensor_dict_find(loaded, "view.row");
    ASSERT_TRUE(t && row);
    EXPECT_TRUE(t->is_alias_of(*row)) << "tensors sharing a storage in the file must share memory";
    EXPECT_EQ(tensor_dict_find(loaded, "bn.num_batches_tracked")->scalar_type(), at::kLong);
  }
}

TEST_F(TorchPickle, LoadsPlainDictWithParameters) {
  TensorDict loaded = torch_load(fixture("plain_dict.pt"));
  expect_same(describe(loaded), json::parse(read_bytes(fixture("plain_dict.json"))));
}

TEST_F(TorchPickle, RejectsPicklesThatWouldRunCode) {
  expect_bad_input(fixture("evil_system.pt"),
                   "pickle global 'posix.system' is not allowed (only tensors and state dicts can be loaded)");
  expect_bad_input(fixture("evil_eval.pt"), "eval' is not allowed");  // '__builtin__.eval' in protocol 2
  struct stat st {};
  EXPECT_NE(::stat(fixture("pwned_system").c_str(), &st), 0);
  EXPECT_NE(::stat(fixture("pwned_eval").c_str(), &st), 0);
}

TEST_F(TorchPickle, RejectsLegacyTruncatedAndForeignFiles) {
  expect_bad_input(fixture("legacy.pt"), "legacy (non-zip) torch.save format is not supported");
  std::string bytes = read_bytes(fixture("state_dict.pt"));
  for (size_t keep : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 10}) {
    SCOPED_TRACE(keep);
    expect_bad_input(write_bytes("truncated.pt", bytes.substr(0, keep)), "truncated.pt: ");
  }
  expect_bad_input(write_bytes("text.pt", "hello"), "not a torch.save zip archive");
  EXPECT_THROW(torch_load(tmp_path("missing.pt")), BadInput);
}

// Handcrafted archives: pickle bytes written by hand, so each rejection path is hit exactly.
std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string pk_str(const std::string& s) { return "X" + le32(s.size()) + s; }

// _rebuild_tensor_v2 of a 1-D float tensor of `size` elements over storage "0" of `numel` elements.
std::string pk_tensor(int numel, int size) {
  return "ctorch._utils\n_rebuild_tensor_v2\n(("s + pk_str("storage") + "ctorch\nFloatStorage\n" + pk_str("0") +
         pk_str("cpu") + "K" + char(numel) + "tQK\x00K"s + char(size) + "\x85K\x01\x85\x89}tR";
}

std::string write_archive(const std::string& name, const std::string& pickle, const std::string* storage) {
  std::string path = tmp_path(name);
  caffe2::serialize::PyTorchStreamWriter writer(path);
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  if (storage) writer.writeRecord("data/0", storage->data(), storage->size());
  writer.writeEndOfFile();
  return path;
}

TEST(TorchPickleHandcrafted, RejectsMalformedPickles) {
  const std::string two_floats(8, '\0');
  const std::string head = std::string("\x80\x02}(") + pk_str("w");
  struct Case {
    const char* name;
    std::string pickle;
    bool with_storage;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {"os_system", "\x80\x02" "cos\nsystem\n" + pk_str("echo") + "\x85R.", false,
       "os_system.pt: pickle global 'os.system' is not allowed (only tensors and state dicts can be loaded)"},
      {"out_of_bounds", head + pk_tensor(2, 5) + "u.", true, "needs 5 elements but its storage has 2"},
      {"no_record", head + pk_tensor(2, 2) + "u.", false, "archive has no record 'data/0'"},
      {"small_record", head + pk_tensor(4, 2) + "u.", true, "holds 8 bytes but its storage needs 16"},
      {"call_storage", "\x80\x02" "ctorch\nFloatStorage\n)R.", false, "'torch.FloatStorage' cannot be called"},
      {"not_tensor", head + "K\x01u.", false, "state dict entry 'w' is of type int, not a tensor"},
      {"not_dict", "\x80\x02]." , false, "data.pkl holds type list, not a state dict"},
      {"opcode", "\x80\x02S'x'\n.", false, "unsupported pickle opcode 83"},
      {"truncated", "\x80\x02}(" + pk_str("w"), false, "truncated pickle"},
      {"underflow", "\x80\x02s.", false, "stack underflow"},
      {"memo", "\x80\x02h\x05.", false, "memo entry 5 read before it was written"},
      {"deep_nesting", "\x80\x02" + std::string(300000, ']') + std::string(299999, 'a') + ".", false,
       "data.pkl holds type list, not a state dict"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_bad_input(write_archive(std::string(c.name) + ".pt", c.pickle, c.with_storage ? &two_floats : nullptr),
                     c.fragment);
  }
}

TEST(TorchPickleHandcrafted, ReadsProtocol4OpcodesAndLong1) {
  // FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE, BINGET, a LONG1 storage size, and BUILD on the
  // OrderedDict (the state torch uses for _metadata, ignored). Hex escapes are split where the next
  // character is a hex digit.
  std::string pickle = "\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00"s +
                       "\x8c\x0b" "collections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(" +  // memo 0-3
                       "\x8c\x01w\x94\x8c\x0ctorch._utils\x8c\x12_rebuild_tensor_v2\x93\x94" +  // memo 4-5
                       "((\x8c\x07storage\x8c\x05torch\x8c\x0c" "FloatStorage\x93\x8c\x01" "0\x8c\x03" "cpu" +
                       "\x8a\x01\x02tQ" + "K\x01K\x01\x85K\x01\x85\x89h\x02)RtR" + "u}b.";
  std::string data("\x00\x00\x00\x00\x00\x00\x00\x40", 8);  // 0.f, 2.f
  TensorDict loaded = torch_load(write_archive("protocol4.pt", pickle, &data));
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].first, "w");
  EXPECT_TRUE(at::equal(loaded[0].second, at::tensor({2.f})));
  EXPECT_EQ(loaded[0].second.storage_offset(), 1);
}

TensorDict cpp_tensors() {
  at::manual_seed(1);
  at::Tensor base = at::arange(24, at::kFloat).reshape({4, 6});
  return {
      {"linear.weight", at::randn({3, 4})},
      {"linear.bias", at::randn({3})},
      {"bn.num_batches_tracked", at::scalar_tensor(7, at::kLong)},
      {"x.f16", at::randn({3, 2}).to(at::kHalf)},
      {"x.bf16", at::randn({5}).to(at::kBFloat16)},
      {"x.f64", at::randn({2, 2}, at::kDouble)},
      {"x.i32", at::tensor({-5, 0, INT32_MAX}, at::kInt)},
      {"x.i16", at::tensor({-32768, 7}, at::kShort)},
      {"x.i8", at::tensor({-128, 0, 127}, at::kChar)},
      {"x.u8", at::tensor({0, 1, 255}, at::kByte)},
      {"x.bool", at::tensor({1, 0, 1}).to(at::kBool)},
      {"x.c64", at::randn({2}, at::kComplexFloat)},
      {"x.i64", at::tensor({INT64_MIN, int64_t{1} << 40, INT64_MAX}, at::kLong)},
      {"view.t", base.slice(0, 1).slice(1, 2).t()},
      {"view.row", base[2]},
      {"scalar", at::scalar_tensor(3.25)},
      {"empty", at::zeros({0, 3})},
      {"far.offset", at::arange(70000, at::kFloat).slice(0, 69990)},  // offset needs a 4-byte BININT
      {"wide", at::zeros({1, 1, 1, 1, 2})},                           // shape tuple built with MARK/TUPLE
  };
}

TEST_F(TorchPickle, PythonLoadsWhatWeSaveIdentically) {
  TensorDict tensors = cpp_tensors();
  std::string path = tmp_path("from_cpp.pt");
  torch_save(path, tensors);
  std::string expected = write_bytes("from_cpp.json", describe(tensors).dump());
  auto result = run_python("check_cpp_save", std::string("import torch\n") + test::kPythonDescribe + kCheckScript,
                           path + " " + expected);
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(TorchPickleRoundTrip, KeepsLayoutAndSharingInCpp) {
  TensorDict tensors = cpp_tensors();
  std::string path = tmp_path("round_trip.pt");
  torch_save(path, tensors);
  TensorDict loaded = torch_load(path);
  expect_same(describe(loaded), describe(tensors));
  EXPECT_TRUE(tensor_dict_find(loaded, "view.t")->is_alias_of(*tensor_dict_find(loaded, "view.row")));
}

TEST(TorchPickleRoundTrip, ResolvesConjugateViewsAndEmptyDicts) {
  at::Tensor z = at::randn({3}, at::kComplexFloat);
  std::string path = tmp_path("conj.pt");
  torch_save(path, {{"z", z.conj()}});
  EXPECT_TRUE(at::equal(torch_load(path)[0].second, z.conj().resolve_conj()));
  torch_save(path, {});
  EXPECT_TRUE(torch_load(path).empty());
}

TEST(TorchPickleRoundTrip, SaveRejectsBadInputAndLeavesNothing) {
  std::string dir = tmp_path("torch_writer_errors");
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  at::Tensor f = at::ones({4});
  EXPECT_THROW(torch_save(dir + "/dup.pt", {{"a", f}, {"a", f}}), BadInput);
  EXPECT_THROW(torch_save(dir + "/mixed.pt", {{"f", f}, {"i", f.view(at::kInt)}}), BadInput);
  EXPECT_THROW(torch_save(dir + "/undef.pt", {{"u", at::Tensor()}}), BadInput);
  EXPECT_THROW(torch_save(dir + "/q.pt", {{"q", at::quantize_per_tensor(f, 0.1, 0, at::kQInt8)}}), BadInput);
  EXPECT_EQ(std::system(("test -z \"$(ls -A " + dir + ")\"").c_str()), 0) << "files left in " << dir;
  EXPECT_THROW(torch_save(tmp_path("no_such_dir/x.pt"), {{"a", f}}), Error);
}

}  // namespace
}  // namespace hezar
