#pragma once
// Fashion-MNIST for the flagship pipeline: reading and checking the gzip'd IDX files,
// normalising, a seeded train/validation split, two classifiers trained by mini-batch SGD
// (softmax regression, and a small MLP with one hidden ReLU layer), their evaluation, and the
// exported model file. Plain C++ with zlib; the pipeline (pipeline.hpp) wires these functions
// into typed steps.
//
// Model files (little-endian, written atomically: temporary file, fsync, rename; an input x is
// pixel / 255, row-major, 784 = 28x28 values):
// softmax regression, "TFSMX1":
//   offset  0  8 bytes  magic "TFSMX1\0\0"
//   offset  8  u32      classes C (10)
//   offset 12  u32      inputs D (784)
//   offset 16  f32[C]   biases b
//   offset ..  f32[C*D] weights, class-major: w[c*D + k]
//   class = argmax_c (b[c] + sum_k w[c*D+k] * x[k]).
// MLP, "TFMLP1":
//   offset  0  8 bytes  magic "TFMLP1\0\0"
//   offset  8  u32      classes C (10)
//   offset 12  u32      inputs D (784)
//   offset 16  u32      hidden units H
//   offset 20  f32[H]   hidden biases b1
//   offset ..  f32[H*D] hidden weights, unit-major: w1[j*D + k]
//   offset ..  f32[C]   output biases b2
//   offset ..  f32[C*H] output weights, class-major: w2[c*H + j]
//   h[j] = max(0, b1[j] + sum_k w1[j*D+k] * x[k]); class = argmax_c (b2[c] + sum_j w2[c*H+j] * h[j]).

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>
#include <zlib.h>

#include <boost/hana/define_struct.hpp>

namespace fashion {

inline constexpr std::uint32_t image_magic = 2051;  // IDX: unsigned bytes, 3 dimensions
inline constexpr std::uint32_t label_magic = 2049;  // IDX: unsigned bytes, 1 dimension
inline constexpr std::size_t side = 28;
inline constexpr std::size_t pixels = side * side;  // D
inline constexpr std::size_t classes = 10;          // C
/// Weights are kept input-major with the class axis padded to 16 lanes, so the two inner
/// loops of training (logits += x[k] * w[k][:], grad[k][:] += x[k] * g[:]) are plain
/// element-wise loops of a fixed length that -O2 vectorises.
inline constexpr std::size_t lanes = 16;

inline constexpr std::array<const char*, classes> class_names = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/// A data file that is missing, unreadable or not what it should be; what() names the file
/// and the problem.
class data_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One IDX pair: count images of rows x cols unsigned-byte pixels and their labels.
struct Images {
  BOOST_HANA_DEFINE_STRUCT(Images, (std::uint32_t, rows), (std::uint32_t, cols),
                           (std::vector<std::uint8_t>, pixels),
                           (std::vector<std::uint8_t>, labels));
  [[nodiscard]] std::size_t count() const noexcept { return labels.size(); }
};

/// Normalised examples: n rows of D floats in [0, 1], and their labels.
struct Features {
  std::size_t n = 0;
  std::vector<float> x;
  std::vector<std::uint8_t> y;
};

struct Split {
  Features train, validation;
};

/// The training images split as `split` splits their features, still as bytes: what the
/// pipeline stores (47 MB for the 60,000 images, a quarter of the floats), so that each
/// training reads it from the store and normalises it itself (normalise_split).
struct ImageSplit {
  BOOST_HANA_DEFINE_STRUCT(ImageSplit, (Images, train), (Images, validation));
};

/// The kinds of classifier the sweep trains; a parameter names them ("softmax", "mlp").
enum class model_kind : std::uint8_t { softmax, mlp };

inline const char* name_of(model_kind k) noexcept {
  return k == model_kind::mlp ? "mlp" : "softmax";
}

/// Hidden units are kept in blocks of this many (the hidden axis is padded with units whose
/// weights are zero, and stay zero: their activation is 0, so is their gradient).
inline constexpr std::size_t block = 16;
/// The most hidden units an MLP may have.
inline constexpr std::uint32_t max_hidden = 4096;

inline constexpr std::size_t padded(std::size_t hidden) noexcept {
  return (hidden + block - 1) / block * block;
}

/// A classifier. Softmax regression (kind softmax, hidden 0): w is D x lanes (input-major,
/// lanes >= classes padded with zeros), b has lanes entries; w2 and b2 are empty.
/// MLP (kind mlp): w is D x padded(hidden) and b padded(hidden) (the hidden layer,
/// input-major), w2 is padded(hidden) x lanes and b2 lanes (the output layer, unit-major).
struct Model {
  BOOST_HANA_DEFINE_STRUCT(Model, (model_kind, kind), (std::uint32_t, hidden),
                           (std::vector<float>, w), (std::vector<float>, b),
                           (std::vector<float>, w2), (std::vector<float>, b2));
  /// Softmax regression with every weight 0.
  static Model zeros() {
    return Model{model_kind::softmax,
                 0,
                 std::vector<float>(pixels * lanes, 0.0f),
                 std::vector<float>(lanes, 0.0f),
                 {},
                 {}};
  }
  /// An MLP with `hidden` units, every weight 0.
  static Model mlp_zeros(std::size_t hidden) {
    const std::size_t hp = padded(hidden);
    return Model{model_kind::mlp,
                 static_cast<std::uint32_t>(hidden),
                 std::vector<float>(pixels * hp, 0.0f),
                 std::vector<float>(hp, 0.0f),
                 std::vector<float>(hp * lanes, 0.0f),
                 std::vector<float>(lanes, 0.0f)};
  }
  /// An MLP with `hidden` units and He-uniform weights (U(-a, a), a = sqrt(6 / fan-in)) drawn
  /// from a mt19937_64 seeded with `seed` (each draw is turned into a double by our own code,
  /// so the weights are the same with every standard library); biases 0.
  static Model mlp(std::size_t hidden, std::uint64_t seed) {
    Model m = mlp_zeros(hidden);
    std::mt19937_64 rng(seed);
    const auto draw = [&](double a) {
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
      return static_cast<float>((2.0 * u - 1.0) * a);
    };
    const std::size_t hp = padded(hidden);
    const double a1 = std::sqrt(6.0 / static_cast<double>(pixels));
    const double a2 = std::sqrt(6.0 / static_cast<double>(hidden));
    for (std::size_t k = 0; k < pixels; ++k) {
      for (std::size_t j = 0; j < hidden; ++j) m.w[k * hp + j] = draw(a1);
    }
    for (std::size_t j = 0; j < hidden; ++j) {
      for (std::size_t c = 0; c < classes; ++c) m.w2[j * lanes + c] = draw(a2);
    }
    return m;
  }
};

/// One configuration of the sweep and what it reached.
struct Fit {
  BOOST_HANA_DEFINE_STRUCT(Fit, (model_kind, kind), (int, hidden),  // hidden: 0 for softmax
                           (double, lr), (double, l2),
                           (int, epochs),           // the epoch whose model was kept (1-based)
                           (double, loss),          // its mean training loss
                           (double, val_accuracy),  // its validation accuracy
                           (Model, model));
};

struct Scores {
  // confusion[truth * C + predicted] counts the test images.
  BOOST_HANA_DEFINE_STRUCT(Scores, (double, accuracy), (std::vector<double>, per_class),
                           (std::vector<std::uint32_t>, confusion));
};

// ----------------------------------------------------------------------------------- loading

namespace detail {

class gz_file {
 public:
  explicit gz_file(const std::filesystem::path& p) : path_(p.string()) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) fail("is missing (no such file)");
    if (std::filesystem::is_directory(p, ec)) fail("is a directory, not a file");
    f_ = gzopen(path_.c_str(), "rb");
    if (f_ == nullptr) fail(std::string("cannot be opened: ") + std::strerror(errno));
    gzbuffer(f_, 1 << 17);
  }
  gz_file(const gz_file&) = delete;
  gz_file& operator=(const gz_file&) = delete;
  ~gz_file() {
    if (f_ != nullptr) gzclose(f_);
  }

