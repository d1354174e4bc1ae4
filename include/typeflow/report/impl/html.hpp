#pragma once
// The HTML run report (report/html.hpp): included by that header in header-only mode, compiled
// once into typeflow::store (src/store.cpp) in compiled mode.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <typeflow/config.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/core/param.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/detail/number_text.hpp>
#include <typeflow/detail/time_text.hpp>
#include <typeflow/graph/slice.hpp>
#include <typeflow/report/html.hpp>
#include <typeflow/report/html_parts.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

namespace report_detail {

/// "%.6g" (or `format`), or nan, inf, -inf.
inline std::string number(double v, const char* format = "%.6g") {
  return detail::number_text(v, format);
}

/// "2026-11-28 18:00:00 UTC".
inline std::string utc_text(std::chrono::system_clock::time_point t) {
  return detail::time_text(t, "%Y-%m-%d %H:%M:%S UTC", detail::time_zone::utc);
}

/// "512 B", "1.5 KiB", "3.2 MiB", "1.1 GiB".
inline std::string byte_size(std::uint64_t n) {
  if (n < 1024) return std::to_string(n) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n) / 1024;
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  return number(v, "%.1f") + " " + units[u];
}

/// The CSS class of a status; "notrun" for a step without a record (or still pending).
inline std::string status_class(std::optional<step_status> s) {
  if (!s || *s == step_status::pending) return "notrun";
  return std::string(to_string(*s));
}
inline std::string status_label(std::optional<step_status> s) {
  if (!s || *s == step_status::pending) return "not run";
  return std::string(to_string(*s));
}

/// A map node's state from its elements' records: the worst one wins.
inline step_status roll_up(const std::vector<const step_info*>& elements) {
  auto has = [&](step_status s) {
    return std::any_of(elements.begin(), elements.end(),
                       [&](const step_info* e) { return e->status == s; });
  };
  for (auto s : {step_status::failed, step_status::timed_out, step_status::running,
                 step_status::cancelled, step_status::skipped, step_status::pending}) {
    if (has(s)) return s;
  }
  return std::all_of(elements.begin(), elements.end(),
                     [](const step_info* e) { return e->status == step_status::cached; })
             ? step_status::cached
             : step_status::succeeded;
}

/// "train[3]" -> ("train", 3); none when `name` is not an element name.
inline std::optional<std::pair<std::string_view, std::size_t>> element_of(std::string_view name) {
  if (name.size() < 4 || name.back() != ']') return std::nullopt;
  const auto open = name.rfind('[');
  if (open == std::string_view::npos || open == 0) return std::nullopt;
  const auto digits = name.substr(open + 1, name.size() - open - 2);
  if (digits.empty()) return std::nullopt;
  std::size_t i = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    i = i * 10 + static_cast<std::size_t>(c - '0');
  }
  return std::pair{name.substr(0, open), i};
}

inline constexpr const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                          "#9467bd", "#8c564b", "#e377c2", "#17becf"};

/// What the report knows about one node of the definition.
struct node_view {
  detail::node_id id = 0;
  std::string name;
  bool is_param = false;
  const step_info* own = nullptr;          ///< the node's own record
  std::vector<const step_info*> elements;  ///< map elements, by index
  std::optional<step_status> status;       ///< own, else rolled up from the elements
  int layer = 0, row = 0;
};

inline std::vector<node_view> node_views(const detail::definition& d, const run_details& r) {
  std::map<std::string_view, const step_info*, std::less<>> own;
  std::map<std::string_view, std::vector<std::pair<std::size_t, const step_info*>>, std::less<>>
      elements;
  for (const auto& s : r.steps) {
    own.emplace(s.name, &s);
    if (auto e = element_of(s.name)) elements[e->first].emplace_back(e->second, &s);
  }
  std::vector<node_view> out(d.nodes.size());
  for (detail::node_id u = 0; u < d.nodes.size(); ++u) {
    auto& v = out[u];
    v.id = u;
    v.name = std::string(d.nodes[u].name);
    v.is_param = d.nodes[u].kind == detail::node_kind::parameter;
    if (auto it = own.find(v.name); it != own.end()) v.own = it->second;
    if (auto it = elements.find(v.name); it != elements.end()) {
      std::sort(it->second.begin(), it->second.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [i, s] : it->second) v.elements.push_back(s);
    }
    if (v.own != nullptr) {
      v.status = v.own->status;
    } else if (!v.elements.empty()) {
      v.status = roll_up(v.elements);
    }
  }
  return out;
}

