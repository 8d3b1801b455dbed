#include "preprocessors/image_ops.h"

#include <gtest/gtest.h>

#include "tests/testing/bad_input.h"

#include <string>
#include <vector>

#include "core/error.h"

namespace hezar {
namespace {

// Builds uint8 [H, W, 3] from rows of RGB triples.
at::Tensor rgb_image(const std::vector<std::vector<std::vector<int>>>& rows) {
  const int64_t h = rows.size(), w = rows[0].size();
  at::Tensor out = at::empty({h, w, 3}, at::kByte);
  auto a = out.accessor<uint8_t, 3>();
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t c = 0; c < 3; ++c) a[y][x][c] = static_cast<uint8_t>(rows[y][x][c]);
  return out;
}

// A 1-row image whose three channels all hold `values`.
at::Tensor gray_row(const std::vector<int>& values) {
  std::vector<std::vector<int>> row;
  for (int v : values) row.push_back({v, v, v});
  return rgb_image({row});
}

std::vector<float> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.contiguous().to(at::kFloat);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

using testing::bad_input_message;

TEST(ImageOps, NoOpsGivesChwFloatOfThePixels) {
  const at::Tensor image = rgb_image({{{1, 2, 3}, {4, 5, 6}}});
  const at::Tensor out = image_apply(image, ImageOps{});
  EXPECT_EQ(out.scalar_type(), at::kFloat);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(to_vector(out), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(ImageOps, GrayScaleMatchesPilLuma) {
  // PIL: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16, e.g. red 76, green 150, blue 29.
  const at::Tensor image =
      rgb_image({{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}}, {{10, 20, 30}, {128, 128, 128}, {255, 255, 255}}});
  ImageOps ops;
  ops.gray_scale = true;
  const at::Tensor out = image_apply(image, ops);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(to_vector(out), (std::vector<float>{76, 150, 29, 18, 128, 255}));
}

TEST(ImageOps, OneChannelInputIsExpandedUnlessGray) {
  const at::Tensor gray = at::tensor({7, 9}, at::kByte).view({1, 2, 1});
  EXPECT_EQ(to_vector(image_apply(gray, ImageOps{})), (std::vector<float>{7, 9, 7, 9, 7, 9}));
  ImageOps ops;
  ops.gray_scale = true;
  EXPECT_EQ(to_vector(image_apply(gray, ops)), (std::vector<float>{7, 9}));
}

TEST(ImageOps, MirrorFlipsLeftRight) {
  ImageOps ops;
  ops.mirror = true;
  ops.gray_scale = true;
  const at::Tensor out = image_apply(gray_row({1, 2, 3}), ops);
  EXPECT_EQ(to_vector(out), (std::vector<float>{3, 2, 1}));
}

TEST(ImageOps, ResizeToTheSameSizeIsIdentity) {
  at::manual_seed(0);
  const at::Tensor image = at::randint(0, 256, {6, 8, 3}, at::kByte);
  for (int resample : {0, 2, 3}) {
    ImageOps ops;
    ops.size = std::make_pair(8, 6);
    ops.resample = resample;
    EXPECT_TRUE(image_apply(image, ops).equal(image.permute({2, 0, 1}).to(at::kFloat))) << resample;
  }
}

TEST(ImageOps, ResizeShapesAndConstantImagesStayConstant) {
  const at::Tensor image = at::full({6, 8, 3}, 77, at::kByte);
  for (int resample : {0, 2, 3}) {
    for (auto size : {std::make_pair(4, 3), std::make_pair(16, 12), std::make_pair(5, 11)}) {
      ImageOps ops;
      ops.size = size;
      ops.resample = resample;
      const at::Tensor out = image_apply(image, ops);
      ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, size.second, size.first})) << resample;
      EXPECT_TRUE(out.eq(77).all().item<bool>()) << "resample " << resample << " size " << size.first;
    }
  }
}

