#include "preprocessors/image_io.h"

#include <gtest/gtest.h>

#include "tests/testing/bad_input.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/error.h"
#include "core/file_util.h"

namespace hezar {
namespace {

std::string tmp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

at::Tensor random_image(int64_t h, int64_t w, int64_t c, uint64_t seed) {
  at::manual_seed(seed);
  return at::randint(0, 256, {h, w, c}, at::kByte);
}

// Runs `fn`, expecting BadInput, and returns its message.
using testing::bad_input_message;

TEST(ImageIo, PngRoundTripKeepsRgbPixels) {
  const at::Tensor image = random_image(5, 7, 3, 1);
  const std::string path = tmp_path("rgb.png");
  image_save_png(path, image);
  const at::Tensor loaded = image_load(path);
  EXPECT_EQ(loaded.scalar_type(), at::kByte);
  EXPECT_EQ(loaded.sizes(), image.sizes());
  EXPECT_TRUE(loaded.equal(image));
}

TEST(ImageIo, GrayPngExpandsToThreeEqualChannels) {
  const at::Tensor gray = random_image(4, 6, 1, 2);
  const at::Tensor decoded = image_decode(image_encode_png(gray), "gray.png");
  ASSERT_EQ(decoded.sizes(), (std::vector<int64_t>{4, 6, 3}));
  for (int64_t c = 0; c < 3; ++c) EXPECT_TRUE(decoded.select(2, c).equal(gray.select(2, 0))) << "channel " << c;
  // A 2-D tensor is a gray image too.
  EXPECT_TRUE(image_decode(image_encode_png(gray.squeeze(2)), "gray2d.png").equal(decoded));
}

TEST(ImageIo, AlphaIsDroppedNotComposited) {
  at::Tensor rgba = random_image(3, 5, 4, 3);
  rgba.select(2, 3).zero_();  // fully transparent: compositing on white/black would change RGB
  const at::Tensor decoded = image_decode(image_encode_png(rgba), "rgba.png");
  EXPECT_TRUE(decoded.equal(rgba.slice(2, 0, 3)));

  const at::Tensor gray_alpha = random_image(3, 5, 2, 4);
  const at::Tensor decoded_ga = image_decode(image_encode_png(gray_alpha), "ga.png");
  ASSERT_EQ(decoded_ga.sizes(), (std::vector<int64_t>{3, 5, 3}));
  for (int64_t c = 0; c < 3; ++c) EXPECT_TRUE(decoded_ga.select(2, c).equal(gray_alpha.select(2, 0)));
}

TEST(ImageIo, JpegDecodesCloseToTheOriginal) {
  // A smooth gradient survives JPEG at high quality with small errors.
  const at::Tensor ramp = at::arange(0, 64, at::kFloat) * 3.0;
  at::Tensor image = at::stack({ramp.unsqueeze(0).expand({48, 64}), ramp.unsqueeze(1).expand({64, 48}).t(),
                                at::full({48, 64}, 128.0)}, 2)
                         .to(at::kByte)
                         .contiguous();
  const at::Tensor decoded = image_decode(image_encode_jpeg(image, 95), "ramp.jpg");
  ASSERT_EQ(decoded.sizes(), image.sizes());
  const double max_err = (decoded.to(at::kInt) - image.to(at::kInt)).abs().max().item<int>();
  EXPECT_LE(max_err, 12);
}

TEST(ImageIo, DecodesRealFilesOnTheSystem) {
  const std::vector<std::string> candidates = {"/usr/share/doc/bazel-bootstrap/site/assets/bazel-stickers.jpg",
                                               "/usr/share/doc/libxslt1-dev/html/smallfootonly.gif"};
  int decoded = 0;
  for (const std::string& path : candidates) {
    if (!std::ifstream(path)) continue;
    const at::Tensor image = image_load(path);
    EXPECT_EQ(image.dim(), 3) << path;
    EXPECT_EQ(image.size(2), 3) << path;
    EXPECT_GT(image.size(0), 0) << path;
    ++decoded;
  }
  if (decoded == 0) GTEST_SKIP() << "no sample JPEG/GIF on this system";
}

TEST(ImageIo, CorruptInputIsBadInput) {
  const std::string message = bad_input_message([] { image_decode("this is not an image", "x.png"); });
  EXPECT_EQ(message.rfind("cannot decode image 'x.png': ", 0), 0u) << message;
  EXPECT_GT(message.size(), std::string("cannot decode image 'x.png': ").size());
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(ImageIo, TruncatedPngIsBadInput) {
  const std::string png = image_encode_png(random_image(32, 32, 3, 5));
  const std::string message =
      bad_input_message([&] { image_decode(png.substr(0, png.size() / 2), "cut.png"); });
  EXPECT_NE(message.find("cannot decode image 'cut.png'"), std::string::npos) << message;
}

TEST(ImageIo, EmptyFileIsBadInput) {
  const std::string path = tmp_path("empty.png");
  file_write_atomic(path, "");
  const std::string message = bad_input_message([&] { image_load(path); });
  EXPECT_NE(message.find("cannot decode image '" + path + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("empty"), std::string::npos) << message;
}

TEST(ImageIo, MissingFileIsBadInput) {
  EXPECT_THROW(image_load(tmp_path("does-not-exist.png")), BadInput);
}

TEST(ImageIo, EncodeRejectsNonImages) {
  EXPECT_THROW(image_encode_png(at::zeros({4, 4, 3}, at::kFloat)), BadInput);
  EXPECT_THROW(image_encode_png(at::zeros({4, 4, 5}, at::kByte)), BadInput);
  EXPECT_THROW(image_encode_png(at::zeros({0, 4, 3}, at::kByte)), BadInput);
  EXPECT_THROW(image_encode_jpeg(at::zeros({4, 4, 3}, at::kByte), 0), BadInput);
}

TEST(ImageIo, NonContiguousInputIsEncodedAsSeen) {
  const at::Tensor chw = random_image(3, 6, 5, 6);
  const at::Tensor hwc = chw.permute({1, 2, 0});  // a view, not contiguous
  EXPECT_TRUE(image_decode(image_encode_png(hwc), "view.png").equal(hwc));
}

}  // namespace
}  // namespace hezar