  /// Reads exactly n bytes; fewer means the file is truncated. A damaged gzip stream (bad
  /// data, a wrong CRC or length in the trailer) fails with zlib's message (gzerror).
  void read(void* out, std::size_t n, const char* what) {
    const auto got = read_some(static_cast<unsigned char*>(out), n, what);
    if (got < n) truncated(what, n, got);
  }
  /// Appends exactly n bytes to out, growing it only as the bytes arrive: the size a header
  /// claims never becomes an allocation before the file has shown that many bytes.
  void append(std::vector<std::uint8_t>& out, std::size_t n, const char* what) {
    const std::size_t base = out.size();
    std::size_t got = 0;
    while (got < n) {
      const std::size_t step = std::min<std::size_t>(n - got, chunk_bytes);
      out.resize(base + got + step);
      const auto r = read_some(out.data() + base + got, step, what);
      got += r;
      if (r < step) {
        out.resize(base + got);
        truncated(what, n, got);
      }
    }
  }
  /// Reads and drops n bytes (the records after a limit), so that the whole stream is
  /// checked: its length and, at its end, the gzip CRC.
  void skip(std::size_t n, const char* what) {
    std::vector<unsigned char> scratch(std::min<std::size_t>(n, chunk_bytes));
    std::size_t got = 0;
    while (got < n) {
      const std::size_t step = std::min<std::size_t>(n - got, scratch.size());
      const auto r = read_some(scratch.data(), step, what);
      got += r;
      if (r < step) truncated(what, n, got);
    }
  }
  std::uint32_t big_endian_u32(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
  }
  /// True when the stream has bytes left after what was read. Reading to the end is what
  /// checks the gzip trailer (CRC-32 and length): a damaged stream fails here, by name.
  bool has_more() {
    unsigned char b = 0;
    return read_some(&b, 1, "the end of the file") > 0;
  }
  [[noreturn]] void fail(const std::string& problem) const {
    throw data_error("fashion-mnist: " + path_ + " " + problem);
  }