TEST(ImageOps, BilinearDownscaleIsAntialiasedLikePil) {
  // PIL: Image.fromarray([[0, 255, 0, 255]]).resize((2, 1), BILINEAR) -> [109, 146]: the triangle filter
  // is stretched to support 2, giving weights 0.75, 0.75, 0.25 (normalized) around each output centre.
  ImageOps ops;
  ops.gray_scale = true;
  ops.size = std::make_pair(2, 1);
  EXPECT_EQ(to_vector(image_apply(gray_row({0, 255, 0, 255}), ops)), (std::vector<float>{109, 146}));
}

TEST(ImageOps, BilinearUpscaleMatchesPil) {
  // PIL: [0, 255] resized to width 4 -> [0, 64, 191, 255] (63.75 and 191.25 rounded, kernel cut at edges).
  ImageOps ops;
  ops.gray_scale = true;
  ops.size = std::make_pair(4, 1);
  EXPECT_EQ(to_vector(image_apply(gray_row({0, 255}), ops)), (std::vector<float>{0, 64, 191, 255}));
}

TEST(ImageOps, TwoPassResizeMatchesPillowBitForBit) {
  // Expected values from Pillow 9.4: Image.fromarray(a, "L").resize(size, resample). Bicubic upscaling
  // overshoots, so Pillow's uint8 clipping between its horizontal and vertical passes shows here.
  const std::vector<std::vector<int>> a = {{0, 255, 0, 255}, {255, 0, 255, 0}, {10, 200, 30, 90}};
  at::Tensor image = at::empty({3, 4, 1}, at::kByte);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) image[y][x][0] = a[y][x];
  ImageOps ops;
  ops.gray_scale = true;
  ops.resample = 3;
  ops.size = std::make_pair(7, 5);
  EXPECT_EQ(to_vector(image_apply(image, ops)),
            (std::vector<float>{0,   81,  255, 128, 0,   174, 255, 101, 120, 156, 128, 101, 141, 161, 255, 168, 4,   128,
                                251, 87,  0,   101, 111, 118, 125, 117, 69,  50,  0,   67,  212, 123, 10,  63,  102}));
  ops.size = std::make_pair(3, 2);
  EXPECT_EQ(to_vector(image_apply(image, ops)), (std::vector<float>{117, 128, 143, 109, 123, 66}));
  ops.resample = 2;
  EXPECT_EQ(to_vector(image_apply(image, ops)), (std::vector<float>{115, 128, 140, 109, 120, 74}));
}

TEST(ImageOps, NearestSamplesPixelCentresLikePil) {
  ImageOps ops;
  ops.gray_scale = true;
  ops.resample = 0;
  ops.size = std::make_pair(2, 1);
  EXPECT_EQ(to_vector(image_apply(gray_row({10, 20, 30, 40}), ops)), (std::vector<float>{20, 40}));
  ops.size = std::make_pair(4, 1);
  EXPECT_EQ(to_vector(image_apply(gray_row({10, 20}), ops)), (std::vector<float>{10, 10, 20, 20}));
}

TEST(ImageOps, ResizedValuesAreWholeNumbersInRange) {
  at::manual_seed(1);
  const at::Tensor image = at::randint(0, 256, {17, 23, 3}, at::kByte);
  for (int resample : {2, 3}) {
    ImageOps ops;
    ops.size = std::make_pair(9, 31);
    ops.resample = resample;
    const at::Tensor out = image_apply(image, ops);
    EXPECT_TRUE(out.eq(out.round()).all().item<bool>());
    EXPECT_GE(out.min().item<float>(), 0.0f);
    EXPECT_LE(out.max().item<float>(), 255.0f);
  }
}

