#pragma once
// Whether the one-node Slurm test cluster (tests/slurm/cluster.sh, started by the CTest fixture
// slurm.cluster-start) is up, for a C++ test program run against it: the same decision as
// run-if-cluster.sh, so that a cluster that cannot start here skips the test (exit 77, CTest's
// SKIP_RETURN_CODE) and fails it under CI=true. Catch2 2 has no skip; call
// require_slurm_cluster() first in main, or first in each test case of a Slurm-only program.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace typeflow::test {

/// Whether the test cluster is up; if not, why (the status file the fixture wrote says).
inline bool slurm_available(std::string& why) {
  const char* status_file = std::getenv("TYPEFLOW_SLURM_STATUS");
  if (status_file == nullptr || *status_file == '\0') {
    why = "TYPEFLOW_SLURM_STATUS is not set (the tests get it from tests/slurm/CMakeLists.txt)";
    return false;
  }
  std::ifstream in(status_file);
  if (!in) {
    why = std::string(status_file) + " does not exist: the slurm.cluster-start fixture has not run";
    return false;
  }
  std::string status;
  std::getline(in, status);
  if (status != "ok") {
    why = "the Slurm test cluster is " + status;
    return false;
  }
  const char* conf = std::getenv("SLURM_CONF");
  std::error_code ec;
  if (conf == nullptr || !std::filesystem::is_regular_file(conf, ec)) {
    why = std::string("SLURM_CONF (") + (conf != nullptr ? conf : "unset") +
          ") names no file, though the cluster was started";
    return false;
  }
  why.clear();
  return true;
}

/// Returns when the test cluster is up; otherwise prints why and ends the program: exit 77
/// (skipped), or 1 under CI=true, where the Slurm tests must run.
inline void require_slurm_cluster() {
  std::string why;
  if (slurm_available(why)) {
    return;
  }
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string(ci) == "true") {
    std::fprintf(stderr, "FAILED (CI=true, where the Slurm tests must run): %s\n", why.c_str());
    std::exit(1);
  }
  std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
  std::exit(77);
}

}  // namespace typeflow::test