 private:
  static constexpr std::size_t chunk_bytes = std::size_t{1} << 16;

  /// Up to n bytes; fewer only at the end of the stream. gzread's -1 is an error, never
  /// the end of the file.
  std::size_t read_some(unsigned char* dst, std::size_t n, const char* what) {
    std::size_t got = 0;
    while (got < n) {
      const auto chunk = static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 30));
      const int r = gzread(f_, dst + got, chunk);
      if (r < 0) {
        int code = 0;
        const char* msg = gzerror(f_, &code);
        fail(std::string("is damaged (a corrupt gzip stream): ") +
             (msg != nullptr && *msg != '\0' ? msg : "gzip error") + " while reading " + what);
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    return got;
  }
  [[noreturn]] void truncated(const char* what, std::size_t n, std::size_t got) const {
    fail("is truncated: " + std::string(what) + " needs " + std::to_string(n) +
         " bytes, the file has " + std::to_string(got));
  }

  std::string path_;
  gzFile f_ = nullptr;
};

inline std::string hex_magic(std::uint32_t m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(m));
  return buf;
}

}  // namespace detail

/// Reads an IDX image file and its label file (gzip'd, or plain: zlib reads both) and checks
/// them: the IDX magic numbers (2051, 2049), 28x28 images, as many labels as images, labels
/// 0-9, no truncation, nothing after the last record, and the whole gzip stream intact (its
/// CRC and length: the records after a limit are read too). limit > 0 keeps only the first
/// `limit` records. Memory grows with the bytes actually read, never with the count a header
/// claims. Throws data_error naming the file and the problem (zlib's message for a damaged
/// stream).
inline Images load_idx_files(const std::filesystem::path& image_path,
                             const std::filesystem::path& label_path, std::size_t limit = 0) {
  detail::gz_file img(image_path), lab(label_path);

  const auto im = img.big_endian_u32("the magic number");
  if (im != image_magic) {
    img.fail("is not an IDX image file: magic number " + detail::hex_magic(im) + " (" +
             std::to_string(im) + "), expected " + detail::hex_magic(image_magic) + " (2051)");
  }
  const auto count = img.big_endian_u32("the image count");
  const auto rows = img.big_endian_u32("the row count");
  const auto cols = img.big_endian_u32("the column count");
  if (rows != side || cols != side) {
    img.fail("holds " + std::to_string(rows) + "x" + std::to_string(cols) +
             " images, expected 28x28");
  }
  const auto lm = lab.big_endian_u32("the magic number");
  if (lm != label_magic) {
    lab.fail("is not an IDX label file: magic number " + detail::hex_magic(lm) + " (" +
             std::to_string(lm) + "), expected " + detail::hex_magic(label_magic) + " (2049)");
  }
  const auto label_count = lab.big_endian_u32("the label count");
  if (label_count != count) {
    lab.fail("has " + std::to_string(label_count) + " labels but " +
             image_path.filename().string() + " has " + std::to_string(count) + " images");
  }

  const std::size_t n = limit > 0 ? std::min<std::size_t>(limit, count) : count;
  Images out;
  out.rows = rows;
  out.cols = cols;
  img.append(out.pixels, n * pixels, ("the pixels of " + std::to_string(n) + " images").c_str());
  lab.append(out.labels, n, (std::to_string(n) + " labels").c_str());
  if (n < count) {
    const std::size_t rest = count - n;
    img.skip(rest * pixels, ("the pixels of the " + std::to_string(rest) +
                             " images after the first " + std::to_string(n))
                                .c_str());
    lab.skip(
        rest,
        ("the " + std::to_string(rest) + " labels after the first " + std::to_string(n)).c_str());
  }
  if (img.has_more())
    img.fail("has data after its last image (the header says " + std::to_string(count) + ")");
  if (lab.has_more())
    lab.fail("has data after its last label (the header says " + std::to_string(count) + ")");
  for (std::size_t i = 0; i < n; ++i) {
    if (out.labels[i] >= classes) {
      lab.fail("has label " + std::to_string(out.labels[i]) + " at index " + std::to_string(i) +
               ", expected 0-9");
    }
  }
  return out;
}

/// Reads <dir>/<prefix>-images-idx3-ubyte.gz and <prefix>-labels-idx1-ubyte.gz with
/// load_idx_files (which lists the checks).
inline Images load_idx(const std::filesystem::path& dir, const std::string& prefix,
                       std::size_t limit = 0) {
  return load_idx_files(dir / (prefix + "-images-idx3-ubyte.gz"),
                        dir / (prefix + "-labels-idx1-ubyte.gz"), limit);
}

