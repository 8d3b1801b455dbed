#include "preprocessors/image_processor.h"

#include "core/error.h"
#include "preprocessors/image_io.h"

namespace hezar {

HEZAR_REGISTER_PREPROCESSOR("image_processor", ImageProcessor, ImageProcessorConfig,
                            "Image preprocessing as Hezar: gray scale, mirror, resize, rescale, normalize");

namespace {
ImageOps ops_from_config(const ImageProcessorConfig& c) {
  ImageOps ops;
  ops.gray_scale = c.gray_scale;
  ops.mirror = c.mirror;
  ops.resample = c.resample;
  ops.rescale = c.rescale;
  ops.mean = c.mean.value_or(std::vector<double>{});
  ops.std = c.std.value_or(std::vector<double>{});
  if (c.size) {
    HEZAR_CHECK_INPUT(c.size->size() == 2 && (*c.size)[0] > 0 && (*c.size)[1] > 0,
                      "image_processor.size must be [width, height] with positive values");
    ops.size = std::make_pair((*c.size)[0], (*c.size)[1]);
  }
  HEZAR_CHECK_INPUT(ops.mean.size() == ops.std.size(), "image_processor: mean has ", ops.mean.size(),
                    " values but std has ", ops.std.size());
  HEZAR_CHECK_INPUT(c.resample == 0 || c.resample == 2 || c.resample == 3, "image_processor.resample ",
                    c.resample, " is not supported; use 0 (nearest), 2 (bilinear) or 3 (bicubic)");
  return ops;
}
}  // namespace

ImageProcessor::ImageProcessor(const ImageProcessorConfig& config, const std::string&)
    : config_(config), ops_(ops_from_config(config)) {}

void ImageProcessor::save(const std::string& dir) const {
  config_save(config_, dir + "/image_processor_config.yaml");
}

at::Tensor ImageProcessor::process(const at::Tensor& hwc_uint8) const { return image_apply(hwc_uint8, ops_); }

at::Tensor ImageProcessor::process_batch(const std::vector<at::Tensor>& hwc_uint8_images) const {
  return image_apply_batch(hwc_uint8_images, ops_);
}

TensorMap ImageProcessor::process_files(const std::vector<std::string>& paths) const {
  std::vector<at::Tensor> images;
  images.reserve(paths.size());
  for (const auto& path : paths) images.push_back(image_load(path));
  return {{"pixel_values", process_batch(images)}};
}

}  // namespace hezar
