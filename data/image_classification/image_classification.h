// `image_classification` dataset: images with one class label each, from
//   - IDX files (MNIST / Fashion-MNIST): `<split>-images-idx3-ubyte[.gz]` + `<split>-labels-idx1-ubyte[.gz]`
//     in `path` (split `test` also finds `t10k-*`);
//   - an image folder: `path/<split>/<class name>/<image>`;
//   - a CSV of `image,label` rows: `path/<split>.csv`, or `path` itself when it is a .csv file
//     (relative image paths are resolved against the CSV's folder).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "data/dataset.h"

namespace hezar {

class ImageProcessor;

struct ImageClassificationDatasetConfig : Config {
  HEZAR_CONFIG(ImageClassificationDatasetConfig, "image_classification", "dataset")
  std::string path;
  std::string format = "auto";
  std::string train_split = "train";
  std::string eval_split = "test";
  std::optional<double> max_size;
  std::string image_column = "path";
  std::string label_column = "label";
  std::map<int, std::string> id2label;

  void visit(FieldVisitor& v) override {
    v("path", path, "folder (or .csv file) holding the data");
    v("format", format, "auto | idx | folder | csv");
    v("train_split", train_split, "split used for training");
    v("eval_split", eval_split, "split used for evaluation");
    v("max_size", max_size, "keep only this many examples (or this fraction, if below 1)");
    v("image_column", image_column, "CSV column with image paths");
    v("label_column", label_column, "CSV column with labels");
    v("id2label", id2label, "class id -> name; derived from the data (sorted) when empty");
  }
};

class ImageClassificationDataset : public Dataset {
 public:
  ImageClassificationDataset(const ImageClassificationDatasetConfig& config, const std::string& split,
                             const PreprocessorSet& preprocessors);
  const Config& config() const override { return config_; }
  size_t size() const override { return labels_.size(); }
  TensorMap get(size_t index) const override;
  // One image-processing pass over the whole batch: the same values as collating get(i), with a
  // fraction of the per-image tensor operations.
  TensorMap get_batch(const std::vector<size_t>& indices) const override;
  std::map<int, std::string> id2label() const override { return config_.id2label; }
  std::string task() const override { return "image_classification"; }

 private:
  void load_idx(const std::string& split);
  void load_folder(const std::string& split);
  void load_csv(const std::string& split);
  // Maps label names to ids through config_.id2label, filling it from the data when it is empty.
  void assign_labels(const std::vector<std::string>& names, const std::vector<std::string>& where);
  at::Tensor image(size_t index) const;  // decoded uint8 pixels

  ImageClassificationDatasetConfig config_;
  std::shared_ptr<ImageProcessor> processor_;
  at::Tensor idx_images_;               // [N, H, W] uint8 when loaded from IDX
  std::vector<std::string> image_paths_;  // otherwise, one file per example
  std::vector<int64_t> labels_;
};

}  // namespace hezar
