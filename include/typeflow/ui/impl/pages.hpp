#pragma once
// The pages of the browser run mode (docs/ui.md, Routes): HTML built on the server, every text
// from a user or a step escaped. Included by ui/impl/server.hpp after server::state, whose
// store and pipeline the handlers read; register_pages() adds the routes.

#include <string>

#include <httplib.h>

#include <typeflow/cli/detail/json.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/report/html.hpp>
#include <typeflow/report/html_parts.hpp>
#include <typeflow/ui/server.hpp>

namespace typeflow::ui::ui_detail {

/// "/?status=..&experiment=..&tag=..&offset=N" with every value percent-encoded.
inline std::string page_link(const runs_page& pg, std::size_t offset) {
  std::string q = "/?limit=" + std::to_string(pg.limit) + "&offset=" + std::to_string(offset);
  if (!pg.status.empty()) q += "&status=" + httplib::detail::encode_query_param(pg.status);
  if (!pg.experiment.empty())
    q += "&experiment=" + httplib::detail::encode_query_param(pg.experiment);
  for (const auto& t : pg.tags) q += "&tag=" + httplib::detail::encode_query_param(t);
  return q;
}

inline std::string runs_html(const pipeline& p, const runs_page& pg) {
  using report_detail::escape;
  std::string b = "<h1>" + escape(p.name()) + " &#8212; runs</h1>\n";
  b += "<form class=\"filter\" method=\"get\" action=\"/\">status <select name=\"status\">"
       "<option value=\"\">any</option>";
  for (const char* s : {"pending", "running", "succeeded", "failed", "stopped", "interrupted"}) {
    b += "<option" + std::string(pg.status == s ? " selected" : "") + ">" + s + "</option>";
  }
  b += "</select> experiment <input name=\"experiment\" value=\"" + escape(pg.experiment) +
       "\"> tag <input name=\"tag\" placeholder=\"KEY=VALUE\" value=\"" +
       escape(pg.tags.empty() ? std::string{} : pg.tags.front()) +
       "\"> <button type=\"submit\">filter</button></form>\n";
  for (const auto& r : pg.refused) b += "<p class=\"not-drawn\">" + escape(r) + "</p>\n";
  if (pg.runs.empty()) {
    b += "<p>no runs" + std::string(pg.offset > 0 ? " on this page" : "") + "</p>\n";
  } else {
    b += "<table class=\"runs\">\n<thead><tr><th>run</th><th>status</th><th>started</th>"
         "<th>duration</th><th>kind</th><th>experiment</th><th>tags</th><th>message</th></tr>"
         "</thead>\n<tbody>\n";
    for (const auto& r : pg.runs) {
      const std::string status(to_string(r.status));
      std::string tags;
      for (const auto& [k, v] : r.tags)
        tags += (tags.empty() ? "" : ", ") + escape(k) + "=" + escape(v);
      b += "<tr><td><a href=\"/runs/" + httplib::detail::encode_query_param(r.id) + "\"><code>" +
           escape(r.id) + "</code></a></td><td><span class=\"badge run-" + escape(status) + "\">" +
           escape(status) + "</span></td><td>" + escape(cli_detail::iso_time(r.started)) +
           "</td><td class=\"num\">" +
           (r.ended ? escape(format_duration(r.duration())) : std::string("-")) + "</td><td>" +
           escape(r.kind) + "</td><td>" + escape(r.experiment) + "</td><td>" + tags +
           "</td><td class=\"msg\">" + escape(r.message) + "</td></tr>\n";
    }
    b += "</tbody>\n</table>\n";
  }
  b += "<p>";
  if (pg.offset > 0) {
    b += "<a href=\"" + escape(page_link(pg, pg.offset > pg.limit ? pg.offset - pg.limit : 0)) +
         "\">&#8592; newer</a> ";
  }
  if (pg.more)
    b += "<a href=\"" + escape(page_link(pg, pg.offset + pg.limit)) + "\">older &#8594;</a>";
  b += "</p>\n";
  return page(std::string(p.name()) + " runs", b);
}

/// Adds the page routes to `http`; `sp` is the server's state.
inline void register_pages(httplib::Server& http, server::state* sp) {
  http.Get("/", [sp](const httplib::Request& req, httplib::Response& res) {
    auto pg = query_runs(sp->st, req, sp->o.page_size);
    res.set_content(runs_html(*sp->p, pg), "text/html; charset=utf-8");
  });
  http.Get(R"(/runs/([^/]+))", [sp](const httplib::Request& req, httplib::Response& res) {
    auto html = html_report(*sp->p, show_run(sp->st, req.matches[1].str()));
    // The report, with the UI's way back to the runs.
    const std::string body = "<body>\n";
    if (auto at = html.find(body); at != std::string::npos)
      html.insert(at + body.size(), "<nav><a href=\"/\">&#8592; runs</a></nav>\n");
    res.set_content(html, "text/html; charset=utf-8");
  });
}

}  // namespace typeflow::ui::ui_detail
