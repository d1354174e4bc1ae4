#pragma once
// Artifact files and the process facts the store records: an artifact is written once per
// content hash, atomically (a temporary file, fsync, rename), so no reader ever sees half of
// one, even when the writing process is killed.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <typeflow/store/detail/hash.hpp>
#include <typeflow/store/errors.hpp>

namespace typeflow::store_detail {

namespace fs = std::filesystem;
using sys_clock = std::chrono::system_clock;

/// Times in the store: microseconds since the Unix epoch.
inline std::int64_t to_us(sys_clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
inline sys_clock::time_point from_us(std::int64_t us) noexcept {
  return sys_clock::time_point{
      std::chrono::duration_cast<sys_clock::duration>(std::chrono::microseconds{us})};
}
inline std::int64_t now_us() noexcept { return to_us(sys_clock::now()); }

inline std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

inline std::int64_t process_id() noexcept { return static_cast<std::int64_t>(::getpid()); }

/// False only when no process `pid` exists on this host.
inline bool process_alive(std::int64_t pid) noexcept {
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) return false;  // none can have it
  if (::kill(static_cast<pid_t>(pid), 0) == 0) return true;
  return errno == EPERM;
}

[[noreturn]] inline void io_fail(const std::string& what, int err) {
  throw store_error("typeflow: run store: " + what + ": " + std::strerror(err));
}

/// A value read from runs.db, for an error message: at most 80 characters, control
/// characters shown as '?'.
inline std::string shown(std::string_view v) {
  std::string out(v.substr(0, 80));
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (v.size() > 80) out += "...";
  return out;
}

/// The refusal of a damaged value read back from runs.db; `where` names its row.
[[noreturn]] inline void damaged(const std::string& where, const std::string& what) {
  throw store_error("typeflow: run store: " + where + " " + what +
                    "; refusing to use it (runs.db is damaged or was edited)");
}

/// An artifact hash read back from runs.db, checked before it can name a file: exactly the 32
/// hex digits hash128 writes, so that no row can make a path outside the store.
inline const std::string& checked_hash(const std::string& hash, const std::string& where) {
  if (!is_hash128(hash)) {
    damaged(where, "has artifact hash '" + shown(hash) + "', which is not 32 digits of 0-9a-f");
  }
  return hash;
}

/// Appends `text` to the file at `path`, creating the file and its directories when needed.
/// Throws store_error naming the file.
inline void append_file(const fs::path& path, std::string_view text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    throw store_error("typeflow: run store: cannot create '" + path.parent_path().string() +
                      "': " + ec.message());
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) io_fail("cannot open '" + path.string() + "' to append to it", errno);
  while (!text.empty()) {
    const auto n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      io_fail("cannot write to '" + path.string() + "'", err);
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd) != 0 && errno != EINTR) io_fail("cannot write to '" + path.string() + "'", errno);
}

/// A run id read back from runs.db (or given to a run): never empty, '.' or '..', no '/',
/// '\\' or control characters, so that it can never name a path but a directory of its own
/// (the run's logs are in logs/<run id>/).
inline bool usable_run_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= 256 && id != "." && id != ".." &&
         std::none_of(id.begin(), id.end(), [](char c) {
           return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
         });
}

class artifact_files {
 public:
  /// `create`: makes the directories (a store opened read-only creates nothing).
  explicit artifact_files(fs::path dir, bool create = true)
      : dir_(std::move(dir)), tmp_(dir_ / "tmp") {
    if (!create) return;
    std::error_code ec;
    fs::create_directories(tmp_, ec);
    if (ec)
      throw store_error("typeflow: run store: cannot create '" + tmp_.string() +
                        "': " + ec.message());
  }