/// The DAG as inline SVG: layers by longest path from the sources, left to right.
inline std::string dag_svg(const detail::definition& d, std::vector<node_view>& nodes) {
  constexpr int node_w = 168, node_h = 44, gap_x = 64, gap_y = 18, pad = 12;
  const detail::dependencies deps{d};
  for (auto& v : nodes) {
    // Declaration order is topological: every predecessor has its layer already.
    for (const auto& pr : deps.preds[v.id]) v.layer = std::max(v.layer, nodes[pr.node].layer + 1);
  }
  // A parameter sits just before its first reader, so that its edge crosses no other column.
  for (auto& v : nodes) {
    if (!v.is_param || deps.succs[v.id].empty()) continue;
    int first = nodes[deps.succs[v.id].front()].layer;
    for (auto w : deps.succs[v.id]) first = std::min(first, nodes[w].layer);
    v.layer = first - 1;
  }
  std::vector<int> rows_in_layer;
  for (auto& v : nodes) {
    if (static_cast<std::size_t>(v.layer) >= rows_in_layer.size())
      rows_in_layer.resize(static_cast<std::size_t>(v.layer) + 1, 0);
    v.row = rows_in_layer[static_cast<std::size_t>(v.layer)]++;
  }
  const int layers = static_cast<int>(rows_in_layer.size());
  const int rows =
      rows_in_layer.empty() ? 0 : *std::max_element(rows_in_layer.begin(), rows_in_layer.end());
  const int width = std::max(1, layers) * (node_w + gap_x) - gap_x + 2 * pad;
  const int height = std::max(1, rows) * (node_h + gap_y) - gap_y + 2 * pad;
  auto x_of = [&](const node_view& v) { return pad + v.layer * (node_w + gap_x); };
  auto y_of = [&](const node_view& v) { return pad + v.row * (node_h + gap_y); };

  std::string s = "<svg class=\"dag-graph\" width=\"" + std::to_string(width) + "\" height=\"" +
                  std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                  std::to_string(height) + "\" role=\"img\" aria-label=\"pipeline graph\">\n";
  s += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
       "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" "
       "fill=\"#616161\"/></marker></defs>\n";
  for (const auto& v : nodes) {
    for (const auto& pr : deps.preds[v.id]) {
      const auto& from = nodes[pr.node];
      const int x1 = x_of(from) + node_w, y1 = y_of(from) + node_h / 2;
      const int x2 = x_of(v), y2 = y_of(v) + node_h / 2;
      const int mid = (x1 + x2) / 2;
      s += "<path class=\"edge" + std::string(pr.reads_value ? "" : " order") + "\" d=\"M " +
           std::to_string(x1) + " " + std::to_string(y1) + " C " + std::to_string(mid) + " " +
           std::to_string(y1) + ", " + std::to_string(mid) + " " + std::to_string(y2) + ", " +
           std::to_string(x2) + " " + std::to_string(y2) + "\" marker-end=\"url(#arrow)\"><title>" +
           escape(from.name) + " &#8594; " + escape(v.name) +
           (pr.reads_value ? "" : " (runs after)") + "</title></path>\n";
    }
  }
  for (const auto& v : nodes) {
    const int x = x_of(v), y = y_of(v);
    std::string label = v.name.size() > 22 ? v.name.substr(0, 21) + "\xE2\x80\xA6" : v.name;  // …
    if (v.is_param) {
      s += "<g class=\"param\" id=\"param-" + escape(v.name) + "\"><title>parameter " +
           escape(v.name) + "</title><ellipse cx=\"" + std::to_string(x + node_w / 2) + "\" cy=\"" +
           std::to_string(y + node_h / 2) + "\" rx=\"" + std::to_string(node_w / 2) + "\" ry=\"" +
           std::to_string(node_h / 2) + "\"/><text x=\"" + std::to_string(x + node_w / 2) +
           "\" y=\"" + std::to_string(y + node_h / 2 + 4) + "\" text-anchor=\"middle\">" +
           escape(label) + "</text></g>\n";
      continue;
    }
    std::string sub = status_label(v.status);
    if (!v.elements.empty()) {
      const auto ok = std::count_if(v.elements.begin(), v.elements.end(),
                                    [](const step_info* e) { return produced_outputs(e->status); });
      sub +=
          " \xC2\xB7 " + std::to_string(ok) + "/" + std::to_string(v.elements.size()) + " elements";
    }
    s += "<g class=\"node st-" + status_class(v.status) + "\" id=\"node-" + escape(v.name) +
         "\"><title>" + escape(v.name) + ": " + escape(sub) + "</title><rect x=\"" +
         std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
         std::to_string(node_w) + "\" height=\"" + std::to_string(node_h) +
         "\" rx=\"8\" ry=\"8\"/><text x=\"" + std::to_string(x + node_w / 2) + "\" y=\"" +
         std::to_string(y + 18) + "\" text-anchor=\"middle\" font-weight=\"600\">" + escape(label) +
         "</text><text x=\"" + std::to_string(x + node_w / 2) + "\" y=\"" + std::to_string(y + 34) +
         "\" text-anchor=\"middle\" font-size=\"10\">" + escape(sub) + "</text></g>\n";
  }
  return s + "</svg>\n";
}

