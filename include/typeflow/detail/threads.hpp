#pragma once
// Starting a thread whose creation may fail: pthread_create fails with EAGAIN under a limit on
// processes or threads (ulimit -u, a container's pids limit). std::thread then throws a
// std::system_error whose message ("Resource temporarily unavailable") names neither the
// thread nor the cause; start_thread's names both.

#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace typeflow::detail {

template <class F>
std::thread start_thread(std::string_view what, F&& f) {
  try {
    return std::thread(std::forward<F>(f));
  } catch (const std::system_error& e) {
    throw std::system_error(e.code(), "typeflow: cannot start " + std::string(what) +
                                          " (a limit on processes or threads? ulimit -u, a "
                                          "container's pids limit)");
  }
}

}  // namespace typeflow::detail