/// "name size mtime" for each of the four data files ("name missing" for an absent one):
/// changes when the files do, so it can stand for their content in cache keys.
inline std::string fingerprint(const std::filesystem::path& dir) {
  std::string out;
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    std::error_code ec;
    const auto path = dir / name;
    const auto size = std::filesystem::file_size(path, ec);
    out += name;
    if (ec) {
      out += " missing\n";
      continue;
    }
    const auto time = std::filesystem::last_write_time(path, ec);
    out +=
        " " + std::to_string(size) + " " + std::to_string(time.time_since_epoch().count()) + "\n";
  }
  return out;
}

// ----------------------------------------------------------------------- normalising, split

/// Pixels to floats in [0, 1].
inline Features normalise(const Images& im) {
  Features f;
  f.n = im.count();
  f.x.resize(im.pixels.size());
  constexpr float scale = 1.0f / 255.0f;
  for (std::size_t i = 0; i < im.pixels.size(); ++i)
    f.x[i] = static_cast<float>(im.pixels[i]) * scale;
  f.y = im.labels;
  return f;
}

namespace detail {

/// A seeded shuffle of 0..n-1 (Fisher-Yates with our own draw: portable), and how many of its
/// first entries are the validation set: round(n * val_fraction), at least one, at most n-1.
inline std::pair<std::vector<std::size_t>, std::size_t> split_order(std::size_t n,
                                                                    double val_fraction,
                                                                    std::uint64_t seed) {
  if (!(val_fraction > 0.0 && val_fraction < 1.0)) {
    throw std::invalid_argument("val_fraction must lie strictly between 0 and 1, got " +
                                std::to_string(val_fraction));
  }
  if (n < 2) throw std::invalid_argument("cannot split " + std::to_string(n) + " example(s)");
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
  auto n_val = static_cast<std::size_t>(std::llround(static_cast<double>(n) * val_fraction));
  return {std::move(order), std::clamp<std::size_t>(n_val, 1, n - 1)};
}

/// The rows order[from..to) of rows of `width` values, and their labels.
template <class T>
void take_rows(const std::vector<T>& values, const std::vector<std::uint8_t>& labels,
               const std::vector<std::size_t>& order, std::size_t from, std::size_t to,
               std::size_t width, std::vector<T>& out, std::vector<std::uint8_t>& out_labels) {
  out.resize((to - from) * width);
  out_labels.resize(to - from);
  for (std::size_t i = from; i < to; ++i) {
    std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(order[i] * width), width,
                out.begin() + static_cast<std::ptrdiff_t>((i - from) * width));
    out_labels[i - from] = labels[order[i]];
  }
}

}  // namespace detail

/// A seeded shuffle, then the first round(n * val_fraction) rows (at least one) are the
/// validation set and the rest the training set.
inline Split split(const Features& all, double val_fraction, std::uint64_t seed) {
  const auto cut = detail::split_order(all.n, val_fraction, seed);
  const auto& order = cut.first;
  const std::size_t n_val = cut.second;
  auto take = [&](std::size_t from, std::size_t to) {
    Features f;
    f.n = to - from;
    detail::take_rows(all.x, all.y, order, from, to, pixels, f.x, f.y);
    return f;
  };
  return Split{take(n_val, all.n), take(0, n_val)};
}

/// The same split of the images themselves (same seed, same rows): normalise_split of it
/// equals split(normalise(all), val_fraction, seed).
inline ImageSplit split_images(const Images& all, double val_fraction, std::uint64_t seed) {
  const auto cut = detail::split_order(all.count(), val_fraction, seed);
  const auto& order = cut.first;
  const std::size_t n_val = cut.second;
  auto take = [&](std::size_t from, std::size_t to) {
    Images im;
    im.rows = all.rows;
    im.cols = all.cols;
    detail::take_rows(all.pixels, all.labels, order, from, to, pixels, im.pixels, im.labels);
    return im;
  };
  return ImageSplit{take(n_val, all.count()), take(0, n_val)};
}

/// Both parts of an image split as features in [0, 1].
inline Split normalise_split(const ImageSplit& s) {
  return Split{normalise(s.train), normalise(s.validation)};
}

// --------------------------------------------------------------------------------- the model

namespace detail {

/// y[0..n) += a * x[0..n), n a multiple of `block`: fixed-length inner loops that -O2
/// vectorises (the pointers never alias: weights, activations and gradients are separate
/// arrays).
inline void axpy(float a, const float* __restrict x, float* __restrict y, std::size_t n) {
  for (std::size_t j = 0; j < n; j += block) {
    for (std::size_t c = 0; c < block; ++c) y[j + c] += a * x[j + c];
  }
}

/// The indices of the non-zero inputs of x (about half of the pixels are background).
inline std::size_t nonzero(const float* x, std::uint16_t* at) {
  std::size_t n = 0;
  for (std::size_t k = 0; k < pixels; ++k) {
    if (x[k] != 0.0f) at[n++] = static_cast<std::uint16_t>(k);
  }
  return n;
}

}  // namespace detail