inline std::string step_row(const std::string& name, const step_info* s,
                            std::optional<step_status> status, const html_report_options& o) {
  std::string row = "<tr data-step=\"" + escape(name) + "\"><td>" + escape(name) +
                    "</td><td><span class=\"badge st-" + status_class(status) + "\">" +
                    escape(status_label(status)) + "</span></td>";
  if (s == nullptr) {
    row += "<td class=\"num\">0</td><td class=\"num\">-</td><td>no</td><td class=\"msg\"></td>";
  } else {
    row += "<td class=\"num\">" + std::to_string(s->attempts) + "</td><td class=\"num\">" +
           (s->started && s->ended ? format_duration(*s->ended - *s->started) : "-") + "</td><td>" +
           (s->cache_hit ? "yes" : "no") + "</td><td class=\"msg\">" + escape(s->message) + "</td>";
  }
  if (o.step_log_link) {
    row += s == nullptr
               ? std::string("<td></td>")
               : "<td><a class=\"log\" href=\"" + escape(o.step_log_link(name)) + "\">log</a></td>";
  }
  return row + "</tr>\n";
}

/// One line chart of a metric: one series per step that logged it (html_chart).
inline std::string metric_chart(std::string_view metric,
                                const std::vector<const metric_record*>& points) {
  std::map<std::string, std::vector<const metric_record*>> by_step;
  for (const auto* m : points) by_step[m->step].push_back(m);
  std::vector<chart_series> series;
  for (auto& [step, pts] : by_step) {
    std::stable_sort(pts.begin(), pts.end(), [](const metric_record* a, const metric_record* b) {
      return a->index < b->index;
    });
    auto& one = series.emplace_back();
    one.name = step;
    for (const auto* m : pts) one.points.emplace_back(m->index, m->value);
  }
  return html_chart("metric-" + std::string(metric), metric, series, "step");
}

}  // namespace report_detail

