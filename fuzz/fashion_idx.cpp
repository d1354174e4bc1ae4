// Fuzz target: the flagship's IDX loader (examples/fashion_mnist: load_idx_files) on an image
// file and a label file made from the input. The first byte says how: bit 0 gzips the image
// bytes (else they are written as they are: zlib reads plain files too, and damaged gzip
// streams come in this way), bit 1 the same for the labels; bits 2-3 pick a limit (none, 1,
// 2, 1000). Then the image bytes (a two-byte big-endian length) and the label bytes. A bad
// file must be a data_error naming it; a good one gives count x 784 pixels and labels 0-9.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "fashion_mnist.hpp"
#include "fuzz_input.hpp"

namespace {

std::string gzipped(const std::string& bytes) {
  // gzip framing (windowBits 16 + 15) in memory: what gzwrite would write to a file.
  z_stream s{};
  if (deflateInit2(&s, Z_BEST_SPEED, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    std::abort();
  std::string out(deflateBound(&s, static_cast<uLong>(bytes.size())), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  s.avail_in = static_cast<uInt>(bytes.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  if (deflate(&s, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static typeflow::fuzz::scratch_file images("images.gz"), labels("labels.gz");
  typeflow::fuzz::input in(data, size);
  const auto how = in.byte();
  std::size_t image_size = std::size_t{in.byte()} << 8;
  image_size |= in.byte();
  std::string image_bytes = in.rest();
  std::string label_bytes;
  if (image_size < image_bytes.size()) {
    label_bytes = image_bytes.substr(image_size);
    image_bytes.resize(image_size);
  }
  images.write((how & 1) != 0 ? gzipped(image_bytes) : image_bytes);
  labels.write((how & 2) != 0 ? gzipped(label_bytes) : label_bytes);
  constexpr std::size_t limits[] = {0, 1, 2, 1000};
  try {
    const auto im = fashion::load_idx_files(images.path(), labels.path(), limits[(how >> 2) & 3]);
    if (im.rows != 28 || im.cols != 28 || im.pixels.size() != im.count() * fashion::pixels)
      std::abort();
    for (auto label : im.labels) {
      if (label >= fashion::classes) std::abort();
    }
  } catch (const fashion::data_error& e) {
    const std::string what = e.what();
    if (what.find(images.path()) == std::string::npos &&
        what.find(labels.path()) == std::string::npos)
      std::abort();
  }
  return 0;
}
