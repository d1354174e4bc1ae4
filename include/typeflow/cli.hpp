#pragma once
// The command line of a pipeline program: `return typeflow::main(argc, argv, p);` gives it
// run, debug, runs, show, compare, retry, copy, stop, delete, graph, describe, schedule, help.
// Link typeflow::cli (typeflow::store + CLI11). Includes the run store it manages. In compiled
// mode (TYPEFLOW_COMPILED) these headers only declare: CLI11, SQLite and the commands are
// compiled into typeflow::cli and typeflow::store.

#include <typeflow/cli/main.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/store/store.hpp>
#include <typeflow/store/structure_hash.hpp>
