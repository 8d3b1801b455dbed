#include "preprocessors/image_ops.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace hezar {
namespace {

constexpr const char* kWhere = "image_processor: ";

std::string channels_word(int64_t n) { return std::to_string(n) + (n == 1 ? " channel" : " channels"); }

void check_stat(const std::vector<double>& values, const char* name, int64_t channels) {
  HEZAR_CHECK_INPUT(values.size() == 1 || static_cast<int64_t>(values.size()) == channels, kWhere, name, " has ",
                    values.size(), values.size() == 1 ? " value" : " values", " but the image has ",
                    channels_word(channels));
  for (double v : values) HEZAR_CHECK_INPUT(std::isfinite(v), kWhere, name, " has a non-finite value ", v);
}

// Checks everything about `ops` that does not depend on the image, plus mean/std against the
// output channel count, so a bad config fails before any pixel work.
void validate_ops(const ImageOps& ops) {
  const int64_t channels = ops.gray_scale ? 1 : 3;
  if (ops.size) {
    HEZAR_CHECK_INPUT(ops.size->first > 0 && ops.size->second > 0, kWhere, "size must be positive (width, height), got (",
                      ops.size->first, ", ", ops.size->second, ")");
  }
  HEZAR_CHECK_INPUT(ops.resample == 0 || ops.resample == 2 || ops.resample == 3, kWhere, "resample ", ops.resample,
                    " is not supported; use 0 (nearest), 2 (bilinear) or 3 (bicubic)");
  if (ops.rescale) HEZAR_CHECK_INPUT(std::isfinite(*ops.rescale), kWhere, "rescale must be finite, got ", *ops.rescale);
  // Python skips normalization unless both are set; one without the other is almost surely a config typo.
  HEZAR_CHECK_INPUT(ops.mean.empty() == ops.std.empty(), kWhere, "mean and std must be given together (mean has ",
                    ops.mean.size(), " values, std has ", ops.std.size(), ")");
  if (ops.mean.empty()) return;
  check_stat(ops.mean, "mean", channels);
  check_stat(ops.std, "std", channels);
  for (double s : ops.std) HEZAR_CHECK_INPUT(s != 0.0, kWhere, "std must not contain 0");
}

// Returns the image as uint8 [H, W, C] with C in {1, 3}.
at::Tensor as_hwc(const at::Tensor& image) {
  HEZAR_CHECK_INPUT(image.defined(), kWhere, "the image tensor is undefined");
  HEZAR_CHECK_INPUT(image.scalar_type() == at::kByte, kWhere, "expected a uint8 image, got ", image.scalar_type());
  at::Tensor hwc = image.dim() == 2 ? image.unsqueeze(2) : image;
  HEZAR_CHECK_INPUT(hwc.dim() == 3, kWhere, "expected an [H, W, C] image, got shape ", image.sizes());
  HEZAR_CHECK_INPUT(hwc.size(2) == 1 || hwc.size(2) == 3, kWhere, "expected 1 or 3 channels, got ", hwc.size(2));
  HEZAR_CHECK_INPUT(hwc.size(0) > 0 && hwc.size(1) > 0, kWhere, "the image is empty, shape ", image.sizes());
  return hwc.to(at::kCPU);
}

// PIL's convert("L"): ITU-R 601-2 luma in 16-bit fixed point (weights sum to 65536, + 0x8000 rounds),
// so gray pixels keep their exact level and results match PIL bit for bit.
at::Tensor gray_nhwc(const at::Tensor& nhwc) {
  const at::Tensor x = nhwc.to(at::kInt);
  const at::Tensor acc = x.select(3, 0) * 19595 + x.select(3, 1) * 38470 + x.select(3, 2) * 7471 + 0x8000;
  return at::div(acc, 65536, "floor").to(at::kByte).unsqueeze(3);
}

// ---- Image.resize, bit for bit as Pillow 9 does it on 8-bit images (libImaging/Resample.c and
// Geometry.c). Torch's *_aa kernels implement the same filters, but in float without Pillow's
// fixed-point weights and without its uint8 rounding between the horizontal and vertical passes; that
// leaves 10-20% of pixels off by one and, where bicubic overshoots, up to ~17 levels off.

constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinear_filter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// For each output sample along one axis: the first input index, the number of taps, and the taps
// as Pillow's 22-bit fixed-point weights (precompute_coeffs + normalize_coeffs_8bpc).
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // ksize per output sample
};

