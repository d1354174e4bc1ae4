// The browser run mode's server at the HTTP level: a real server on a free loopback port, a
// real store with real runs (one failing with a message holding <script>), real requests
// (cpp-httplib's client, and raw bytes on a socket for what no client would send).
#include <typeflow/store.hpp>
#include <typeflow/ui/server.hpp>

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;
using json = nlohmann::json;

namespace {

tyf::pipeline ui_pipeline() {
  tyf::pipeline p{"served"};
  auto lr = p.param<double>("lr", 0.1).describe("learning rate");
  auto fail = p.param<bool>("fail", false);
  auto model = p.step(
      "train",
      [](double rate, tyf::context& ctx) {
        for (std::int64_t epoch = 0; epoch < 3; ++epoch)
          ctx.log_metric("loss", 1.0 / (1.0 + rate * static_cast<double>(epoch)), epoch);
        return rate;
      },
      lr);
  p.step(
      "report",
      [](double w, bool f) -> int {
        if (f) throw std::runtime_error("<script>alert('x')</script> & more");
        return static_cast<int>(w);
      },
      model, fail);
  return p;
}

/// A server on a free loopback port over a store with `runs` recorded runs, serving on a
/// thread until the fixture ends.
struct served {
  temp_dir dir;
  tyf::pipeline p = ui_pipeline();
  std::vector<std::string> ids;  ///< newest last
  std::optional<tyf::ui::server> srv;
  std::future<void> serving;

  explicit served(tyf::ui::server_options o = {}) {
    {
      tyf::store st{dir.path() / "store"};
      ids.push_back(st.run(p, tyf::store_options{}
                                  .experiment("baseline")
                                  .tag("data", "v1")
                                  .tag("note", "<script>alert('x')</script> & more"))
                        .run_id());
      ids.push_back(
          st.run(p, tyf::store_options{}.experiment("trial").set("fail", "true")).run_id());
      ids.push_back(st.run(p, tyf::store_options{}.experiment("trial").set("lr", "0.5")).run_id());
    }
    o.store = dir.path() / "store";
    o.port = 0;
    srv.emplace(p, std::move(o));
    serving = std::async(std::launch::async, [this] { srv->run(); });
  }
  ~served() {
    srv->stop();
    // Bounded: a server that does not end fails the test rather than hanging it.
    if (serving.wait_for(std::chrono::seconds(10)) != std::future_status::ready) std::abort();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", static_cast<int>(srv->port()));
    c.set_read_timeout(std::chrono::seconds(10));
    return c;
  }
};

json body_json(const httplib::Result& r) {
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->get_header_value("Content-Type").rfind("application/json", 0) == 0);
  return json::parse(r->body);
}

/// Sends `bytes` on a new connection to the server and returns all it answers; `source`: the
/// client's address (another loopback address is another client), and then the sending side
/// stays open (httplib answers no POST on a half-closed connection) until the server closes.
std::string raw(unsigned port, const std::string& bytes, const char* source = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  if (source != nullptr) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    REQUIRE(::inet_pton(AF_INET, source, &from.sin_addr) == 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on a request it refuses
    sent += static_cast<std::size_t>(n);
  }
  if (source == nullptr) ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

/// A page without its one script element, the program's own /static/ui.js: what is left may
/// hold no <script> (no inline script) and load nothing.
std::string own_script_only(std::string page) {
  const std::string own = "<script src=\"/static/ui.js\" defer></script>";
  const auto at = page.find(own);
  if (at != std::string::npos) page.erase(at, own.size());
  return page;
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::stoi(response.substr(9, 3));
}

}  // namespace

