#!/usr/bin/env bash
# Builds (gcc preset) and runs typeflow's flagship example, passing the arguments through.
# Build output goes to stderr, so stdout is the example's own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash cmake/install-deps.sh >&2

build=build/gcc
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
cmake --preset gcc >&2

# The flagship (examples/fashion_mnist) when it exists, otherwise the README example.
if cmake --build "$build" --target help 2>/dev/null | grep -q '^fashion-mnist:'; then
  target=fashion-mnist
  program="$build/examples/fashion_mnist/fashion-mnist"
else
  target=example-readme
  program="$build/examples/example-readme"
fi
cmake --build "$build" --target "$target" >&2
exec "$program" "$@"