Taps pil_taps(int in_size, int out_size, int resample) {
  double (*filter)(double) = resample == 3 ? bicubic_filter : bilinear_filter;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);  // widen the kernel only when shrinking: antialiasing
  const double support = (resample == 3 ? 2.0 : 1.0) * filterscale;
  const double ss = 1.0 / filterscale;
  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(static_cast<size_t>(out_size) * t.ksize, 0);
  std::vector<double> k(t.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int n = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < n; ++x) ww += k[x] = filter((x + xmin - center + 0.5) * ss);
    for (int x = 0; x < n; ++x) {
      const double w = (ww != 0.0 ? k[x] / ww : k[x]) * (1 << kPrecisionBits);
      t.weights[static_cast<size_t>(xx) * t.ksize + x] = static_cast<int32_t>(w < 0 ? w - 0.5 : w + 0.5);
    }
    t.first[xx] = xmin;
    t.count[xx] = n;
  }
  return t;
}

// Horizontal pass over contiguous uint8 [rows, in_w, c] into [rows, out_w, c].
void resample_rows(const uint8_t* in, int64_t rows, int in_w, int c, const Taps& t, int out_w, uint8_t* out) {
  at::parallel_for(0, rows, 8, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y) {
      const uint8_t* src = in + y * in_w * c;
      uint8_t* dst = out + y * out_w * c;
      for (int xx = 0; xx < out_w; ++xx) {
        const int32_t* k = &t.weights[static_cast<size_t>(xx) * t.ksize];
        const uint8_t* p = src + t.first[xx] * c;
        for (int ch = 0; ch < c; ++ch) {
          int32_t acc = 1 << (kPrecisionBits - 1);  // + 0.5: round half up
          for (int x = 0; x < t.count[xx]; ++x) acc += p[x * c + ch] * k[x];
          dst[xx * c + ch] = clip8(acc);
        }
      }
    }
  });
}

// Vertical pass over contiguous uint8 [in_h, row_len] into [out_h, row_len].
void resample_cols(const uint8_t* in, int64_t row_len, const Taps& t, int out_h, uint8_t* out) {
  at::parallel_for(0, out_h, 8, [&](int64_t begin, int64_t end) {
    for (int64_t yy = begin; yy < end; ++yy) {
      const int32_t* k = &t.weights[static_cast<size_t>(yy) * t.ksize];
      const uint8_t* src = in + t.first[yy] * row_len;
      for (int64_t i = 0; i < row_len; ++i) {
        int32_t acc = 1 << (kPrecisionBits - 1);
        for (int y = 0; y < t.count[yy]; ++y) acc += src[y * row_len + i] * k[y];
        out[yy * row_len + i] = clip8(acc);
      }
    }
  });
}

// Pillow's NEAREST resize (an affine scale): source index floor((i + 0.5) * scale), accumulated in
// double as Pillow does.
at::Tensor nearest_indices(int64_t in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  at::Tensor idx = at::empty({out_size}, at::kLong);
  int64_t* p = idx.data_ptr<int64_t>();
  double pos = scale * 0.5;
  for (int i = 0; i < out_size; ++i, pos += scale) p[i] = std::min(static_cast<int64_t>(pos), in_size - 1);
  return idx;
}

