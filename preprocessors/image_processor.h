// Hezar's `image_processor`: decode -> gray scale -> mirror -> resize -> rescale -> normalize -> CHW.
// Saved as preprocessor/image_processor_config.yaml.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/config.h"
#include "core/tensor_map.h"
#include "preprocessors/image_ops.h"
#include "preprocessors/preprocessor.h"

namespace hezar {

struct ImageProcessorConfig : Config {
  HEZAR_CONFIG(ImageProcessorConfig, "image_processor", "preprocessor")
  std::optional<std::vector<double>> mean;
  std::optional<std::vector<double>> std;
  std::optional<double> rescale;
  int resample = 2;                       // PIL filter id: 0 nearest, 2 bilinear, 3 bicubic
  std::optional<std::vector<int>> size;   // [width, height], as Hezar (PIL order)
  bool mirror = false;
  bool gray_scale = false;

  void visit(FieldVisitor& v) override {
    v("mean", mean, "per-channel mean subtracted after rescaling");
    v("std", std, "per-channel standard deviation divided by after rescaling");
    v("rescale", rescale, "factor applied to 0..255 pixel values, e.g. 0.00392156862745098 (1/255)");
    v("resample", resample, "PIL resampling filter id: 0 nearest, 2 bilinear, 3 bicubic");
    v("size", size, "[width, height] to resize to");
    v("mirror", mirror, "flip images left-right (used for right-to-left text)");
    v("gray_scale", gray_scale, "convert to one gray channel");
  }
};

class ImageProcessor : public Preprocessor {
 public:
  ImageProcessor(const ImageProcessorConfig& config, const std::string& load_dir);
  const Config& config() const override { return config_; }
  void save(const std::string& dir) const override;

  // One decoded uint8 [H, W, C] image -> float32 [C', H', W'].
  at::Tensor process(const at::Tensor& hwc_uint8) const;
  // Decoded images -> float32 [N, C', H', W'] in one pass (images of one shape are processed together).
  at::Tensor process_batch(const std::vector<at::Tensor>& hwc_uint8_images) const;
  // Image files -> {"pixel_values": [N, C', H', W']}.
  TensorMap process_files(const std::vector<std::string>& paths) const;

 private:
  ImageProcessorConfig config_;
  ImageOps ops_;
};

}  // namespace hezar
