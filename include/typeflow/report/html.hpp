#pragma once
// The HTML run report: one self-contained page (inline CSS and SVG, no scripts, nothing
// loaded from anywhere) showing a stored run: its header, the DAG coloured by step status,
// the steps, the parameters and one chart per metric.
//
//     typeflow::store st;
//     typeflow::write_html_report("run.html", p, st.show("latest"));

#include <filesystem>
#include <string>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

/// The report of one stored run (store::show) of `p` as a self-contained HTML page. Every
/// text from the run or the pipeline is escaped; the page loads nothing and runs no script.
TYPEFLOW_INLINE std::string html_report(const pipeline& p, const run_details& r);

/// Writes html_report(p, r) to `out` (a temporary file in the same directory, then renamed
/// over `out`). Throws std::runtime_error naming the path when it cannot.
TYPEFLOW_INLINE void write_html_report(const std::filesystem::path& out, const pipeline& p,
                                       const run_details& r);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/report/impl/html.hpp>
#endif
