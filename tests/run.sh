#!/usr/bin/env bash
# typeflow's full test run: installs the Debian dependencies, then for each preset runs
# `cmake --workflow --preset <p>` (configure, build, ctest). Default presets: gcc clang asan
# tsan (the sanitizer presets run only the unit and example tests). Pass preset names to run
# fewer: tests/run.sh gcc
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash cmake/install-deps.sh

jobs=$(nproc)
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$jobs}"
export CTEST_PARALLEL_LEVEL="${CTEST_PARALLEL_LEVEL:-$jobs}"

presets=("$@")
if ((${#presets[@]} == 0)); then
  presets=(gcc clang asan tsan)
fi

declare -a summary=()
failures=0
for preset in "${presets[@]}"; do
  echo
  echo "=== preset ${preset} ==="
  start=$SECONDS
  if cmake --workflow --preset "$preset"; then
    summary+=("$(printf '  %-6s ok      %4ds' "$preset" $((SECONDS - start)))")
  else
    summary+=("$(printf '  %-6s FAILED  %4ds' "$preset" $((SECONDS - start)))")
    failures=$((failures + 1))
  fi
done

echo
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
if ((failures > 0)); then
  echo "${failures} of ${#presets[@]} presets failed"
  exit 1
fi
echo "all ${#presets[@]} presets passed"
