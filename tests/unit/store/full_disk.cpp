// What issue 15's defect 4 leaves to garbage collection: an artifact file whose row could not
// be stored (a full disk between the file and its row) is collected once it is an hour old; a
// younger one may be a file whose row is about to be committed, and stays. The full disk
// itself is tested through the command line, with system calls failing
// (tests/faults/driver.py: faults.full-disk).

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;
namespace fs = std::filesystem;

TEST_CASE("garbage collection removes old artifact files that no row names") {
  temp_dir dir;
  tyf::store_config cfg;
  cfg.inline_limit = 0;  // every output is a file
  tyf::store st{dir.path(), cfg};
  tyf::pipeline p{"orphans"};
  auto x = p.param<int>("x", 1);
  auto a = p.step(
      "a", [](int v) { return std::vector<int>(100, v); }, x);
  auto keep = st.run(p);
  auto gone = st.run(p, tyf::store_options{}.set("x", "2"));
  auto write = [&](const std::string& hash, std::chrono::hours age) {
    auto f = dir.path() / "artifacts" / hash.substr(0, 2) / hash.substr(2);
    fs::create_directories(f.parent_path());
    std::ofstream(f) << "bytes whose row was never stored";
    fs::last_write_time(f, fs::file_time_type::clock::now() - age);
    return f;
  };
  const auto old_orphan = write("0123456789abcdef0123456789abcdef", std::chrono::hours(2));
  const auto young_orphan = write("fedcba9876543210fedcba9876543210", std::chrono::hours(0));
  const auto not_a_hash = dir.path() / "artifacts" / "zz" / "not-an-artifact";
  fs::create_directories(not_a_hash.parent_path());
  std::ofstream(not_a_hash) << "left alone";
  fs::last_write_time(not_a_hash, fs::file_time_type::clock::now() - std::chrono::hours(2));

  auto r = st.remove({gone.run_id()});
  CHECK(r.runs == 1);
  CHECK(r.artifacts == 2);  // the deleted run's output and the old orphan
  CHECK_FALSE(fs::exists(old_orphan));
  CHECK(fs::exists(young_orphan));
  CHECK(fs::exists(not_a_hash));
  // The kept run's output is a file with a row, older or not: it stays readable.
  CHECK(st.load(keep.run_id(), a) == std::vector<int>(100, 1));
}

TEST_CASE("garbage collection keeps old artifact files that a job's task or result names") {
  // A Slurm job's inputs and output are files without rows until the driver records them, and
  // a job may wait in the queue for hours (launch/job_files.hpp): the files under jobs/ keep them.
  temp_dir dir;
  tyf::store st{dir.path()};
  tyf::pipeline p{"queued"};
  p.step("a", [] { return 1; });
  auto first = st.run(p);
  auto second = st.run(p, tyf::store_options{}.no_cache(true));
  auto write = [&](const std::string& hash) {
    auto f = dir.path() / "artifacts" / hash.substr(0, 2) / hash.substr(2);
    fs::create_directories(f.parent_path());
    std::ofstream(f) << "an input or output of a job";
    fs::last_write_time(f, fs::file_time_type::clock::now() - std::chrono::hours(5));
    return f;
  };
  const auto input = write("00112233445566778899aabbccddeeff");
  const auto output = write("ffeeddccbbaa99887766554433221100");
  const auto orphan = write("0123456789abcdef0123456789abcdef");
  const auto task = dir.path() / "jobs" / first.run_id() / "a" / "1";
  fs::create_directories(task);
  std::ofstream(task / "task.json") << R"({"inputs": ["00112233445566778899aabbccddeeff", null]})";
  std::ofstream(task / "result.json") << R"({"output": "ffeeddccbbaa99887766554433221100"})";
  auto r = st.remove({second.run_id()});
  CHECK(r.runs == 1);
  CHECK(fs::exists(input));
  CHECK(fs::exists(output));
  CHECK_FALSE(fs::exists(orphan));
  // Once their run is deleted, its job files go, and the next collection takes the artifacts.
  st.remove({first.run_id()});
  CHECK_FALSE(fs::exists(task));
  CHECK_FALSE(fs::exists(input));
  CHECK_FALSE(fs::exists(output));
}
