// Catch2's main, compiled once (OBJECT library typeflow-catch-main) and linked into every
// unit-test executable built by typeflow_add_unit_tests().
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