/// Checks that the sizes of m's arrays fit its kind and hidden units (a Model made by hand or
/// decoded from damaged bytes may not); throws std::invalid_argument naming the array.
inline void check_model(const Model& m) {
  const bool mlp = m.kind == model_kind::mlp;
  if (mlp && (m.hidden < 1 || m.hidden > max_hidden)) {
    throw std::invalid_argument("model: an MLP needs 1 to " + std::to_string(max_hidden) +
                                " hidden units, has " + std::to_string(m.hidden));
  }
  const std::size_t hp = mlp ? padded(m.hidden) : 0;
  const auto expect = [](const char* what, std::size_t got, std::size_t want) {
    if (got != want) {
      throw std::invalid_argument(std::string("model: ") + what + " has " + std::to_string(got) +
                                  " values, expected " + std::to_string(want));
    }
  };
  expect("w", m.w.size(), pixels * (mlp ? hp : lanes));
  expect("b", m.b.size(), mlp ? hp : lanes);
  expect("w2", m.w2.size(), mlp ? hp * lanes : 0);
  expect("b2", m.b2.size(), mlp ? lanes : 0);
}

/// Softmax regression's logits[0..lanes) = b + x * w; a fixed-length inner loop, vectorised.
inline void logits(const Model& m, const float* x, float* z) {
  std::copy_n(m.b.data(), lanes, z);
  const float* w = m.w.data();
  for (std::size_t k = 0; k < pixels; ++k) {
    const float xk = x[k];
    if (xk == 0.0f) continue;  // about half of the pixels are background
    detail::axpy(xk, w + k * lanes, z, lanes);
  }
}

/// The MLP's hidden activations h[0..padded(hidden)) = relu(b + x * w) over the non-zero
/// inputs at[0..n), and its logits z[0..lanes) = b2 + h * w2.
inline void mlp_forward(const Model& m, const float* x, const std::uint16_t* at, std::size_t n,
                        float* h, float* z) {
  const std::size_t hp = m.b.size();
  std::copy_n(m.b.data(), hp, h);
  const float* w = m.w.data();
  for (std::size_t i = 0; i < n; ++i) detail::axpy(x[at[i]], w + at[i] * hp, h, hp);
  for (std::size_t j = 0; j < hp; ++j) h[j] = std::max(h[j], 0.0f);
  std::copy_n(m.b2.data(), lanes, z);
  const float* w2 = m.w2.data();
  for (std::size_t j = 0; j < hp; ++j) {
    if (h[j] != 0.0f) detail::axpy(h[j], w2 + j * lanes, z, lanes);
  }
}

/// Softmax over the first `classes` logits, in place; returns -log p[label].
inline float softmax_loss(float* z, std::uint8_t label) {
  float mx = z[0];
  for (std::size_t c = 1; c < classes; ++c) mx = std::max(mx, z[c]);
  float sum = 0;
  for (std::size_t c = 0; c < classes; ++c) {
    z[c] = std::exp(z[c] - mx);
    sum += z[c];
  }
  for (std::size_t c = 0; c < classes; ++c) z[c] /= sum;
  for (std::size_t c = classes; c < lanes; ++c) z[c] = 0;
  return -std::log(std::max(z[label], 1e-30f));
}

/// Classifies images with a model of either kind, reusing its scratch buffers.
class predictor {
 public:
  explicit predictor(const Model& m) : m_(m), h_(m.kind == model_kind::mlp ? m.b.size() : 0) {
    check_model(m);
  }
  std::uint8_t operator()(const float* x) {
    alignas(64) float z[lanes];
    if (m_.kind == model_kind::mlp) {
      const std::size_t n = detail::nonzero(x, at_.data());
      mlp_forward(m_, x, at_.data(), n, h_.data(), z);
    } else {
      logits(m_, x, z);
    }
    return static_cast<std::uint8_t>(std::max_element(z, z + classes) - z);
  }

 private:
  const Model& m_;
  std::vector<float> h_;
  std::array<std::uint16_t, pixels> at_{};
};

inline std::uint8_t predict(const Model& m, const float* x) { return predictor(m)(x); }

inline double accuracy(const Model& m, const Features& f) {
  predictor guess(m);
  std::size_t right = 0;
  for (std::size_t i = 0; i < f.n; ++i) right += guess(f.x.data() + i * pixels) == f.y[i];
  return f.n == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(f.n);
}

struct train_settings {
  model_kind kind = model_kind::softmax;
  int hidden = 128;       ///< hidden units of an MLP
  double lr = 0.1;        ///< initial learning rate; epoch e uses lr / (1 + lr_decay * e)
  double lr_decay = 1.0;  ///< see lr
  double momentum = 0.0;  ///< SGD momentum (0: plain SGD)
  double l2 = 0.0;        ///< weight decay
  int epochs = 5;
  int batch = 64;
  std::uint64_t seed = 1;  ///< the order of the examples in each epoch, an MLP's initial weights
};

/// Called after every epoch with (epoch, mean training loss, validation accuracy); after
/// every batch with (batches done, batches in all); and between batches to ask whether to
/// stop (then training throws). Any may be empty.
struct train_callbacks {
  std::function<void(int, double, double)> epoch_done;
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  std::function<bool()> stop_requested;
};

