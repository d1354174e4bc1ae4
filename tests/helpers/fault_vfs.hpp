#pragma once
// A SQLite VFS for the fault-injection tests (tests/faults/driver.py): a wrapper around the
// default VFS that makes the N-th xWrite, xSync or xLock call fail, registered as the default
// VFS by install_fault_vfs() when $TYPEFLOW_FAULT_VFS says so (only test programs call it;
// the library opens databases with the default VFS and knows nothing of this one):
//
//   TYPEFLOW_FAULT_VFS=CALL:N:CODE[,...]   CALL: write, sync or lock; N: the N-th call of that
//                                           kind (from 1), or N+ for every call from the N-th
//                                           on; CODE: FULL, IOERR or BUSY
//   TYPEFLOW_FAULT_VFS_COUNTS=FILE          at exit, "CALL COUNT" lines: the calls seen
//
// A failing xWrite returns SQLITE_FULL or SQLITE_IOERR_WRITE; xSync SQLITE_IOERR_FSYNC (or
// SQLITE_FULL); xLock SQLITE_BUSY (or an I/O error), as the unix VFS does on ENOSPC, EIO or a
// lock held by another process.

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sqlite3.h>

namespace fault_vfs {

enum kind : int { k_write, k_sync, k_lock, k_count };
inline const char* const names[k_count] = {"write", "sync", "lock"};

struct rule {
  long n = 0;
  bool from = false;
  int code = 0;
};

inline rule rules[k_count];
inline std::atomic<long> calls[k_count];
inline sqlite3_vfs* real_vfs = nullptr;
inline std::string counts_path;

/// The code the call of kind k fails with, or SQLITE_OK.
inline int fault(kind k) {
  const long n = calls[k].fetch_add(1) + 1;
  const rule& r = rules[k];
  if (r.n == 0 || !(n == r.n || (r.from && n > r.n))) return SQLITE_OK;
  if (r.code == SQLITE_IOERR) {
    return k == k_write ? SQLITE_IOERR_WRITE : k == k_sync ? SQLITE_IOERR_FSYNC : SQLITE_IOERR_LOCK;
  }
  return r.code;
}

struct file {
  sqlite3_file base;
  sqlite3_file* real;  ///< right after this struct, in the same allocation
};

inline sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<file*>(f)->real; }

inline int x_close(sqlite3_file* f) {
  auto* r = real_of(f);
  return r->pMethods != nullptr ? r->pMethods->xClose(r) : SQLITE_OK;
}
inline int x_read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  return real_of(f)->pMethods->xRead(real_of(f), p, n, off);
}
inline int x_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  if (int rc = fault(k_write); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xWrite(real_of(f), p, n, off);
}
inline int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
inline int x_sync(sqlite3_file* f, int flags) {
  if (int rc = fault(k_sync); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
inline int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
inline int x_lock(sqlite3_file* f, int level) {
  if (int rc = fault(k_lock); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
inline int x_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
inline int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
inline int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
inline int x_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
inline int x_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
inline int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
inline int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
inline void x_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
inline int x_shm_unmap(sqlite3_file* f, int del) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}
inline int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), off, n, out);
}
inline int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

/// One table per iVersion of the real file's methods (1 to 3): a version-3 table forwarding
/// to a version-1 file would call missing methods.
inline sqlite3_io_methods methods[3] = {};

inline void make_methods() {
  for (int v = 1; v <= 3; ++v) {
    auto& m = methods[v - 1];
    m.iVersion = v;
    m.xClose = x_close;
    m.xRead = x_read;
    m.xWrite = x_write;
    m.xTruncate = x_truncate;
    m.xSync = x_sync;
    m.xFileSize = x_file_size;
    m.xLock = x_lock;
    m.xUnlock = x_unlock;
    m.xCheckReservedLock = x_check_reserved_lock;
    m.xFileControl = x_file_control;
    m.xSectorSize = x_sector_size;
    m.xDeviceCharacteristics = x_device_characteristics;
    if (v >= 2) {
      m.xShmMap = x_shm_map;
      m.xShmLock = x_shm_lock;
      m.xShmBarrier = x_shm_barrier;
      m.xShmUnmap = x_shm_unmap;
    }
    if (v >= 3) {
      m.xFetch = x_fetch;
      m.xUnfetch = x_unfetch;
    }
  }
}

