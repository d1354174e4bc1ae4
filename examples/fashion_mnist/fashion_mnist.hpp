#pragma once
// Fashion-MNIST for the flagship pipeline: reading and checking the gzip'd IDX files,
// normalising, a seeded train/validation split, a softmax-regression classifier trained by
// mini-batch SGD, its evaluation, and the exported model file. Plain C++ with zlib; the
// pipeline (pipeline.hpp) wires these functions into typed steps.
//
// Model file format ("TFSMX1", little-endian, written atomically: temporary file, fsync,
// rename):
//   offset  0  8 bytes  magic "TFSMX1\0\0"
//   offset  8  u32      classes C (10)
//   offset 12  u32      inputs D (784 = 28x28; input = pixel / 255, row-major)
//   offset 16  f32[C]   biases b
//   offset ..  f32[C*D] weights, class-major: w[c*D + k]
// class = argmax_c (b[c] + sum_k w[c*D+k] * x[k]).

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

/// Softmax regression: w is D x lanes (input-major, lanes >= classes padded with zeros).
struct Model {
  BOOST_HANA_DEFINE_STRUCT(Model, (std::vector<float>, w), (std::vector<float>, b));
  static Model zeros() {
    return Model{std::vector<float>(pixels * lanes, 0.0f), std::vector<float>(lanes, 0.0f)};
  }
};

