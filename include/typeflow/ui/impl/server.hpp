#pragma once
// The browser run mode's server (ui/server.hpp): included by that header in header-only mode,
// compiled once into typeflow::ui (src/ui.cpp) in compiled mode. cpp-httplib is named here and
// in the other ui/impl/ headers only.
//
// Routes (docs/ui.md): GET / (the runs page), GET /runs/ID (a run's page: the HTML report);
// the JSON API under /api/ is ui/impl/api.hpp's. Every response carries a
// Content-Security-Policy; every error is a 4xx/5xx with a message (JSON under /api/).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <future>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/launch.hpp>
#include <typeflow/cli/detail/manifest.hpp>
#include <typeflow/cli/detail/run_document.hpp>
#include <typeflow/cli/detail/signals.hpp>
#include <typeflow/cli/main.hpp>
#include <typeflow/config.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/detail/number_text.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/launch/detail/process.hpp>
#include <typeflow/report/html.hpp>
#include <typeflow/report/html_parts.hpp>
#include <typeflow/store/errors.hpp>
#include <typeflow/store/store.hpp>
#include <typeflow/ui/server.hpp>

namespace typeflow::ui {

namespace ui_detail {

/// What every response carries: nothing may be loaded from anywhere else or framed; scripts
/// only from the program itself (/static/ui.js), never inline.
inline constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

inline constexpr std::size_t max_page_size = 500;

/// A request the server refuses: its status and message.
struct http_error {
  http_error(int s, std::string m, std::string f = {})
      : status(s), message(std::move(m)), field(std::move(f)) {}
  int status;
  std::string message;
  std::string field;  ///< the form field at fault ("param:lr", "tag"), or none (API: "field")
};

/// A token bucket per client address (the POST rate bound, docs/ui.md Security): `burst`
/// requests at once, then `rate` a second.
class rate_bound {
 public:
  static constexpr std::size_t max_clients = 4096;

  rate_bound(double rate, std::size_t burst) : rate_(rate), burst_(static_cast<double>(burst)) {}

  /// 0 when `client` may go on (it spent a token), else the whole seconds until it may.
  std::size_t take(const std::string& client) {
    if (burst_ <= 0) return 0;  // unbounded
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(m_);
    auto it = buckets_.find(client);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_clients) forget_full(now);
      it = buckets_.emplace(client, bucket{burst_, now}).first;
    }
    auto& b = it->second;
    b.tokens = std::min(burst_, b.tokens + rate_ * seconds(now - b.at));
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    const double wait = std::ceil((1 - b.tokens) / rate_);
    return wait >= 86400 ? 86400 : std::max<std::size_t>(1, static_cast<std::size_t>(wait));
  }

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  static double seconds(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double>(d).count();
  }
  /// Forgets the clients whose bucket has filled up again (as good as new); all when none has.
  void forget_full(std::chrono::steady_clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (it->second.tokens + rate_ * seconds(now - it->second.at) >= burst_)
        it = buckets_.erase(it);
      else
        ++it;
    }
    if (buckets_.size() >= max_clients) buckets_.clear();
  }

  double rate_, burst_;
  std::mutex m_;
  std::map<std::string, bucket> buckets_;
};

inline void json_reply(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(detail::json_text(j, 2) + "\n", "application/json; charset=utf-8");
}

inline void json_error(httplib::Response& res, int status, const std::string& message) {
  json_reply(res, status, nlohmann::json{{"error", message}});
}

inline std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         report_detail::escape(title) + "</title>\n<style>" + std::string(report_detail::css) +
         "nav{margin:0 0 12px}nav a{margin-right:16px}form.filter input,form.filter "
         "select{margin-right:8px}</style>\n</head>\n<body>\n"
         "<nav><a href=\"/\">runs</a><a href=\"/pipeline\">pipeline</a></nav>\n" +
         body + "</body>\n</html>\n";
}

inline void html_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(page("error " + std::to_string(status),
                       "<h1>" + std::to_string(status) + "</h1>\n<p class=\"msg\">" +
                           report_detail::escape(message) + "</p>\n"),
                  "text/html; charset=utf-8");
}

inline bool is_api(const httplib::Request& req) { return req.path.rfind("/api/", 0) == 0; }

