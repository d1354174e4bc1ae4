#pragma once
// The command line of a pipeline program: `return typeflow::main(argc, argv, p);` gives it
// run, debug, runs, show, compare, retry, copy, stop, delete, graph, describe, schedule, help.
// Link typeflow::cli (typeflow::store + CLI11).

#include <typeflow/cli/main.hpp>
#include <typeflow/cli/progress.hpp>