/// One configuration of the sweep and what it reached.
struct Fit {
  BOOST_HANA_DEFINE_STRUCT(Fit, (double, lr), (double, l2),
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

/// A seeded shuffle, then the first round(n * val_fraction) rows (at least one) are the
/// validation set and the rest the training set.
inline Split split(const Features& all, double val_fraction, std::uint64_t seed) {
  if (!(val_fraction > 0.0 && val_fraction < 1.0)) {
    throw std::invalid_argument("val_fraction must lie strictly between 0 and 1, got " +
                                std::to_string(val_fraction));
  }
  if (all.n < 2)
    throw std::invalid_argument("cannot split " + std::to_string(all.n) + " example(s)");
  std::vector<std::size_t> order(all.n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  for (std::size_t i = order.size() - 1; i > 0; --i) {  // Fisher-Yates with our own draw: portable
    std::swap(order[i], order[rng() % (i + 1)]);
  }
  auto n_val = static_cast<std::size_t>(std::llround(static_cast<double>(all.n) * val_fraction));
  n_val = std::clamp<std::size_t>(n_val, 1, all.n - 1);
  auto take = [&](std::size_t from, std::size_t to) {
    Features f;
    f.n = to - from;
    f.x.resize(f.n * pixels);
    f.y.resize(f.n);
    for (std::size_t i = from; i < to; ++i) {
      std::copy_n(all.x.begin() + static_cast<std::ptrdiff_t>(order[i] * pixels), pixels,
                  f.x.begin() + static_cast<std::ptrdiff_t>((i - from) * pixels));
      f.y[i - from] = all.y[order[i]];
    }
    return f;
  };
  return Split{take(n_val, all.n), take(0, n_val)};
}

// --------------------------------------------------------------------------------- the model

/// logits[0..lanes) = b + x * w; a fixed-length inner loop, vectorised.
inline void logits(const Model& m, const float* x, float* z) {
  std::copy_n(m.b.data(), lanes, z);
  const float* w = m.w.data();
  for (std::size_t k = 0; k < pixels; ++k) {
    const float xk = x[k];
    if (xk == 0.0f) continue;  // about half of the pixels are background
    const float* wk = w + k * lanes;
    for (std::size_t c = 0; c < lanes; ++c) z[c] += xk * wk[c];
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

inline std::uint8_t predict(const Model& m, const float* x) {
  alignas(64) float z[lanes];
  logits(m, x, z);
  return static_cast<std::uint8_t>(std::max_element(z, z + classes) - z);
}

inline double accuracy(const Model& m, const Features& f) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < f.n; ++i) right += predict(m, f.x.data() + i * pixels) == f.y[i];
  return f.n == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(f.n);
}

struct train_settings {
  double lr = 0.1;  ///< initial learning rate; epoch e uses lr / (1 + e)
  double l2 = 0.0;  ///< weight decay
  int epochs = 5;
  int batch = 64;
  std::uint64_t seed = 1;  ///< the order of the examples in each epoch
};

/// Called after every epoch with (epoch, mean training loss, validation accuracy); after
/// every batch with (batches done, batches in all); and between batches to ask whether to
/// stop (then training throws). Any may be empty.
struct train_callbacks {
  std::function<void(int, double, double)> epoch_done;
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  std::function<bool()> stop_requested;
};

/// Mini-batch SGD on the softmax cross-entropy with L2 decay and a learning rate decaying as
/// lr / (1 + epoch). The model returned is the one of the epoch with the best validation
/// accuracy (a checkpoint, so a noisy last epoch does not cost the sweep its best result).
inline Fit train(const Split& data, const train_settings& s, const train_callbacks& cb = {}) {
  if (s.epochs < 1 || s.batch < 1 || !(s.lr > 0.0) || s.l2 < 0.0) {
    throw std::invalid_argument("train: needs epochs >= 1, batch >= 1, lr > 0 and l2 >= 0");
  }
  const Features& tr = data.train;
  if (tr.n == 0) throw std::invalid_argument("train: the training set is empty");
  Model m = Model::zeros();
  std::vector<float> grad(pixels * lanes), gb(lanes);
  std::vector<std::size_t> order(tr.n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(s.seed);
  const auto batch = static_cast<std::size_t>(s.batch);
  const std::uint64_t per_epoch = (tr.n + batch - 1) / batch;
  const std::uint64_t total = per_epoch * static_cast<std::uint64_t>(s.epochs);
  std::uint64_t done = 0;
  Fit fit{s.lr, s.l2, s.epochs, 0.0, -1.0, {}};
  alignas(64) float z[lanes];
  for (int epoch = 0; epoch < s.epochs; ++epoch) {
    for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
    const auto lr = static_cast<float>(s.lr / (1.0 + epoch));
    double loss_sum = 0;
    for (std::size_t start = 0; start < tr.n; start += batch) {
      if (cb.stop_requested && cb.stop_requested()) {
        throw std::runtime_error("stopped in epoch " + std::to_string(epoch + 1) + " after " +
                                 std::to_string(done) + " of " + std::to_string(total) +
                                 " batches");
      }
      const std::size_t end = std::min(tr.n, start + batch);
      std::fill(grad.begin(), grad.end(), 0.0f);
      std::fill(gb.begin(), gb.end(), 0.0f);
      for (std::size_t j = start; j < end; ++j) {
        const float* x = tr.x.data() + order[j] * pixels;
        const auto label = tr.y[order[j]];
        logits(m, x, z);
        loss_sum += softmax_loss(z, label);
        z[label] -= 1.0f;  // dloss/dlogits = p - onehot
        for (std::size_t c = 0; c < lanes; ++c) gb[c] += z[c];
        for (std::size_t k = 0; k < pixels; ++k) {
          const float xk = x[k];
          if (xk == 0.0f) continue;
          float* gk = grad.data() + k * lanes;
          for (std::size_t c = 0; c < lanes; ++c) gk[c] += xk * z[c];
        }
      }
      const float step = lr / static_cast<float>(end - start);
      const float decay = 1.0f - lr * static_cast<float>(s.l2);
      for (std::size_t i = 0; i < m.w.size(); ++i) m.w[i] = m.w[i] * decay - step * grad[i];
      for (std::size_t c = 0; c < lanes; ++c) m.b[c] -= step * gb[c];
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
  for (std::size_t i = 0; i < f.n; ++i) {
    const auto truth = f.y[i];
    const auto guess = predict(m, f.x.data() + i * pixels);
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

/// The bytes of the model file (format at the top of this header).
inline std::string model_bytes(const Model& m) {
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

/// Reads a model file back; throws naming the file and the problem.
inline Model read_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw data_error("model file " + path.string() + " cannot be opened");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t expected = 16 + 4 * (classes + classes * pixels);
  if (bytes.size() < 16 || std::memcmp(bytes.data(), model_magic, sizeof model_magic) != 0) {
    throw data_error("model file " + path.string() + " is not a TFSMX1 model (wrong magic)");
  }
  if (detail::get_u32(bytes, 8) != classes || detail::get_u32(bytes, 12) != pixels) {
    throw data_error("model file " + path.string() + " is for " +
                     std::to_string(detail::get_u32(bytes, 8)) + " classes and " +
                     std::to_string(detail::get_u32(bytes, 12)) + " inputs, expected 10 and 784");
  }
  if (bytes.size() != expected) {
    throw data_error("model file " + path.string() + " has " + std::to_string(bytes.size()) +
                     " bytes, expected " + std::to_string(expected));
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
