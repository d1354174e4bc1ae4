// The flagship's data loading and model code (examples/fashion_mnist): the IDX checks on small
// generated .gz files, normalising, the split, training, the model file, and the pipeline
// itself on a tiny generated data set, in memory and with a real run store.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <typeflow/store.hpp>
#include <typeflow/typeflow.hpp>

#include "fashion_mnist.hpp"
#include "pipeline.hpp"
#include "store_testing.hpp"

namespace fs = std::filesystem;
namespace tyf = typeflow;
using Catch::Matchers::Contains;

namespace {

void put_be(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void write_gz(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  if (!bytes.empty())
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

struct idx_spec {
  std::uint32_t image_magic = 2051, label_magic = 2049;
  std::uint32_t rows = 28, cols = 28;
  std::uint32_t image_count_in_header = 0;  // 0: the real count
  std::uint32_t label_count_in_header = 0;
  std::size_t drop_pixel_bytes = 0;  // truncate the image data by this many bytes
  std::size_t extra_pixel_bytes = 0;
  std::uint8_t label_shift = 0;  // written labels are (class + shift) % 10: wrong on purpose
};

/// Images whose class c is a bright horizontal band at rows 2c..2c+1 on faint noise: easy
/// to learn, so a correct trainer reaches (almost) 100 %.
void write_set(const fs::path& dir, const std::string& prefix,
               const std::vector<std::uint8_t>& labels, const idx_spec& spec = {},
               std::uint32_t seed = 7) {
  fs::create_directories(dir);
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> img, lab;
  put_be(img, spec.image_magic);
  put_be(img, spec.image_count_in_header ? spec.image_count_in_header
                                         : static_cast<std::uint32_t>(labels.size()));
  put_be(img, spec.rows);
  put_be(img, spec.cols);
  for (auto label : labels) {
    for (std::uint32_t r = 0; r < spec.rows; ++r) {
      for (std::uint32_t c = 0; c < spec.cols; ++c) {
        const bool band = r / 2 == label % 10;
        img.push_back(static_cast<std::uint8_t>(band ? 200 + rng() % 56 : rng() % 40));
      }
    }
  }
  img.resize(img.size() - spec.drop_pixel_bytes);
  img.insert(img.end(), spec.extra_pixel_bytes, 0);
  put_be(lab, spec.label_magic);
  put_be(lab, spec.label_count_in_header ? spec.label_count_in_header
                                         : static_cast<std::uint32_t>(labels.size()));
  for (auto label : labels) {
    lab.push_back(label < 10 ? static_cast<std::uint8_t>((label + spec.label_shift) % 10) : label);
  }
  write_gz(dir / (prefix + "-images-idx3-ubyte.gz"), img);
  write_gz(dir / (prefix + "-labels-idx1-ubyte.gz"), lab);
}

std::vector<std::uint8_t> cycling_labels(std::size_t n, std::uint32_t seed = 1) {
  std::vector<std::uint8_t> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<std::uint8_t>(i % 10);
  std::shuffle(y.begin(), y.end(), std::mt19937(seed));
  return y;
}

std::string load_error(const fs::path& dir, const std::string& prefix = "train") {
  try {
    (void)fashion::load_idx(dir, prefix);
  } catch (const fashion::data_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("load_idx reads images and labels and checks them", "[examples][fashion]") {
  typeflow::test::temp_dir dir;
  const auto labels = cycling_labels(30);
  write_set(dir.path(), "train", labels);

  auto im = fashion::load_idx(dir.path(), "train");
  CHECK(im.rows == 28);
  CHECK(im.cols == 28);
  REQUIRE(im.count() == 30);
  CHECK(im.labels == labels);
  REQUIRE(im.pixels.size() == 30 * 784);
  // The band of image 0's class is bright, the rest faint.
  const std::size_t band_row = 2u * labels[0];
  CHECK(im.pixels[band_row * 28 + 5] >= 200);
  CHECK(im.pixels[((band_row + 5) % 28) * 28 + 5] < 40);

  auto first = fashion::load_idx(dir.path(), "train", 7);
  CHECK(first.count() == 7);
  CHECK(std::equal(first.pixels.begin(), first.pixels.end(), im.pixels.begin()));
}

TEST_CASE("load_idx names the file and the problem of bad input", "[examples][fashion]") {
  typeflow::test::temp_dir dir;
  const auto labels = cycling_labels(12);
  const auto images = (dir.path() / "train-images-idx3-ubyte.gz").string();
  const auto label_file = (dir.path() / "train-labels-idx1-ubyte.gz").string();

  SECTION("a missing file") {
    CHECK_THAT(load_error(dir.path()), Contains(images) && Contains("missing"));
    write_set(dir.path(), "train", labels);
    fs::remove(label_file);
    CHECK_THAT(load_error(dir.path()), Contains(label_file) && Contains("missing"));
  }
  SECTION("a wrong magic number") {
    idx_spec bad;
    bad.image_magic = 2049;
    write_set(dir.path(), "train", labels, bad);
    CHECK_THAT(load_error(dir.path()), Contains(images) && Contains("not an IDX image file") &&
                                           Contains("0x00000801") && Contains("2051"));
    idx_spec bad_labels;
    bad_labels.label_magic = 2051;
    write_set(dir.path(), "train", labels, bad_labels);
    CHECK_THAT(load_error(dir.path()), Contains(label_file) && Contains("not an IDX label file"));
  }
  SECTION("images that are not 28x28") {
    idx_spec bad;
    bad.rows = bad.cols = 32;
    write_set(dir.path(), "train", labels, bad);
    CHECK_THAT(load_error(dir.path()),
               Contains(images) && Contains("32x32") && Contains("expected 28x28"));
  }
  SECTION("different counts of images and labels") {
    idx_spec bad;
    bad.label_count_in_header = 11;
    write_set(dir.path(), "train", labels, bad);
    CHECK_THAT(load_error(dir.path()),
               Contains(label_file) && Contains("has 11 labels") && Contains("12 images"));
  }
  SECTION("a label outside 0-9") {
    auto wrong = labels;
    wrong[5] = 12;
    write_set(dir.path(), "train", wrong);
    CHECK_THAT(load_error(dir.path()), Contains(label_file) && Contains("label 12 at index 5"));
  }
  SECTION("pixel data cut short") {
    idx_spec bad;
    bad.drop_pixel_bytes = 100;
    write_set(dir.path(), "train", labels, bad);
    CHECK_THAT(load_error(dir.path()), Contains(images) && Contains("truncated") &&
                                           Contains("needs 9408 bytes, the file has 9308"));
  }
  SECTION("a gzip stream cut in the middle") {
    write_set(dir.path(), "train", labels);
    const auto size = fs::file_size(images);
    fs::resize_file(images, size / 2);
    const auto what = load_error(dir.path());
    CHECK_THAT(what, Contains(images));
    CHECK(
        (what.find("truncated") != std::string::npos || what.find("damaged") != std::string::npos));
  }
  SECTION("data after the last image") {
    idx_spec bad;
    bad.extra_pixel_bytes = 784;
    write_set(dir.path(), "train", labels, bad);
    CHECK_THAT(load_error(dir.path()), Contains(images) && Contains("data after its last image"));
  }
  SECTION("not a gzip file at all is read as raw bytes by zlib, and then fails the magic check") {
    std::ofstream(images, std::ios::binary) << "hello, world: not an IDX file";
    std::ofstream(label_file, std::ios::binary) << "x";
    CHECK_THAT(load_error(dir.path()), Contains(images) && Contains("magic number"));
  }
}

// Issue 15, defect 10: gzread's -1 at the end of the stream (a wrong CRC or length in the
// trailer) was taken for the end of the file, so a flipped byte gave wrong pixels and no
// error; and the image count in the header was an allocation before any pixel was read.
TEST_CASE("load_idx refuses a damaged gzip stream and a header that claims more than the file",
          "[examples][fashion]") {
  typeflow::test::temp_dir dir;
  const auto labels = cycling_labels(12);
  const auto images = (dir.path() / "train-images-idx3-ubyte.gz").string();
  const auto label_file = (dir.path() / "train-labels-idx1-ubyte.gz").string();
  write_set(dir.path(), "train", labels);
  const auto read_bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const auto write_bytes = [](const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  };
  const auto good = read_bytes(images);
  REQUIRE(good.size() > 18);

  // zlib inflates ahead into its own buffer (256 KiB here): a file smaller than that has its
  // trailer checked by the first read. 500 images (392 KB) leave the trailer to the end.
  const auto large = [&] {
    write_set(dir.path(), "train", cycling_labels(500));
    return read_bytes(images);
  };
  SECTION("a flipped byte in the CRC-32 of the trailer, read whole or with a limit") {
    auto bad = large();
    bad[bad.size() - 8] = static_cast<char>(bad[bad.size() - 8] ^ 0x01);
    write_bytes(images, bad);
    CHECK_THAT(load_error(dir.path()),
               Contains(images) && Contains("damaged") && Contains("incorrect data check"));
    std::string limited = "(no error)";
    try {
      (void)fashion::load_idx(dir.path(), "train", 3);
    } catch (const fashion::data_error& e) {
      limited = e.what();
    }
    CHECK_THAT(limited, Contains(images) && Contains("incorrect data check"));
  }
  SECTION("a flipped byte in the length of the trailer") {
    auto bad = large();
    bad[bad.size() - 4] = static_cast<char>(bad[bad.size() - 4] ^ 0x01);
    write_bytes(images, bad);
    CHECK_THAT(load_error(dir.path()), Contains(images) && Contains("incorrect length check"));
  }
  SECTION("any flipped byte after the gzip header is an error naming the file") {
    // Bytes 4-9 of the header (time, flags, OS) are not checked by gzip and change nothing.
    for (std::size_t at = 10; at < good.size(); ++at) {
      auto bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0xff);
      write_bytes(images, bad);
      INFO("byte " << at << " of " << good.size());
      CHECK_THAT(load_error(dir.path()), Contains(images));
    }
  }
  SECTION("a header claiming 2^32-1 images over 12 images' pixels") {
    idx_spec lying;
    lying.image_count_in_header = lying.label_count_in_header = 0xffffffffu;
    write_set(dir.path(), "train", labels, lying);
    CHECK_THAT(load_error(dir.path()),
               Contains(images) && Contains("truncated") && Contains("the file has 9408"));
    // With a limit, the records after it must still be there.
    std::string limited = "(no error)";
    try {
      (void)fashion::load_idx(dir.path(), "train", 5);
    } catch (const fashion::data_error& e) {
      limited = e.what();
    }
    CHECK_THAT(limited, Contains(images) && Contains("truncated"));
  }
  SECTION("a plain (not gzip'd) IDX file with a lying count") {
    std::vector<std::uint8_t> img;
    put_be(img, 2051);
    put_be(img, 1000000);
    put_be(img, 28);
    put_be(img, 28);
    img.resize(img.size() + 784, 0);
    write_bytes(images, std::string(img.begin(), img.end()));
    std::vector<std::uint8_t> lab;
    put_be(lab, 2049);
    put_be(lab, 1000000);
    lab.push_back(0);
    write_bytes(label_file, std::string(lab.begin(), lab.end()));
    CHECK_THAT(load_error(dir.path()),
               Contains(images) && Contains("truncated") && Contains("the file has 784"));
  }
}

TEST_CASE("normalise maps pixels to [0, 1] and split is seeded and complete",
          "[examples][fashion]") {
  fashion::Images im;
  im.rows = im.cols = 28;
  im.labels = cycling_labels(50);
  im.pixels.resize(50 * 784);
  for (std::size_t i = 0; i < im.pixels.size(); ++i)
    im.pixels[i] = static_cast<std::uint8_t>(i % 256);
  for (std::size_t j = 0; j < 50; ++j) im.pixels[j * 784] = static_cast<std::uint8_t>(j);  // an id
  auto f = fashion::normalise(im);
  REQUIRE(f.n == 50);
  CHECK(f.x[0] == 0.0f);
  CHECK(f.x[255] == 1.0f);
  CHECK(f.x[51] == Approx(0.2));
  CHECK(std::all_of(f.x.begin(), f.x.end(), [](float v) { return v >= 0.0f && v <= 1.0f; }));

  auto a = fashion::split(f, 0.2, 42);
  auto b = fashion::split(f, 0.2, 42);
  auto c = fashion::split(f, 0.2, 43);
  CHECK(a.validation.n == 10);
  CHECK(a.train.n == 40);
  CHECK(a.train.x.size() == 40 * 784);
  CHECK(a.validation.x == b.validation.x);
  CHECK(a.validation.y == b.validation.y);
  CHECK(a.validation.x != c.validation.x);
  // Every example lands in exactly one part, whole and with its own label.
  std::vector<int> seen(50, 0);
  for (const auto* part : {&a.train, &a.validation}) {
    for (std::size_t i = 0; i < part->n; ++i) {
      const auto id = static_cast<std::size_t>(std::lround(part->x[i * 784] * 255.0f));
      REQUIRE(id < 50);
      ++seen[id];
      CHECK(part->y[i] == f.y[id]);
      CHECK(std::equal(part->x.begin() + static_cast<std::ptrdiff_t>(i * 784),
                       part->x.begin() + static_cast<std::ptrdiff_t>(i * 784 + 784),
                       f.x.begin() + static_cast<std::ptrdiff_t>(id * 784)));
    }
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));

  CHECK_THROWS_WITH(fashion::split(f, 1.0, 1), Contains("val_fraction"));

  // The split the pipeline stores keeps the bytes and picks the same rows.
  const auto images = fashion::split_images(im, 0.2, 42);
  CHECK(images.validation.count() == 10);
  CHECK(images.train.count() == 40);
  CHECK(images.train.rows == 28);
  const auto same = fashion::normalise_split(images);
  CHECK(same.train.x == a.train.x);
  CHECK(same.train.y == a.train.y);
  CHECK(same.validation.x == a.validation.x);
  CHECK(same.validation.y == a.validation.y);
  CHECK_THROWS_WITH(fashion::split_images(im, 0.0, 1), Contains("val_fraction"));
}

TEST_CASE("training learns a separable problem, reports every epoch and honours stop",
          "[examples][fashion]") {
  typeflow::test::temp_dir dir;
  write_set(dir.path(), "train", cycling_labels(300));
  auto data = fashion::split(fashion::normalise(fashion::load_idx(dir.path(), "train")), 0.2, 1);

  fashion::train_settings s;
  s.lr = 0.3;
  s.epochs = 3;
  s.batch = 16;
  std::vector<double> losses, vals;
  std::uint64_t last_done = 0, last_total = 0;
  fashion::train_callbacks cb;
  cb.epoch_done = [&](int epoch, double loss, double val) {
    CHECK(epoch == static_cast<int>(losses.size()));
    losses.push_back(loss);
    vals.push_back(val);
  };
  cb.progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(done == last_done + 1);
    last_done = done;
    last_total = total;
  };
  auto fit = fashion::train(data, s, cb);
  REQUIRE(losses.size() == 3);
  CHECK(losses.back() < losses.front());
  CHECK(last_done == last_total);
  CHECK(last_total == 3 * ((240 + 15) / 16));
  CHECK(fit.val_accuracy == *std::max_element(vals.begin(), vals.end()));
  CHECK(fit.val_accuracy >= 0.95);
  CHECK(fashion::accuracy(fit.model, data.validation) == fit.val_accuracy);

  int asked = 0;
  fashion::train_callbacks stop;
  stop.stop_requested = [&] { return ++asked > 5; };
  CHECK_THROWS_WITH(fashion::train(data, s, stop), Contains("stopped in epoch 1 after 5 of"));

  s.epochs = 0;
  CHECK_THROWS_WITH(fashion::train(data, s), Contains("epochs >= 1"));
}

namespace {

/// Two classes that no linear model separates: the upper and the lower half of the image are
/// each bright or dark, and the class is whether exactly one of them is bright (XOR).
fashion::Split xor_halves(std::size_t n, std::uint32_t seed) {
  fashion::Features f;
  f.n = n;
  f.x.resize(n * fashion::pixels);
  f.y.resize(n);
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const bool upper = (i & 1u) != 0, lower = (i & 2u) != 0;
    f.y[i] = static_cast<std::uint8_t>(upper != lower);
    for (std::size_t k = 0; k < fashion::pixels; ++k) {
      const bool bright = k < fashion::pixels / 2 ? upper : lower;
      f.x[i * fashion::pixels + k] =
          (bright ? 0.8f : 0.1f) + static_cast<float>(rng() % 100) / 1000.0f;
    }
  }
  return fashion::split(f, 0.25, seed);
}

}  // namespace

TEST_CASE("an MLP learns what softmax regression cannot, the same way every time",
          "[examples][fashion]") {
  const auto data = xor_halves(400, 5);
  fashion::train_settings s;
  s.lr = 0.05;
  s.momentum = 0.9;
  s.lr_decay = 0.3;
  s.epochs = 4;
  s.batch = 16;
  s.seed = 3;
  const auto linear = fashion::train(data, s);
  CHECK(linear.kind == fashion::model_kind::softmax);
  CHECK(linear.hidden == 0);
  CHECK(linear.val_accuracy <= 0.8);  // a linear model gets at most 3 of the 4 patterns right

  s.kind = fashion::model_kind::mlp;
  s.hidden = 20;  // padded to 32 units inside
  int epochs_seen = 0;
  fashion::train_callbacks cb;
  cb.epoch_done = [&](int, double, double) { ++epochs_seen; };
  const auto mlp = fashion::train(data, s, cb);
  CHECK(epochs_seen == 4);
  CHECK(mlp.kind == fashion::model_kind::mlp);
  CHECK(mlp.hidden == 20);
  CHECK(mlp.model.kind == fashion::model_kind::mlp);
  CHECK(mlp.model.b.size() == 32);
  CHECK(mlp.model.w.size() == 32 * fashion::pixels);
  CHECK(mlp.val_accuracy >= 0.95);
  CHECK(fashion::accuracy(mlp.model, data.validation) == mlp.val_accuracy);
  // The padding units never move from zero.
  for (std::size_t j = 20; j < 32; ++j) {
    CHECK(mlp.model.b[j] == 0.0f);
    CHECK(mlp.model.w[5 * 32 + j] == 0.0f);
    CHECK(mlp.model.w2[j * fashion::lanes + 1] == 0.0f);
  }

  // Deterministic: the seed fixes the initial weights and the order of the examples.
  const auto again = fashion::train(data, s);
  CHECK(again.model.w == mlp.model.w);
  CHECK(again.model.w2 == mlp.model.w2);
  CHECK(again.val_accuracy == mlp.val_accuracy);
  s.seed = 4;
  CHECK(fashion::train(data, s).model.w != mlp.model.w);

  s.hidden = 0;
  CHECK_THROWS_WITH(fashion::train(data, s), Contains("hidden units, got 0"));
  s.hidden = 20;
  s.momentum = 1.0;
  CHECK_THROWS_WITH(fashion::train(data, s), Contains("momentum < 1"));
}

TEST_CASE("an MLP's model file round-trips and is checked when read", "[examples][fashion]") {
  typeflow::test::temp_dir dir;
  const auto m = fashion::Model::mlp(20, 9);
  CHECK(m.kind == fashion::model_kind::mlp);
  CHECK(m.hidden == 20);
  const auto path = dir.path() / "mlp.bin";
  const std::size_t size = 20 + 4 * (20 + 20 * 784 + 10 + 10 * 20);
  CHECK(fashion::write_model(m, path) == size);
  CHECK(fs::file_size(path) == size);
  const auto back = fashion::read_model(path);
  CHECK(back.kind == fashion::model_kind::mlp);
  CHECK(back.hidden == 20);
  CHECK(back.w == m.w);
  CHECK(back.b == m.b);
  CHECK(back.w2 == m.w2);
  CHECK(back.b2 == m.b2);
  // He-uniform weights: within sqrt(6 / fan-in), not all zero.
  const auto bound = static_cast<float>(std::sqrt(6.0 / 784.0));
  CHECK(std::all_of(m.w.begin(), m.w.end(), [&](float v) { return std::abs(v) <= bound; }));
  CHECK(std::any_of(m.w.begin(), m.w.end(), [](float v) { return v != 0.0f; }));

  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  CHECK(bytes.substr(0, 6) == "TFMLP1");
  CHECK(bytes[16] == 20);  // hidden units, little-endian
  bytes[16] = 0;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  CHECK_THROWS_WITH(fashion::read_model(path), Contains("has 0 hidden units, expected 1 to 4096"));
  bytes[16] = 21;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  CHECK_THROWS_WITH(fashion::read_model(path), Contains("bytes, expected"));

  // A model whose arrays do not fit its kind is refused, not read out of bounds.
  auto bad = m;
  bad.w2.pop_back();
  CHECK_THROWS_WITH(fashion::model_bytes(bad), Contains("w2 has 511 values, expected 512"));
  CHECK_THROWS_WITH(fashion::predict(bad, m.w.data()), Contains("w2 has 511 values"));
  bad = fashion::Model{};
  CHECK_THROWS_WITH(fashion::accuracy(bad, {}), Contains("model: w has 0 values, expected 12544"));
}

TEST_CASE("the flagship sweeps softmax regression and the MLP, gated at 0.88",
          "[examples][fashion]") {
  tyf::pipeline p{"fashion-mnist"};
  fashion::define(p);
  std::map<std::string, std::string> defaults;
  for (const auto& info : p.params()) defaults[info.name] = info.default_value.value_or("");
  CHECK_THAT(defaults["models"], Contains("softmax") && Contains("mlp"));
  CHECK(defaults["min_accuracy"] == "0.88");
  CHECK(defaults["hidden"] == "256");
  CHECK(defaults["epochs"] == "15");
}

TEST_CASE("best_of picks the highest validation accuracy, evaluate counts per class",
          "[examples][fashion]") {
  std::vector<fashion::Fit> fits(3);
  fits[0].val_accuracy = 0.5;
  fits[1].val_accuracy = 0.8;
  fits[1].lr = 0.3;
  fits[2].val_accuracy = 0.8;
  CHECK(fashion::best_of(fits).lr == 0.3);
  CHECK_THROWS(fashion::best_of({}));

  // A model that always says "class 3": accuracy = share of class 3, confusion in column 3.
  auto m = fashion::Model::zeros();
  m.b[3] = 1.0f;
  fashion::Images test;
  test.rows = test.cols = 28;
  test.labels = cycling_labels(40);
  test.pixels.assign(40 * 784, 10);
  auto s = fashion::evaluate(m, test);
  CHECK(s.accuracy == Approx(0.1));
  CHECK(s.per_class[3] == 1.0);
  CHECK(s.per_class[0] == 0.0);
  CHECK(s.confusion[0 * 10 + 3] == 4);
  CHECK(s.confusion[3 * 10 + 3] == 4);
}

TEST_CASE("the model file round-trips, is written atomically and is checked when read",
          "[examples][fashion]") {
  typeflow::test::temp_dir dir;
  auto m = fashion::Model::zeros();
  for (std::size_t k = 0; k < fashion::pixels; ++k) {
    for (std::size_t c = 0; c < fashion::classes; ++c)
      m.w[k * fashion::lanes + c] = static_cast<float>(k) - 0.5f * static_cast<float>(c);
  }
  for (std::size_t c = 0; c < fashion::classes; ++c) m.b[c] = 0.25f * static_cast<float>(c);
  const auto path = dir.path() / "sub" / "model.bin";
  CHECK(fashion::write_model(m, path) == 16 + 4 * (10 + 7840));
  CHECK(fs::file_size(path) == 16 + 4 * (10 + 7840));
  CHECK(std::distance(fs::directory_iterator(path.parent_path()), fs::directory_iterator{}) ==
        1);  // no temp left
  auto back = fashion::read_model(path);
  CHECK(back.w == m.w);
  CHECK(back.b == m.b);

  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  CHECK(bytes.substr(0, 6) == "TFSMX1");
  CHECK(bytes[8] == 10);  // classes, little-endian
  CHECK(bytes[12] == static_cast<char>(784 & 0xff));
  bytes[0] = 'X';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  CHECK_THROWS_WITH(fashion::read_model(path), Contains("wrong magic"));
  bytes[0] = 'T';
  bytes.pop_back();
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  CHECK_THROWS_WITH(fashion::read_model(path), Contains("has 31415 bytes, expected 31416"));
}

TEST_CASE("the flagship pipeline runs on generated data, gates and is served from the cache",
          "[examples][fashion]") {
  typeflow::test::temp_dir dir;
  const auto data = dir.path() / "data";
  write_set(data, "train", cycling_labels(400, 3), {}, 11);
  write_set(data, "t10k", cycling_labels(100, 4), {}, 12);
  const auto model = (dir.path() / "model.bin").string();

  tyf::pipeline p{"fashion-mnist"};
  fashion::define(p);
  auto opts = tyf::store_options{}
                  .store(dir.path() / "store")
                  .set("data_dir", data.string())
                  .set("epochs", "2")
                  .set("learning_rates", "0.01,0.03")
                  .set("l2", "0")
                  .set("hidden", "16")
                  .set("model_path", model);

  tyf::store st{dir.path() / "store"};
  auto first = st.run(p, opts);
  INFO(first.summary());
  REQUIRE(first.ok());
  CHECK(first.step("train[1]").status == tyf::step_status::succeeded);
  CHECK(first.step("train[3]").status == tyf::step_status::succeeded);  // the MLPs: 2 and 3
  double test_accuracy = -1;
  int loss_points = 0;
  for (const auto& m : first.metrics()) {
    if (m.step == "evaluate" && m.name == "test_accuracy") test_accuracy = m.value;
    if (m.name == "loss") ++loss_points;
  }
  CHECK(test_accuracy >= 0.95);
  CHECK(loss_points == 8);  // 4 configurations (softmax and mlp x 2 rates) x 2 epochs
  REQUIRE(fs::exists(model));
  CHECK(fashion::read_model(model).b.size() == fashion::lanes);

  // Same parameters: everything after the (unstored) training images comes from the cache,
  // and the model file is written again.
  fs::remove(model);
  auto second = st.run(p, opts);
  REQUIRE(second.ok());
  CHECK(second.step("load-test").status == tyf::step_status::cached);
  CHECK(second.step("split").status == tyf::step_status::cached);  // stored: the sweep reads it
  CHECK(second.step("train").status == tyf::step_status::cached);
  CHECK(second.step("evaluate").status == tyf::step_status::cached);
  CHECK(second.step("load-train").status == tyf::step_status::succeeded);  // .persist(false)
  CHECK(second.step("export").status == tyf::step_status::succeeded);      // .cache(false)
  CHECK(fs::exists(model));

  // The quality gate: test labels that do not match the images score about 0, below the
  // default bar of 0.8: the run fails at the gate and nothing is exported.
  const auto wrong = dir.path() / "wrong";
  fs::copy(data, wrong);
  idx_spec shifted;
  shifted.label_shift = 1;
  write_set(wrong, "t10k", cycling_labels(100, 4), shifted, 12);
  fs::remove(model);
  auto gated = st.run(p, tyf::store_options{opts}.set("data_dir", wrong.string()));
  INFO(gated.summary());
  CHECK(gated.status() == tyf::run_status::failed);
  CHECK(gated.step("export").status == tyf::step_status::skipped);
  CHECK_THAT(gated.summary(), Contains("quality gate failed: test accuracy >= min_accuracy"));
  CHECK(!fs::exists(model));

  // Files that change under the same data_dir are loaded again (data-files is in the keys),
  // and bad data is one clear error naming the file.
  fs::remove(data / "t10k-labels-idx1-ubyte.gz");
  auto broken = st.run(p, opts);
  CHECK(broken.status() == tyf::run_status::failed);
  CHECK(broken.step("load-test").status == tyf::step_status::failed);
  CHECK_THAT(broken.step("load-test").message, Contains("t10k-labels-idx1-ubyte.gz is missing"));
}
