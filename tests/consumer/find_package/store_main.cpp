// typeflow::store from an installed typeflow: the run store links (SQLite) and records a run.
#include <typeflow/store.hpp>
#include <typeflow/typeflow.hpp>

#include <cstdio>
#include <filesystem>

namespace tyf = typeflow;

int main() {
  tyf::pipeline p{"consumer"};
  auto x = p.param<int>("x", 20);
  p.step(
      "double", [](int v) { return v * 2; }, x);
  auto dir = std::filesystem::temp_directory_path() / "typeflow-consumer-store";
  std::filesystem::remove_all(dir);
  bool ok = false;
  {
    tyf::store st{dir};
    auto r = st.run(p);
    ok = r.ok() && st.runs().size() == 1;
    std::printf("stored run %s\n", r.run_id().c_str());
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
