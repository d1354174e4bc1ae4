// Steps without outputs (void) ordered with .after(), and the context a step can ask for:
// its run id and name, a stop token, metrics and progress.
#include <typeflow/typeflow.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace tyf = typeflow;
namespace fs = std::filesystem;

int main() {
  tyf::pipeline p{"ordering"};
  const fs::path dir = fs::current_path() / "out";
  auto prepare = p.step("prepare", [dir] { fs::create_directories(dir); });
  auto write = p.step("write", [dir](tyf::context& ctx) {
                  std::ofstream out(dir / "metrics.txt");
                  for (int epoch = 0; epoch < 5; ++epoch) {
                    double loss = 1.0 / (epoch + 1);
                    ctx.log_metric("loss", loss, epoch);
                    ctx.progress(static_cast<std::uint64_t>(epoch + 1), 5);
                    out << epoch << ' ' << loss << '\n';
                  }
                  return std::string(ctx.run_id());
                }).after(prepare);
  auto check = p.step(
      "check",
      [dir](const std::string& run_id) {
        return fs::file_size(dir / "metrics.txt") > 0 && !run_id.empty();
      },
      write);

  auto result = tyf::run(p);
  for (const auto& m : result.metrics()) {
    std::printf("%s %s[%lld] = %.3f\n", m.step.c_str(), m.name.c_str(),
                static_cast<long long>(m.index), m.value);
  }
  std::printf("%s\n", result.summary().c_str());
  return result.ok() && result.get(check) ? 0 : 1;
}
