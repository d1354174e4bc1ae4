#pragma once
// The pieces of HTML the run report (report/html.hpp) and the browser run mode (ui/) share, so
// that both draw runs the same way: escaping, and the style sheet (status colours, tables,
// the DAG's and the charts' SVG classes). Header-only: text and one function.

#include <string>
#include <string_view>

namespace typeflow::report_detail {

/// Text made safe for HTML element content and quoted attribute values.
inline std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// The style sheet of the report and of the UI's pages: a status `S` is drawn with the class
/// `st-S` (a step: SVG fill and stroke, or a badge) or `run-S` (a run's badge).
inline constexpr std::string_view css = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#212121;background:#fafafa}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.15em;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
dl.run{display:grid;grid-template-columns:max-content auto;gap:4px 16px;margin:12px 0}dl.run dt{font-weight:600;color:#555}dl.run dd{margin:0}
table{border-collapse:collapse;background:#fff;font-size:.92em}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}td.msg{white-space:pre-wrap;max-width:60em;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;border:1px solid;font-size:.9em}
.st-succeeded{fill:#c8e6c9;stroke:#2e7d32;background:#c8e6c9;border-color:#2e7d32}
.st-cached{fill:#b2dfdb;stroke:#00796b;background:#b2dfdb;border-color:#00796b}
.st-failed{fill:#ffcdd2;stroke:#c62828;background:#ffcdd2;border-color:#c62828}
.st-timed_out{fill:#ffe0b2;stroke:#ef6c00;background:#ffe0b2;border-color:#ef6c00}
.st-skipped,.st-cancelled{fill:#e0e0e0;stroke:#757575;background:#e0e0e0;border-color:#757575}
.st-running{fill:#bbdefb;stroke:#1565c0;background:#bbdefb;border-color:#1565c0}
.st-notrun{fill:#ffffff;stroke:#9e9e9e;background:#ffffff;border-color:#9e9e9e}
.run-succeeded{background:#c8e6c9;border-color:#2e7d32}.run-failed,.run-interrupted{background:#ffcdd2;border-color:#c62828}
.run-stopped{background:#e0e0e0;border-color:#757575}.run-running,.run-pending{background:#bbdefb;border-color:#1565c0}
svg text{font-size:12px;fill:#212121}svg .node rect{stroke-width:1.5}svg .param ellipse{fill:#fff8e1;stroke:#8d6e63}
svg .edge{fill:none;stroke:#616161;stroke-width:1.2}svg .edge.order{stroke-dasharray:5 4}
svg .axis{stroke:#9e9e9e;stroke-width:1}svg .series{fill:none;stroke-width:2}
.chart{display:inline-block;margin:0 24px 16px 0;vertical-align:top}.chart h3{font-size:1em;margin:4px 0}
.legend span{display:inline-block;margin-right:12px;font-size:.85em}.not-drawn{font-size:.85em;color:#b00}.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
.dag{overflow-x:auto;background:#fff;border:1px solid #ddd;padding:8px}
)";

}  // namespace typeflow::report_detail
