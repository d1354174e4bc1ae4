// A C++ test program against the Slurm test cluster, in its smallest form: it skips (exit 77)
// or, under CI=true, fails where the cluster could not start (cluster.hpp), and otherwise
// checks that sinfo, through SLURM_CONF, shows the cluster's one node up.

#include "cluster.hpp"

#include <array>
#include <cstdio>
#include <string>

int main() {
  typeflow::test::require_slurm_cluster();
  std::FILE* sinfo = ::popen("sinfo -h -o '%n %t %c %m' 2>&1", "r");
  if (sinfo == nullptr) {
    std::perror("popen sinfo");
    return 1;
  }
  std::string output;
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), sinfo) != nullptr) {
    output += buffer.data();
  }
  const int status = ::pclose(sinfo);
  std::printf("sinfo: %s", output.c_str());
  const bool up = output.find(" idle ") != std::string::npos ||
                  output.find(" mix ") != std::string::npos ||
                  output.find(" alloc ") != std::string::npos;
  if (status != 0 || !up) {
    std::fprintf(stderr, "FAILED: sinfo (exit status %d) shows no node idle, mix or alloc\n",
                 status);
    return 1;
  }
  return 0;
}
