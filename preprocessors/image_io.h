// Image file decoding and encoding. Decoding mirrors PIL's `Image.open(path).convert("RGB")`, which is how
// Hezar's ImageProcessor loads every image, so the rest of the pipeline always sees 3-channel uint8 pixels.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace hezar {

// Decodes PNG, JPEG, BMP, GIF (first frame), TGA, PSD, PNM, HDR... into uint8 [H, W, 3] RGB. Gray and
// gray+alpha are expanded to RGB and alpha is dropped (not composited), as PIL's convert("RGB") does.
// `source_name` only names the image in errors. Throws BadInput for empty, corrupt, truncated or
// unsupported data: "cannot decode image 'x.png': <reason>".
at::Tensor image_decode(const std::string& bytes, const std::string& source_name);

// file_read + image_decode.
at::Tensor image_load(const std::string& path);

// Encodes uint8 [H, W, C] (C = 1, 2, 3 or 4) or [H, W] (gray) as PNG / JPEG bytes. `quality` is 1..100.
std::string image_encode_png(const at::Tensor& hwc_uint8);
std::string image_encode_jpeg(const at::Tensor& hwc_uint8, int quality = 90);

// Writes image_encode_png(hwc_uint8) atomically to `path`.
void image_save_png(const std::string& path, const at::Tensor& hwc_uint8);

}  // namespace hezar
