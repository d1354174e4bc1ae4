// typeflow-bench-result-memory: how much memory a finished run_result keeps alive. Declares a
// chain of N empty steps (default 1,000,000) and, unless --no-tree, a complete binary tree of
// --depth levels (default 20: 2^20 - 1 steps), runs each on 2 threads and measures the memory
// held by the process:
//   held = mallinfo2().uordblks + mallinfo2().hblkhd + big_bytes_in_use()
// (the heap in use, malloc's own mappings, and the big_allocator mappings in use; resident size
// is no use here, as neither malloc nor big_allocator's cache gives freed memory back at once)
//   m0  after the pipeline is declared
//   m1  after run() returns, with the result alive
//   m2  after the result is destroyed (the pipeline still alive)
// and prints, for each shape,
//   summary shape=result_memory steps=<n> held_mb=<(m1-m2)/MiB> bytes_per_step=<(m1-m2)/n>
//           run_mb=<(m1-m0)/MiB> pipeline_mb=<m0 - before/MiB>
// (shape=result_memory_tree for the tree). Uses only run(), run_options, pipeline, step() and
// after(), so the same file builds against older versions of typeflow for a comparison.
//
// Usage: typeflow-bench-result-memory [--steps N] [--depth D] [--no-tree] [--threads N]

#include <malloc.h>

#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <typeflow/core.hpp>
#include <typeflow/detail/big_allocator.hpp>
#include <typeflow/exec.hpp>

namespace {

namespace tyf = typeflow;

constexpr double mib = 1024.0 * 1024.0;

/// The bytes the process holds: the heap in use, malloc's mappings, big_allocator's mappings.
long long held() {
  const struct mallinfo2 m = ::mallinfo2();
  return static_cast<long long>(m.uordblks + m.hblkhd + tyf::detail::big_bytes_in_use().load());
}

/// Step names "s0", "s1", ... without a heap allocation per name.
class step_name {
 public:
  std::string_view operator()(std::size_t i) noexcept {
    buf_[0] = 's';
    auto end = std::to_chars(buf_ + 1, buf_ + sizeof buf_, i).ptr;
    return {buf_, static_cast<std::size_t>(end - buf_)};
  }

 private:
  char buf_[24];
};

long long big() { return static_cast<long long>(tyf::detail::big_bytes_in_use().load()); }

struct sample {
  long long before = 0, m0 = 0, m1 = 0, m2 = 0;
  long long big1 = 0, big2 = 0;  // big_bytes_in_use() at m1 and m2
  bool ok = false;
};

/// Runs the declared pipeline and takes m0, m1 and m2.
sample measure(tyf::pipeline& p, long long before, unsigned threads) {
  sample s;
  s.before = before;
  s.m0 = held();
  {
    auto r = tyf::run(p, tyf::run_options{}.threads(threads));
    s.ok = r.ok();
    s.m1 = held();
    s.big1 = big();
  }
  s.m2 = held();
  s.big2 = big();
  return s;
}

sample chain(std::size_t n, unsigned threads) {
  const long long before = held();
  tyf::pipeline p{"chain"};
  step_name name;
  tyf::handle<void> prev = p.step(name(0), [] {});
  for (std::size_t i = 1; i < n; ++i) prev = p.step(name(i), [] {}).after(prev);
  return measure(p, before, threads);
}

sample tree(std::size_t n, unsigned threads) {
  const long long before = held();
  tyf::pipeline p{"binary_tree"};
  step_name name;
  std::vector<tyf::handle<void>> h;
  h.reserve(n);
  h.push_back(p.step(name(0), [] {}));
  for (std::size_t i = 1; i < n; ++i) h.push_back(p.step(name(i), [] {}).after(h[(i - 1) / 2]));
  // The handles are the benchmark's, not the pipeline's: pipeline_mb leaves them out.
  return measure(p, before + static_cast<long long>(h.capacity() * sizeof(h[0])), threads);
}

void report(const char* shape, std::size_t n, const sample& s) {
  const long long result = s.m1 - s.m2;
  std::fprintf(stderr,
               "typeflow-bench-result-memory: %s of %zu steps, run %s: m0 %lld, m1 %lld, m2 %lld "
               "bytes; the result holds %.1f MB (%.1f B/step; big mappings %.1f MB), the run left "
               "%.1f MB with the "
               "result alive, the pipeline holds %.1f MB\n",
               shape, n, s.ok ? "ok" : "FAILED", s.m0, s.m1, s.m2,
               static_cast<double>(result) / mib,
               static_cast<double>(result) / static_cast<double>(n),
               static_cast<double>(s.big1 - s.big2) / mib, static_cast<double>(s.m1 - s.m0) / mib,
               static_cast<double>(s.m0 - s.before) / mib);
  std::printf(
      "summary shape=%s steps=%zu held_mb=%.1f bytes_per_step=%.1f run_mb=%.1f "
      "pipeline_mb=%.1f\n",
      shape, n, static_cast<double>(result) / mib,
      static_cast<double>(result) / static_cast<double>(n), static_cast<double>(s.m1 - s.m0) / mib,
      static_cast<double>(s.m0 - s.before) / mib);
  std::fflush(stdout);
}

bool positive(const char* text, unsigned long& out) {
  char* end = nullptr;
  out = std::strtoul(text, &end, 10);
  return end != text && *end == '\0' && out > 0;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long steps = 1'000'000, depth = 20, threads = 2;
  bool with_tree = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--no-tree") {
      with_tree = false;
    } else if ((arg == "--steps" || arg == "--depth" || arg == "--threads") && i + 1 < argc) {
      unsigned long& target = arg == "--steps" ? steps : arg == "--depth" ? depth : threads;
      if (!positive(argv[++i], target) || (arg == "--depth" && depth > 30)) {
        std::fprintf(stderr, "typeflow-bench-result-memory: bad value for %s\n", argv[i - 1]);
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--steps N] [--depth D] [--no-tree] [--threads N]\n",
                   argv[0]);
      return 2;
    }
  }

  bool ok = true;
  const sample c = chain(steps, static_cast<unsigned>(threads));
  report("result_memory", steps, c);
  ok = ok && c.ok;
  if (with_tree) {
    const std::size_t n = (std::size_t{1} << depth) - 1;
    const sample t = tree(n, static_cast<unsigned>(threads));
    report("result_memory_tree", n, t);
    ok = ok && t.ok;
  }
  return ok ? 0 : 1;
}