/// x = index, y = value. Points whose value is not finite (NaN, +-inf: a diverging loss) have no
/// place on the y axis: they are left out of the lines and the y range, and listed as text
/// under the chart.
TYPEFLOW_INLINE std::string html_chart(std::string_view id, std::string_view title,
                                       const std::vector<chart_series>& series,
                                       std::string_view series_attribute) {
  using namespace report_detail;
  constexpr double w = 480, h = 240, left = 64, right = 16, top = 12, bottom = 36;
  bool any = false, any_drawn = false;
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0;
  for (const auto& one : series) {
    for (const auto& [index, value] : one.points) {
      const auto x = static_cast<double>(index);
      x_min = any ? std::min(x_min, x) : x;
      x_max = any ? std::max(x_max, x) : x;
      any = true;
      if (!std::isfinite(value)) continue;
      y_min = any_drawn ? std::min(y_min, value) : value;
      y_max = any_drawn ? std::max(y_max, value) : value;
      any_drawn = true;
    }
  }
  if (!any) return {};
  const double x_span = x_max > x_min ? x_max - x_min : 1,
               y_span = y_max > y_min ? y_max - y_min : 1;
  auto px = [&](double x) { return left + (x - x_min) / x_span * (w - left - right); };
  auto py = [&](double y) { return h - bottom - (y - y_min) / y_span * (h - top - bottom); };

  std::string s = "<div class=\"chart\" id=\"" + escape(id) + "\"><h3>" + escape(title) + "</h3>\n";
  s += "<svg width=\"480\" height=\"240\" viewBox=\"0 0 480 240\" role=\"img\" "
       "aria-label=\"metric " +
       escape(title) + "\">\n";
  s += "<line class=\"axis\" x1=\"" + number(left) + "\" y1=\"" + number(h - bottom) + "\" x2=\"" +
       number(w - right) + "\" y2=\"" + number(h - bottom) + "\"/>";
  s += "<line class=\"axis\" x1=\"" + number(left) + "\" y1=\"" + number(top) + "\" x2=\"" +
       number(left) + "\" y2=\"" + number(h - bottom) + "\"/>\n";
  s += "<text class=\"y-max\" x=\"" + number(left - 6) + "\" y=\"" + number(top + 4) +
       "\" text-anchor=\"end\">" + number(y_max) + "</text>";
  s += "<text class=\"y-min\" x=\"" + number(left - 6) + "\" y=\"" + number(h - bottom) +
       "\" text-anchor=\"end\">" + number(y_min) + "</text>";
  s += "<text class=\"x-min\" x=\"" + number(left) + "\" y=\"" + number(h - bottom + 16) +
       "\" text-anchor=\"start\">" + number(x_min) + "</text>";
  s += "<text class=\"x-max\" x=\"" + number(w - right) + "\" y=\"" + number(h - bottom + 16) +
       "\" text-anchor=\"end\">" + number(x_max) + "</text>";
  s += "<text x=\"" + number((left + w - right) / 2) + "\" y=\"" + number(h - 4) +
       "\" text-anchor=\"middle\" font-size=\"10\">index</text>\n";
  std::string legend = "<div class=\"legend\">", note;
  std::size_t colour = 0;
  for (const auto& one : series) {
    std::string coords;
    std::size_t drawn = 0;
    std::pair<std::int64_t, double> lone{};
    for (const auto& [index, value] : one.points) {
      if (!std::isfinite(value)) {
        note += " <span>" + escape(one.name) + " [" + std::to_string(index) + "] = <b>" +
                number(value) + "</b></span>";
        continue;
      }
      coords += (coords.empty() ? "" : " ") + number(px(static_cast<double>(index)), "%.1f") + "," +
                number(py(value), "%.1f");
      lone = {index, value};
      ++drawn;
    }
    if (drawn == 0) continue;
    const char* c = palette[colour++ % std::size(palette)];
    s += "<polyline class=\"series\" data-" + std::string(series_attribute) + "=\"" +
         escape(one.name) + "\" stroke=\"" + c + "\" points=\"" + coords + "\"><title>" +
         escape(one.name) + "</title></polyline>\n";
    if (drawn == 1) {  // a lone point draws no line
      s += "<circle cx=\"" + number(px(static_cast<double>(lone.first)), "%.1f") + "\" cy=\"" +
           number(py(lone.second), "%.1f") + "\" r=\"3\" fill=\"" + c + "\"/>\n";
    }
    legend +=
        "<span><i style=\"background:" + std::string(c) + "\"></i>" + escape(one.name) + "</span>";
  }
  if (!note.empty()) note = "<div class=\"not-drawn\">not drawn:" + note + "</div>";
  return s + "</svg>\n" + legend + "</div>" + note + "</div>\n";
}

