// Fuzz target: the JSON the command line writes, fed arbitrary bytes in names, messages,
// tags, parameter values and metric values: the event lines of `run --json` (progress_view in
// JSON mode, as a run calls it) and the run document `run --json` ends with and `show --json`
// prints (details_json). Each must write valid JSON whatever the bytes (issue 15, defect 6:
// invalid UTF-8 is replaced, never an exception).
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/run_document.hpp>
#include <typeflow/cli/progress.hpp>
#if __has_include(<typeflow/detail/json_text.hpp>)
#include <typeflow/detail/json_text.hpp>
#endif

#include "run_input.hpp"

namespace tyf = typeflow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tyf::fuzz::input in(data, size);
  if (in.byte() % 2 == 0) {
    const std::string run_id = in.string(), pipeline = in.string(), step = in.string(),
                      message = in.string(), metric = in.string();
    tyf::event e;
    e.kind = static_cast<tyf::event_kind>(in.byte() % 12);
    e.run_id = run_id;
    e.pipeline = pipeline;
    e.step = step;
    e.message = message;
    e.metric = metric;
    e.attempt = in.byte();
    e.status = static_cast<tyf::run_status>(in.byte() % 6);
    e.value = tyf::fuzz::number(in);
    e.index = static_cast<std::int8_t>(in.byte());
    e.done = in.byte();
    e.total = in.byte();
    e.time = tyf::fuzz::time_point(in);
    std::ostringstream out;
    {
      tyf::progress_view view(out, tyf::progress_mode::json, 3);
      view.on_event(e);
    }
    std::istringstream lines(out.str());
    for (std::string line; std::getline(lines, line);) {
      if (!nlohmann::json::accept(line)) std::abort();
    }
  } else {
    const auto doc = tyf::cli_detail::make_run_document(tyf::fuzz::run_from(in));
    // As `run --json` and `show --json` write it (cli/detail/launch.hpp, commands_store.hpp):
    // through detail::json_text once issue 15's defect 6 fix is there, else as main wrote it.
#if __has_include(<typeflow/detail/json_text.hpp>)
    const std::string text = tyf::detail::json_text(tyf::cli_detail::details_json(doc));
#else
    const std::string text = tyf::cli_detail::details_json(doc).dump();
#endif
    if (!nlohmann::json::accept(text)) std::abort();
  }
  return 0;
}
