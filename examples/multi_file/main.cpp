// A pipeline program in several translation units: the step functions in ingest.cpp,
// summarise.cpp and report.cpp (plain C++, declared in sensors.hpp), the wiring in
// pipeline.cpp, and here the command line. typeflow::main compiles the run store, the
// executor and the command line: the costliest file of the program, and one that does not
// change when a step or the wiring does.
//
//   example-multi-file run [--param limit=40] [--store DIR]
//   example-multi-file runs | show latest | compare A B
#include <typeflow/cli.hpp>  // typeflow::main: the program is its pipeline's command line

#include "pipeline.hpp"

int main(int argc, char** argv) {
  auto p = sensors::make_pipeline();
  return typeflow::main(argc, argv, p);
}
