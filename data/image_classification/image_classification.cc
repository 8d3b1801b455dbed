#include "data/image_classification/image_classification.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "data/csv.h"
#include "data/idx.h"
#include "preprocessors/image_io.h"
#include "preprocessors/image_processor.h"

namespace fs = std::filesystem;

namespace hezar {

HEZAR_REGISTER_DATASET("image_classification", ImageClassificationDataset, ImageClassificationDatasetConfig,
                       "Labelled images from IDX files (MNIST/Fashion-MNIST), class folders or a CSV");

namespace {
const char* kImageExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".pnm", ".ppm", ".pgm"};

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return std::find(std::begin(kImageExtensions), std::end(kImageExtensions), ext) != std::end(kImageExtensions);
}

// The IDX file of `split` and `kind` ("images-idx3" / "labels-idx1"), gzipped or not.
std::string idx_file(const std::string& dir, const std::string& split, const std::string& kind) {
  std::vector<std::string> prefixes = {split};
  if (split == "test") prefixes.push_back("t10k");
  for (const auto& prefix : prefixes)
    for (const char* suffix : {"-ubyte.gz", "-ubyte"}) {
      std::string path = dir + "/" + prefix + "-" + kind + suffix;
      if (fs::is_regular_file(path)) return path;
    }
  throw BadInput(detail::concat("dataset: no ", split, "-", kind, "-ubyte[.gz] in '", dir,
                                "' (set dataset.path to the folder with the IDX files)"));
}

std::string detect_format(const ImageClassificationDatasetConfig& c, const std::string& split) {
  if (c.format != "auto") return c.format;
  if (ends_with(c.path, ".csv") || fs::is_regular_file(c.path + "/" + split + ".csv")) return "csv";
  if (fs::is_directory(c.path + "/" + split)) return "folder";
  return "idx";
}
}  // namespace

ImageClassificationDataset::ImageClassificationDataset(const ImageClassificationDatasetConfig& config,
                                                       const std::string& split,
                                                       const PreprocessorSet& preprocessors)
    : config_(config),
      processor_(preprocessors.get<ImageProcessor>("image_processor", "image_classification dataset")) {
  HEZAR_CHECK_INPUT(!config_.path.empty(), "dataset.path is not set");
  HEZAR_CHECK_INPUT(fs::exists(config_.path), "dataset.path '", config_.path, "' does not exist");
  const std::string format = detect_format(config_, split);
  if (format == "idx") load_idx(split);
  else if (format == "folder") load_folder(split);
  else if (format == "csv") load_csv(split);
  else throw BadInput(detail::concat("dataset.format '", format, "' is not one of auto, idx, folder, csv"));
  HEZAR_CHECK_INPUT(!labels_.empty(), "dataset: split '", split, "' in '", config_.path, "' has no examples");
  const size_t keep = max_size_resolve(config_.max_size, labels_.size(), "dataset");
  labels_.resize(keep);
  if (!image_paths_.empty()) image_paths_.resize(keep);
  if (idx_images_.defined()) idx_images_ = idx_images_.narrow(0, 0, static_cast<int64_t>(keep));
}

void ImageClassificationDataset::load_idx(const std::string& split) {
  const std::string images_path = idx_file(config_.path, split, "images-idx3");
  const std::string labels_path = idx_file(config_.path, split, "labels-idx1");
  idx_images_ = idx_read(images_path);
  at::Tensor labels = idx_read(labels_path);
  HEZAR_CHECK_INPUT(idx_images_.dim() == 3 && idx_images_.scalar_type() == at::kByte, images_path,
                    ": expected uint8 images [N, H, W]");
  HEZAR_CHECK_INPUT(labels.dim() == 1 && labels.size(0) == idx_images_.size(0), labels_path, ": has ",
                    labels.numel(), " labels for ", idx_images_.size(0), " images");
  labels = labels.to(at::kLong);
  labels_.assign(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + labels.numel());
  const int64_t num_classes = labels.numel() ? labels.max().item<int64_t>() + 1 : 0;
  if (config_.id2label.empty())
    for (int64_t i = 0; i < num_classes; ++i) config_.id2label[static_cast<int>(i)] = std::to_string(i);
  for (size_t i = 0; i < labels_.size(); ++i)
    HEZAR_CHECK_INPUT(config_.id2label.count(static_cast<int>(labels_[i])), labels_path, ": label ",
                      labels_[i], " of example ", i, " is not in dataset.id2label");
}

void ImageClassificationDataset::load_folder(const std::string& split) {
  const fs::path root = fs::path(config_.path) / split;
  HEZAR_CHECK_INPUT(fs::is_directory(root), "dataset: no '", split, "' folder in '", config_.path, "' (expected ",
                    root.string(), "/<class name>/<image>)");
  std::vector<std::string> names, where;
  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory()) class_dirs.push_back(entry.path());
  std::sort(class_dirs.begin(), class_dirs.end());
  for (const auto& dir : class_dirs) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && is_image_file(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      image_paths_.push_back(file.string());
      names.push_back(dir.filename().string());
      where.push_back(file.string());
    }
  }
  assign_labels(names, where);
}

void ImageClassificationDataset::load_csv(const std::string& split) {
  const std::string file = ends_with(config_.path, ".csv") ? config_.path : config_.path + "/" + split + ".csv";
  CsvTable table = csv_read(file);
  const int image_col = csv_column(table, config_.image_column, file);
  const int label_col = csv_column(table, config_.label_column, file);
  const fs::path base = fs::path(file).parent_path();
  std::vector<std::string> names, where;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    fs::path image = table.rows[r][image_col];
    image_paths_.push_back((image.is_absolute() ? image : base / image).string());
    names.push_back(table.rows[r][label_col]);
    where.push_back(file + ":" + std::to_string(table.row_lines[r]));
  }
  assign_labels(names, where);
}

void ImageClassificationDataset::assign_labels(const std::vector<std::string>& names,
                                               const std::vector<std::string>& where) {
  if (config_.id2label.empty()) {
    std::set<std::string> unique(names.begin(), names.end());
    int id = 0;
    for (const auto& name : unique) config_.id2label[id++] = name;
  }
  std::map<std::string, int64_t> label2id;
  for (const auto& [id, name] : config_.id2label) label2id[name] = id;
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = label2id.find(names[i]);
    HEZAR_CHECK_INPUT(it != label2id.end(), where[i], ": label '", names[i],
                      "' is not one of the model's labels (dataset.id2label)");
    labels_.push_back(it->second);
  }
}

at::Tensor ImageClassificationDataset::image(size_t index) const {
  HEZAR_CHECK(index < labels_.size(), "dataset index ", index, " out of range ", labels_.size());
  return idx_images_.defined() ? idx_images_[static_cast<int64_t>(index)] : image_load(image_paths_[index]);
}

TensorMap ImageClassificationDataset::get(size_t index) const {
  return {{"pixel_values", processor_->process(image(index))},
          {"labels", at::scalar_tensor(labels_[index], at::kLong)}};
}

TensorMap ImageClassificationDataset::get_batch(const std::vector<size_t>& indices) const {
  std::vector<at::Tensor> images;
  std::vector<int64_t> labels;
  images.reserve(indices.size());
  labels.reserve(indices.size());
  for (size_t i : indices) {
    images.push_back(image(i));
    labels.push_back(labels_[i]);
  }
  return {{"pixel_values", processor_->process_batch(images)}, {"labels", at::tensor(labels, at::kLong)}};
}

}  // namespace hezar