inline void error_reply(const httplib::Request& req, httplib::Response& res, int status,
                        const std::string& message) {
  if (is_api(req))
    json_error(res, status, message);
  else
    html_error(res, status, message);
}

/// Compares secrets in time independent of where they differ.
inline bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

/// The value of cookie `name` in a Cookie header, if any.
inline std::optional<std::string> cookie(const std::string& header, std::string_view name) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    auto part = std::string_view(header).substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    pos = end + 1;
  }
  return std::nullopt;
}

/// The host part of a Host header: "127.0.0.1:8321" -> "127.0.0.1", "[::1]:80" -> "::1".
inline std::string host_name(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return std::string(host.substr(1, close == std::string_view::npos ? 0 : close - 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

/// A count from a query parameter: digits only, at most `max`.
inline std::size_t count_param(const httplib::Request& req, const char* name, std::size_t fallback,
                               std::size_t min, std::size_t max) {
  if (!req.has_param(name)) return fallback;
  const auto text = req.get_param_value(name);
  std::size_t v = 0;
  bool ok = !text.empty() && text.size() <= 9;
  for (char c : text) {
    if (c < '0' || c > '9') ok = false;
    if (ok) v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  if (!ok || v < min || v > max) {
    throw http_error{400, "typeflow: '" + std::string(name) + "' must be a whole number from " +
                              std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                              text + "'"};
  }
  return v;
}

/// store::show of `run` (an id, a unique prefix, `latest`); a run the store cannot name (none
/// yet, no such id, an ambiguous prefix) is a 404.
inline run_details show_run(const store& st, const std::string& run) {
  std::string id;
  try {
    id = st.resolve(run);
  } catch (const store_error& e) {
    throw http_error{404, e.what()};
  }
  return st.show(id);
}

/// `bytes` random bytes as hex (std::random_device: the kernel's random source on Linux).
inline std::string random_hex(std::size_t bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  while (out.size() < 2 * bytes) {
    auto v = rd();
    for (int i = 0; i < 4 && out.size() < 2 * bytes; ++i, v >>= 8) {
      out += digits[(v >> 4) & 0xf];
      out += digits[v & 0xf];
    }
  }
  return out;
}

struct runs_page {
  std::vector<run_info> runs;
  std::vector<std::string> refused;  ///< damaged rows left out (the store's messages)
  std::size_t offset = 0, limit = 0;
  bool more = false;
  std::string status, experiment;
  std::vector<std::string> tags;  ///< KEY=VALUE
  std::string since, until;       ///< YYYY-MM-DD, as given
};

/// The day a `since` or `until` filter names (YYYY-MM-DD, a calendar date, UTC, from 1970 to
/// 2199: the store's clock counts nanoseconds, which end in 2262), or a 400 naming the field
/// and the value.
inline std::chrono::sys_days query_day(const std::string& field, const std::string& text) {
  using namespace std::chrono;
  auto digits = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    const int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
    if (y >= 1970 && y <= 2199 && m >= 0 && d >= 0) {
      const year_month_day day{year{y}, month{static_cast<unsigned>(m)},
                               std::chrono::day{static_cast<unsigned>(d)}};
      if (day.ok()) return sys_days{day};
    }
  }
  throw http_error{400, "typeflow: '" + field +
                            "' must be a date YYYY-MM-DD (UTC) from 1970 to 2199, not '" + text +
                            "'"};
}

inline runs_page query_runs(const store& st, const httplib::Request& req, std::size_t page_size) {
  runs_page pg;
  run_query q;
  if (req.has_param("status")) {
    pg.status = req.get_param_value("status");
    if (!pg.status.empty()) {
      auto s = parse_status<run_status>(pg.status);
      if (!s) {
        throw http_error{400, "typeflow: unknown run status '" + pg.status +
                                  "'; statuses are: pending, running, succeeded, failed, "
                                  "stopped, interrupted"};
      }
      q.status(*s);
    }
  }
  if (req.has_param("experiment")) {
    pg.experiment = req.get_param_value("experiment");
    if (!pg.experiment.empty()) q.experiment(pg.experiment);
  }
  for (std::size_t i = 0, n = req.get_param_value_count("tag"); i < n; ++i) {
    auto kv = req.get_param_value("tag", i);
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw http_error{400, "typeflow: tag '" + kv + "' is not KEY=VALUE"};
    q.tag(kv.substr(0, eq), kv.substr(eq + 1));
    pg.tags.push_back(std::move(kv));
  }
  // Dates, UTC: since from the day's start, until through the day's end.
  if (req.has_param("since")) {
    pg.since = req.get_param_value("since");
    if (!pg.since.empty()) q.since(query_day("since", pg.since));
  }
  if (req.has_param("until")) {
    pg.until = req.get_param_value("until");
    if (!pg.until.empty()) {
      q.until(std::chrono::sys_days{query_day("until", pg.until)} + std::chrono::days{1} -
              std::chrono::microseconds{1});
    }
  }
  if (!pg.since.empty() && !pg.until.empty() && pg.until < pg.since) {
    throw http_error{400,
                     "typeflow: 'until' (" + pg.until + ") is before 'since' (" + pg.since + ")"};
  }
  pg.limit = count_param(req, "limit", page_size, 1, max_page_size);
  pg.offset = count_param(req, "offset", 0, 0, 100000000);
  // One more than the page: whether an older page exists.
  q.offset(pg.offset).limit(pg.limit + 1);
  pg.runs = st.runs(q, pg.refused);
  pg.more = pg.runs.size() > pg.limit;
  if (pg.more) pg.runs.pop_back();
  return pg;
}

}  // namespace ui_detail

struct server::state {
  /// A run this server started: it runs on a thread of its own and stops with the server.
  struct own_run {
    std::string id;
    std::stop_source stop;
    std::thread thread;
    std::atomic<bool> done{false};
    bool claimed = false;  ///< the request that started it is done with it (under runs_m)
  };
  static constexpr std::size_t max_sessions = 4096;

  const pipeline* p;
  server_options o;
  store st;
  ui_detail::rate_bound posts;  ///< POSTs per client address
  std::mutex sessions_m;
  std::map<std::string, std::string> sessions;  ///< session cookie -> its CSRF token
  std::deque<std::string> session_order;        ///< the oldest session is forgotten first
  std::mutex runs_m;
  std::list<own_run> runs;
  bool closing = false;  ///< no more runs start
  std::string manifest;  ///< GET /api/pipeline, built once
  httplib::Server http;
  unsigned port = 0;
  std::mutex m;
  std::condition_variable cv;
  bool stop_requested = false;
  bool listening_done = false;
  std::mutex recover_m;
  std::chrono::steady_clock::time_point recovered{};  ///< the last recover_dead()

  state(const pipeline& pl, server_options opts)
      : p(&pl), o(std::move(opts)), st(o.store), posts(o.post_rate, o.post_burst),
        manifest(detail::json_text(cli_detail::manifest_json(cli_detail::make_manifest(pl)), 2) +
                 "\n") {}
};

namespace ui_detail {

/// Marks the runs whose process has died as interrupted (store::recover(), which a store does
/// when it is opened: the server's stays open), at most once a second; before the runs are
/// read, so that a run killed while the server serves does not show running for ever.
inline void recover_dead(server::state& s) {
  {
    std::lock_guard lock(s.recover_m);
    const auto now = std::chrono::steady_clock::now();
    if (s.recovered != std::chrono::steady_clock::time_point{} &&
        now - s.recovered < std::chrono::seconds(1))
      return;
    s.recovered = now;
  }
  try {
    (void)s.st.recover();
  } catch (const std::exception&) {
    // A full disk or a store that cannot be written: the runs are read as they are recorded.
  }
}

/// The CSRF token of `req`'s session (cookie typeflow_session); a new session, its cookie set
/// on `res`, when it has none the server knows.
inline std::string session_token(server::state& s, const httplib::Request& req,
                                 httplib::Response& res) {
  const auto id = cookie(req.get_header_value("Cookie"), "typeflow_session");
  std::lock_guard lock(s.sessions_m);
  if (id) {
    if (auto it = s.sessions.find(*id); it != s.sessions.end()) return it->second;
  }
  auto fresh = random_hex(16);
  auto token = random_hex(16);
  if (s.sessions.size() >= server::state::max_sessions) {
    s.sessions.erase(s.session_order.front());
    s.session_order.pop_front();
  }
  s.sessions.emplace(fresh, token);
  s.session_order.push_back(fresh);
  res.set_header("Set-Cookie", "typeflow_session=" + fresh + "; Path=/; HttpOnly; SameSite=Strict");
  return token;
}

/// What every request that changes state passes first (docs/ui.md, Security): from this
/// server's own origin (Origin, else Referer, when the client sends one), with the CSRF token
/// of its session cookie (header X-CSRF-Token, or the form field csrf).
inline void check_post(server::state& s, const httplib::Request& req) {
  // http://HOST, or https://HOST: a page served through a TLS reverse proxy (docs/ui.md).
  const auto host = req.get_header_value("Host");
  auto own = [&](const std::string& url, bool page) {
    for (const char* scheme : {"http://", "https://"}) {
      const auto self = scheme + host;
      if (url == self || (page && url.rfind(self + "/", 0) == 0)) return true;
    }
    return false;
  };
  const auto origin = req.get_header_value("Origin");
  if (!origin.empty() && !own(origin, false)) {
    throw http_error{
        403, "typeflow: a request from another origin ('" + origin + "') may change nothing here"};
  }
  const auto referer = req.get_header_value("Referer");
  if (origin.empty() && !referer.empty() && !own(referer, true)) {
    throw http_error{
        403, "typeflow: a request from another page ('" + referer + "') may change nothing here"};
  }
  const auto id = cookie(req.get_header_value("Cookie"), "typeflow_session");
  std::string expected;
  if (id) {
    std::lock_guard lock(s.sessions_m);
    if (auto it = s.sessions.find(*id); it != s.sessions.end()) expected = it->second;
  }
  if (expected.empty()) {
    throw http_error{403,
                     "typeflow: no session: GET /api/session (or any page) first, for the "
                     "session cookie and its CSRF token"};
  }
  auto given = req.get_header_value("X-CSRF-Token");
  if (given.empty() && req.has_param("csrf")) given = req.get_param_value("csrf");
  if (given.empty() || !same_secret(given, expected)) {
    throw http_error{403,
                     "typeflow: a missing or wrong CSRF token (header X-CSRF-Token or form "
                     "field csrf, from GET /api/session)"};
  }
  // Fields are read from a form body only (httplib parses no other): a JSON or multipart body's
  // fields would be dropped unread and the change made without them.
  const auto type = req.get_header_value("Content-Type");
  if ((!req.body.empty() || !req.files.empty() || req.is_multipart_form_data()) &&
      type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    throw http_error{415, "typeflow: the request's body is '" +
                              (type.empty() ? std::string("(no Content-Type)") : type) +
                              "'; fields are read from application/x-www-form-urlencoded only"};
  }
}

/// Asks the server's own runs to stop, then waits for them; no run starts afterwards.
inline void stop_runs(server::state& s) {
  std::lock_guard lock(s.runs_m);
  s.closing = true;
  for (auto& r : s.runs) r.stop.request_stop();
  for (auto& r : s.runs) {
    if (r.thread.joinable()) r.thread.join();
  }
  s.runs.clear();
}

}  // namespace ui_detail

}  // namespace typeflow::ui

// The JSON API's routes (ui_detail::add_api_routes) and the pages (GET /, /runs/ID, ...):
// after server::state and the helpers above, which their handlers use.
#include <typeflow/ui/impl/api.hpp>    // IWYU pragma: keep
#include <typeflow/ui/impl/pages.hpp>  // IWYU pragma: keep

namespace typeflow::ui {

namespace ui_detail {

/// The POST rate bound, after the Host and token checks: a client that has spent its POSTs
/// gets 429 with Retry-After (before its body is read).
inline httplib::Server::HandlerResponse within_rate(server::state& s, const httplib::Request& req,
                                                    httplib::Response& res) {
  if (req.method != "POST") return httplib::Server::HandlerResponse::Unhandled;
  if (const auto wait = s.posts.take(req.remote_addr); wait != 0) {
    res.set_header("Retry-After", std::to_string(wait));
    error_reply(req, res, 429,
                "typeflow: too many changes asked from " + req.remote_addr + "; at most " +
                    std::to_string(s.o.post_burst) + " at once, then " +
                    detail::number_text(s.o.post_rate) + " a second: try again in " +
                    std::to_string(wait) + " s");
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

}  // namespace ui_detail

TYPEFLOW_INLINE bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // An IPv4 address in 127.0.0.0/8, written as one: not a name that starts with "127." (which a
  // rebinding attacker's DNS may point anywhere).
  in_addr a{};
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

TYPEFLOW_INLINE server::server(const pipeline& p, server_options o) {
  using namespace ui_detail;
  if (!is_loopback(o.host) && o.token.empty()) {
    throw ui_error("typeflow: listening on '" + o.host +
                   "' (not a loopback address) needs a token: --token SECRET or "
                   "$TYPEFLOW_UI_TOKEN; every request must then carry it");
  }
  // The token goes into a cookie (/?token= sets typeflow_token=TOKEN): a character a cookie
  // cannot hold would cut it there, and the browser would never get in.
  for (const char c : o.token) {
    if (c <= ' ' || c == '\x7f' || (c & 0x80) != 0 || c == '"' || c == ',' || c == ';' ||
        c == '\\') {
      throw ui_error(
          "typeflow: the token may hold printable ASCII characters other than space, '\"', ',', "
          "';' and '\\' only (a browser keeps it in a cookie); pick another");
    }
  }
  if (o.page_size == 0 || o.page_size > max_page_size) {
    throw ui_error("typeflow: the page size must be from 1 to " + std::to_string(max_page_size));
  }
  if (o.executor != "local" && o.executor != "slurm") {
    throw ui_error("typeflow: unknown executor '" + o.executor + "'; executors are: local, slurm");
  }
  if (o.executor != "slurm" && !o.slurm_args.empty()) {
    throw ui_error("typeflow: --slurm-arg is for --executor slurm");
  }
  if (o.post_burst != 0 && !(o.post_rate > 0)) {
    throw ui_error(
        "typeflow: the POST rate must be more than 0 a second (or the burst 0: no bound)");
  }
  st_ = std::make_unique<state>(p, std::move(o));
  auto& s = *st_;
  auto* sp = st_.get();  // what the handlers use: the state, which never moves
  auto& http = s.http;

  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second server (another
  // `prog ui`) would share this port and be handed half the connections.
  // Also remembers the socket: see the listen() below.
  auto listening = std::make_shared<int>(-1);
  http.set_socket_options([listening](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    *listening = sock;
  });
  http.set_payload_max_length(s.o.max_body);
  // httplib writes a response's head and body apart: with Nagle's algorithm the body waits for
  // the client's delayed ACK of the head (40 ms a response on a kept-alive connection, measured).
  http.set_tcp_nodelay(true);
  // httplib holds a thread per open connection, a kept-alive one until it is idle for the
  // keep-alive timeout: with its 8 threads and 5 s, 50 pages polling over kept-alive
  // connections waited up to 26 s (the load check, docs/performance.md). 64 threads serve them
  // at once; an idle connection gives its thread back after 1 s.
  http.new_task_queue = [] { return new httplib::ThreadPool(64); };
  http.set_keep_alive_timeout(1);
  http.set_default_headers({{"Content-Security-Policy", content_security_policy},
                            {"X-Content-Type-Options", "nosniff"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Cache-Control", "no-store"}});

  // Before any route: the Host header (a page of another site reached through DNS rebinding
  // names its own host), then the token.
  http.set_pre_routing_handler([sp](const httplib::Request& req, httplib::Response& res) {
    auto& s = *sp;
    if (s.o.token.empty()) {
      const auto host = host_name(req.get_header_value("Host"));
      if (!is_loopback(host)) {
        error_reply(req, res, 403,
                    "typeflow: this server answers only requests addressed to a loopback host "
                    "(127.0.0.1, localhost, [::1]), not '" +
                        host + "'");
        return httplib::Server::HandlerResponse::Handled;
      }
      return within_rate(s, req, res);
    }
    const auto auth = req.get_header_value("Authorization");
    const bool bearer = auth.rfind("Bearer ", 0) == 0 && same_secret(auth.substr(7), s.o.token);
    const auto c = cookie(req.get_header_value("Cookie"), "typeflow_token");
    if (bearer || (c && same_secret(*c, s.o.token))) return within_rate(s, req, res);
    if (req.method == "GET" && req.path == "/" && req.has_param("token") &&
        same_secret(req.get_param_value("token"), s.o.token)) {
      res.set_header("Set-Cookie",
                     "typeflow_token=" + s.o.token + "; Path=/; HttpOnly; SameSite=Strict");
      res.set_redirect("/", 303);
      return httplib::Server::HandlerResponse::Handled;
    }
    error_reply(req, res, 401,
                "typeflow: this server needs its token: the header 'Authorization: Bearer "
                "TOKEN', or open /?token=TOKEN once");
    return httplib::Server::HandlerResponse::Handled;
  });

  // Statuses >= 400 without a body (no route, a request httplib refused) get a message.
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = res.status == 404   ? "typeflow: no such page: " + req.path
                              : res.status == 413 ? "typeflow: the request body is too large"
                              : res.status == 414 ? "typeflow: the request line is too long"
                                                  : "typeflow: malformed request";
        error_reply(req, res, res.status, message);
        return httplib::Server::HandlerResponse::Handled;
      }));

  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        try {
          std::rethrow_exception(ep);
        } catch (const http_error& e) {
          if (!e.field.empty() && is_api(req)) {
            json_reply(res, e.status, nlohmann::json{{"error", e.message}, {"field", e.field}});
          } else {
            error_reply(req, res, e.status, e.message);
          }
        } catch (const unknown_run_error& e) {
          error_reply(req, res, 404, e.what());
        } catch (const std::exception& e) {
          error_reply(req, res, 500, e.what());
        } catch (...) {
          error_reply(req, res, 500, "typeflow: an unknown error");
        }
      });

  add_api_routes(s);

  // Every other change is refused, its body read first (so that an oversize one is a 413).
  auto refuse = [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", "GET");
    error_reply(req, res, 405,
                "typeflow: " + req.method + " " + req.path +
                    " is not served (docs/ui.md lists the routes)");
  };
  http.Post(".*", refuse);
  http.Put(".*", refuse);
  http.Patch(".*", refuse);
  http.Delete(".*", refuse);

  // ------------------------------------------------------------------ pages (ui/impl/pages.hpp)
  register_pages(http, sp);

  if (s.o.port == 0) {
    const int port = http.bind_to_any_port(s.o.host);
    if (port <= 0) throw ui_error("typeflow: cannot listen on '" + s.o.host + "' (any port)");
    s.port = static_cast<unsigned>(port);
  } else {
    if (s.o.port > 65535) throw ui_error("typeflow: no port " + std::to_string(s.o.port));
    if (!http.bind_to_port(s.o.host, static_cast<int>(s.o.port))) {
      throw ui_error("typeflow: cannot listen on " + s.o.host + " port " +
                     std::to_string(s.o.port) +
                     " (in use, or not an address of this machine); --port 0 picks a free one");
    }
    s.port = s.o.port;
  }
  // Debian's httplib listens with a backlog of 5: 50 pages polling at once overflowed it, and
  // each dropped connection was retried by its client after 1 s (p99 1 s in the load check,
  // docs/performance.md). listen() again on the bound socket raises the backlog.
  if (*listening >= 0) ::listen(*listening, SOMAXCONN);
}

TYPEFLOW_INLINE server::~server() {
  if (st_) {
    st_->http.stop();
    ui_detail::stop_runs(*st_);
  }
}

TYPEFLOW_INLINE unsigned server::port() const noexcept { return st_->port; }

TYPEFLOW_INLINE std::string server::url() const {
  const auto& h = st_->o.host;
  return "http://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" +
         std::to_string(st_->port) + "/";
}

TYPEFLOW_INLINE void server::run() {
  auto& s = *st_;
  {
    std::lock_guard lock(s.m);
    if (s.stop_requested) return;
    s.listening_done = false;
  }
  std::thread listener([&s] {
    s.http.listen_after_bind();
    std::lock_guard lock(s.m);
    s.listening_done = true;
    s.cv.notify_all();
  });
  std::unique_lock lock(s.m);
  s.cv.wait(lock, [&] { return s.stop_requested || s.listening_done; });
  // httplib's stop() does nothing before its loop has started: ask until the loop has ended.
  while (!s.listening_done) {
    lock.unlock();
    s.http.stop();
    lock.lock();
    s.cv.wait_for(lock, std::chrono::milliseconds(10), [&] { return s.listening_done; });
  }
  lock.unlock();
  listener.join();
  ui_detail::stop_runs(s);  // the runs started from the page end with the server
}

TYPEFLOW_INLINE void server::stop() {
  std::lock_guard lock(st_->m);
  st_->stop_requested = true;
  st_->cv.notify_all();
}

namespace ui_detail {

/// Opens `url` (with `token`, its /?token= form) in the user's browser: the first command of
/// $BROWSER (a colon-separated list, as xdg-utils reads it), else xdg-open, in the background;
/// when it cannot be started, says so on `err` (serving goes on).
inline void open_browser(const std::string& url, const std::string& token, std::ostream& err) {
  std::string opener = "xdg-open";
  if (const char* b = std::getenv("BROWSER"); b != nullptr && *b != '\0') {
    const std::string list(b);
    opener = list.substr(0, list.find(':'));
  }
  // With a token, the page's own way in: /?token= sets the cookie and redirects to /.
  const auto page =
      token.empty() ? url : url + "?token=" + httplib::detail::encode_query_param(token);
  // Through sh, in the background: a browser can run for hours, and serving never waits on it;
  // sh says at once whether the opener exists (127).
  const auto r = launch_detail::run_command(
      {"/bin/sh", "-c",
       "command -v \"$0\" >/dev/null 2>&1 || exit 127; \"$0\" \"$1\" </dev/null >/dev/null 2>&1 &",
       opener, page});
  if (r.status == 127) {
    err << "typeflow: --open: no browser: '" << opener << "' is not a command"
        << (std::getenv("BROWSER") != nullptr ? " ($BROWSER)" : " (set $BROWSER)") << "; open "
        << url << " yourself" << std::endl;
  } else if (r.status != 0) {
    err << "typeflow: --open: '" << opener << "' could not be started (status " << r.status
        << (r.err.empty() ? "" : ": " + launch_detail::trimmed(r.err)) << "); open " << url
        << " yourself" << std::endl;
  }
}

}  // namespace ui_detail

TYPEFLOW_INLINE int command(const pipeline& p, const run_options* program, const ui_flags& flags,
                            std::ostream& out, std::ostream& err, bool handle_sigint) {
  server_options o;
  o.store = cli_detail::store_dir(flags.store);
  o.host = flags.host;
  o.port = flags.port;
  o.token = flags.token;
  o.program = program;
  o.executor = flags.executor;
  o.slurm_args = flags.slurm_args;
  if (o.token.empty()) {
    if (const char* env = std::getenv("TYPEFLOW_UI_TOKEN")) o.token = env;
  }
  std::atomic<server*> running{nullptr};
  std::atomic<bool> interrupted{false};
  // Before the store's threads and the server's start (cli/detail/signals.hpp).
  cli_detail::sigint_watch watch{[&] {
                                   interrupted = true;
                                   if (auto* s = running.load()) s->stop();
                                 },
                                 handle_sigint, "the server and its runs"};
  const auto token = o.token;
  std::optional<server> srv;
  try {
    srv.emplace(p, std::move(o));
  } catch (const ui_error& e) {
    err << e.what() << '\n';
    return cli_detail::exit_usage;
  }
  running = &*srv;
  if (interrupted) srv->stop();
  out << "typeflow: serving pipeline '" << p.name() << "' at " << srv->url() << " (store "
      << cli_detail::store_dir(flags.store).string()
      << (flags.executor == "slurm" ? "; runs' steps as Slurm jobs" : "") << "); Ctrl-C ends"
      << std::endl;
  // The socket listens already: a browser's first request waits in its backlog.
  if (flags.open) ui_detail::open_browser(srv->url(), token, err);
  srv->run();
  running = nullptr;
  out << "typeflow: stopped serving" << std::endl;
  return cli_detail::exit_ok;
}

TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, cli_options opts) {
  opts.ui = &command;
  return typeflow::main(argc, argv, p, opts);
}

TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, const run_options& program,
                         cli_options opts) {
  opts.ui = &command;
  return typeflow::main(argc, argv, p, program, opts);
}

}  // namespace typeflow::ui
