// The browser run mode's load check (issue 17; docs/performance.md#the-browser-run-mode):
//
//   1. a store with 10,000 real runs of this program's pipeline (recorded here through the
//      store's API, reused when the store already holds them), then the latency of GET / (the
//      runs page), GET /api/runs (the first page, a deep page, a filtered query) and
//      GET /api/runs/ID, requested one after another against `prog ui` on a loopback port;
//   2. 50 clients (threads, httplib::Client) polling GET /api/runs/ID of a live run, each every
//      100 ms to 1 s (its own random interval), for 30 s: their latencies, and the wall time of
//      the polled runs against the same runs with nobody polling.
//
// `prog ui` is this same program (typeflow::ui::main) started as a child process:
// `typeflow-bench-ui ui --store DIR --port 0`. The live runs are started through
// POST /api/runs, so they run in the serving process, beside the requests it answers.
//
//   typeflow-bench-ui [--store DIR] [--runs N] [--requests N] [--clients N] [--seconds S]
//                     [--steps-work N] [--keep-alive] [--only load|poll]
//   TYPEFLOW_BENCH_UI_SECONDS   the polling time (default 30), e.g. 5 for a quick look
//
// Prints a table per part and `summary shape=ui_...` lines.

#include <typeflow/store.hpp>
#include <typeflow/typeflow.hpp>
#include <typeflow/ui/server.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tyf = typeflow;
namespace fs = std::filesystem;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr int chain_steps = 20;  // the live run: prepare, step01..step20, score

/// `units` x 100,000 rounds of a xorshift: a fixed amount of work (about 0.1 ms a unit at -O2 on
/// the machine of docs/performance.md).
std::uint64_t spin(long units, std::uint64_t x) {
  for (long i = 0; i < units * 100000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

/// The pipeline both `prog ui` and the seeding use: parameters, a chain of steps doing `work`
/// units each, and a score step recording a metric history.
void define(tyf::pipeline& p) {
  auto lr = p.param<double>("lr", 0.1).describe("learning rate").range(0.0, 1.0);
  auto seed = p.param<int>("seed", 1);
  auto work = p.param<int>("work", 0).describe("units of work per step (0.1 ms each)");
  auto fail = p.param<bool>("fail", false);
  auto prev = p.step(
      "prepare",
      // Values unique to the seed: no step of a run with a new seed is a cache hit.
      [](int s, int w) {
        return std::int64_t{s} * 1024 +
               static_cast<std::int64_t>(spin(w, static_cast<std::uint64_t>(s) | 1) & 1);
      },
      seed, work);
  for (int i = 1; i <= chain_steps; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "step%02d", i);
    prev = p.step(
        name,
        [](std::int64_t x, int w) {
          return x + static_cast<std::int64_t>(spin(w, static_cast<std::uint64_t>(x) + 1) & 1);
        },
        prev, work);
  }
  p.step(
      "score",
      [](std::int64_t x, double rate, bool f, tyf::context& ctx) {
        for (int e = 0; e < 10; ++e) ctx.log_metric("loss", 1.0 / (1.0 + rate * (e + 1)), e);
        ctx.log_metric("accuracy", 0.5 + rate / 2);
        if (f) throw std::runtime_error("the score is below the gate");
        return static_cast<double>(x) * rate;
      },
      prev, lr, fail);
}

struct percentiles {
  double p50, p90, p99, max;
  std::size_t n;
};

percentiles stats(std::vector<double> v) {
  if (v.empty()) return {0, 0, 0, 0, 0};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    return v[std::min(i, v.size() - 1)];
  };
  return {at(0.50), at(0.90), at(0.99), v.back(), v.size()};
}

double median(std::vector<double> v) { return stats(std::move(v)).p50; }

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

pid_t g_child = -1;  // `prog ui`, ended by die() too

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "typeflow-bench-ui: %s\n", msg.c_str());
  if (g_child > 0) ::kill(g_child, SIGKILL);
  std::exit(1);
}

/// `prog ui` as a child process: this program, `ui --store DIR --port 0`.
struct ui_child {
  pid_t pid = -1;
  int port = 0;