TYPEFLOW_INLINE std::string html_report_body(const pipeline& p, const run_details& r,
                                             const html_report_options& o) {
  using namespace report_detail;
  const auto& d = *p.definition();
  auto nodes = node_views(d, r);
  const std::string status(to_string(r.run.status));
  std::string h;

  // ------------------------------------------------------------------ header
  h +=
      "<h1>" + escape(r.run.pipeline) + " &#8212; run <code>" + escape(r.run.id) + "</code></h1>\n";
  h += "<dl class=\"run\">\n<dt>status</dt><dd><span id=\"run-status\" class=\"badge run-" +
       escape(status) + "\">" + escape(status) + "</span></dd>\n";
  h += "<dt>started</dt><dd>" + utc_text(r.run.started) + "</dd>\n";
  h += "<dt>duration</dt><dd>" +
       (r.run.ended ? format_duration(r.run.duration()) : std::string("(not finished)")) +
       "</dd>\n";
  h += "<dt>experiment</dt><dd>" +
       (r.run.experiment.empty() ? std::string("-") : escape(r.run.experiment)) + "</dd>\n";
  std::string tags;
  for (const auto& [k, v] : r.run.tags)
    tags += (tags.empty() ? "" : ", ") + escape(k) + "=" + escape(v);
  h += "<dt>tags</dt><dd>" + (tags.empty() ? std::string("-") : tags) + "</dd>\n";
  if (!r.run.kind.empty() && r.run.kind != "run") {
    h += "<dt>kind</dt><dd>" + escape(r.run.kind) +
         (r.run.origin.empty() ? std::string{} : " of <code>" + escape(r.run.origin) + "</code>") +
         "</dd>\n";
  }
  if (!r.run.host.empty()) {
    h += "<dt>host</dt><dd>" + escape(r.run.host) + " (pid " + std::to_string(r.run.pid) +
         ")</dd>\n";
  }
  if (!r.run.message.empty()) h += "<dt>message</dt><dd>" + escape(r.run.message) + "</dd>\n";
  h += "</dl>\n";

  // ------------------------------------------------------------------ DAG
  h += "<h2>Graph</h2>\n<div class=\"dag\">\n" + dag_svg(d, nodes) + "</div>\n";

  // ------------------------------------------------------------------ steps
  h += "<h2>Steps</h2>\n<table "
       "class=\"steps\">\n<thead><tr><th>step</th><th>status</th><th>attempts</th>"
       "<th>duration</th><th>cache hit</th><th>error / message</th>" +
       std::string(o.step_log_link ? "<th>log</th>" : "") + "</tr></thead>\n<tbody>\n";
  std::vector<bool> shown(r.steps.size(), false);
  auto mark = [&](const step_info* s) {
    if (s != nullptr) shown[static_cast<std::size_t>(s - r.steps.data())] = true;
  };
  for (const auto& v : nodes) {
    if (v.is_param) continue;
    h += step_row(v.name, v.own, v.status, o);
    mark(v.own);
    for (const auto* e : v.elements) {
      h += step_row(e->name, e, e->status, o);
      mark(e);
    }
  }
  for (std::size_t i = 0; i < r.steps.size(); ++i) {  // records of steps the pipeline lacks
    if (!shown[i]) h += step_row(r.steps[i].name, &r.steps[i], r.steps[i].status, o);
  }
  h += "</tbody>\n</table>\n";

  // ------------------------------------------------------------------ parameters
  // ------------------------------------------------------------------ artifacts
  h += "<h2>Artifacts</h2>\n";
  std::string artifacts;
  for (const auto& st : r.steps) {
    if (!st.artifact) continue;
    const auto& a = *st.artifact;
    artifacts += "<tr data-step=\"" + escape(st.name) + "\"><td>" + escape(st.name) +
                 "</td><td><code>" + escape(a.type) + "</code></td><td class=\"num\">" +
                 byte_size(a.size) + "</td><td><code>" + escape(a.hash) + "</code></td></tr>\n";
  }
  if (artifacts.empty()) {
    h += "<p>none stored</p>\n";
  } else {
    h += "<table class=\"artifacts\">\n<thead><tr><th>step</th><th>type</th><th>size</th>"
         "<th>hash</th></tr></thead>\n<tbody>\n" +
         artifacts + "</tbody>\n</table>\n";
  }

  h += "<h2>Parameters</h2>\n";
  std::map<std::string, detail::node_id, std::less<>> declared;
  for (const auto& v : nodes) {
    if (v.is_param) declared.emplace(v.name, v.id);
  }
  if (r.run.params.empty() && declared.empty()) {
    h += "<p>none</p>\n";
  } else {
    h += "<table class=\"params\">\n<thead><tr><th>parameter</th><th>value</th><th>type</th>"
         "<th>default</th><th>description</th></tr></thead>\n<tbody>\n";
    auto row = [&](const std::string& name, const std::string* value) {
      std::string type, def, description;
      if (auto it = declared.find(name); it != declared.end()) {
        auto info = detail::describe_param(d, it->second);
        type = info.type;
        def = info.default_value.value_or("(required)");
        description = info.description;
      }
      h += "<tr><td>" + escape(name) + "</td><td class=\"msg\">" +
           (value != nullptr ? escape(*value) : std::string("-")) + "</td><td>" + escape(type) +
           "</td><td class=\"msg\">" + escape(def) + "</td><td>" + escape(description) +
           "</td></tr>\n";
    };
    for (const auto& [name, value] : r.run.params) row(name, &value);
    for (const auto& [name, id] : declared) {
      if (r.run.params.find(name) == r.run.params.end()) row(name, nullptr);
    }
    h += "</tbody>\n</table>\n";
  }

  // ------------------------------------------------------------------ metrics
  h += "<h2>Metrics</h2>\n";
  std::map<std::string, std::vector<const metric_record*>> by_name;
  for (const auto& m : r.metrics) by_name[m.name].push_back(&m);
  if (by_name.empty()) h += "<p>none</p>\n";
  for (const auto& [name, points] : by_name) h += metric_chart(name, points);

  return h;
}