inline int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
  auto* ff = reinterpret_cast<file*>(f);
  ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
  ff->base.pMethods = nullptr;
  int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out);
  if (ff->real->pMethods != nullptr) {
    const int v = ff->real->pMethods->iVersion;
    ff->base.pMethods = &methods[(v < 1 ? 1 : v > 3 ? 3 : v) - 1];
  }
  return rc;
}
inline int x_delete(sqlite3_vfs*, const char* name, int sync) {
  return real_vfs->xDelete(real_vfs, name, sync);
}
inline int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
inline int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
inline void* x_dl_open(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
inline void x_dl_error(sqlite3_vfs*, int n, char* out) { real_vfs->xDlError(real_vfs, n, out); }
inline void (*x_dl_sym(sqlite3_vfs*, void* h, const char* name))(void) {
  return real_vfs->xDlSym(real_vfs, h, name);
}
inline void x_dl_close(sqlite3_vfs*, void* h) { real_vfs->xDlClose(real_vfs, h); }
inline int x_randomness(sqlite3_vfs*, int n, char* out) {
  return real_vfs->xRandomness(real_vfs, n, out);
}
inline int x_sleep(sqlite3_vfs*, int us) { return real_vfs->xSleep(real_vfs, us); }
inline int x_current_time(sqlite3_vfs*, double* out) {
  return real_vfs->xCurrentTime(real_vfs, out);
}
inline int x_get_last_error(sqlite3_vfs*, int n, char* out) {
  return real_vfs->xGetLastError(real_vfs, n, out);
}
inline int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

inline sqlite3_vfs vfs = {};

inline void write_counts() {
  if (counts_path.empty()) return;
  if (FILE* f = std::fopen(counts_path.c_str(), "w"); f != nullptr) {
    for (int i = 0; i < k_count; ++i) std::fprintf(f, "%s %ld\n", names[i], calls[i].load());
    std::fclose(f);
  }
}

/// Registers the faulty VFS as the default when $TYPEFLOW_FAULT_VFS or
/// $TYPEFLOW_FAULT_VFS_COUNTS is set; returns whether it did. Call before any database opens.
inline bool install_fault_vfs() {
  const char* spec = std::getenv("TYPEFLOW_FAULT_VFS");
  const char* counts = std::getenv("TYPEFLOW_FAULT_VFS_COUNTS");
  if (spec == nullptr && counts == nullptr) return false;
  std::string text = spec != nullptr ? spec : "";
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const auto item = text.substr(pos, end - pos);
    pos = end + 1;
    const auto c1 = item.find(':');
    const auto c2 = item.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) {
      std::fprintf(stderr, "fault_vfs: bad TYPEFLOW_FAULT_VFS item '%s'\n", item.c_str());
      std::abort();
    }
    const auto call = item.substr(0, c1);
    const auto count = item.substr(c1 + 1, c2 - c1 - 1);
    const auto code = item.substr(c2 + 1);
    int k = -1;
    for (int i = 0; i < k_count; ++i) {
      if (call == names[i]) k = i;
    }
    if (k < 0) {
      std::fprintf(stderr, "fault_vfs: unknown call '%s'\n", call.c_str());
      std::abort();
    }
    rules[k].n = std::atol(count.c_str());
    rules[k].from = count.find('+') != std::string::npos;
    rules[k].code = code == "FULL" ? SQLITE_FULL : code == "BUSY" ? SQLITE_BUSY : SQLITE_IOERR;
  }
  if (counts != nullptr) {
    counts_path = counts;
    std::atexit(write_counts);
  }
  real_vfs = sqlite3_vfs_find(nullptr);
  if (real_vfs == nullptr) return false;
  make_methods();
  vfs.iVersion = real_vfs->iVersion < 2 ? real_vfs->iVersion : 2;
  vfs.szOsFile = static_cast<int>(sizeof(file)) + real_vfs->szOsFile;
  vfs.mxPathname = real_vfs->mxPathname;
  vfs.zName = "typeflow-faults";
  vfs.xOpen = x_open;
  vfs.xDelete = x_delete;
  vfs.xAccess = x_access;
  vfs.xFullPathname = x_full_pathname;
  vfs.xDlOpen = x_dl_open;
  vfs.xDlError = x_dl_error;
  vfs.xDlSym = x_dl_sym;
  vfs.xDlClose = x_dl_close;
  vfs.xRandomness = x_randomness;
  vfs.xSleep = x_sleep;
  vfs.xCurrentTime = x_current_time;
  vfs.xGetLastError = x_get_last_error;
  vfs.xCurrentTimeInt64 = x_current_time_int64;
  return sqlite3_vfs_register(&vfs, 1) == SQLITE_OK;
}

}  // namespace fault_vfs