namespace detail {

/// The gradient of one model's parameters, summed over a mini-batch, with the scratch
/// buffers of one example.
struct gradient {
  std::vector<float> w, b, w2, b2;
  std::vector<float> h, dh;
  std::array<std::uint16_t, pixels> at{};

  explicit gradient(const Model& m)
      : w(m.w.size()), b(m.b.size()), w2(m.w2.size()), b2(m.b2.size()), h(m.b.size()),
        dh(m.b.size()) {}
  void clear() {
    for (auto* v : {&w, &b, &w2, &b2}) std::fill(v->begin(), v->end(), 0.0f);
  }
};

/// Adds one example's gradient of the softmax cross-entropy to g; returns its loss.
inline float add_gradient(const Model& m, const float* x, std::uint8_t label, gradient& g) {
  alignas(64) float z[lanes];
  if (m.kind == model_kind::softmax) {
    logits(m, x, z);
    const float loss = softmax_loss(z, label);
    z[label] -= 1.0f;  // dloss/dlogits = p - onehot
    for (std::size_t c = 0; c < lanes; ++c) g.b[c] += z[c];
    for (std::size_t k = 0; k < pixels; ++k) {
      const float xk = x[k];
      if (xk == 0.0f) continue;
      axpy(xk, z, g.w.data() + k * lanes, lanes);
    }
    return loss;
  }
  const std::size_t hp = m.b.size();
  const std::size_t n = nonzero(x, g.at.data());
  float* h = g.h.data();
  float* dh = g.dh.data();
  mlp_forward(m, x, g.at.data(), n, h, z);
  const float loss = softmax_loss(z, label);
  z[label] -= 1.0f;
  for (std::size_t c = 0; c < lanes; ++c) g.b2[c] += z[c];
  // Back through the output layer: dW2[j] += h[j] * dz, dh[j] = W2[j] . dz where h[j] > 0
  // (the ReLU passes no gradient where it is 0).
  const float* w2 = m.w2.data();
  for (std::size_t j = 0; j < hp; ++j) {
    if (h[j] == 0.0f) {
      dh[j] = 0.0f;
      continue;
    }
    axpy(h[j], z, g.w2.data() + j * lanes, lanes);
    float d = 0.0f;
    for (std::size_t c = 0; c < lanes; ++c) d += w2[j * lanes + c] * z[c];
    dh[j] = d;
  }
  // Into the hidden layer: dW[k] += x[k] * dh over the non-zero inputs.
  for (std::size_t j = 0; j < hp; ++j) g.b[j] += dh[j];
  for (std::size_t i = 0; i < n; ++i) axpy(x[g.at[i]], dh, g.w.data() + g.at[i] * hp, hp);
  return loss;
}

/// velocity = momentum * velocity + the mean gradient of a batch of `count` examples.
inline void add_momentum(gradient& velocity, const gradient& g, float momentum, std::size_t count) {
  const float mean = 1.0f / static_cast<float>(count);
  const auto mix = [&](std::vector<float>& v, const std::vector<float>& d) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = momentum * v[i] + mean * d[i];
  };
  mix(velocity.w, g.w);
  mix(velocity.b, g.b);
  mix(velocity.w2, g.w2);
  mix(velocity.b2, g.b2);
}

/// One SGD step: weights decay by (1 - lr * l2), then move by -lr times the gradient summed
/// over `count` examples, divided by `count`; biases are not decayed.
inline void sgd_step(Model& m, const gradient& g, float lr, float l2, std::size_t count) {
  const float step = lr / static_cast<float>(count);
  const float decay = 1.0f - lr * l2;
  const auto weights = [&](std::vector<float>& w, const std::vector<float>& d) {
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = w[i] * decay - step * d[i];
  };
  const auto biases = [&](std::vector<float>& b, const std::vector<float>& d) {
    for (std::size_t i = 0; i < b.size(); ++i) b[i] -= step * d[i];
  };
  weights(m.w, g.w);
  weights(m.w2, g.w2);
  biases(m.b, g.b);
  biases(m.b2, g.b2);
}

}  // namespace detail

