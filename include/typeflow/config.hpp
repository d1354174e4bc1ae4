#pragma once
// How typeflow's non-template code is built (docs/building.md, "Header-only or compiled").
//
// Header-only (the default): every function that is not a template of the user's types is
// defined `inline` in the headers, and every translation unit that uses it compiles it again.
//
// Compiled (CMake: -DTYPEFLOW_COMPILED=ON, which defines TYPEFLOW_COMPILED on typeflow's
// targets and everything that links them): those functions are compiled once, into the
// libraries typeflow::typeflow, typeflow::store and typeflow::cli (src/*.cpp); the headers only
// declare them. A program must not mix the two modes.
//
// The pattern, per header with a compiled part `<layer>/X.hpp`:
//   - X.hpp declares the functions, marked TYPEFLOW_INLINE, and ends with
//       #ifndef TYPEFLOW_COMPILED
//       #include <typeflow/<layer>/impl/X.hpp>
//       #endif
//   - <layer>/impl/X.hpp defines them, marked TYPEFLOW_INLINE; src/<library>.cpp includes it.

#ifdef TYPEFLOW_COMPILED
#define TYPEFLOW_INLINE
#else
#define TYPEFLOW_INLINE inline
#endif