  /// The file of an artifact. Only a well-formed hash names one (callers check hashes read
  /// from runs.db first, naming the row; this is the last line).
  [[nodiscard]] fs::path path_of(std::string_view hash) const {
    if (!is_hash128(hash)) {
      throw store_error("typeflow: run store: '" + shown(hash) +
                        "' is not an artifact hash (32 digits of 0-9a-f)");
    }
    return dir_ / std::string(hash.substr(0, 2)) / std::string(hash.substr(2));
  }
  [[nodiscard]] bool exists(std::string_view hash) const {
    struct stat st {};
    return ::stat(path_of(hash).c_str(), &st) == 0;
  }
  /// True when the artifact's file is there with `size` bytes (a cheap check: see intact).
  [[nodiscard]] bool has_size(std::string_view hash, std::uint64_t size) const {
    struct stat st {};
    return ::stat(path_of(hash).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           static_cast<std::uint64_t>(st.st_size) == size;
  }

  /// True when the artifact's file is there and whole: `size` bytes whose hash is `hash`. A
  /// file truncated, grown or with a byte changed (a disk error, a stray edit) is not.
  [[nodiscard]] bool intact(std::string_view hash, std::size_t size) const {
    int fd = ::open(path_of(hash).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              static_cast<std::uint64_t>(st.st_size) == size;
    if (ok) {
      XXH3_state_t state;
      XXH3_128bits_reset(&state);
      std::vector<std::byte> buf(std::min<std::size_t>(size, std::size_t{1} << 20) + 1);
      std::size_t done = 0;
      for (;;) {
        auto n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          ok = false;
          break;
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
        XXH3_128bits_update(&state, buf.data(), static_cast<std::size_t>(n));
      }
      ok = ok && done == size && hex128(XXH3_128bits_digest(&state)) == hash;
    }
    ::close(fd);
    return ok;
  }

  /// Writes the artifact unless it is there already and intact (an existing file is checked:
  /// its size and hash; a damaged one is replaced, so a run producing the same bytes repairs
  /// it): a temporary file, fsync, rename, so a crash leaves either nothing or the whole file. The directory is not synced: like the
  /// database (WAL, synchronous=NORMAL), a power loss may forget the newest artifacts, which
  /// then read as missing (their steps run again), never as damaged. Returns false when the
  /// artifact was there already, intact (nothing written).
  bool write(std::string_view hash, std::span<const std::byte> bytes) const {
    return write(hash, std::span<const std::span<const std::byte>>(&bytes, 1));
  }
  /// The same, for an artifact given in parts (written one after the other, not joined).
  bool write(std::string_view hash, std::span<const std::span<const std::byte>> parts) const {
    auto final_path = path_of(hash);
    std::size_t size = 0;
    for (auto bytes : parts) size += bytes.size();
    if (intact(hash, size)) return false;
    static std::atomic<std::uint64_t> counter{0};
    auto tmp = tmp_ / (host_name() + "-" + std::to_string(process_id()) + "-" +
                       std::to_string(counter.fetch_add(1)) + ".part");
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) io_fail("cannot create '" + tmp.string() + "'", errno);
    auto fail = [&](const char* what) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      io_fail(what + (" '" + tmp.string() + "'"), err);
    };
    // Large files: writeback of each written stretch starts at once (sync_file_range, as
    // RocksDB's bytes_per_sync), so the disk works while the rest is copied and the fsync
    // below waits for the tail only.
    constexpr std::size_t stretch = std::size_t{8} << 20;
    std::size_t written = 0, kicked = 0;
    for (auto bytes : parts) {
      std::size_t done = 0;
      while (done < bytes.size()) {
        auto n = ::write(fd, bytes.data() + done, std::min(bytes.size() - done, stretch));
        if (n < 0) {
          if (errno == EINTR) continue;
          fail("cannot write");
        }
        done += static_cast<std::size_t>(n);
        written += static_cast<std::size_t>(n);
#ifdef __linux__
        if (written - kicked >= stretch) {  // a hint: its failure leaves the fsync to do all
          (void)::sync_file_range(fd, static_cast<off_t>(kicked),
                                  static_cast<off_t>(written - kicked), SYNC_FILE_RANGE_WRITE);
          kicked = written;
        }
#endif
      }
    }
    if (::fsync(fd) != 0) fail("cannot sync");
    ::close(fd);
    std::error_code ec;
    fs::create_directories(final_path.parent_path(), ec);
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      io_fail("cannot rename '" + tmp.string() + "' to '" + final_path.string() + "'", err);
    }
    return true;
  }

  /// The artifact's bytes; throws store_error when it cannot be read.
  [[nodiscard]] std::vector<std::byte> read(std::string_view hash) const {
    auto p = path_of(hash);
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) io_fail("cannot open artifact '" + p.string() + "'", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      io_fail("cannot stat '" + p.string() + "'", err);
    }
    std::vector<std::byte> out(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < out.size()) {
      auto n = ::read(fd, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = n < 0 ? errno : EIO;
        ::close(fd);
        io_fail("cannot read '" + p.string() + "'", err);
      }
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return out;
  }

  void remove(std::string_view hash) const {
    std::error_code ec;
    fs::remove(path_of(hash), ec);
  }

  /// The artifact files (hash, size) last modified before `cutoff`; names that are not an
  /// artifact's (XX/30 more hex digits) are left out.
  [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> older_than(
      fs::file_time_type cutoff) const {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    std::error_code ec;
    for (const auto& sub : fs::directory_iterator(dir_, ec)) {
      const auto prefix = sub.path().filename().string();
      if (prefix.size() != 2 || !sub.is_directory(ec)) continue;
      for (const auto& f : fs::directory_iterator(sub.path(), ec)) {
        auto hash = prefix + f.path().filename().string();
        if (!is_hash128(hash) || !f.is_regular_file(ec)) continue;
        auto time = f.last_write_time(ec);
        if (ec || time >= cutoff) continue;
        auto size = f.file_size(ec);
        if (ec) continue;
        out.emplace_back(std::move(hash), size);
      }
    }
    return out;
  }

  /// Removes temporary files left by processes of this host that died mid-write. A name is
  /// HOST-PID-COUNTER.part and is parsed from the right (the last two fields are digits, so a
  /// host name with '-' in it cannot be mistaken for another host's name and a pid): a file
  /// whose host is not exactly `host`, or whose name is not of that form, is never removed.
  void clean_temporaries(const std::string& host) const {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tmp_, ec)) {
      auto parsed = parse_temporary(entry.path().filename().string());
      if (!parsed || parsed->host != host) continue;
      if (!process_alive(parsed->pid)) fs::remove(entry.path(), ec);
    }
  }

  /// The host and pid in a temporary file's name (see clean_temporaries), if it is one.
  struct temporary_name {
    std::string host;
    std::int64_t pid;
  };
  [[nodiscard]] static std::optional<temporary_name> parse_temporary(std::string_view name) {
    constexpr std::string_view suffix = ".part";
    if (!name.ends_with(suffix)) return std::nullopt;
    name.remove_suffix(suffix.size());
    auto digits = [](std::string_view t) {
      return !t.empty() && t.size() <= 18 &&
             std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    auto last = name.rfind('-');
    if (last == std::string_view::npos || !digits(name.substr(last + 1))) return std::nullopt;
    name = name.substr(0, last);
    auto second = name.rfind('-');
    if (second == std::string_view::npos || second == 0) return std::nullopt;
    auto pid_text = name.substr(second + 1);
    if (!digits(pid_text)) return std::nullopt;
    std::int64_t pid = std::atoll(std::string(pid_text).c_str());
    if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) return std::nullopt;
    return temporary_name{std::string(name.substr(0, second)), pid};
  }

  [[nodiscard]] const fs::path& dir() const noexcept { return dir_; }

 private:
  fs::path dir_;
  fs::path tmp_;
};

}  // namespace typeflow::store_detail
