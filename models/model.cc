#include "models/model.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "core/file_util.h"
#include "core/strings.h"
#include "core/tensor_file.h"

namespace fs = std::filesystem;

namespace hezar {

namespace {
std::string shape_string(at::IntArrayRef shape) {
  std::vector<std::string> dims;
  for (auto d : shape) dims.push_back(std::to_string(d));
  return "[" + join(dims, ", ") + "]";
}
}  // namespace

bool config_set_labels(Config& config, const std::map<int, std::string>& id2label) {
  auto* labels = config_find_field<std::map<int, std::string>>(config, "id2label");
  if (labels == nullptr) return false;
  *labels = id2label;
  for (const char* count_key : {"num_labels", "num_classes"})
    if (int* count = config_find_field<int>(config, count_key)) *count = static_cast<int>(id2label.size());
  return true;
}

std::map<int, std::string> Model::id2label() const {
  auto* labels = config_find_field<std::map<int, std::string>>(*config_, "id2label");
  return labels ? *labels : std::map<int, std::string>{};
}

std::string LoadReport::summary() const {
  std::string out;
  auto add = [&](const char* what, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    out += (out.empty() ? "" : "; ") + std::string(what) + " (" + std::to_string(keys.size()) + "): " +
           join(std::vector<std::string>(keys.begin(), keys.begin() + std::min<size_t>(keys.size(), 8)), ", ") +
           (keys.size() > 8 ? ", ..." : "");
  };
  add("missing", missing);
  add("unexpected", unexpected);
  add("shape mismatch", mismatched);
  return out;
}

at::Tensor Model::compute_loss(const TensorMap& outputs, const at::Tensor& labels) {
  return at::cross_entropy_loss(tensor_at(outputs, "logits", "compute_loss"), labels);
}

nlohmann::json Model::predict(const std::vector<std::string>& inputs, const PredictOptions& options) {
  c10::InferenceMode guard;
  eval();
  TensorMap model_inputs = preprocess(inputs);
  // A model converted to another floating dtype (predict --bf16) takes its float inputs in that dtype.
  const auto params = parameters();
  if (!params.empty())
    for (auto& [key, tensor] : model_inputs)
      if (tensor.is_floating_point() && tensor.scalar_type() != params.front().scalar_type())
        tensor = tensor.to(params.front().scalar_type());
  TensorMap outputs = forward(model_inputs);
  return post_process(outputs, options);
}

TensorDict Model::state_dict_tensors() const {
  // PyTorch's state_dict order: each module's own parameters, then its own buffers, in module pre-order.
  TensorDict out;
  for (const auto& item : named_modules("", /*include_self=*/true)) {
    std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false))
      out.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false))
      out.emplace_back(prefix + b.key(), b.value());
  }
  return out;
}

LoadReport Model::load_state_dict(const TensorDict& tensors, bool share_storage) {
  LoadReport report;
  std::map<std::string, at::Tensor> own;
  for (auto& [name, tensor] : state_dict_tensors()) own[name] = tensor;
  std::set<std::string> loaded;
  at::NoGradGuard no_grad;
  std::set<std::string> own_names;
  for (const auto& entry : own) own_names.insert(entry.first);
  for (const auto& [file_name, source] : tensors) {
    const std::string name = own.count(file_name) ? file_name : map_foreign_key(file_name, own_names);
    if (name.empty()) continue;  // a key the model drops on purpose (legacy buffers)
    auto it = own.find(name);
    if (it == own.end()) {
      report.unexpected.push_back(name);
    } else if (it->second.sizes() != source.sizes()) {
      report.mismatched.push_back(name + ": file " + shape_string(source.sizes()) + " vs model " +
                                  shape_string(it->second.sizes()));
    } else {
      if (share_storage && source.scalar_type() == it->second.scalar_type() && source.is_contiguous() &&
          source.device() == it->second.device())
        it->second.set_data(source);  // zero-copy: the parameter now reads the mapped file (copy-on-write)
      else
        it->second.copy_(source);  // the only copy: from the file's (mmapped) bytes into the parameter
      loaded.insert(name);
    }
  }
  auto tied_to_loaded = [&](const at::Tensor& tensor) {
    for (const auto& name : loaded)
      if (own[name].is_same(tensor)) return true;
    return false;
  };
  for (const auto& [name, tensor] : own)
    if (!loaded.count(name) && !tied_to_loaded(tensor)) {
      bool mismatched = std::any_of(report.mismatched.begin(), report.mismatched.end(),
                                    [&](const std::string& m) { return starts_with(m, name + ":"); });
      if (!mismatched) report.missing.push_back(name);
    }
  return report;
}