TYPEFLOW_INLINE std::string html_report(const pipeline& p, const run_details& r) {
  using report_detail::escape;
  const std::string status(to_string(r.run.status));
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Belt and braces: even a browser asked to load something from this page may not.
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
       "'unsafe-inline'\">\n";
  h += "<title>" + escape(r.run.pipeline) + " run " + escape(r.run.id) + " (" + escape(status) +
       ")</title>\n<style>" + std::string(report_detail::css) + "</style>\n</head>\n<body>\n";
  h += html_report_body(p, r);
  h += "<p style=\"color:#888;font-size:.8em\">typeflow run report</p>\n</body>\n</html>\n";
  return h;
}

TYPEFLOW_INLINE void write_html_report(const std::filesystem::path& out, const pipeline& p,
                                       const run_details& r) {
  const auto text = html_report(p, r);
  // The temporary file beside `out` has a name no one can guess (the process, a counter and 64
  // random bits) and is created with O_EXCL | O_NOFOLLOW: a file or symbolic link planted at
  // that name is never written through or replaced; another name is tried instead.
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp;
  bool created = false;
  auto fail = [&](const std::string& why) {
    if (created) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
    }
    throw std::runtime_error("typeflow: cannot write the HTML report to '" + out.string() +
                             "': " + why);
  };
  int fd = -1;
  std::random_device entropy;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    const auto random = (std::uint64_t{entropy()} << 32) ^ std::uint64_t{entropy()};
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(random));
    tmp = out;
    tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
           hex;
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) fail(std::strerror(errno));
  }
  if (fd < 0) fail("no unused temporary file name beside it");
  created = true;
  for (std::size_t done = 0; done < text.size();) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      fail(n < 0 ? std::strerror(saved) : "nothing written");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) fail(std::strerror(errno));
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) fail(ec.message());
}

}  // namespace typeflow
