// typeflow::ui from an installed typeflow: a program with `prog ui` (typeflow::ui::main) links
// (cpp-httplib found by the package config), and its server answers GET /api/runs on a free
// loopback port. With arguments it is the program itself (`ui_app ui --port 0` serves).
#include <typeflow/typeflow.hpp>
#include <typeflow/ui/server.hpp>

#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

namespace tyf = typeflow;

int main(int argc, char** argv) {
  tyf::pipeline p{"consumer-ui"};
  auto x = p.param<int>("x", 20);
  p.step(
      "double", [](int v) { return v * 2; }, x);
  if (argc > 1) return tyf::ui::main(argc, argv, p);

  auto dir = std::filesystem::temp_directory_path() / "typeflow-consumer-ui";
  std::filesystem::remove_all(dir);
  bool ok = false;
  {
    tyf::ui::server_options o;
    o.store = dir;
    o.port = 0;
    tyf::ui::server srv{p, o};
    std::thread serving([&] { srv.run(); });
    httplib::Client c("127.0.0.1", static_cast<int>(srv.port()));
    auto r = c.Get("/api/runs");
    ok = r && r->status == 200 && r->body.find("\"runs\"") != std::string::npos;
    std::printf("GET %sapi/runs: %d\n", srv.url().c_str(), r ? r->status : -1);
    srv.stop();
    serving.join();
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
