#pragma once
// The HTML run report: one self-contained page (inline CSS and SVG, no scripts, nothing
// loaded from anywhere) showing a stored run: its header, the DAG coloured by step status,
// the steps, the stored artifacts (type, size, hash), the parameters and one chart per metric.
//
//     typeflow::store st;
//     typeflow::write_html_report("run.html", p, st.show("latest"));

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

/// The report of one stored run (store::show) of `p` as a self-contained HTML page. Every
/// text from the run or the pipeline is escaped; the page loads nothing and runs no script.
TYPEFLOW_INLINE std::string html_report(const pipeline& p, const run_details& r);

/// What a page built around a run's report (the browser run mode's run page) adds to it.
struct html_report_options {
  /// When set: a "log" column in the steps table, linking each step's record to this URL.
  std::function<std::string(const std::string& step)> step_log_link;
};

/// The report's sections (header, graph, steps, artifacts, parameters, metrics) without the page around
/// them: what html_report() wraps, and what the browser run mode's run page shows. The run's
/// status badge is span#run-status, each step's row tr[data-step=NAME], each DAG node
/// g.node.st-STATUS#node-NAME.
TYPEFLOW_INLINE std::string html_report_body(const pipeline& p, const run_details& r,
                                             const html_report_options& o = {});

/// One series of a line chart: its name and its (index, value) points.
struct chart_series {
  std::string name;
  std::vector<std::pair<std::int64_t, double>> points;
};

/// An SVG line chart titled `title`, one polyline per series (attribute data-`series_attribute`
/// = its name), as the report draws a metric: non-finite values left out of the lines and
/// listed under the chart. `id` is the chart's element id (escaped). Empty `series`: "".
TYPEFLOW_INLINE std::string html_chart(std::string_view id, std::string_view title,
                                       const std::vector<chart_series>& series,
                                       std::string_view series_attribute = "step");

/// Writes html_report(p, r) to `out` (a temporary file in the same directory, then renamed
/// over `out`). Throws std::runtime_error naming the path when it cannot.
TYPEFLOW_INLINE void write_html_report(const std::filesystem::path& out, const pipeline& p,
                                       const run_details& r);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/report/impl/html.hpp>
#endif
