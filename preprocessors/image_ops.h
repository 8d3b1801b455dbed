// The numeric pipeline of Hezar's ImageProcessor, in the same order as the Python one:
// RGB uint8 -> optional gray scale ("L") -> optional mirror -> resize -> x * rescale -> (x - mean) / std
// -> CHW float32. Gray scale and resize reproduce Pillow's uint8 arithmetic bit for bit (fixed-point
// luma; Image.resize's separable resampler, antialiased when shrinking), so values up to the rescale
// step are the whole numbers PIL would produce.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <utility>
#include <vector>

namespace hezar {

struct ImageOps {
  bool gray_scale = false;
  bool mirror = false;                     // left-right flip, as PIL's ImageOps.mirror
  std::optional<std::pair<int, int>> size;  // (width, height), PIL's order
  int resample = 2;                        // PIL filter ids: 0 nearest, 2 bilinear, 3 bicubic
  std::optional<double> rescale;
  // One value per channel, or one value for all; both empty = no normalization.
  std::vector<double> mean, std;
};

// Applies `ops` to a uint8 [H, W, C] image (C = 1 or 3; [H, W] is taken as gray) and returns float32
// [C', H', W'] with C' = 1 if ops.gray_scale else 3 (a gray input is expanded to RGB, as PIL's
// convert("RGB") would have done on load). Throws BadInput for invalid ops or an unusable image.
at::Tensor image_apply(const at::Tensor& hwc_uint8, const ImageOps& ops);

// The same for several images at once, returning float32 [N, C', H', W']. Images of one shape are
// processed as a single batch; images of different shapes must come out the same size (set ops.size).
at::Tensor image_apply_batch(const std::vector<at::Tensor>& hwc_uint8_images, const ImageOps& ops);

}  // namespace hezar