TEST_CASE("ui: GET /api/runs lists the runs as `runs --json` does, newest first, paged") {
  served s;
  auto c = s.client();
  auto j = body_json(c.Get("/api/runs"));
  REQUIRE(j["runs"].size() == 3);
  REQUIRE(j["runs"][0]["id"] == s.ids[2]);
  REQUIRE(j["runs"][2]["id"] == s.ids[0]);
  REQUIRE(j["more"] == false);
  // The fields of run_json (cli/detail/json.hpp), as `prog runs --json` prints them.
  for (const char* key :
       {"id", "pipeline", "structure_hash", "status", "started", "ended", "duration_s",
        "experiment", "kind", "origin", "message", "host", "pid", "params", "tags", "waiting_for"})
    REQUIRE(j["runs"][0].contains(key));
  REQUIRE(j["runs"][1]["status"] == "failed");
  REQUIRE(j["runs"][2]["tags"]["data"] == "v1");

  auto page = body_json(c.Get("/api/runs?limit=2"));
  REQUIRE(page["runs"].size() == 2);
  REQUIRE(page["more"] == true);
  auto next = body_json(c.Get("/api/runs?limit=2&offset=2"));
  REQUIRE(next["runs"].size() == 1);
  REQUIRE(next["runs"][0]["id"] == s.ids[0]);
  REQUIRE(next["more"] == false);

  REQUIRE(body_json(c.Get("/api/runs?status=failed"))["runs"].size() == 1);
  REQUIRE(body_json(c.Get("/api/runs?experiment=trial"))["runs"].size() == 2);
  REQUIRE(body_json(c.Get("/api/runs?tag=data%3Dv1"))["runs"].size() == 1);
  REQUIRE(body_json(c.Get("/api/runs?tag=data%3Dv2"))["runs"].empty());

  // Dates (UTC): the day each run started, from its record, so midnight cannot race the test.
  const auto day = j["runs"][0]["started"].get<std::string>().substr(0, 10);
  const auto first = j["runs"][2]["started"].get<std::string>().substr(0, 10);
  INFO(first << " .. " << day);
  REQUIRE(body_json(c.Get("/api/runs?since=" + first))["runs"].size() == 3);
  REQUIRE(body_json(c.Get("/api/runs?until=" + day))["runs"].size() == 3);
  REQUIRE(body_json(c.Get("/api/runs?since=" + first + "&until=" + day))["runs"].size() == 3);
  REQUIRE(body_json(c.Get("/api/runs?since=2199-12-31"))["runs"].empty());
  REQUIRE(body_json(c.Get("/api/runs?until=2000-01-01"))["runs"].empty());
  REQUIRE(body_json(c.Get("/api/runs?since=&until="))["runs"].size() == 3);
  // The runs page keeps the dates in its form and in its paging links.
  auto page_html = c.Get("/?limit=1&since=" + first);
  REQUIRE(page_html->status == 200);
  REQUIRE(page_html->body.find("name=\"since\" value=\"" + first + "\"") != std::string::npos);
  REQUIRE(page_html->body.find("&amp;since=" + first) != std::string::npos);
  // Every tag filter keeps a field of its own in the form (sent again, none is dropped).
  auto tagged = c.Get("/?tag=data%3Dv1&tag=owner%3Dme");
  REQUIRE(tagged->status == 200);
  REQUIRE(tagged->body.find("name=\"tag\" placeholder=\"KEY=VALUE\" value=\"data=v1\"") !=
          std::string::npos);
  REQUIRE(tagged->body.find("name=\"tag\" placeholder=\"KEY=VALUE\" value=\"owner=me\"") !=
          std::string::npos);
}

TEST_CASE("ui: bad filters and paging are 400 with a message naming the problem") {
  served s;
  auto c = s.client();
  auto r = c.Get("/api/runs?status=sleeping");
  REQUIRE(r->status == 400);
  REQUIRE(body_json(r)["error"].get<std::string>().find("unknown run status 'sleeping'") !=
          std::string::npos);
  r = c.Get("/api/runs?limit=0");
  REQUIRE(r->status == 400);
  REQUIRE(body_json(r)["error"].get<std::string>().find("'limit'") != std::string::npos);
  REQUIRE(c.Get("/api/runs?limit=abc")->status == 400);
  REQUIRE(c.Get("/api/runs?limit=501")->status == 400);
  REQUIRE(c.Get("/api/runs?offset=-1")->status == 400);
  REQUIRE(c.Get("/api/runs?tag=novalue")->status == 400);
  for (const char* bad :
       {"2026-02-30", "2026-13-01", "26-01-01", "yesterday", "2026-1-01x", "2999-01-01"}) {
    INFO(bad);
    r = c.Get(std::string("/api/runs?since=") + bad);
    REQUIRE(r->status == 400);
    REQUIRE(
        body_json(r)["error"].get<std::string>() ==
        std::string("typeflow: 'since' must be a date YYYY-MM-DD (UTC) from 1970 to 2199, not '") +
            bad + "'");
  }
  r = c.Get("/api/runs?since=2026-05-02&until=2026-05-01");
  REQUIRE(r->status == 400);
  REQUIRE(body_json(r)["error"] == "typeflow: 'until' (2026-05-01) is before 'since' (2026-05-02)");
  REQUIRE(c.Get("/?until=garbage")->status == 400);
}