TEST(ImageOps, RescaleAndNormalize) {
  ImageOps ops;
  ops.rescale = 1.0 / 255.0;
  ops.mean = {0.5};
  ops.std = {0.5};
  const std::vector<float> out = to_vector(image_apply(gray_row({0, 51, 255}), ops));
  const std::vector<float> expected = {-1.0f, static_cast<float>((51.0 / 255.0 - 0.5) / 0.5), 1.0f};
  ASSERT_EQ(out.size(), 9u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_FLOAT_EQ(out[i], expected[i % 3]) << i;
}

TEST(ImageOps, PerChannelNormalizeWithoutRescale) {
  ImageOps ops;
  ops.mean = {0.1, 0.2, 0.3};
  ops.std = {1.0, 2.0, 4.0};
  const std::vector<float> out = to_vector(image_apply(rgb_image({{{10, 20, 30}}}), ops));
  EXPECT_EQ(out, (std::vector<float>{static_cast<float>((10 - 0.1) / 1.0), static_cast<float>((20 - 0.2) / 2.0),
                                     static_cast<float>((30 - 0.3) / 4.0)}));
}

TEST(ImageOps, MeanStdLengthMustMatchChannels) {
  ImageOps ops;
  ops.gray_scale = true;
  ops.mean = {0.5, 0.5, 0.5};
  ops.std = {0.5, 0.5, 0.5};
  EXPECT_EQ(bad_input_message([&] { image_apply(gray_row({1}), ops); }),
            "image_processor: mean has 3 values but the image has 1 channel");
  ops.gray_scale = false;
  ops.std = {0.5, 0.5};
  EXPECT_EQ(bad_input_message([&] { image_apply(gray_row({1}), ops); }),
            "image_processor: std has 2 values but the image has 3 channels");
}

TEST(ImageOps, InvalidOpsAndImagesAreBadInput) {
  ImageOps mean_only;
  mean_only.mean = {0.5};
  EXPECT_THROW(image_apply(gray_row({1}), mean_only), BadInput);
  ImageOps zero_std;
  zero_std.mean = {0.5};
  zero_std.std = {0.0};
  EXPECT_THROW(image_apply(gray_row({1}), zero_std), BadInput);
  ImageOps lanczos;
  lanczos.size = std::make_pair(2, 2);
  lanczos.resample = 1;
  EXPECT_THROW(image_apply(gray_row({1}), lanczos), BadInput);
  ImageOps bad_size;
  bad_size.size = std::make_pair(0, 2);
  EXPECT_THROW(image_apply(gray_row({1}), bad_size), BadInput);
  EXPECT_THROW(image_apply(at::zeros({2, 2, 3}, at::kFloat), ImageOps{}), BadInput);
  EXPECT_THROW(image_apply(at::zeros({2, 2, 4}, at::kByte), ImageOps{}), BadInput);
}

TEST(ImageOps, BatchMatchesSingleImages) {
  at::manual_seed(2);
  const at::Tensor a = at::randint(0, 256, {10, 12, 3}, at::kByte);
  const at::Tensor b = at::randint(0, 256, {10, 12, 3}, at::kByte);
  const at::Tensor c = at::randint(0, 256, {7, 5, 3}, at::kByte);
  ImageOps ops;
  ops.size = std::make_pair(6, 4);
  ops.rescale = 1.0 / 255.0;
  ops.mean = {0.485, 0.456, 0.406};
  ops.std = {0.229, 0.224, 0.225};
  ops.mirror = true;
  const at::Tensor same = image_apply_batch({a, b}, ops);
  ASSERT_EQ(same.sizes(), (std::vector<int64_t>{2, 3, 4, 6}));
  EXPECT_TRUE(same[0].equal(image_apply(a, ops)));
  EXPECT_TRUE(same[1].equal(image_apply(b, ops)));
  const at::Tensor mixed = image_apply_batch({a, c}, ops);
  EXPECT_TRUE(mixed[1].equal(image_apply(c, ops)));
  EXPECT_THROW(image_apply_batch({a, c}, ImageOps{}), BadInput);
  EXPECT_THROW(image_apply_batch({}, ops), BadInput);
}

}  // namespace
}  // namespace hezar