  explicit ui_child(const fs::path& store) {
    int out[2];
    if (::pipe(out) != 0) die("pipe failed");
    pid = ::fork();
    if (pid < 0) die("fork failed");
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      const std::string dir = store.string();
      ::execl("/proc/self/exe", "typeflow-bench-ui", "ui", "--store", dir.c_str(), "--port", "0",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    g_child = pid;
    std::string text;
    char buf[512];
    const std::string at = "http://127.0.0.1:";
    while (text.find("Ctrl-C ends") == std::string::npos) {
      auto n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) die("`ui` ended before serving: " + text);
      text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);  // it writes one more line at the end: SIGPIPE is ignored below
    port = std::stoi(text.substr(text.find(at) + at.size()));
  }
  ~ui_child() {
    ::kill(pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  ui_child(const ui_child&) = delete;
  ui_child& operator=(const ui_child&) = delete;
};

httplib::Client client(int port, bool keep_alive) {
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(keep_alive);
  c.set_read_timeout(std::chrono::seconds(60));
  c.set_connection_timeout(std::chrono::seconds(10));
  return c;
}

json get_json(httplib::Client& c, const std::string& path) {
  auto r = c.Get(path.c_str());
  if (!r || r->status != 200)
    die("GET " + path + ": " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
  return json::parse(r->body);
}

// ------------------------------------------------------------------------------ seeding

/// Adds real runs of `p` until the store holds `n`: parameters, tags and experiments vary,
/// one run in 20 fails. Returns the time taken (0 when nothing was added).
double seed_store(const tyf::pipeline& p, const fs::path& dir, std::size_t n) {
  tyf::store st{dir};
  const auto have = st.runs(tyf::run_query{}).size();
  if (have >= n) return 0;
  std::printf("seeding %s: %zu runs there, adding %zu ...\n", dir.c_str(), have, n - have);
  std::fflush(stdout);
  const auto t0 = clock_type::now();
  for (std::size_t i = have; i < n; ++i) {
    auto o = tyf::store_options{}
                 .experiment("exp-" + std::to_string(i % 10))
                 .tag("data", "v" + std::to_string(i % 5))
                 .tag("owner", i % 3 == 0 ? "ana" : "bo")
                 .set("lr", std::to_string(0.001 * static_cast<double>(1 + i % 500)))
                 .set("seed", std::to_string(i))
                 .set("fail", i % 20 == 7 ? "true" : "false");
    o.sequential();
    (void)st.run(p, o);
    if ((i + 1) % 1000 == 0) {
      std::printf("  %zu runs (%.1f ms a run)\n", i + 1,
                  ms_since(t0) / static_cast<double>(i + 1 - have));
      std::fflush(stdout);
    }
  }
  return ms_since(t0);
}

// ------------------------------------------------------------------------------ part 1

struct row {
  std::string name;
  percentiles s;
  std::size_t bytes;
};

void print_row(const row& r) {
  std::printf("%-44s %6zu %8.2f %8.2f %8.2f %8.2f %9zu\n", r.name.c_str(), r.s.n, r.s.p50, r.s.p90,
              r.s.p99, r.s.max, r.bytes);
}

/// `requests` GETs of `path` one after another (after 3 not counted): the latency of each.
row measure(httplib::Client& c, const std::string& name, const std::string& path, int requests) {
  std::vector<double> ms;
  std::size_t bytes = 0;
  for (int i = -3; i < requests; ++i) {
    const auto t0 = clock_type::now();
    auto r = c.Get(path.c_str());
    const double t = ms_since(t0);
    if (!r || r->status != 200)
      die("GET " + path + ": " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
    if (i >= 0) ms.push_back(t);
    bytes = r->body.size();
  }
  return {name + "  " + path, stats(std::move(ms)), bytes};
}

void header(const char* first) {
  std::printf("%-44s %6s %8s %8s %8s %8s %9s\n", first, "n", "p50 ms", "p90 ms", "p99 ms", "max ms",
              "bytes");
}

void load_part(int port, std::size_t runs, int requests, bool keep_alive) {
  auto c = client(port, keep_alive);
  // An old run (deep in the history) and the newest one.
  auto deep = get_json(c, "/api/runs?limit=1&offset=" + std::to_string(runs / 2));
  const auto old_id = deep["runs"].at(0)["id"].get<std::string>();
  const auto offset = std::to_string(runs - 100);
  std::printf("\n1. one client, requests one after another, %zu runs in the store\n", runs);
  header("request");
  std::vector<row> rows;
  rows.push_back(measure(c, "runs page", "/", requests));
  rows.push_back(measure(c, "runs page, deep", "/?offset=" + offset, requests));
  rows.push_back(measure(c, "first page", "/api/runs", requests));
  rows.push_back(measure(c, "deep page", "/api/runs?offset=" + offset, requests));
  rows.push_back(measure(c, "filtered", "/api/runs?status=failed&experiment=exp-7", requests));
  rows.push_back(measure(c, "filtered, tag", "/api/runs?tag=data%3Dv3&tag=owner%3Dana", requests));
  rows.push_back(measure(c, "a run", "/api/runs/" + old_id, requests));
  rows.push_back(measure(c, "a run's page", "/runs/" + old_id, requests));
  for (const auto& r : rows) print_row(r);
  for (const auto& r : rows) {
    std::string key = r.name.substr(0, r.name.find("  "));
    std::replace(key.begin(), key.end(), ' ', '_');
    key.erase(std::remove(key.begin(), key.end(), ','), key.end());
    key.erase(std::remove(key.begin(), key.end(), '\''), key.end());
    std::printf(
        "summary shape=ui_load request=%s runs=%zu n=%zu p50_ms=%.2f p90_ms=%.2f "
        "p99_ms=%.2f max_ms=%.2f bytes=%zu\n",
        key.c_str(), runs, r.s.n, r.s.p50, r.s.p90, r.s.p99, r.s.max, r.bytes);
  }
}

// ------------------------------------------------------------------------------ part 2

struct session {
  std::string cookie, csrf;
};

session open_session(int port) {
  auto c = client(port, false);
  auto r = c.Get("/api/session");
  if (!r || r->status != 200) die("GET /api/session failed");
  const auto set = r->get_header_value("Set-Cookie");
  return {set.substr(0, set.find(';')), json::parse(r->body)["csrf"].get<std::string>()};
}

std::string start_run(int port, const session& s, int work, int seed) {
  auto c = client(port, false);
  httplib::Params fields{{"param", "work=" + std::to_string(work)},
                         {"param", "seed=" + std::to_string(seed)},
                         {"experiment", "poll"}};
  auto r = c.Post("/api/runs", {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}}, fields);
  if (!r || r->status != 202)
    die("POST /api/runs: " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
  return json::parse(r->body)["id"].get<std::string>();
}

/// Waits for run `id` to end (asking every 250 ms, polled by the clients or not): its recorded
/// wall time in ms (the store's started..ended).
double wait_run(int port, const std::string& id) {
  auto c = client(port, false);
  for (;;) {
    auto j = get_json(c, "/api/runs/" + id);
    const auto status = j["status"].get<std::string>();
    if (status != "running" && status != "pending") {
      if (status != "succeeded") die("run " + id + " ended " + status);
      return j["duration_s"].get<double>() * 1000;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

void poll_part(int port, int clients, double seconds, int work, bool keep_alive) {
  const auto s = open_session(port);
  std::printf(
      "\n2. %d clients polling GET /api/runs/ID of a live run, each every 100-1000 ms, "
      "%.0f s; the runs: %d steps of %d units (run in the serving process, started by "
      "POST /api/runs)\n",
      clients, seconds, chain_steps + 2, work);
  std::fflush(stdout);
  // The clients poll the current run, while there is one.
  std::mutex m;
  std::string current;
  std::atomic<bool> polling{true};
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::vector<std::size_t> not_modified(static_cast<std::size_t>(clients)),
      failed(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  for (int k = 0; k < clients; ++k) {
    threads.emplace_back([&, k] {
      const auto i = static_cast<std::size_t>(k);
      std::mt19937 rng(static_cast<unsigned>(1000 + k));
      std::uniform_int_distribution<int> interval(100, 1000);
      auto c = client(port, keep_alive);
      std::string etag, etag_of;
      while (polling) {
        std::string id;
        {
          std::lock_guard lock(m);
          id = current;
        }
        if (!id.empty()) {
          httplib::Headers h;
          if (!etag.empty() && etag_of == id) h.emplace("If-None-Match", etag);
          const auto t0 = clock_type::now();
          auto r = c.Get(("/api/runs/" + id).c_str(), h);
          const double t = ms_since(t0);
          if (!r || (r->status != 200 && r->status != 304)) {
            ++failed[i];
          } else {
            lat[i].push_back(t);
            if (r->status == 304) ++not_modified[i];
            if (r->has_header("ETag")) {
              etag = r->get_header_value("ETag");
              etag_of = id;
            }
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(interval(rng)));
      }
    });
  }
  // Polled and not polled runs alternate (a polled one first), so that the load of a shared
  // machine drifting during the check weighs on both alike; the clients poll only while a
  // polled run is on (between, they wake and sleep).
  std::vector<double> with, without;
  double polled_ms = 0;
  // Seeds no earlier check used: every step of every run runs (none is a cache hit).
  int seed = static_cast<int>(std::time(nullptr) % 100000) * 1000;
  while (polled_ms < seconds * 1000) {
    const auto id = start_run(port, s, work, seed++);
    const auto t0 = clock_type::now();
    {
      std::lock_guard lock(m);
      current = id;
    }
    with.push_back(wait_run(port, id));
    {
      std::lock_guard lock(m);
      current.clear();
    }
    polled_ms += ms_since(t0);
    // The same run with a new seed (nothing cached), nobody polling.
    without.push_back(wait_run(port, start_run(port, s, work, seed++)));
  }
  const double polled_s = polled_ms / 1000;
  polling = false;
  for (auto& t : threads) t.join();

  std::vector<double> all;
  std::size_t nm = 0, fails = 0;
  for (int k = 0; k < clients; ++k) {
    const auto i = static_cast<std::size_t>(k);
    all.insert(all.end(), lat[i].begin(), lat[i].end());
    nm += not_modified[i];
    fails += failed[i];
  }
  const auto p = stats(all);
  header("request");
  print_row({"polling  /api/runs/ID", p, 0});
  std::printf("%zu requests in %.1f s (%.0f a second), %zu answered 304, %zu failed\n", p.n,
              polled_s, static_cast<double>(p.n) / polled_s, nm, fails);
  const double w = median(with), wo = median(without);
  std::printf("%-44s %6s %10s %10s %10s\n", "the run's own wall time", "runs", "median ms",
              "min ms", "max ms");
  auto mm = [](const std::vector<double>& v) {
    return std::pair{*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
  };
  std::printf("%-44s %6zu %10.0f %10.0f %10.0f\n", "  polled by the clients", with.size(), w,
              mm(with).first, mm(with).second);
  std::printf("%-44s %6zu %10.0f %10.0f %10.0f\n", "  nobody polling", without.size(), wo,
              mm(without).first, mm(without).second);
  std::printf("ratio polled / not polled: %.3f\n", w / wo);
  std::printf(
      "summary shape=ui_poll clients=%d seconds=%.0f requests=%zu not_modified=%zu "
      "failed=%zu p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f runs=%zu "
      "run_ms_polled=%.0f run_ms_alone=%.0f ratio=%.3f\n",
      clients, polled_s, p.n, nm, fails, p.p50, p.p90, p.p99, p.max, with.size(), w, wo, w / wo);
}

}  // namespace

int main(int argc, char** argv) {
  tyf::pipeline p{"ui-bench"};
  define(p);
  // Every command of a pipeline program (`ui` included) when the first argument is one.
  if (argc > 1 && argv[1][0] != '-') return tyf::ui::main(argc, argv, p);

  fs::path store = "ui-bench-store";
  std::size_t runs = 10000;
  int requests = 200, clients = 50, work = 200;
  double seconds = 30;
  bool keep_alive = false;
  std::string only;
  if (const char* env = std::getenv("TYPEFLOW_BENCH_UI_SECONDS")) seconds = std::atof(env);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--store")
      store = next();
    else if (a == "--runs")
      runs = std::stoul(next());
    else if (a == "--requests")
      requests = std::stoi(next());
    else if (a == "--clients")
      clients = std::stoi(next());
    else if (a == "--seconds")
      seconds = std::stod(next());
    else if (a == "--steps-work")
      work = std::stoi(next());
    else if (a == "--keep-alive")
      keep_alive = true;
    else if (a == "--only")
      only = next();
    else
      die("unknown option " + a + " (see the comment at the top of benchmarks/ui/ui_bench.cpp)");
  }
  std::signal(SIGPIPE, SIG_IGN);

  const double seeding = seed_store(p, store, runs);
  if (seeding > 0) {
    std::printf("seeded in %.0f s\n", seeding / 1000);
  }
  std::size_t have = 0;
  {
    tyf::store st{store};
    have = st.runs(tyf::run_query{}).size();
  }
  std::printf("store %s: %zu runs; cores: %u; keep-alive: %s\n", store.c_str(), have,
              std::thread::hardware_concurrency(), keep_alive ? "yes" : "no");
  ui_child ui{store};
  std::printf("prog ui (pid %d) on 127.0.0.1:%d\n", static_cast<int>(ui.pid), ui.port);
  if (only.empty() || only == "load") load_part(ui.port, have, requests, keep_alive);
  if (only.empty() || only == "poll") poll_part(ui.port, clients, seconds, work, keep_alive);
  return 0;
}