void Model::save(const std::string& dir, const std::string& weights_file) const {
  fs::create_directories(dir);
  remove_stale_temps(dir);
  config_save(*config_, dir + "/model_config.yaml");
  tensor_file_save(dir + "/" + weights_file, state_dict_tensors());
  if (!preprocessors_.empty()) preprocessors_save(preprocessors_, dir + "/preprocessor");
}

std::shared_ptr<Model> model_build(const Config& config, const std::vector<std::string>& overrides) {
  return ModelRegistry::instance().build("model", config.name(), &config, overrides);
}

namespace {
thread_local bool init_skipped = false;
}  // namespace

ModelInitSkip::ModelInitSkip() : previous_(init_skipped) { init_skipped = true; }
ModelInitSkip::~ModelInitSkip() { init_skipped = previous_; }
bool model_init_skipped() { return init_skipped; }

std::shared_ptr<Model> model_build_to_load(const Config& config, const std::vector<std::string>& overrides) {
  ModelInitSkip skip;
  return model_build(config, overrides);
}

bool weights_are_mapped(const std::string& path) {
  return ends_with(path, ".safetensors") || ends_with(path, ".safetensors.index.json");
}

std::string model_weights_path(const std::string& dir) {
  for (const char* name : {"model.safetensors", "model.safetensors.index.json", "model.pt", "pytorch_model.bin"})
    if (fs::is_regular_file(dir + "/" + name)) return dir + "/" + name;
  return "";
}

namespace {
std::vector<std::pair<std::string, ModelLayoutLoader>>& layout_loaders() {
  static std::vector<std::pair<std::string, ModelLayoutLoader>> loaders;
  return loaders;
}
}  // namespace

void model_register_layout(const std::string& marker_file, ModelLayoutLoader loader) {
  layout_loaders().emplace_back(marker_file, std::move(loader));
}

LoadReport model_init_weights_from(Model& model, const std::string& dir) {
  const std::string weights = model_weights_path(dir);
  HEZAR_CHECK_INPUT(!weights.empty(), "trainer.init_weights_from: no model weights in '", dir, "'");
  LoadReport report = model.load_state_dict(tensor_file_load(weights));
  spdlog::info("initialised weights from {}", weights);
  if (!report.missing.empty()) spdlog::info("init_weights_from: newly initialised: {}", join(report.missing, ", "));
  if (!report.unexpected.empty() || !report.mismatched.empty())
    spdlog::warn("init_weights_from {}: {}", weights, report.summary());
  return report;
}

void model_load_weights_strict(Model& model, const std::string& dir, const std::string& config_path,
                               const std::function<bool(const std::string&)>& may_miss) {
  const std::string weights = model_weights_path(dir);
  HEZAR_CHECK_INPUT(!weights.empty(), "no weights in '", dir,
                    "': expected model.safetensors, model.safetensors.index.json, model.pt or pytorch_model.bin");
  LoadReport report = model.load_state_dict(tensor_file_load(weights), weights_are_mapped(weights));
  if (may_miss) {
    std::vector<std::string> missing;
    for (const auto& key : report.missing)
      if (!may_miss(key)) missing.push_back(key);
    if (missing.size() < report.missing.size())
      spdlog::debug("{}: {} keys not in the file stay initialised", weights, report.missing.size() - missing.size());
    report.missing = missing;
  }
  HEZAR_CHECK_INPUT(report.missing.empty() && report.mismatched.empty(), weights, " does not fit model '",
                    model.config().name(), "' as configured in ", config_path, ": ", report.summary());
  if (!report.unexpected.empty()) spdlog::warn("{}: ignored {}", weights, report.summary());
  // The constructor's own parameters were just replaced and freed; the memory policy (core/memory_policy.h)
  // keeps freed heap memory for the next forward's activations, but these few hundred MB would only sit in
  // RSS next to the loaded weights and the packed copies made later.
  malloc_trim(0);
}

std::shared_ptr<Model> model_load(const std::string& dir, const std::vector<std::string>& overrides) {
  HEZAR_CHECK_INPUT(fs::is_directory(dir), "model directory '", dir, "' does not exist");
  const std::string config_path = dir + "/model_config.yaml";
  if (!fs::is_regular_file(config_path))
    for (const auto& [marker, loader] : layout_loaders())
      if (fs::is_regular_file(dir + "/" + marker)) return loader(dir, overrides);
  HEZAR_CHECK_INPUT(fs::is_regular_file(config_path), "'", dir,
                    "' is not a hezar model directory: model_config.yaml is missing");
  std::unique_ptr<Config> config = config_load(config_path, "model");
  std::shared_ptr<Model> model = model_build_to_load(*config, overrides);
  model_load_weights_strict(*model, dir, config_path);
  model->preprocessors() = preprocessors_load(dir + "/preprocessor");
  return model;
}

}  // namespace hezar