TEST_CASE("ui: GET /api/runs/ID is `show --json`; an unknown run is 404 with a message") {
  served s;
  auto c = s.client();
  auto j = body_json(c.Get(("/api/runs/" + s.ids[1]).c_str()));
  REQUIRE(j["id"] == s.ids[1]);
  REQUIRE(j["status"] == "failed");
  REQUIRE(j["steps"].size() == 2);  // train served from the first run's cache, report failed
  REQUIRE(j.contains("final_metrics"));
  // The first run trained: its metric's every point, and the final value.
  auto first = body_json(c.Get(("/api/runs/" + s.ids[0]).c_str()));
  REQUIRE(first["metrics"].size() == 3);
  REQUIRE(first["final_metrics"]["train.loss"].get<double>() == Approx(1.0 / 1.2));
  bool found = false;
  for (const auto& step : j["steps"]) {
    if (step["name"] == "report") {
      found = true;
      REQUIRE(step["status"] == "failed");
      // JSON carries the text as it is; escaping is the page's business.
      REQUIRE(step["message"].get<std::string>().find("<script>alert('x')</script> & more") !=
              std::string::npos);
    }
  }
  REQUIRE(found);
  REQUIRE(body_json(c.Get("/api/runs/latest"))["id"] == s.ids[2]);
  REQUIRE(body_json(c.Get(("/api/runs/" + s.ids[2].substr(0, 11)).c_str()))["id"] == s.ids[2]);

  auto r = c.Get("/api/runs/0000nosuchrun");
  REQUIRE(r->status == 404);
  REQUIRE(!body_json(r)["error"].get<std::string>().empty());
  r = c.Get("/api/runs/%3Cscript%3E");
  REQUIRE(r->status == 404);
  REQUIRE(!body_json(r)["error"].get<std::string>().empty());
}

TEST_CASE("ui: GET /api/pipeline is `describe --json`") {
  served s;
  auto c = s.client();
  auto j = body_json(c.Get("/api/pipeline"));
  REQUIRE(j.contains("structure_hash"));
  REQUIRE(j.dump().find("\"lr\"") != std::string::npos);
  REQUIRE(j.dump().find("\"train\"") != std::string::npos);
}