// Image.resize((width, height), resample) on uint8 [H, W, C].
at::Tensor resize_hwc(const at::Tensor& image, int width, int height, int resample) {
  const int64_t in_h = image.size(0), in_w = image.size(1), c = image.size(2);
  if (in_h == height && in_w == width) return image;
  if (resample == 0) {
    return image.index_select(0, nearest_indices(in_h, height)).index_select(1, nearest_indices(in_w, width));
  }
  at::Tensor x = image.contiguous();
  if (in_w != width) {  // Pillow skips a pass whose axis keeps its size
    at::Tensor tmp = at::empty({in_h, width, c}, at::kByte);
    resample_rows(x.data_ptr<uint8_t>(), in_h, static_cast<int>(in_w), static_cast<int>(c),
                  pil_taps(static_cast<int>(in_w), width, resample), width, tmp.data_ptr<uint8_t>());
    x = tmp;
  }
  if (in_h != height) {
    at::Tensor tmp = at::empty({height, x.size(1), c}, at::kByte);
    resample_cols(x.data_ptr<uint8_t>(), x.size(1) * c, pil_taps(static_cast<int>(in_h), height, resample), height,
                  tmp.data_ptr<uint8_t>());
    x = tmp;
  }
  return x;
}

// Per-channel (x - mean) / std on NCHW.
at::Tensor normalize_nchw(const at::Tensor& x, const std::vector<double>& mean, const std::vector<double>& std) {
  const int64_t c = x.size(1);
  auto per_channel = [&](const std::vector<double>& v) {
    at::Tensor t = at::tensor(v, at::TensorOptions().dtype(at::kDouble));
    return (v.size() == 1 ? t.expand({c}) : t).view({1, c, 1, 1});
  };
  return (x - per_channel(mean)) / per_channel(std);
}

// The whole pipeline on a uint8 NHWC batch; returns float32 NCHW.
at::Tensor apply_nhwc(at::Tensor x, const ImageOps& ops) {
  if (ops.gray_scale && x.size(3) == 3) x = gray_nhwc(x);
  if (!ops.gray_scale && x.size(3) == 1) x = x.expand({x.size(0), x.size(1), x.size(2), 3});
  if (ops.mirror) x = x.flip({2});
  if (ops.size) {
    std::vector<at::Tensor> resized;
    for (int64_t i = 0; i < x.size(0); ++i) {
      resized.push_back(resize_hwc(x[i], ops.size->first, ops.size->second, ops.resample));
    }
    x = at::stack(resized);
  }
  at::Tensor y = x.permute({0, 3, 1, 2}).to(at::kFloat);
  // Pixels are exact in float32; the arithmetic after them runs in double as numpy would.
  if (!ops.rescale && ops.mean.empty()) return y.contiguous();
  y = y.to(at::kDouble);
  if (ops.rescale) y = y * *ops.rescale;
  if (!ops.mean.empty()) y = normalize_nchw(y, ops.mean, ops.std);
  return y.to(at::kFloat).contiguous();
}

std::string shape_text(const at::Tensor& chw) {
  return std::to_string(chw.size(-1)) + "x" + std::to_string(chw.size(-2));
}

}  // namespace

at::Tensor image_apply(const at::Tensor& hwc_uint8, const ImageOps& ops) {
  validate_ops(ops);
  return apply_nhwc(as_hwc(hwc_uint8).unsqueeze(0), ops).squeeze(0);
}

at::Tensor image_apply_batch(const std::vector<at::Tensor>& hwc_uint8_images, const ImageOps& ops) {
  HEZAR_CHECK_INPUT(!hwc_uint8_images.empty(), kWhere, "no images to process");
  validate_ops(ops);
  std::vector<at::Tensor> images;
  images.reserve(hwc_uint8_images.size());
  bool same_shape = true;
  for (const at::Tensor& image : hwc_uint8_images) {
    images.push_back(as_hwc(image));
    same_shape = same_shape && images.back().sizes() == images.front().sizes();
  }
  if (same_shape) return apply_nhwc(at::stack(images), ops);
  std::vector<at::Tensor> outputs;
  outputs.reserve(images.size());
  for (const at::Tensor& image : images) {
    outputs.push_back(apply_nhwc(image.unsqueeze(0), ops).squeeze(0));
    HEZAR_CHECK_INPUT(outputs.back().sizes() == outputs.front().sizes(), kWhere,
                      "images come out in different sizes (", shape_text(outputs.front()), " and ",
                      shape_text(outputs.back()), " as width x height); set size to resize them to one size");
  }
  return at::stack(outputs);
}

}  // namespace hezar