/// Mini-batch SGD (with momentum when s.momentum > 0: velocity = momentum * velocity + mean
/// gradient, step -lr * velocity) on the softmax cross-entropy with L2 decay and a learning
/// rate decaying as lr / (1 + lr_decay * epoch), for either kind of model: softmax regression starts from zeros, an MLP
/// from He-uniform weights drawn with the seed (Model::mlp). The model returned is the one of
/// the epoch with the best validation accuracy (a checkpoint, so a noisy last epoch does not
/// cost the sweep its best result). Deterministic: the same data and settings give the same
/// model (one thread, a fixed order of every sum).
inline Fit train(const Split& data, const train_settings& s, const train_callbacks& cb = {}) {
  if (s.epochs < 1 || s.batch < 1 || !(s.lr > 0.0) || s.l2 < 0.0) {
    throw std::invalid_argument("train: needs epochs >= 1, batch >= 1, lr > 0 and l2 >= 0");
  }
  if (!(s.momentum >= 0.0 && s.momentum < 1.0) || !(s.lr_decay >= 0.0)) {
    throw std::invalid_argument("train: needs 0 <= momentum < 1 and lr_decay >= 0, got " +
                                std::to_string(s.momentum) + " and " + std::to_string(s.lr_decay));
  }
  if (s.kind == model_kind::mlp && (s.hidden < 1 || s.hidden > static_cast<int>(max_hidden))) {
    throw std::invalid_argument("train: an MLP needs 1 to " + std::to_string(max_hidden) +
                                " hidden units, got " + std::to_string(s.hidden));
  }
  const Features& tr = data.train;
  if (tr.n == 0) throw std::invalid_argument("train: the training set is empty");
  Model m = s.kind == model_kind::mlp ? Model::mlp(static_cast<std::size_t>(s.hidden), s.seed)
                                      : Model::zeros();
  detail::gradient grad(m), velocity(m);
  velocity.clear();
  const auto momentum = static_cast<float>(s.momentum);
  std::vector<std::size_t> order(tr.n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(s.seed);
  const auto batch = static_cast<std::size_t>(s.batch);
  const std::uint64_t per_epoch = (tr.n + batch - 1) / batch;
  const std::uint64_t total = per_epoch * static_cast<std::uint64_t>(s.epochs);
  std::uint64_t done = 0;
  Fit fit{s.kind, s.kind == model_kind::mlp ? s.hidden : 0, s.lr, s.l2, s.epochs, 0.0, -1.0, {}};
  for (int epoch = 0; epoch < s.epochs; ++epoch) {
    for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
    const auto lr = static_cast<float>(s.lr / (1.0 + s.lr_decay * epoch));
    double loss_sum = 0;
    for (std::size_t start = 0; start < tr.n; start += batch) {
      if (cb.stop_requested && cb.stop_requested()) {
        throw std::runtime_error("stopped in epoch " + std::to_string(epoch + 1) + " after " +
                                 std::to_string(done) + " of " + std::to_string(total) +
                                 " batches");
      }
      const std::size_t end = std::min(tr.n, start + batch);
      grad.clear();
      for (std::size_t j = start; j < end; ++j) {
        loss_sum += detail::add_gradient(m, tr.x.data() + order[j] * pixels, tr.y[order[j]], grad);
      }
      if (momentum > 0.0f) {
        detail::add_momentum(velocity, grad, momentum, end - start);
        detail::sgd_step(m, velocity, lr, static_cast<float>(s.l2), 1);
      } else {
        detail::sgd_step(m, grad, lr, static_cast<float>(s.l2), end - start);
      }
      ++done;
      if (cb.progress) cb.progress(done, total);
    }
    const double loss = loss_sum / static_cast<double>(tr.n);
    const double val = accuracy(m, data.validation);
    if (val > fit.val_accuracy) {
      fit.val_accuracy = val;
      fit.loss = loss;
      fit.epochs = epoch + 1;
      fit.model = m;
    }
    if (cb.epoch_done) cb.epoch_done(epoch, loss, val);
  }
  return fit;
}

/// The configuration with the best validation accuracy (the earlier one on a tie).
inline const Fit& best_of(const std::vector<Fit>& fits) {
  if (fits.empty()) throw std::invalid_argument("best_of: no configurations were trained");
  const Fit* best = &fits.front();
  for (const auto& f : fits) {
    if (f.val_accuracy > best->val_accuracy) best = &f;
  }
  return *best;
}

inline Scores evaluate(const Model& m, const Images& test) {
  const Features f = normalise(test);
  Scores s{0.0, std::vector<double>(classes, 0.0),
           std::vector<std::uint32_t>(classes * classes, 0)};
  std::vector<std::size_t> per(classes, 0);
  std::size_t right = 0;
  predictor predict_one(m);
  for (std::size_t i = 0; i < f.n; ++i) {
    const auto truth = f.y[i];
    const auto guess = predict_one(f.x.data() + i * pixels);
    ++s.confusion[truth * classes + guess];
    ++per[truth];
    right += truth == guess;
  }
  for (std::size_t c = 0; c < classes; ++c) {
    s.per_class[c] = per[c] == 0 ? 0.0
                                 : static_cast<double>(s.confusion[c * classes + c]) /
                                       static_cast<double>(per[c]);
  }
  s.accuracy = f.n == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(f.n);
  return s;
}

// ------------------------------------------------------------------------------- model file

inline constexpr char model_magic[8] = {'T', 'F', 'S', 'M', 'X', '1', '\0', '\0'};
inline constexpr char mlp_magic[8] = {'T', 'F', 'M', 'L', 'P', '1', '\0', '\0'};

namespace detail {
inline void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}
inline void put_f32(std::string& out, float f) {
  std::uint32_t v;
  std::memcpy(&v, &f, 4);
  put_u32(out, v);
}
inline std::uint32_t get_u32(const std::string& in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= std::uint32_t{static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)])} << (8 * i);
  return v;
}
inline float get_f32(const std::string& in, std::size_t at) {
  const std::uint32_t v = get_u32(in, at);
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}
}  // namespace detail

