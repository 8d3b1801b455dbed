#include "preprocessors/image_io.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <climits>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/file_util.h"

namespace hezar {
namespace {

// stb hands back malloc'ed pixels; wrap them so a throwing torch call cannot leak them.
struct StbiFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

// Validates an image tensor for encoding and returns it as contiguous uint8 [H, W, C].
at::Tensor encodable(const at::Tensor& image, const char* what) {
  HEZAR_CHECK_INPUT(image.defined(), what, ": the image tensor is undefined");
  HEZAR_CHECK_INPUT(image.scalar_type() == at::kByte, what, ": expected a uint8 image, got ", image.scalar_type());
  at::Tensor hwc = image.dim() == 2 ? image.unsqueeze(2) : image;
  HEZAR_CHECK_INPUT(hwc.dim() == 3, what, ": expected an [H, W, C] image, got shape ", image.sizes());
  const int64_t c = hwc.size(2);
  HEZAR_CHECK_INPUT(c >= 1 && c <= 4, what, ": expected 1 to 4 channels, got ", c);
  HEZAR_CHECK_INPUT(hwc.size(0) > 0 && hwc.size(1) > 0, what, ": the image is empty, shape ", image.sizes());
  HEZAR_CHECK_INPUT(hwc.size(0) <= INT_MAX / 4 && hwc.size(1) <= INT_MAX / 4, what, ": the image is too large, shape ",
                    image.sizes());
  return hwc.to(at::kCPU).contiguous();
}

void append_to_string(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

}  // namespace

at::Tensor image_decode(const std::string& bytes, const std::string& source_name) {
  const std::string where = "cannot decode image '" + source_name + "': ";
  HEZAR_CHECK_INPUT(!bytes.empty(), where, "the file is empty");
  HEZAR_CHECK_INPUT(bytes.size() <= static_cast<size_t>(INT_MAX), where, "the file is larger than 2 GiB");
  int width = 0, height = 0, channels_in_file = 0;
  // Asking stb for 3 channels does PIL's convert("RGB"): gray is replicated and alpha is dropped.
  std::unique_ptr<stbi_uc, StbiFree> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &width,
                            &height, &channels_in_file, 3));
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    throw BadInput(where + (reason ? reason : "unknown error"));
  }
  at::Tensor out = at::empty({height, width, 3}, at::kByte);
  std::memcpy(out.data_ptr<uint8_t>(), pixels.get(), static_cast<size_t>(height) * width * 3);
  return out;
}

at::Tensor image_load(const std::string& path) { return image_decode(file_read(path), path); }

std::string image_encode_png(const at::Tensor& hwc_uint8) {
  const at::Tensor image = encodable(hwc_uint8, "image_encode_png");
  const int h = static_cast<int>(image.size(0)), w = static_cast<int>(image.size(1)), c = static_cast<int>(image.size(2));
  std::string out;
  const int ok = stbi_write_png_to_func(append_to_string, &out, w, h, c, image.data_ptr<uint8_t>(), w * c);
  HEZAR_CHECK(ok != 0, "image_encode_png: stb_image_write failed for a ", h, "x", w, "x", c, " image");
  return out;
}

std::string image_encode_jpeg(const at::Tensor& hwc_uint8, int quality) {
  const at::Tensor image = encodable(hwc_uint8, "image_encode_jpeg");
  HEZAR_CHECK_INPUT(quality >= 1 && quality <= 100, "image_encode_jpeg: quality must be in 1..100, got ", quality);
  const int h = static_cast<int>(image.size(0)), w = static_cast<int>(image.size(1)), c = static_cast<int>(image.size(2));
  std::string out;
  const int ok = stbi_write_jpg_to_func(append_to_string, &out, w, h, c, image.data_ptr<uint8_t>(), quality);
  HEZAR_CHECK(ok != 0, "image_encode_jpeg: stb_image_write failed for a ", h, "x", w, "x", c, " image");
  return out;
}

void image_save_png(const std::string& path, const at::Tensor& hwc_uint8) {
  file_write_atomic(path, image_encode_png(hwc_uint8));
}

}  // namespace hezar
