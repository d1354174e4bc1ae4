// Fuzz target: cron expressions (`schedule --cron`, cli/cron.hpp). A bad expression must be
// a cron_error; a good one must give a next time after the one asked about, at a whole minute.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <typeflow/cli/cron.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  typeflow::fuzz::input in(data, size);
  const std::string text = in.rest();
  try {
    const auto expr = typeflow::cron_expr::parse(text);
    // 2026-03-29 00:30 UTC: a daylight-saving change in Europe, where TZ may point.
    const std::chrono::system_clock::time_point t{std::chrono::seconds(1774744200)};
    const auto next = expr.next_after(t);
    if (next <= t) std::abort();
    if (std::chrono::duration_cast<std::chrono::seconds>(next.time_since_epoch()).count() % 60 != 0)
      std::abort();
  } catch (const typeflow::cron_error&) {
  }
  return 0;
}