/// The bytes of the model file (formats at the top of this header).
inline std::string model_bytes(const Model& m) {
  check_model(m);
  if (m.kind == model_kind::mlp) {
    const std::size_t h = m.hidden, hp = m.b.size();
    std::string out(mlp_magic, sizeof mlp_magic);
    detail::put_u32(out, classes);
    detail::put_u32(out, pixels);
    detail::put_u32(out, m.hidden);
    for (std::size_t j = 0; j < h; ++j) detail::put_f32(out, m.b[j]);
    for (std::size_t j = 0; j < h; ++j) {
      for (std::size_t k = 0; k < pixels; ++k) detail::put_f32(out, m.w[k * hp + j]);
    }
    for (std::size_t c = 0; c < classes; ++c) detail::put_f32(out, m.b2[c]);
    for (std::size_t c = 0; c < classes; ++c) {
      for (std::size_t j = 0; j < h; ++j) detail::put_f32(out, m.w2[j * lanes + c]);
    }
    return out;
  }
  std::string out(model_magic, sizeof model_magic);
  detail::put_u32(out, classes);
  detail::put_u32(out, pixels);
  for (std::size_t c = 0; c < classes; ++c) detail::put_f32(out, m.b[c]);
  for (std::size_t c = 0; c < classes; ++c) {
    for (std::size_t k = 0; k < pixels; ++k) detail::put_f32(out, m.w[k * lanes + c]);
  }
  return out;
}

/// Writes the model file atomically: a temporary file beside it, fsync, rename. Returns the
/// number of bytes written.
inline std::size_t write_model(const Model& m, const std::filesystem::path& path) {
  const std::string bytes = model_bytes(m);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  auto tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    throw std::runtime_error("cannot write the model to " + tmp.string() + ": " +
                             std::strerror(errno));
  }
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() &&
                  std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok) {
    std::filesystem::remove(tmp);
    throw std::runtime_error("cannot write the model to " + tmp.string() + ": " +
                             std::strerror(err));
  }
  std::filesystem::rename(tmp, path);
  return bytes.size();
}

/// Reads a model file of either kind back; throws naming the file and the problem.
inline Model read_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw data_error("model file " + path.string() + " cannot be opened");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto fail = [&](const std::string& problem) {
    throw data_error("model file " + path.string() + " " + problem);
  };
  const bool mlp = bytes.size() >= 20 && std::memcmp(bytes.data(), mlp_magic, 8) == 0;
  if (!mlp && (bytes.size() < 16 || std::memcmp(bytes.data(), model_magic, 8) != 0))
    fail("is not a TFSMX1 or TFMLP1 model (wrong magic)");
  if (detail::get_u32(bytes, 8) != classes || detail::get_u32(bytes, 12) != pixels) {
    fail("is for " + std::to_string(detail::get_u32(bytes, 8)) + " classes and " +
         std::to_string(detail::get_u32(bytes, 12)) + " inputs, expected 10 and 784");
  }
  const std::size_t h = mlp ? detail::get_u32(bytes, 16) : 0;
  if (mlp && (h < 1 || h > max_hidden))
    fail("has " + std::to_string(h) + " hidden units, expected 1 to " + std::to_string(max_hidden));
  const std::size_t expected = mlp ? 20 + 4 * (h + h * pixels + classes + classes * h)
                                   : 16 + 4 * (classes + classes * pixels);
  if (bytes.size() != expected) {
    fail("has " + std::to_string(bytes.size()) + " bytes, expected " + std::to_string(expected));
  }
  if (mlp) {
    Model m = Model::mlp_zeros(h);
    const std::size_t hp = m.b.size();
    std::size_t at = 20;
    for (std::size_t j = 0; j < h; ++j, at += 4) m.b[j] = detail::get_f32(bytes, at);
    for (std::size_t j = 0; j < h; ++j) {
      for (std::size_t k = 0; k < pixels; ++k, at += 4)
        m.w[k * hp + j] = detail::get_f32(bytes, at);
    }
    for (std::size_t c = 0; c < classes; ++c, at += 4) m.b2[c] = detail::get_f32(bytes, at);
    for (std::size_t c = 0; c < classes; ++c) {
      for (std::size_t j = 0; j < h; ++j, at += 4) m.w2[j * lanes + c] = detail::get_f32(bytes, at);
    }
    return m;
  }
  Model m = Model::zeros();
  std::size_t at = 16;
  for (std::size_t c = 0; c < classes; ++c, at += 4) m.b[c] = detail::get_f32(bytes, at);
  for (std::size_t c = 0; c < classes; ++c) {
    for (std::size_t k = 0; k < pixels; ++k, at += 4)
      m.w[k * lanes + c] = detail::get_f32(bytes, at);
  }
  return m;
}

}  // namespace fashion
