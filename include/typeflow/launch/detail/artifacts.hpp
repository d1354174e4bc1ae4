#pragma once
// A value as an artifact file and back, for the driver and its jobs alike (launch/): encoded by
// its codec and named by the hash of its bytes; read back checked against that hash.

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <typeflow/core/codec.hpp>
#include <typeflow/detail/box.hpp>
#include <typeflow/store/detail/files.hpp>
#include <typeflow/store/detail/hash.hpp>

namespace typeflow::launch_detail {

/// Writes `value`, encoded by `codec`, as an artifact file (unless it is there already, intact);
/// its hash.
inline std::string write_artifact(const store_detail::artifact_files& files,
                                  const detail::codec_ops& codec, const void* value) {
  std::vector<std::byte> bytes;
  codec.encode(value, bytes);
  auto hash = store_detail::hash128(bytes);
  files.write(hash, std::span<const std::byte>(bytes));
  return hash;
}

/// Decodes artifact `hash` into `out` by `codec`, its bytes checked against the hash. Throws,
/// naming the file and `whose` (what the value is), when it cannot be read or is damaged.
inline void read_artifact(const store_detail::artifact_files& files, const std::string& hash,
                          const detail::codec_ops& codec, detail::box& out,
                          const std::string& whose) {
  const auto bytes = files.read(hash);
  if (store_detail::hash128(bytes) != hash) {
    throw std::runtime_error("typeflow: the artifact '" + files.path_of(hash).string() + "' (" +
                             whose + ") is damaged: its content does not match its hash");
  }
  codec.decode(bytes, out);
}

}  // namespace typeflow::launch_detail