TEST_CASE("ui: the pages escape what steps and users wrote, load nothing, and carry a CSP") {
  served s;
  auto c = s.client();
  auto r = c.Get("/");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  REQUIRE(r->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  const auto csp = r->get_header_value("Content-Security-Policy");
  REQUIRE(csp.find("default-src 'none'") != std::string::npos);
  REQUIRE(r->get_header_value("X-Content-Type-Options") == "nosniff");
  for (const auto& id : s.ids) REQUIRE(r->body.find("/runs/" + id) != std::string::npos);
  REQUIRE(own_script_only(r->body).find("<script") == std::string::npos);
  REQUIRE(r->body.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more") !=
          std::string::npos);  // the first run's tag, in the runs table
  REQUIRE(own_script_only(r->body).find("src=") == std::string::npos);
  REQUIRE(r->body.find("http://") == std::string::npos);
  REQUIRE(r->body.find("https://") == std::string::npos);

  r = c.Get(("/runs/" + s.ids[1]).c_str());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  REQUIRE(own_script_only(r->body).find("<script") == std::string::npos);
  REQUIRE(r->body.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more") !=
          std::string::npos);
  REQUIRE(r->body.find("<g class=\"node st-failed\" id=\"node-report\">") != std::string::npos);
  REQUIRE(r->body.find("<a href=\"/\">") != std::string::npos);

  // A filter value is escaped back into its field.
  r = c.Get("/?experiment=%22%3E%3Cscript%3Ex%3C%2Fscript%3E");
  REQUIRE(r->status == 200);
  REQUIRE(own_script_only(r->body).find("<script") == std::string::npos);
  REQUIRE(r->body.find("&quot;&gt;&lt;script&gt;") != std::string::npos);

  r = c.Get("/runs/latest");
  REQUIRE(r->status == 200);
  REQUIRE(r->body.find(s.ids[2]) != std::string::npos);
  r = c.Get("/runs/nosuchrun");
  REQUIRE(r->status == 404);
  REQUIRE(r->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  r = c.Get("/runs/%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  REQUIRE(r->status == 404);
  REQUIRE(own_script_only(r->body).find("<script") == std::string::npos);
}

TEST_CASE("ui: unknown paths, other methods, oversize and malformed requests are 4xx") {
  served s;
  auto c = s.client();
  auto r = c.Get("/api/nothing");
  REQUIRE(r->status == 404);
  REQUIRE(body_json(r)["error"].get<std::string>().find("/api/nothing") != std::string::npos);
  REQUIRE(c.Get("/nothing")->status == 404);
  // GETs change nothing; a change is a POST to a route that takes one (changes.cpp).
  r = c.Post("/api/nothing", "{}", "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 405);
  REQUIRE(r->get_header_value("Allow") == "GET");
  REQUIRE(body_json(r)["error"].get<std::string>().find("POST /api/nothing is not served") !=
          std::string::npos);
  r = c.Post("/api/runs", "{}", "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 403);  // no session, no CSRF token
  r = c.Delete(("/api/runs/" + s.ids[0]).c_str());
  REQUIRE(r);
  REQUIRE(r->status == 405);
  REQUIRE(c.Put("/", "x", "text/plain")->status == 405);
  REQUIRE(body_json(c.Get("/api/runs"))["runs"].size() == 3);

  // A body over the bound: 413.
  const std::string big(100 * 1024, 'x');
  r = c.Post("/api/runs", big, "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 413);

  // Bytes no client would send: each gets a 4xx (or the connection closed), never a crash.
  const auto port = s.srv->port();
  for (const std::string& bad :
       {std::string("GARBAGE\r\n\r\n"), std::string("GET\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"),
        "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        std::string("GET /api/runs?limit=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
        std::string("POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                    "99999999999999999999\r\n\r\n"),
        std::string("\0\0\0\0", 4)}) {
    const auto answer = raw(port, bad);
    const int code = status_of(answer);
    INFO(answer.substr(0, 200));
    REQUIRE((answer.empty() || (code >= 400 && code < 500)));
  }
  // And it still serves.
  REQUIRE(c.Get("/api/runs")->status == 200);
}

TEST_CASE("ui: a store without runs serves an empty list, and `latest` is a 404") {
  temp_dir dir;
  auto p = ui_pipeline();
  tyf::ui::server_options o;
  o.store = dir.path() / "fresh";  // created
  o.port = 0;
  tyf::ui::server srv(p, o);
  auto serving = std::async(std::launch::async, [&] { srv.run(); });
  httplib::Client c("127.0.0.1", static_cast<int>(srv.port()));
  c.set_read_timeout(std::chrono::seconds(10));
  REQUIRE(body_json(c.Get("/api/runs"))["runs"].empty());
  auto r = c.Get("/api/runs/latest");
  REQUIRE(r->status == 404);
  REQUIRE(body_json(r)["error"].get<std::string>().find("no runs yet") != std::string::npos);
  r = c.Get("/");
  REQUIRE(r->status == 200);
  REQUIRE(r->body.find("no runs") != std::string::npos);
  srv.stop();
  REQUIRE(serving.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

TEST_CASE("ui: a request addressed to another host is refused (DNS rebinding)") {
  served s;
  auto c = s.client();
  httplib::Headers h{{"Host", "evil.example:8321"}};
  auto r = c.Get("/api/runs", h);
  REQUIRE(r->status == 403);
  REQUIRE(body_json(r)["error"].get<std::string>().find("evil.example") != std::string::npos);
  REQUIRE(c.Get("/api/runs", httplib::Headers{{"Host", "localhost:1"}})->status == 200);
  REQUIRE(c.Get("/api/runs", httplib::Headers{{"Host", "127.0.0.1"}})->status == 200);
  REQUIRE(c.Get("/api/runs", httplib::Headers{{"Host", "[::1]:8321"}})->status == 200);
  // A name that only looks like a loopback address is a name.
  REQUIRE(c.Get("/api/runs", httplib::Headers{{"Host", "127.0.0.1.evil.example"}})->status == 403);
  REQUIRE(c.Get("/api/runs", httplib::Headers{{"Host", "127.evil.example:8321"}})->status == 403);
  REQUIRE(tyf::ui::is_loopback("127.0.0.1"));
  REQUIRE(tyf::ui::is_loopback("127.1.2.3"));
  REQUIRE(tyf::ui::is_loopback("::1"));
  REQUIRE_FALSE(tyf::ui::is_loopback("127.evil.example"));
  REQUIRE_FALSE(tyf::ui::is_loopback("0.0.0.0"));
  REQUIRE_FALSE(tyf::ui::is_loopback("128.0.0.1"));
}

TEST_CASE("ui: with a token every request needs it; off loopback a token is required") {
  tyf::ui::server_options o;
  o.token = "s3cret";
  served s{o};
  auto c = s.client();
  auto r = c.Get("/api/runs");
  REQUIRE(r->status == 401);
  REQUIRE(body_json(r)["error"].get<std::string>().find("token") != std::string::npos);
  REQUIRE(c.Get("/api/runs", httplib::Headers{{"Authorization", "Bearer wrong"}})->status == 401);
  REQUIRE(c.Get("/api/runs", httplib::Headers{{"Authorization", "Bearer s3cret"}})->status == 200);
  // /?token= sets the cookie a browser then sends.
  r = c.Get("/?token=s3cret");
  REQUIRE(r->status == 303);
  const auto cookie = r->get_header_value("Set-Cookie");
  REQUIRE(cookie.find("typeflow_token=s3cret") != std::string::npos);
  REQUIRE(cookie.find("HttpOnly") != std::string::npos);
  REQUIRE(cookie.find("SameSite=Strict") != std::string::npos);
  REQUIRE(c.Get("/", httplib::Headers{{"Cookie", "a=b; typeflow_token=s3cret"}})->status == 200);
  REQUIRE(c.Get("/", httplib::Headers{{"Cookie", "typeflow_token=nope"}})->status == 401);

  temp_dir dir;
  auto p = ui_pipeline();
  tyf::ui::server_options open;
  open.store = dir.path() / "store";
  open.host = "0.0.0.0";
  open.port = 0;
  REQUIRE_THROWS_WITH(tyf::ui::server(p, open),
                      Catch::Contains("not a loopback address") && Catch::Contains("--token"));
  // A token a cookie cannot hold (/?token= would set a cookie cut at the ';' or space, and the
  // browser would get 401 for ever) is refused at the start, naming why.
  for (const std::string bad :
       {"pass word", "a;b", "a,b", "quo\"te", "back\\slash", "caf\xC3\xA9", "tab\there"}) {
    tyf::ui::server_options o;
    o.store = dir.path() / "store";
    o.port = 0;
    o.token = bad;
    INFO(bad);
    REQUIRE_THROWS_WITH(tyf::ui::server(p, o),
                        Catch::Contains("token") && Catch::Contains("cookie"));
  }
  tyf::ui::server_options fine;
  fine.store = dir.path() / "store";
  fine.port = 0;
  fine.token = "Az09-._~!#$%&'()*+/:<=>?@[]^`{|}";
  REQUIRE_NOTHROW(tyf::ui::server(p, fine));
}

TEST_CASE("ui: a port in use is refused with a message; stop() before run() ends run() at once") {
  served s;
  tyf::ui::server_options o;
  o.store = s.dir.path() / "store";
  o.port = s.srv->port();
  REQUIRE_THROWS_WITH(tyf::ui::server(s.p, o), Catch::Contains("cannot listen"));

  o.port = 0;
  tyf::ui::server other(s.p, o);
  other.stop();
  auto done = std::async(std::launch::async, [&] { other.run(); });
  REQUIRE(done.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

TEST_CASE("ui: many clients at once get their answers") {
  served s;
  std::vector<std::future<int>> clients;
  for (int i = 0; i < 16; ++i) {
    clients.push_back(std::async(std::launch::async, [&s] {
      auto c = s.client();
      int ok = 0;
      for (int k = 0; k < 10; ++k) {
        auto r = c.Get(k % 2 ? "/api/runs" : "/");
        if (r && r->status == 200) ++ok;
      }
      return ok;
    }));
  }
  for (auto& f : clients) REQUIRE(f.get() == 10);
}

TEST_CASE("ui: POSTs are bounded per client: 429 with Retry-After beyond the burst") {
  tyf::ui::server_options o;
  o.post_burst = 3;
  o.post_rate = 0.001;  // one more every 1000 s
  served s(o);
  auto c = s.client();
  // Each refused for its missing session (403), which spends a POST all the same.
  for (int i = 0; i < 3; ++i) REQUIRE(c.Post("/api/runs", httplib::Params{})->status == 403);
  auto r = c.Post("/api/runs", httplib::Params{});
  REQUIRE(r->status == 429);
  REQUIRE(r->get_header_value("Retry-After") == "1000");
  const auto message = body_json(r)["error"].get<std::string>();
  REQUIRE(message.find("too many changes asked from 127.0.0.1") != std::string::npos);
  REQUIRE(message.find("try again in 1000 s") != std::string::npos);
  REQUIRE(c.Post("/api/runs/latest/stop", httplib::Params{})->status == 429);
  // GETs are not bounded; another client (address) has its own bucket.
  REQUIRE(c.Get("/api/runs")->status == 200);
  const auto other = raw(s.srv->port(),
                         "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                         "0\r\nConnection: close\r\n\r\n",
                         "127.0.0.2");
  INFO(other);
  REQUIRE(status_of(other) == 403);
  // Nothing was recorded.
  REQUIRE(body_json(c.Get("/api/runs"))["runs"].size() == 3);
}

TEST_CASE("ui: a POST rate of 0 with a burst is refused; a burst of 0 bounds nothing") {
  temp_dir dir;
  tyf::ui::server_options o;
  o.store = dir.path() / "store";
  o.port = 0;
  o.post_rate = 0;
  REQUIRE_THROWS_WITH(tyf::ui::server(ui_pipeline(), o),
                      Catch::Contains("POST rate must be more than 0"));
  o.post_burst = 0;
  REQUIRE_NOTHROW(tyf::ui::server(ui_pipeline(), o));
}

TEST_CASE("ui: an unknown executor, or sbatch options without Slurm, are refused") {
  temp_dir dir;
  tyf::ui::server_options o;
  o.store = dir.path() / "store";
  o.port = 0;
  o.executor = "k8s";
  REQUIRE_THROWS_WITH(tyf::ui::server(ui_pipeline(), o),
                      "typeflow: unknown executor 'k8s'; executors are: local, slurm");
  o.executor = "local";
  o.slurm_args = {"--partition=gpu"};
  REQUIRE_THROWS_WITH(tyf::ui::server(ui_pipeline(), o),
                      "typeflow: --slurm-arg is for --executor slurm");
  o.executor = "slurm";  // served; its runs' steps go to sbatch (tests/slurm/ui.py)
  REQUIRE_NOTHROW(tyf::ui::server(ui_pipeline(), o));
}
