#pragma once
// The pages of the browser run mode (docs/ui.md, Routes): HTML built on the server, every text
// from a user or a step escaped. Included by ui/impl/server.hpp after server::state, whose
// store and pipeline the handlers read; register_pages() adds the routes.

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <httplib.h>

#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/manifest.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/detail/number_text.hpp>
#include <typeflow/report/html.hpp>
#include <typeflow/report/html_parts.hpp>
#include <typeflow/ui/assets/ui_js.hpp>
#include <typeflow/ui/server.hpp>

namespace typeflow::ui::ui_detail {

/// "/?status=..&experiment=..&tag=..&offset=N" with every value percent-encoded.
inline std::string page_link(const runs_page& pg, std::size_t offset) {
  std::string q = "/?limit=" + std::to_string(pg.limit) + "&offset=" + std::to_string(offset);
  if (!pg.status.empty()) q += "&status=" + httplib::detail::encode_query_param(pg.status);
  if (!pg.experiment.empty())
    q += "&experiment=" + httplib::detail::encode_query_param(pg.experiment);
  for (const auto& t : pg.tags) q += "&tag=" + httplib::detail::encode_query_param(t);
  if (!pg.since.empty()) q += "&since=" + httplib::detail::encode_query_param(pg.since);
  if (!pg.until.empty()) q += "&until=" + httplib::detail::encode_query_param(pg.until);
  return q;
}

/// The pages' own styles, after the report's (report_detail::css).
inline constexpr std::string_view pages_css =
    "nav{margin:0 0 12px}nav a{margin-right:16px}form.filter input,form.filter "
    "select{margin-right:8px}#actions{margin:8px 0}#actions button{margin-right:8px}"
    ".field-error,#action-error{color:#b00;margin-left:8px}tr.differs td{background:#fff3e0}"
    "tr.differs td:first-child{font-weight:600}form#start td{vertical-align:middle}"
    "form#answer{background:#fff8e1;border:1px solid #ffb300;padding:8px;margin:8px 0}"
    ".hint{color:#666;font-size:.85em}";

/// A page of the UI: the report's style sheet, the CSRF token of the browser's session (which
/// this sets up when the request has none: every page can POST), the script /static/ui.js and
/// <body data-page=`kind` ...`body_attributes`> (attributes already escaped).
inline std::string ui_page(server::state& s, const httplib::Request& req, httplib::Response& res,
                           const std::string& title, std::string_view kind,
                           const std::string& body_attributes, const std::string& body) {
  using report_detail::escape;
  const auto csrf = session_token(s, req, res);
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<link rel=\"icon\" href=\"data:,\">\n<meta name=\"csrf-token\" content=\"" +
         escape(csrf) + "\">\n<title>" + escape(title) + "</title>\n<style>" +
         std::string(report_detail::css) + std::string(pages_css) +
         "</style>\n<script src=\"/static/ui.js\" defer></script>\n</head>\n<body data-page=\"" +
         escape(kind) + "\"" + body_attributes +
         ">\n<nav><a href=\"/\">runs</a><a href=\"/runs/new\">new run</a><a "
         "href=\"/pipeline\">pipeline</a></nav>\n" +
         body + "</body>\n</html>\n";
}

inline void html_reply(httplib::Response& res, const std::string& html) {
  res.set_content(html, "text/html; charset=utf-8");
}

inline std::string path_part(const std::string& text) {
  return httplib::detail::encode_query_param(text);
}

inline std::string runs_html(const pipeline& p, const runs_page& pg) {
  using report_detail::escape;
  std::string b = "<h1>" + escape(p.name()) + " &#8212; runs</h1>\n";
  b += "<p><a id=\"new-run\" href=\"/runs/new\">start a run</a> &#183; <a "
       "href=\"/pipeline\">the pipeline</a></p>\n";
  b += "<form class=\"filter\" method=\"get\" action=\"/\">status <select name=\"status\">"
       "<option value=\"\">any</option>";
  for (const char* s : {"pending", "running", "succeeded", "failed", "stopped", "interrupted"}) {
    b += "<option" + std::string(pg.status == s ? " selected" : "") + ">" + s + "</option>";
  }
  b += "</select> experiment <input name=\"experiment\" value=\"" + escape(pg.experiment) +
       "\"> tag";
  // One field per tag filter (all of them kept when the form is sent again), at least one.
  for (std::size_t i = 0; i < std::max<std::size_t>(pg.tags.size(), 1); ++i) {
    b += " <input name=\"tag\" placeholder=\"KEY=VALUE\" value=\"" +
         escape(i < pg.tags.size() ? pg.tags[i] : std::string{}) + "\">";
  }
  b += " started from <input type=\"date\" id=\"since\" name=\"since\" value=\"" +
       escape(pg.since) + "\"> to <input type=\"date\" id=\"until\" name=\"until\" value=\"" +
       escape(pg.until) + "\"> (UTC) <button type=\"submit\">filter</button></form>\n";
  for (const auto& r : pg.refused) b += "<p class=\"not-drawn\">" + escape(r) + "</p>\n";
  if (pg.runs.empty()) {
    b += "<p>no runs" + std::string(pg.offset > 0 ? " on this page" : "") + "</p>\n";
  } else {
    // Picking runs to compare is a plain GET form: /compare?run=A&run=B.
    b += "<form id=\"pick\" method=\"get\" action=\"/compare\">\n<p><button type=\"submit\" "
         "id=\"compare\">compare the selected runs</button></p>\n";
    b += "<table id=\"runs\" class=\"runs\">\n<thead><tr><th></th><th>run</th><th>status</th>"
         "<th>started</th><th>duration</th><th>kind</th><th>experiment</th><th>tags</th>"
         "<th>message</th></tr></thead>\n<tbody>\n";
    for (const auto& r : pg.runs) {
      const std::string status(to_string(r.status));
      std::string tags;
      for (const auto& [k, v] : r.tags)
        tags += (tags.empty() ? "" : ", ") + escape(k) + "=" + escape(v);
      b += "<tr class=\"run\" data-run=\"" + escape(r.id) +
           "\"><td><input type=\"checkbox\" class=\"pick\" name=\"run\" value=\"" + escape(r.id) +
           "\" aria-label=\"select run " + escape(r.id) + "\"></td><td><a href=\"/runs/" +
           path_part(r.id) + "\"><code>" + escape(r.id) +
           "</code></a></td><td><span class=\"badge run-" + escape(status) + "\">" +
           escape(status) + "</span></td><td>" + escape(cli_detail::iso_time(r.started)) +
           "</td><td class=\"num\">" +
           (r.ended ? escape(format_duration(r.duration())) : std::string("-")) + "</td><td>" +
           escape(r.kind) + "</td><td>" + escape(r.experiment) + "</td><td>" + tags +
           "</td><td class=\"msg\">" + escape(r.message) + "</td></tr>\n";
    }
    b += "</tbody>\n</table>\n</form>\n";
  }
  b += "<p>";
  if (pg.offset > 0) {
    b += "<a href=\"" + escape(page_link(pg, pg.offset > pg.limit ? pg.offset - pg.limit : 0)) +
         "\">&#8592; newer</a> ";
  }
  if (pg.more)
    b += "<a href=\"" + escape(page_link(pg, pg.offset + pg.limit)) + "\">older &#8594;</a>";
  b += "</p>\n";
  return b;
}

/// A run's page: its report (report/html.hpp's sections, the same drawing as `prog report`),
/// the buttons that change it, and a prompt for a delayed parameter it waits for. /static/ui.js
/// polls GET /api/runs/ID while the run is pending or running and redraws statuses in place.
inline std::string run_html(const pipeline& p, const run_details& r) {
  using report_detail::escape;
  const auto& id = r.run.id;
  html_report_options o;
  o.step_log_link = [&id](const std::string& step) {
    return "/api/runs/" + path_part(id) + "/logs/" + path_part(step);
  };
  std::string b =
      "<div id=\"actions\"><button type=\"button\" id=\"stop\">stop</button><button "
      "type=\"button\" id=\"retry\">retry</button><button type=\"button\" "
      "id=\"copy\">copy with changes</button><button type=\"button\" "
      "id=\"delete\">delete</button><span id=\"action-error\"></span></div>\n";
  if (!r.run.waiting_for.empty()) {
    // The prompt /static/ui.js would build: here from the start, so that it is there at once.
    b += "<form id=\"answer\"><h2>Waiting for a parameter</h2><label>parameter <select "
         "id=\"answer-param\">";
    for (const auto& name : r.run.waiting_for)
      b += "<option value=\"" + escape(name) + "\">" + escape(name) + "</option>";
    b += "</select></label> value <input id=\"answer-value\"><button type=\"submit\" "
         "id=\"answer-submit\">answer</button><span class=\"field-error\" "
         "id=\"error-answer\"></span></form>\n";
  }
  b += "<p id=\"run-ended\" class=\"hint\"></p>\n";
  b += html_report_body(p, r, o);
  return b;
}

/// "a value from LO to HI" among a parameter's constraints: LO and HI, when both are numbers.
inline std::optional<std::pair<std::string, std::string>> range_of(const std::string& constraints) {
  static constexpr std::string_view lead = "a value from ";
  std::size_t pos = 0;
  while (pos <= constraints.size()) {
    auto end = constraints.find("; ", pos);
    if (end == std::string::npos) end = constraints.size();
    const auto part = constraints.substr(pos, end - pos);
    if (part.rfind(lead, 0) == 0) {
      const auto rest = part.substr(lead.size());
      const auto to = rest.find(" to ");
      if (to != std::string::npos) {
        auto lo = rest.substr(0, to), hi = rest.substr(to + 4);
        auto numeric = [](const std::string& t) {
          if (t.empty()) return false;
          char* e = nullptr;
          (void)std::strtod(t.c_str(), &e);
          return e == t.c_str() + t.size();
        };
        if (numeric(lo) && numeric(hi)) return std::pair{lo, hi};
      }
    }
    pos = end + 2;
  }
  return std::nullopt;
}

inline bool integer_type(const std::string& t) {
  for (const char* n : {"int",          "long",          "long long",     "short",
                        "unsigned",     "unsigned int",  "unsigned long", "unsigned long long",
                        "std::int64_t", "std::uint64_t", "std::int32_t",  "std::uint32_t",
                        "std::int16_t", "std::uint16_t", "std::size_t",   "int64_t",
                        "uint64_t",     "int32_t",       "uint32_t",      "size_t"})
    if (t == n) return true;
  return false;
}
inline bool real_type(const std::string& t) {
  return t == "double" || t == "float" || t == "long double";
}

/// What the start form shows first: the defaults, or a copied run's values.
struct start_defaults {
  std::string copy_of;  ///< a run id: the form posts to /api/runs/ID/copy
  std::map<std::string, std::string> params;
  std::string experiment;
  std::vector<std::string> tags;  ///< KEY=VALUE
};

/// The start form, generated from the manifest (`describe`): a field per parameter with its
/// type, default, description and constraints, then experiment, tags and the step selection.
/// /static/ui.js posts it (POST /api/runs, or /api/runs/ID/copy) and marks a refused field.
inline std::string start_html(const cli_detail::pipeline_manifest& m, const start_defaults& d) {
  using report_detail::escape;
  const bool copy = !d.copy_of.empty();
  std::string b = "<h1>" + escape(m.pipeline) + " &#8212; " +
                  (copy ? "copy run <code>" + escape(d.copy_of) + "</code> with changes"
                        : std::string("start a run")) +
                  "</h1>\n";
  const auto action = copy ? "/api/runs/" + path_part(d.copy_of) + "/copy" : "/api/runs";
  b += "<form id=\"start\" novalidate data-action=\"" + escape(action) + "\">\n";
  b += "<h2>Parameters</h2>\n";
  if (m.params.empty())
    b += "<p>none</p>\n";
  else {
    b += "<table class=\"params\"><thead><tr><th>parameter</th><th>value</th><th>type</th>"
         "<th>default</th><th>constraints</th><th>description</th></tr></thead>\n<tbody>\n";
  }
  for (const auto& i : m.params) {
    const auto name = escape(i.name);
    std::string initial;
    if (auto it = d.params.find(i.name); it != d.params.end())
      initial = it->second;
    else if (i.default_value)
      initial = *i.default_value;
    const std::string common = " id=\"param-" + name + "\" name=\"param-" + name +
                               "\" data-param=\"" + name + "\" data-initial=\"" +
                               escape(i.type == "bool" && initial.empty() ? "false" : initial) +
                               "\" aria-describedby=\"error-param-" + name + "\"";
    std::string field;
    if (!i.choices.empty()) {
      field = "<select" + common + ">";
      if (std::find(i.choices.begin(), i.choices.end(), initial) == i.choices.end())
        field += "<option value=\"" + escape(initial) + "\" selected>" +
                 (initial.empty() ? std::string("(choose)") : escape(initial)) + "</option>";
      for (const auto& c : i.choices) {
        field += "<option value=\"" + escape(c) + "\"" + (c == initial ? " selected" : "") + ">" +
                 escape(c) + "</option>";
      }
      field += "</select>";
    } else if (i.type == "bool") {
      field = "<input type=\"checkbox\"" + common + (initial == "true" ? " checked" : "") + ">";
    } else if (integer_type(i.type) || real_type(i.type)) {
      field = "<input type=\"number\"" + common + " value=\"" + escape(initial) + "\" step=\"" +
              (real_type(i.type) ? "any" : "1") + "\"";
      if (auto r = range_of(i.constraints))
        field += " min=\"" + escape(r->first) + "\" max=\"" + escape(r->second) + "\"";
      field += ">";
    } else {
      field = "<input type=\"text\"" + common + " value=\"" + escape(initial) + "\">";
    }
    std::string notes;
    if (i.required) notes += " (required)";
    if (i.delayed) notes += " (delayed: asked for when a step needs it, if left empty)";
    b += "<tr data-param=\"" + name + "\"><td><label for=\"param-" + name + "\">" + name +
         "</label></td><td>" + field + "<span class=\"field-error\" id=\"error-param-" + name +
         "\"></span></td><td>" + escape(i.type) + "</td><td class=\"msg\">" +
         (i.default_value ? escape(*i.default_value) : std::string("-")) + "</td><td>" +
         escape(i.constraints) + "</td><td>" + escape(i.description) + escape(notes) +
         "</td></tr>\n";
  }
  if (!m.params.empty()) b += "</tbody></table>\n";

  std::string tags;
  for (const auto& t : d.tags) tags += (tags.empty() ? "" : "\n") + t;
  std::string steps;  // <option>s of the steps
  for (const auto& n : m.nodes) {
    if (!n.parameter) steps += "<option>" + escape(n.name) + "</option>";
  }
  b += "<h2>Run</h2>\n<table class=\"params\"><tbody>\n";
  b += "<tr><td><label for=\"experiment\">experiment</label></td><td><input id=\"experiment\" "
       "name=\"experiment\" value=\"" +
       escape(d.experiment) +
       "\"><span class=\"field-error\" id=\"error-experiment\"></span>"
       "</td></tr>\n";
  b += "<tr><td><label for=\"tags\">tags</label></td><td><textarea id=\"tags\" name=\"tags\" "
       "rows=\"3\" cols=\"40\" placeholder=\"KEY=VALUE, one a line\">" +
       escape(tags) + "</textarea><span class=\"field-error\" id=\"error-tag\"></span></td></tr>\n";
  b += "<tr><td><label for=\"scene\">scene</label></td><td><select id=\"scene\" "
       "name=\"scene\"><option value=\"\">(every step)</option>";
  for (const auto& sc : m.scenes) {
    std::string list;
    for (const auto& st : sc.steps) list += (list.empty() ? "" : ", ") + st;
    b += "<option value=\"" + escape(sc.name) + "\">" + escape(sc.name) + " (" + escape(list) +
         ")</option>";
  }
  b += "</select><span class=\"field-error\" id=\"error-scene\"></span></td></tr>\n";
  b += "<tr><td><label for=\"only\">only these steps</label></td><td><select id=\"only\" "
       "name=\"only\" multiple size=\"4\">" +
       steps +
       "</select><span class=\"field-error\" id=\"error-only\"></span><div class=\"hint\">none "
       "selected: every step (of the scene)</div></td></tr>\n";
  b += "<tr><td><label for=\"from\">from step</label></td><td><select id=\"from\" "
       "name=\"from\"><option value=\"\">-</option>" +
       steps + "</select><span class=\"field-error\" id=\"error-from\"></span></td></tr>\n";
  b += "<tr><td><label for=\"to\">to step</label></td><td><select id=\"to\" name=\"to\"><option "
       "value=\"\">-</option>" +
       steps + "</select><span class=\"field-error\" id=\"error-to\"></span></td></tr>\n";
  b += "<tr><td><label for=\"no_cache\">no cache</label></td><td><input type=\"checkbox\" "
       "id=\"no_cache\" name=\"no_cache\"><span class=\"field-error\" "
       "id=\"error-no_cache\"></span></td></tr>\n";
  b += "<tr><td><label for=\"threads\">threads</label></td><td><input type=\"number\" "
       "id=\"threads\" name=\"threads\" min=\"1\" step=\"1\"><span class=\"field-error\" "
       "id=\"error-threads\"></span></td></tr>\n";
  b += "</tbody></table>\n";
  b += "<p><button type=\"submit\" id=\"start-run\">" +
       std::string(copy ? "start the copy" : "start the run") +
       "</button><span class=\"field-error\" id=\"error-form\"></span></p>\n</form>\n";
  return b;
}

/// Most runs a compare page shows.
inline constexpr std::size_t max_compared = 20;

/// The compare page: parameters and final metrics side by side (store::compare, as `prog
/// compare`), differing rows marked, and each metric's history of every run in one chart.
inline std::string compare_html(const pipeline& p, const comparison& c,
                                const std::vector<run_details>& runs) {
  using report_detail::escape;
  std::string b = "<h1>" + escape(p.name()) + " &#8212; compare " + std::to_string(c.runs.size()) +
                  " runs</h1>\n";
  std::string head = "<thead><tr><th></th>";
  for (const auto& id : c.runs)
    head += "<th><a href=\"/runs/" + path_part(id) + "\"><code>" + escape(id) + "</code></a></th>";
  head += "</tr></thead>\n";
  b += "<h2>Parameters</h2>\n<table id=\"compare-params\" class=\"params\">\n" + head + "<tbody>\n";
  for (const auto& row : c.params) {
    b += "<tr data-param=\"" + escape(row.name) + "\"" +
         (row.differs() ? " class=\"differs\"" : "") + "><td>" + escape(row.name) + "</td>";
    for (const auto& v : row.values)
      b += "<td class=\"msg\">" + (v ? escape(*v) : std::string("-")) + "</td>";
    b += "</tr>\n";
  }
  b += "</tbody></table>\n";
  b += "<h2>Final metrics</h2>\n<table id=\"compare-metrics\" class=\"params\">\n" + head +
       "<tbody>\n";
  for (const auto& row : c.metrics) {
    b += "<tr data-metric=\"" + escape(row.name) + "\"" +
         (row.differs() ? " class=\"differs\"" : "") + "><td>" + escape(row.name) + "</td>";
    for (const auto& v : row.values)
      b += "<td class=\"num\">" + (v ? escape(detail::number_text(*v, "%.6g")) : std::string("-")) +
           "</td>";
    b += "</tr>\n";
  }
  b += "</tbody></table>\n<h2>Histories</h2>\n";
  // One chart per "step.metric", one series per run (the report's chart code).
  std::map<std::string, std::vector<chart_series>> charts;
  for (const auto& row : c.metrics) charts[row.name];
  for (const auto& r : runs) {
    std::map<std::string, chart_series> mine;
    for (const auto& m : r.metrics) {
      auto& one = mine[m.step + "." + m.name];
      one.name = r.run.id;
      one.points.emplace_back(m.index, m.value);
    }
    for (auto& [key, one] : mine) {
      std::stable_sort(one.points.begin(), one.points.end(),
                       [](const auto& a, const auto& x) { return a.first < x.first; });
      charts[key].push_back(std::move(one));
    }
  }
  if (charts.empty()) b += "<p>no metrics</p>\n";
  for (const auto& [key, series] : charts)
    b += html_chart("compare-metric-" + key, key, series, "run");
  return b;
}

/// The pipeline page: the manifest (`describe`) as tables.
inline std::string pipeline_html(const cli_detail::pipeline_manifest& m) {
  using report_detail::escape;
  std::string b = "<h1>" + escape(m.pipeline) + " &#8212; pipeline</h1>\n";
  b += "<dl class=\"run\"><dt>structure hash</dt><dd><code id=\"structure-hash\">" +
       escape(m.structure_hash) + "</code></dd></dl>\n";
  b +=
      "<p><a href=\"/runs/new\">start a run</a> &#183; <a href=\"/api/pipeline\">as JSON</a></p>\n";
  b += "<h2>Steps</h2>\n<table id=\"pipeline-steps\" class=\"steps\"><thead><tr><th>step</th>"
       "<th>role</th><th>output type</th><th>placement</th><th>inputs</th></tr></thead>\n<tbody>\n";
  for (const auto& n : m.nodes) {
    if (n.parameter) continue;
    std::string inputs;
    for (auto e : n.inputs) {
      const auto& edge = m.edges[e];
      const std::string kind(to_string(edge.info.kind));
      inputs += (inputs.empty() ? "" : ", ") + escape(edge.from) +
                (kind == "data" ? std::string{} : " (" + escape(kind) + ")");
    }
    b += "<tr data-step=\"" + escape(n.name) + "\"><td>" + escape(n.name) + "</td><td>" +
         escape(n.role) + "</td><td><code>" + escape(n.type) + "</code></td><td>" +
         escape(n.placement) + "</td><td>" + (inputs.empty() ? std::string("-") : inputs) +
         "</td></tr>\n";
  }
  b += "</tbody></table>\n<h2>Parameters</h2>\n";
  if (m.params.empty())
    b += "<p>none</p>\n";
  else {
    b += "<table id=\"pipeline-params\" class=\"params\"><thead><tr><th>parameter</th><th>type"
         "</th><th>default</th><th>constraints</th><th>choices</th><th>description</th><th>"
         "environment variable</th></tr></thead>\n<tbody>\n";
    for (const auto& i : m.params) {
      std::string choices;
      for (const auto& c : i.choices) choices += (choices.empty() ? "" : ", ") + escape(c);
      std::string def = i.default_value ? escape(*i.default_value) : std::string("(required)");
      if (i.delayed) def += " (delayed)";
      b += "<tr data-param=\"" + escape(i.name) + "\"><td>" + escape(i.name) + "</td><td><code>" +
           escape(i.type) + "</code></td><td class=\"msg\">" + def + "</td><td>" +
           escape(i.constraints) + "</td><td>" + choices + "</td><td>" + escape(i.description) +
           "</td><td><code>" + escape(i.environment_variable) + "</code></td></tr>\n";
    }
    b += "</tbody></table>\n";
  }
  b += "<h2>Scenes</h2>\n";
  if (m.scenes.empty())
    b += "<p>none</p>\n";
  else {
    b += "<table id=\"pipeline-scenes\" class=\"params\"><thead><tr><th>scene</th><th>steps</th>"
         "</tr></thead>\n<tbody>\n";
    for (const auto& sc : m.scenes) {
      std::string list;
      for (const auto& st : sc.steps) list += (list.empty() ? "" : ", ") + escape(st);
      b += "<tr data-scene=\"" + escape(sc.name) + "\"><td>" + escape(sc.name) + "</td><td>" +
           list + "</td></tr>\n";
    }
    b += "</tbody></table>\n";
  }
  return b;
}

/// Adds the page routes to `http`; `sp` is the server's state.
inline void register_pages(httplib::Server& http, server::state* sp) {
  using report_detail::escape;
  http.Get("/static/ui.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(ui_js), "text/javascript; charset=utf-8");
  });
  http.Get("/", [sp](const httplib::Request& req, httplib::Response& res) {
    recover_dead(*sp);
    auto pg = query_runs(sp->st, req, sp->o.page_size);
    html_reply(res, ui_page(*sp, req, res, std::string(sp->p->name()) + " runs", "runs", "",
                            runs_html(*sp->p, pg)));
  });
  http.Get("/runs/new", [sp](const httplib::Request& req, httplib::Response& res) {
    start_defaults d;
    if (req.has_param("copy")) {
      const auto r = show_run(sp->st, req.get_param_value("copy"));
      d.copy_of = r.run.id;
      d.params = std::map<std::string, std::string>(r.run.params.begin(), r.run.params.end());
      d.experiment = r.run.experiment;
      for (const auto& [k, v] : r.run.tags) d.tags.push_back(k + "=" + v);
    }
    const auto m = cli_detail::make_manifest(*sp->p);
    html_reply(res, ui_page(*sp, req, res, m.pipeline + (d.copy_of.empty() ? " new run" : " copy"),
                            "new", "", start_html(m, d)));
  });
  http.Get(R"(/runs/([^/]+))", [sp](const httplib::Request& req, httplib::Response& res) {
    recover_dead(*sp);
    const auto r = show_run(sp->st, req.matches[1].str());
    const std::string status(to_string(r.run.status));
    html_reply(
        res,
        ui_page(*sp, req, res, r.run.pipeline + " run " + r.run.id + " (" + status + ")", "run",
                " data-run=\"" + escape(r.run.id) + "\" data-status=\"" + escape(status) +
                    "\" data-log-base=\"/api/runs/" + escape(path_part(r.run.id)) + "/logs/\"",
                run_html(*sp->p, r)));
  });
  http.Get("/compare", [sp](const httplib::Request& req, httplib::Response& res) {
    const auto n = req.get_param_value_count("run");
    if (n == 0)
      throw http_error{400,
                       "typeflow: compare which runs? /compare?run=A&run=B (run ids, unique "
                       "prefixes or latest)"};
    if (n > max_compared) {
      throw http_error{400, "typeflow: at most " + std::to_string(max_compared) +
                                " runs can be compared at once, not " + std::to_string(n)};
    }
    std::vector<run_details> runs;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < n; ++i) {
      runs.push_back(show_run(sp->st, req.get_param_value("run", i)));
      ids.push_back(runs.back().run.id);
    }
    const auto c = sp->st.compare(ids);
    html_reply(res, ui_page(*sp, req, res, std::string(sp->p->name()) + " compare", "compare", "",
                            compare_html(*sp->p, c, runs)));
  });
  http.Get("/pipeline", [sp](const httplib::Request& req, httplib::Response& res) {
    const auto m = cli_detail::make_manifest(*sp->p);
    html_reply(res,
               ui_page(*sp, req, res, m.pipeline + " pipeline", "pipeline", "", pipeline_html(m)));
  });
}

}  // namespace typeflow::ui::ui_detail
