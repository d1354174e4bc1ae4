#pragma once
// Run ids: one function makes them, for the executor, the run store and anyone who names a
// run before starting it (run_options::run_id). Short enough to type, unique enough to trust.

#include <string>

#include <typeflow/config.hpp>

namespace typeflow {

/// A new run id: 12 characters of base 36 (`0-9a-z`), the first 9 the current time in
/// milliseconds since the epoch, the last 3 drawn at random, e.g. `"mh2k9x0q1a7z"`.
///
/// Ids sort by creation time as text. Within one process they are strictly increasing even
/// when made in the same millisecond (the time part then counts on from the last id made), and
/// unique across threads; across processes the 3 random characters (46656 values) keep two
/// runs started in the same millisecond apart, mostly: the run store checks, and never gives
/// an id already in it to a second run (a generated one is drawn again).
///
///     auto id = typeflow::make_run_id();
///     typeflow::run(p, typeflow::run_options{}.run_id(id));
[[nodiscard]] TYPEFLOW_INLINE std::string make_run_id();

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/exec/impl/run_id.hpp>
#endif
