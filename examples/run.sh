#!/usr/bin/env bash
# Builds (gcc preset) and runs typeflow's flagship, the Fashion-MNIST pipeline
# (examples/fashion_mnist), passing the arguments through; with none, `run`.
#   bash examples/run.sh                          # fashion-mnist run
#   bash examples/run.sh run --param epochs=3     # any command of the pipeline's command line
#   bash examples/run.sh runs | show latest | compare A B | retry RUN | ui --open | help
# Build output goes to stderr, so stdout is the pipeline's own. Runs are recorded in
# ./.typeflow (or $TYPEFLOW_STORE) of the directory it is started from.
set -euo pipefail
here="$(pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"

bash cmake/install-deps.sh >&2

build=build/gcc
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
cmake --preset gcc >&2
cmake --build "$build" --target fashion-mnist >&2

cd "$here"
if [ "$#" -eq 0 ]; then
  set -- run
fi
exec "$root/$build/examples/fashion_mnist/fashion-mnist" "$@"
