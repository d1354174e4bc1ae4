// An LD_PRELOAD library that makes system calls fail on purpose, for the fault-injection tests
// (tests/faults/driver.py). Configured by environment variables read once, at load:
//
//   TYPEFLOW_FAULT=CALL:N:ERRNO[,CALL:N:ERRNO...]   the N-th call (counted from 1) fails
//   TYPEFLOW_FAULT=CALL:N+:ERRNO                    every call from the N-th on fails (a disk
//                                                   that stays full)
//   TYPEFLOW_FAULT_COUNTS=FILE   at exit, writes "CALL COUNT" lines: how many calls each kind
//                                saw (the driver's first, fault-free run sizes its loop)
//
// CALL is one of
//   write           write, pwrite, pwrite64, writev on a regular file (not on pipes, sockets or
//                   terminals: the faults model a disk, and a test must still see stderr)
//   fsync           fsync, fdatasync
//   rename          rename, renameat, renameat2
//   open            open, open64, openat, openat64 that create a file (O_CREAT of a path that
//                   does not exist yet): a full disk (of inodes) still opens existing files
//   pthread_create  pthread_create (std::thread)
// ERRNO is ENOSPC, EIO, EAGAIN, EDQUOT, EROFS or a number. A failed pthread_create returns the
// error number (it does not set errno), as the real one does.
//
// Only calls made through the dynamic symbol table are seen: glibc's own internal calls
// (stdio's write under fwrite, for one) are not. The store and its SQLite library call these
// functions directly.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

enum kind : int { k_write, k_fsync, k_rename, k_open, k_thread, k_count };
const char* const kind_names[k_count] = {"write", "fsync", "rename", "open", "pthread_create"};

struct rule {
  long n = 0;         ///< 0: no fault for this kind
  bool from = false;  ///< every call from the n-th on
  int error = 0;
};

rule rules[k_count];
std::atomic<long> calls[k_count];
char counts_path[4096];

int parse_errno(const char* s) {
  if (std::strcmp(s, "ENOSPC") == 0) return ENOSPC;
  if (std::strcmp(s, "EIO") == 0) return EIO;
  if (std::strcmp(s, "EAGAIN") == 0) return EAGAIN;
  if (std::strcmp(s, "EDQUOT") == 0) return EDQUOT;
  if (std::strcmp(s, "EROFS") == 0) return EROFS;
  return std::atoi(s);
}

void configure() {
  if (const char* p = std::getenv("TYPEFLOW_FAULT_COUNTS"); p != nullptr) {
    std::snprintf(counts_path, sizeof counts_path, "%s", p);
  }
  const char* spec = std::getenv("TYPEFLOW_FAULT");
  if (spec == nullptr) return;
  char buf[1024];
  std::snprintf(buf, sizeof buf, "%s", spec);
  char* save = nullptr;
  for (char* item = strtok_r(buf, ",", &save); item != nullptr;
       item = strtok_r(nullptr, ",", &save)) {
    char* c1 = std::strchr(item, ':');
    char* c2 = c1 != nullptr ? std::strchr(c1 + 1, ':') : nullptr;
    if (c2 == nullptr) {
      std::fprintf(stderr, "typeflow-faults: bad TYPEFLOW_FAULT item '%s'\n", item);
      std::abort();
    }
    *c1 = *c2 = '\0';
    int k = -1;
    for (int i = 0; i < k_count; ++i) {
      if (std::strcmp(item, kind_names[i]) == 0) k = i;
    }
    if (k < 0) {
      std::fprintf(stderr, "typeflow-faults: unknown call '%s'\n", item);
      std::abort();
    }
    rules[k].n = std::atol(c1 + 1);
    rules[k].from = std::strchr(c1 + 1, '+') != nullptr;
    rules[k].error = parse_errno(c2 + 1);
  }
}

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

/// Counts a call of kind k; returns the error to fail it with, or 0.
int fault(kind k) {
  const long n = calls[k].fetch_add(1, std::memory_order_relaxed) + 1;
  const rule& r = rules[k];
  if (r.n == 0) return 0;
  if (n == r.n || (r.from && n > r.n)) return r.error;
  return 0;
}

