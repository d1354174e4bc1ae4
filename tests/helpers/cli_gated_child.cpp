// A pipeline program for the command line's tests of resources, named gates and conditions
// (the pipeline: gated_pipeline.hpp). With $CLICHILD_GPUS set, the program gives
// typeflow::main its own run options: that capacity of "gpu", one thread, and with
// $CLICHILD_BAR set, that value of the parameter bar (run_options::set).

#include <cstdlib>
#include <string>

#include <typeflow/cli.hpp>
#include <typeflow/typeflow.hpp>

#include "gated_pipeline.hpp"

int main(int argc, char** argv) {
  typeflow::pipeline p{"gated"};
  gated::define(p);
  if (const char* gpus = std::getenv("CLICHILD_GPUS"); gpus != nullptr) {
    typeflow::run_options own;
    own.capacity("gpu", std::stod(gpus)).threads(1);
    if (const char* bar = std::getenv("CLICHILD_BAR"); bar != nullptr) own.set("bar", bar);
    return typeflow::main(argc, argv, p, own);
  }
  return typeflow::main(argc, argv, p);
}
