#!/usr/bin/env bash
# typeflow's full test run: installs the Debian dependencies, checks once that the sources are
# formatted (tests/check-format.sh), that the API reference builds without a Doxygen warning
# (docs/check-reference.sh) and that the headers keep their layers (tests/check-layers.py: no
# include cycle, no include of a higher layer, no exec/detail above exec), then for each preset runs `cmake --workflow --preset <p>`
# (configure, build, ctest). Default presets: gcc clang asan tsan fuzz (the sanitizer presets run
# only the unit and example tests; fuzz runs each libFuzzer target over its corpus and then for
# TYPEFLOW_FUZZ_SECONDS, docs/fuzzing.md; gcc and clang also run the Slurm tests on a one-node
# cluster that they start, which needs root: tests/slurm/README.md, and the browser tests in
# headless Chromium: tests/browser/README.md). Under CI=true a Slurm or browser test that cannot
# run fails instead of skipping. Pass preset names to run fewer: tests/run.sh gcc
# A failed check fails the run at the end, like a failed preset; the presets run regardless.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash cmake/install-deps.sh

jobs=$(nproc)
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$jobs}"
export CTEST_PARALLEL_LEVEL="${CTEST_PARALLEL_LEVEL:-$jobs}"

presets=("$@")
if ((${#presets[@]} == 0)); then
  presets=(gcc clang asan tsan fuzz)
fi

declare -a summary=()
failures=0
checks=(format reference layers)
declare -A check_command=([format]="bash tests/check-format.sh"
                          [reference]="bash docs/check-reference.sh"
                          [layers]="python3 tests/check-layers.py")
for check in "${checks[@]}"; do
  echo
  echo "=== check ${check} (${check_command[$check]}) ==="
  start=$SECONDS
  # shellcheck disable=SC2086  # the command is words: interpreter and script
  if ${check_command[$check]}; then
    summary+=("$(printf '  %-9s ok      %4ds' "$check" $((SECONDS - start)))")
  else
    summary+=("$(printf '  %-9s FAILED  %4ds' "$check" $((SECONDS - start)))")
    failures=$((failures + 1))
  fi
done

for preset in "${presets[@]}"; do
  echo
  echo "=== preset ${preset} ==="
  start=$SECONDS
  if cmake --workflow --preset "$preset"; then
    summary+=("$(printf '  %-9s ok      %4ds' "$preset" $((SECONDS - start)))")
  else
    summary+=("$(printf '  %-9s FAILED  %4ds' "$preset" $((SECONDS - start)))")
    failures=$((failures + 1))
  fi
done

echo
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
total=$((${#checks[@]} + ${#presets[@]}))
if ((failures > 0)); then
  echo "${failures} of ${total} (${#checks[@]} checks, ${#presets[@]} presets) failed"
  exit 1
fi
echo "all ${total} passed (${#checks[@]} checks, ${#presets[@]} presets)"
