#pragma once
// JSON as text, for every JSON output of typeflow (the command line's documents and event
// lines, the notifier's payload, parameter texts): invalid UTF-8 in a string (a parameter
// value, a tag, a metric name, an exception's message, a path: bytes typeflow does not choose)
// becomes U+FFFD instead of making nlohmann::json throw, so one odd byte never costs a line of
// the event stream, a run's document, or `runs --json` for as long as the run exists.
// A template, so that it needs no JSON header of its own: its users have the full
// <nlohmann/json.hpp> (or ordered_json) where they call it.

#include <string>

namespace typeflow::detail {

/// `j.dump(indent)`, replacing each invalid UTF-8 sequence by U+FFFD; -1: one line.
template <class Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace typeflow::detail