bool regular_file(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

bool creates(int dir, const char* path, int flags) {
  return (flags & O_CREAT) != 0 && ::faccessat(dir, path, F_OK, 0) != 0;
}

struct setup {
  setup() { configure(); }
  ~setup() {
    if (counts_path[0] == '\0') return;
    // The real open and write: this library's own would count (and might fail) them.
    auto open_ = real<int (*)(const char*, int, ...)>("open");
    auto write_ = real<ssize_t (*)(int, const void*, size_t)>("write");
    int fd = open_(counts_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    char line[128];
    for (int i = 0; i < k_count; ++i) {
      int len = std::snprintf(line, sizeof line, "%s %ld\n", kind_names[i], calls[i].load());
      if (write_(fd, line, static_cast<size_t>(len)) < 0) break;
    }
    ::close(fd);
  }
} the_setup;

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t n) {
  static auto next = real<ssize_t (*)(int, const void*, size_t)>("write");
  if (regular_file(fd)) {
    if (int e = fault(k_write)) {
      errno = e;
      return -1;
    }
  }
  return next(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  static auto next = real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (regular_file(fd)) {
    if (int e = fault(k_write)) {
      errno = e;
      return -1;
    }
  }
  return next(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  static auto next = real<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  if (regular_file(fd)) {
    if (int e = fault(k_write)) {
      errno = e;
      return -1;
    }
  }
  return next(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  static auto next = real<ssize_t (*)(int, const struct iovec*, int)>("writev");
  if (regular_file(fd)) {
    if (int e = fault(k_write)) {
      errno = e;
      return -1;
    }
  }
  return next(fd, iov, count);
}

int fsync(int fd) {
  static auto next = real<int (*)(int)>("fsync");
  if (int e = fault(k_fsync)) {
    errno = e;
    return -1;
  }
  return next(fd);
}

int fdatasync(int fd) {
  static auto next = real<int (*)(int)>("fdatasync");
  if (int e = fault(k_fsync)) {
    errno = e;
    return -1;
  }
  return next(fd);
}

int rename(const char* from, const char* to) {
  static auto next = real<int (*)(const char*, const char*)>("rename");
  if (int e = fault(k_rename)) {
    errno = e;
    return -1;
  }
  return next(from, to);
}

int renameat(int fd1, const char* from, int fd2, const char* to) {
  static auto next = real<int (*)(int, const char*, int, const char*)>("renameat");
  if (int e = fault(k_rename)) {
    errno = e;
    return -1;
  }
  return next(fd1, from, fd2, to);
}

int renameat2(int fd1, const char* from, int fd2, const char* to, unsigned flags) {
  static auto next = real<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
  if (int e = fault(k_rename)) {
    errno = e;
    return -1;
  }
  return next(fd1, from, fd2, to, flags);
}

#define TYPEFLOW_FAULT_OPEN(...)                   \
  {                                                \
    mode_t mode = 0;                               \
    if ((flags & (O_CREAT | O_TMPFILE)) != 0) {    \
      va_list ap;                                  \
      va_start(ap, flags);                         \
      mode = static_cast<mode_t>(va_arg(ap, int)); \
      va_end(ap);                                  \
    }                                              \
    if (creates(dir, path, flags)) {               \
      if (int e = fault(k_open)) {                 \
        errno = e;                                 \
        return -1;                                 \
      }                                            \
    }                                              \
    return next(__VA_ARGS__, flags, mode);         \
  }

int open(const char* path, int flags, ...) {
  const int dir = AT_FDCWD;
  static auto next = real<int (*)(const char*, int, ...)>("open");
  TYPEFLOW_FAULT_OPEN(path)
}
int open64(const char* path, int flags, ...) {
  const int dir = AT_FDCWD;
  static auto next = real<int (*)(const char*, int, ...)>("open64");
  TYPEFLOW_FAULT_OPEN(path)
}
int openat(int dir, const char* path, int flags, ...) {
  static auto next = real<int (*)(int, const char*, int, ...)>("openat");
  TYPEFLOW_FAULT_OPEN(dir, path)
}
int openat64(int dir, const char* path, int flags, ...) {
  static auto next = real<int (*)(int, const char*, int, ...)>("openat64");
  TYPEFLOW_FAULT_OPEN(dir, path)
}

int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  static auto next =
      real<int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*)>("pthread_create");
  if (int e = fault(k_thread)) return e;
  return next(t, attr, start, arg);
}

}  // extern "C"
